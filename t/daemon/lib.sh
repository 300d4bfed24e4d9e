# lib.sh - helpers for the t/daemon scripts, sourced by each of them.
#
# run-daemon.sh runs every t/daemon/NN-name.sh with BULWARK (the daemon),
# BULWARKCTL, WORKDIR (an empty directory of the script's own), SRCDIR
# (t/daemon) and TOP (the source tree) in its environment.  A script
# prints one "ok: what" or "not ok: what" line per check and exits
# non-zero when any check failed.  Every process it starts is written to
# $WORKDIR/pids (track), so the runner can kill what a failing script
# left behind.
#
# ok WHAT / not_ok WHAT        report a check
# check WHAT COMMAND...        ok when COMMAND succeeds
# track PID                    remember a process to kill at the end
# redis_start DIR [ARG...]     a throwaway redis-server on DIR/redis.sock
#                              (empty, no persistence, ARGs added);
#                              sets $redis; non-zero when it does not
#                              answer (REDISCLI_AUTH for a password)
# conf FILE DIR [TEXT]         a test configuration: sockets, pid file and
#                              log in DIR, no metrics listener, then TEXT
# array_conf PREFIX [MORE [RULES]]
#                              a two-node array on one Redis: redis_start
#                              in $r ($WORKDIR/redis), configurations of
#                              nodes $a and $b ($WORKDIR/a, /b) with
#                              key_prefix PREFIX, MORE in the redis group
#                              and RULES (default: dos blocks the third
#                              connection in an hour for an hour); exits
#                              the script when Redis does not start
# array_start PREFIX [MORE [RULES]]
#                              array_conf, then both nodes started:
#                              $pid_a, $pid_b; exits when one fails
# start_fg NAME FILE DIR       start the daemon in the foreground on FILE,
#                              its stderr in DIR/log; waits for its control
#                              socket; sets $pid; non-zero when it failed
# stop_fg PID                  SIGTERM it and return its exit status
# ctl DIR ARGS...              bulwarkctl on DIR's control socket; output
#                              in $WORKDIR/ctl.out, $WORKDIR/ctl.err
# ctl_is RC WHAT DIR ARGS...   ctl, checking its exit status is RC
# out_has WHAT TEXT            ctl.out holds TEXT (fixed string)
# out_line WHAT LINE           ctl.out holds LINE as a whole line
# err_has WHAT TEXT            ctl.err holds TEXT
# connect SOCKET IP EXPECT [N] N connections (default 1) from IP to the
#                              milter at unix:SOCKET, each answered
#                              EXPECT: continue or refuse
# log_count FILE TEXT...       lines of FILE holding every TEXT
# finish                       exit status of the script
# and those of t/lib/daemon.sh (wait_until, config_head, ...).
set -u

. "$TOP/t/lib/daemon.sh"

failures=0

ok() {
	echo "ok: $*"
}

not_ok() {
	echo "not ok: $*"
	failures=$((failures + 1))
}

check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

track() {
	echo "$1" >>"$WORKDIR/pids"
}

redis_start() {
	local dir=$1
	shift
	redis-server --port 0 --unixsocket "$dir/redis.sock" \
	    --unixsocketperm 700 --save "" --appendonly no --dir "$dir" \
	    --logfile "$dir/redis.log" --daemonize no "$@" &
	redis=$!
	track "$redis"
	wait_until sh -c "redis-cli -s '$dir/redis.sock' ping 2>/dev/null |
	    grep -q PONG"
}

conf() {
	{
		config_head "$2"
		echo 'metrics_listen = "";'
		echo "${3:-}"
	} >"$1"
}

array_conf() {
	r=$WORKDIR/redis
	a=$WORKDIR/a
	b=$WORKDIR/b
	mkdir "$r" "$a" "$b"
	if ! redis_start "$r"; then
		not_ok "redis-server started"
		exit 1
	fi
	rules='dos = { max_connections = 2; period = "1h"; block = "1h"; };'
	[ -n "${3:-}" ] && rules=$3
	for node in "$a" "$b"; do
		conf "$node/bulwark.conf" "$node" "store = \"redis\";
redis = { server = \"unix:$r/redis.sock\"; key_prefix = \"$1\"; ${2:-}};
$rules"
	done
}

array_start() {
	array_conf "$@"
	start_fg node-a "$a/bulwark.conf" "$a" || exit 1
	pid_a=$pid
	start_fg node-b "$b/bulwark.conf" "$b" || exit 1
	pid_b=$pid
}

start_fg() {
	"$BULWARK" -f -c "$2" 2>"$3/log" &
	pid=$!
	track "$pid"
	if ! wait_until test -S "$3/control.sock"; then
		echo "--- $1 did not start:"
		cat "$3/log"
		return 1
	fi
}

stop_fg() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}

ctl() {
	dir=$1
	shift
	"$BULWARKCTL" -s "$dir/control.sock" "$@" >"$WORKDIR/ctl.out" \
	    2>"$WORKDIR/ctl.err"
}

ctl_is() {
	want=$1
	what=$2
	shift 2
	ctl "$@"
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$what"
	else
		not_ok "$what: exit $rc, expected $want"
		sed 's/^/    /' "$WORKDIR/ctl.out" "$WORKDIR/ctl.err"
	fi
}

out_has() {
	if grep -qF -- "$2" "$WORKDIR/ctl.out"; then
		ok "$1"
	else
		not_ok "$1: no \"$2\" in:"
		sed 's/^/    /' "$WORKDIR/ctl.out"
	fi
}

# out_joined WHAT TEXT: the output, its wrapped lines joined, holds TEXT.
out_joined() {
	if sed ':a;N;$!ba;s/\n  */ /g' "$WORKDIR/ctl.out" | grep -qF -- "$2"; then
		ok "$1"
	else
		not_ok "$1: no \"$2\" in:"
		sed 's/^/    /' "$WORKDIR/ctl.out"
	fi
}

out_line() {
	if grep -qxF -- "$2" "$WORKDIR/ctl.out"; then
		ok "$1"
	else
		not_ok "$1: no line \"$2\" in:"
		sed 's/^/    /' "$WORKDIR/ctl.out"
	fi
}

err_has() {
	if grep -qF -- "$2" "$WORKDIR/ctl.err"; then
		ok "$1"
	else
		not_ok "$1: no \"$2\" in:"
		sed 's/^/    /' "$WORKDIR/ctl.err"
	fi
}

connect() {
	miltertest -s "$SRCDIR/connect.lua" -D socket="unix:$1" -D ip="$2" \
	    -D expect="$3" -D count="${4:-1}" >"$WORKDIR/mt.out" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || sed 's/^/    /' "$WORKDIR/mt.out"
	return "$rc"
}

log_count() {
	file=$1
	shift
	awk -v n="$#" '
		BEGIN { for (i = 1; i <= n; i++) want[i] = ARGV[i + 1]; ARGC = 2 }
		{ all = 1; for (i = 1; i <= n; i++) if (index($0, want[i]) == 0) all = 0; c += all }
		END { print c + 0 }
	' "$file" "$@"
}

finish() {
	[ "$failures" -eq 0 ]
}
