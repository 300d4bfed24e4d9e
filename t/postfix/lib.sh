# lib.sh - helpers for the Postfix end-to-end tests (sourced by run.sh).
#
# Everything runs under one temporary directory, $WORK:
#   private Postfix instances  pf_create, pf_service, pf_start, pf_stop
#   bulwark daemons            bw_config, bw_start, bw_stop, bw_kill
#   a throwaway Redis          redis_start, redis_stop
#   SMTP sessions              session, xsession: transcript in $OUT
#   assertions                 ok, not_ok (t/lib/results.sh), expect_*:
#                              counted in $passed and $failed
# cleanup() stops whatever is still running and removes $WORK; run.sh
# calls it from an EXIT trap, so an interrupted run leaves nothing behind.
#
# The harness connects from 127.0.0.1 (excluded in every bulwark
# configuration) and presents the client address with XCLIENT, after
# which Postfix sends bulwark a new CONNECT for that address and answers
# XCLIENT with a new greeting: 220, or the refusal.

# TOP is the source tree; a script elsewhere (bench/postfix.sh) sets it.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BULWARK=$TOP/milter/bulwark
LOG_WAIT=5			# seconds to wait for an expected log line

. "$TOP/t/lib/daemon.sh"
. "$TOP/t/lib/results.sh"
. "$TOP/t/lib/smtp.sh"

WORK=
BW_NAMES=
PF_NAMES=
REDIS_PID=
OUT=

# --- Results ---------------------------------------------------------------

# The last transcript, to explain a failure.
show_out() {
	printf '%s\n' "$OUT" | show
}

# --- SMTP sessions ---------------------------------------------------------

# session PORT [-b ADDR] COMMAND...: a session with 127.0.0.1:PORT, from
# ADDR when given.  The transcript (see t/lib/smtp.pl) is left in $OUT.
session() {
	local port="$1" bind=
	shift
	if [ "${1:-}" = "-b" ]; then
		bind=$2
		shift 2
	fi
	OUT=$("$SMTP_CLIENT" ${bind:+-b "$bind"} 127.0.0.1 "$port" "$@" 2>&1)
}

# xsession PORT ADDR COMMAND...: EHLO, XCLIENT as ADDR, EHLO, COMMANDs.
xsession() {
	local port="$1" addr="$2"
	shift 2
	session "$port" "EHLO client.test" \
	    "XCLIENT NAME=[UNAVAILABLE] ADDR=$addr" "EHLO client.test" "$@"
}

# deliver PORT ADDR RCPT...: one message, sent with swaks as client ADDR.
# $OUT is swaks's transcript, $SWAKS_RC its exit status and $QID the queue
# id Postfix gave the message (empty when it was not accepted).
deliver() {
	local port="$1" addr="$2" to
	shift 2
	to=$(echo "$@" | tr ' ' ',')
	OUT=$(swaks --server "127.0.0.1:$port" --timeout 10 --helo client.test \
	    --xclient-name '[UNAVAILABLE]' --xclient-addr "$addr" \
	    --from sender@example.org --to "$to" 2>&1)
	SWAKS_RC=$?
	QID=$(printf '%s\n' "$OUT" |
	    sed -n 's/^<- *250 .*queued as \([0-9A-Za-z]*\).*/\1/p')
}

# expect_delivered WHAT LOG RCPT...: the message of the last deliver()
# was accepted, and Postfix logged its delivery to every RCPT.
expect_delivered() {
	local what="$1" log="$2" rcpt
	shift 2
	if [ "$SWAKS_RC" -ne 0 ] || [ -z "$QID" ]; then
		not_ok "$what: swaks exit status $SWAKS_RC, no queue id"
		show_out
		return
	fi
	for rcpt; do
		expect_line "$what: $QID delivered to $rcpt" "$log" \
		    "$QID: to=<$rcpt>" "status=sent"
	done
}

# expect_reply WHAT PREFIX CODE...: the reply to PREFIX starts with CODE
# ("421 4.7.0", "250", ...).
expect_reply() {
	local what="$1" cmd="$2" want="$3" got
	got=$(printf '%s\n' "$OUT" | smtp_reply "$cmd")
	case "$got" in
	"$want"*) ok "$what: $cmd -> $want" ;;
	*)
		not_ok "$what: $cmd -> '$want' expected, got '$got'"
		show_out
		;;
	esac
}

# expect_hangup WHAT: the server closed the connection right after a 421,
# before the client sent anything else.
expect_hangup() {
	local last2
	last2=$(printf '%s\n' "$OUT" | tail -n 2 | cut -c1-6 | tr '\n' ' ')
	if [ "$last2" = "<- 421 == clo " ]; then
		ok "$1: connection closed after the 421"
	else
		not_ok "$1: connection not closed after a 421"
		show_out
	fi
}

# expect_text WHAT TEXT: $OUT holds TEXT (a fixed string).
expect_text() {
	if printf '%s\n' "$OUT" | grep -qF -- "$2"; then
		ok "$1"
	else
		not_ok "$1: no '$2' in the session"
		show_out
	fi
}

# --- Logs ------------------------------------------------------------------

# wait_log FILE TEXT: wait up to LOG_WAIT seconds for a line holding TEXT.
wait_log() {
	local i=0
	while [ $i -lt $((LOG_WAIT * 10)) ]; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# expect_log WHAT FILE TEXT...: every TEXT appears in FILE, on one line
# each (TEXTs may be on different lines).
expect_log() {
	local what="$1" file="$2" text
	shift 2
	for text; do
		if ! wait_log "$file" "$text"; then
			not_ok "$what: no '$text' in $(basename "$file")"
			tail -n 15 "$file" | show
			return
		fi
	done
	ok "$what"
}

# expect_line WHAT FILE TEXT1 TEXT2...: one line of FILE holds every TEXT.
expect_line() {
	local what="$1" file="$2" i=0
	shift 2
	while [ $i -lt $((LOG_WAIT * 10)) ]; do
		if log_line "$file" "$@" >/dev/null; then
			ok "$what"
			return
		fi
		sleep 0.1
		i=$((i + 1))
	done
	not_ok "$what: no line of $(basename "$file") with: $*"
	tail -n 15 "$file" | show
}

# expect_count WHAT FILE N TEXT: exactly N lines of FILE hold TEXT (waits
# for late lines up to LOG_WAIT seconds).
expect_count() {
	local what="$1" file="$2" want="$3" n i=0
	while :; do
		n=$(grep -cF -- "$4" "$file")
		[ "$n" -ge "$want" ] || [ $i -ge $((LOG_WAIT * 10)) ] && break
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$n" -eq "$want" ]; then
		ok "$what"
	else
		not_ok "$what: $n lines with '$4' in $(basename "$file"), $want expected"
		grep -F -- "$4" "$file" | show
	fi
}

# log_line FILE TEXT...: print the first line holding every TEXT.
log_line() {
	local file="$1"
	shift
	awk 'BEGIN { for (i = 1; i < ARGC; i++) want[i] = ARGV[i]; n = ARGC - 1; ARGC = 1 }
		{ for (i = 1; i <= n; i++) if (index($0, want[i]) == 0) next; print; found = 1; exit }
		END { exit !found }' "$@" <"$file"
}

# expect_no_line WHAT FILE TEXT...: no line of FILE holds every TEXT.
# Call it once the log is known to be complete (after a later line).
expect_no_line() {
	local what="$1" file="$2" line
	shift 2
	if line=$(log_line "$file" "$@"); then
		not_ok "$what: unexpected line in $(basename "$file")"
		printf '%s\n' "$line" | show
	else
		ok "$what"
	fi
}

# --- Time ------------------------------------------------------------------

# Blocks end on whole seconds (a block of 3 s set at 12:00:00.4 ends at
# 12:00:03.0), so timed checks start just after a second begins.

# clock_start: wait for the next second to begin; $CLOCK is that second.
clock_start() {
	local now
	now=$(date +%s)
	CLOCK=$((now + 1))
	at 0.05
}

# at SECONDS: sleep until SECONDS (a fraction is fine) past $CLOCK.
at() {
	sleep "$(awk -v c="$CLOCK" -v o="$1" -v n="$(date +%s.%N)" \
	    'BEGIN { d = c + o - n; printf "%.3f\n", (d > 0 ? d : 0) }')"
}

# --- Ports -----------------------------------------------------------------

# next_port: take the next port of $PORTS (held by hold_ports) into $PORT;
# when none is left, fail the run (finish() of run.sh).
next_port() {
	PORT=${PORTS%% *}
	case "$PORTS" in
	*" "*) PORTS=${PORTS#* } ;;
	*) PORTS= ;;
	esac
	if [ -z "$PORT" ]; then
		not_ok "out of ports: hold more ports in run.sh"
		finish
	fi
}

# --- Postfix ---------------------------------------------------------------

# pf_create NAME: a private instance in $WORK/NAME (etc, queue, data,
# maillog) without any smtpd service yet.  Accepted mail is discarded; the
# local domain test.example has the recipients alice and bob; clients on
# 127.0.0.0/8 may use XCLIENT.
pf_create() {
	local dir="$WORK/$1"
	mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
	chown postfix "$dir/data"
	printf 'alice@test.example ok\nbob@test.example ok\n' >"$dir/etc/recipients"
	cat >"$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
myhostname = $1.test.example
mydomain = test.example
myorigin = \$mydomain
mydestination = test.example
inet_interfaces = 127.0.0.1
inet_protocols = all
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps = texthash:$dir/etc/recipients
smtpd_reject_unlisted_recipient = yes
local_transport = discard:
default_transport = discard:
relay_transport = discard:
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
milter_protocol = 6
milter_default_action = accept
milter_connect_timeout = 2s
milter_command_timeout = 5s
milter_content_timeout = 10s
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
EOF
	cat >"$dir/etc/master.cf" <<EOF
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	PF_NAMES="$PF_NAMES $1"
}

# pf_service NAME PORT MILTER [-o name=value ...]: an smtpd on
# 127.0.0.1:PORT (not chrooted) whose milter is the bulwark named MILTER.
# It logs as postfix/MILTER/smtpd, so the lines of each bulwark's
# clients can be told apart (t/replay replays them).
pf_service() {
	local name="$1" port="$2" milter="$3"
	shift 3
	echo "127.0.0.1:$port inet n - n - - smtpd" \
	    "-o smtpd_milters=unix:$WORK/$milter.sock" \
	    "-o syslog_name=postfix/$milter $*" \
	    >>"$WORK/$name/etc/master.cf"
}

pf_master_pid() {
	tr -d ' \n' 2>/dev/null <"$WORK/$1/queue/pid/master.pid"
}

# pf_start NAME: check the configuration and start the instance.
pf_start() {
	local dir="$WORK/$1" out
	if ! out=$(postfix -c "$dir/etc" check 2>&1); then
		not_ok "postfix $1: postfix check failed"
		printf '%s\n' "$out" | show
		return 1
	fi
	if ! out=$(postfix -c "$dir/etc" start 2>&1); then
		not_ok "postfix $1: start failed"
		printf '%s\n' "$out" | show
		show "$dir/maillog" 2>/dev/null
		return 1
	fi
	ok "postfix $1 started: $(pf_master_pid "$1" | sed 's/^/master pid /')"
}

# pf_gone NAME: true once no process of the instance's master process
# group is left (master runs every Postfix daemon in its group).
pf_gone() {
	local pid
	pid=$(pf_master_pid "$1")
	[ -z "$pid" ] && return 0
	! kill -0 -- "-$pid" 2>/dev/null
}

# pf_stop NAME: stop the instance and wait for all its processes.
pf_stop() {
	local pid i=0
	pid=$(pf_master_pid "$1")
	[ -n "$pid" ] || return 0
	postfix -c "$WORK/$1/etc" stop >/dev/null 2>&1
	while ! pf_gone "$1" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if pf_gone "$1"; then
		return 0
	fi
	kill -KILL -- "-$pid" 2>/dev/null
	return 1
}

# --- bulwark ---------------------------------------------------------------

# bw_config NAME [SOCKET MODE]: write $WORK/NAME.conf from stdin, after
# the settings every test daemon shares: its socket (SOCKET, by default
# unix:$WORK/NAME.sock, with MODE, by default one smtpd can use), pid
# file, log level, and no control socket nor metrics listener (their
# defaults are one per host).
bw_config() {
	{
		cat <<EOF
socket = "${2:-unix:$WORK/$1.sock}";
socket_mode = "${3:-0666}";
pidfile = "$WORK/$1.pid";
log_level = "debug";
control = "";
metrics_listen = "";
EOF
		cat
	} >"$WORK/$1.conf"
}

# The path of the daemon's unix socket (empty for an inet socket).
bw_sock() {
	sed -n 's/^socket = "unix:\(.*\)";$/\1/p' "$WORK/$1.conf"
}

bw_pid() {
	cat "$WORK/$1.daemon" 2>/dev/null
}

# bw_alive NAME: the daemon is running (its pid is still that bulwark).
bw_alive() {
	local pid
	pid=$(bw_pid "$1")
	[ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" |
	    grep -qF -- "-c $WORK/$1.conf"
}

# bw_start NAME: run bulwark in the foreground on $WORK/NAME.conf, log in
# $WORK/NAME.log; wait until its socket is there.
bw_start() {
	local name="$1" i=0 out sock
	if ! out=$("$BULWARK" -t -c "$WORK/$name.conf" 2>&1); then
		not_ok "bulwark $name: bulwark -t rejects the configuration: $out"
		return 1
	fi
	"$BULWARK" -f -c "$WORK/$name.conf" 2>"$WORK/$name.log" &
	echo $! >"$WORK/$name.daemon"
	rm -f "$WORK/$name.stopping"
	case " $BW_NAMES " in *" $name "*) ;; *) BW_NAMES="$BW_NAMES $name" ;; esac
	# A socket left by a crashed daemon may already be there: wait for
	# the start line, which comes once the socket is open.
	while ! grep -qs 'event=start' "$WORK/$name.log" && [ $i -lt 200 ]; do
		bw_alive "$name" || break
		sleep 0.1
		i=$((i + 1))
	done
	sock=$(bw_sock "$name")
	if { [ -z "$sock" ] || [ -S "$sock" ]; } &&
	    grep -qs 'event=start' "$WORK/$name.log"; then
		ok "bulwark $name started"
		return 0
	fi
	not_ok "bulwark $name did not start"
	show "$WORK/$name.log"
	return 1
}

# bw_stop NAME: ask the daemon to stop (SIGTERM, once); bw_wait waits
# for it.
bw_stop() {
	[ -e "$WORK/$1.stopping" ] && return 0
	bw_alive "$1" && kill -TERM "$(bw_pid "$1")" 2>/dev/null
	: >"$WORK/$1.stopping"
}

# bw_kill NAME: end the daemon as a crash would (SIGKILL), and wait.
bw_kill() {
	local pid
	pid=$(bw_pid "$1")
	bw_alive "$1" || return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$WORK/$1.daemon"
}

# bw_wait NAME SECONDS: true once the daemon has exited.
bw_wait() {
	local i=0
	while bw_alive "$1" && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! bw_alive "$1"
}

# --- Redis -----------------------------------------------------------------

# redis_start: a Redis listening only on $WORK/redis.sock, no persistence.
redis_start() {
	local i=0
	mkdir -p "$WORK/redis"
	redis-server --port 0 --unixsocket "$WORK/redis.sock" \
	    --unixsocketperm 700 --save "" --appendonly no \
	    --dir "$WORK/redis" --logfile "$WORK/redis.log" \
	    --daemonize no >/dev/null 2>&1 &
	REDIS_PID=$!
	while [ $i -lt 200 ]; do
		if [ "$(redis-cli -s "$WORK/redis.sock" ping 2>/dev/null)" = PONG ]; then
			ok "redis started (pid $REDIS_PID)"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	not_ok "redis did not start"
	show "$WORK/redis.log"
	return 1
}

redis_stop() {
	[ -n "$REDIS_PID" ] || return 0
	redis-cli -s "$WORK/redis.sock" shutdown nosave >/dev/null 2>&1 ||
	    kill -TERM "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
}

# --- Set-up and clean-up ---------------------------------------------------

# postfix_work_create: $WORK, in /tmp, which smtpd (user postfix) can
# always search, unlike some $TMPDIR.
postfix_work_create() {
	WORK=$(mktemp -d /tmp/bulwark-postfix.XXXXXX) || exit 1
	# smtpd runs as postfix and must reach the milter sockets.
	chmod 755 "$WORK"
}

# keep_logs: with BULWARK_KEEP_LOGS=DIR, copy every Postfix log (as
# NAME.maillog) and every bulwark configuration and log to DIR.
keep_logs() {
	local name
	[ -n "${BULWARK_KEEP_LOGS:-}" ] || return 0
	for name in $PF_NAMES; do
		cp "$WORK/$name/maillog" "$BULWARK_KEEP_LOGS/$name.maillog" 2>/dev/null
	done
	for name in $BW_NAMES; do
		cp "$WORK/$name.conf" "$WORK/$name.log" "$BULWARK_KEEP_LOGS/" 2>/dev/null
	done
	return 0
}

# cleanup: stop everything still running and remove $WORK (quietly; the
# checked stop is teardown() in run.sh).
cleanup() {
	local name pid
	[ -n "$WORK" ] && [ -d "$WORK" ] || return 0
	keep_logs
	for name in $BW_NAMES; do
		bw_alive "$name" && kill -KILL "$(bw_pid "$name")" 2>/dev/null
	done
	for name in $PF_NAMES; do
		pf_stop "$name" || true
	done
	redis_stop
	wait 2>/dev/null
	rm -rf "$WORK"
	WORK=
}
