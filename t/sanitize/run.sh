#!/bin/sh
# run.sh - the daemon built with a sanitizer, under load, through a
# reload storm and Redis faults; run by make tsan and make asan.
#
#   t/sanitize/run.sh tsan|asan BULWARK [SECONDS]
#
# BULWARK is the sanitized daemon (build/tsan/bulwark, build/asan/bulwark);
# ctl/bulwarkctl must be built.  In a temporary directory the script
# starts a redis-server on a unix socket and the daemon with the Redis
# store (timeout_ms 100, on_error local), its milter and control sockets
# there too and its metrics on a free local port (picked again when
# another process took it first).  For SECONDS (default 30):
#   - LOADERS (default 4) miltertest clients (load.lua) run sessions as
#     fast as the daemon answers: CONNECT, HELO, MAIL, rejected and valid
#     recipients, unknown commands, so every detector counts and blocks;
#   - every 0.2 s the configuration flips between two versions (log level
#     debug / info, syslog facility, thresholds, exclude file, recipients
#     file) and is
#     reloaded, by SIGHUP and by bulwarkctl reload in turn, with bursts of
#     50 SIGHUPs (not under ThreadSanitizer: see burst below), and
#     bulwarkctl status and metrics, a scrape of /metrics
#     and a block and unblock by hand in between;
#   - Redis is paused (SIGSTOP) for 2 s and resumed, then killed and
#     started again, empty, on the same socket.
# Then the daemon is stopped with SIGTERM.
#
# The run fails when the sanitizer reports anything: the daemon runs with
# halt_on_error and exit code 66, writes its reports to san.* files, and
# its log is searched for sanitizer reports too.  It also fails when a
# load client saw an error or no session, when a reload failed or fewer
# than 50 succeeded, when libmilter stopped by itself, or when the daemon
# did not stop with status 0.
# Prints "ok: ..." or "not ok: ..." per check, a summary, and exits
# non-zero on any failure; on failure the daemon's log and reports are
# printed.  Needs miltertest, redis-server, redis-cli, perl, curl.
set -u

san=${1:-}
bulwark=${2:-}
seconds=${3:-30}
loaders=${LOADERS:-4}
case $san in
tsan|asan) ;;
*)	echo "usage: run.sh tsan|asan BULWARK [SECONDS]" >&2
	exit 2 ;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
srcdir=$top/t/sanitize
ctl=$top/ctl/bulwarkctl
case $bulwark in
/*) ;;
*) bulwark=$top/$bulwark ;;
esac
for f in "$bulwark" "$ctl"; do
	if [ ! -x "$f" ]; then
		echo "run.sh: $f is not built" >&2
		exit 1
	fi
done
for tool in miltertest redis-server redis-cli perl curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "run.sh: $tool is not installed" >&2
		exit 1
	fi
done

. "$top/t/lib/daemon.sh"

work_create "sanitize-$san"
d=$work
failures=0
ok() { echo "ok: $*"; }
not_ok() { echo "not ok: $*"; failures=$((failures + 1)); }
check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# halt_on_error: the first report ends the daemon with status 66.
opts="halt_on_error=1 exitcode=66 log_path=$d/san"
TSAN_OPTIONS="$opts second_deadlock_stack=1 suppressions=$srcdir/tsan.supp"
ASAN_OPTIONS="$opts detect_leaks=1 abort_on_error=0"
UBSAN_OPTIONS="$opts print_stacktrace=1"
export TSAN_OPTIONS ASAN_OPTIONS UBSAN_OPTIONS

redis_start() {
	redis-server --port 0 --unixsocket "$d/redis.sock" \
	    --unixsocketperm 700 --save "" --appendonly no --dir "$d" \
	    --logfile "$d/redis.log" --daemonize no &
	redis=$!
	pids="$pids $redis"
	wait_until sh -c "redis-cli -s '$d/redis.sock' ping 2>/dev/null |
	    grep -q PONG"
}

# version A|B PORT: the configuration of that version.
version() {
	if [ "$1" = A ]; then
		level=debug max=5 excl=exclude.a facility=local7
	else
		level=info max=8 excl=exclude.b facility=local6
	fi
	cat <<EOC
socket = "unix:$d/bulwark.sock";
pidfile = "$d/bulwark.pid";
control = "unix:$d/control.sock";
metrics_listen = "127.0.0.1:$2";
syslog_facility = "$facility";
log_level = "$level";
store = "redis";
redis = { server = "unix:$d/redis.sock"; key_prefix = "san:";
    timeout_ms = 100; on_error = "local"; };
exclude_file = "$d/$excl";
blocked = [ "203.0.113.0/24" ];
dos = { max_connections = $max; period = "10s"; block = "5s"; };
dha = { max_invalid = $max; period = "10s"; block = "5s";
    recipients_file = "$d/recipients.$1"; };
attack = { max_commands = 2; max_flagged = 2; period = "10s"; block = "5s";
    action = "tempfail"; };
EOC
}

# Start the daemon on version A, its metrics port held from the start.
daemon_start() {
	hold_ports 1 || return 1
	port=$ports
	version A "$port" >"$d/a.conf"
	version B "$port" >"$d/b.conf"
	cp "$d/a.conf" "$d/bulwark.conf"
	"$bulwark" -f -c "$d/bulwark.conf" 2>"$d/log" &
	pid=$!
	pids="$pids $pid"
	wait_alive "$pid" test -S "$d/control.sock"
}

show_failure() {
	echo "--- daemon log (last 40 lines):"
	tail -n 40 "$d/log"
	for f in "$d"/san.*; do
		[ -f "$f" ] || continue
		echo "--- $f:"
		cat "$f"
	done
}

echo "192.0.2.30" >"$d/exclude.a"
printf '192.0.2.40\n10.3.0.0/24\n' >"$d/exclude.b"
printf 'user@example.org\n@example.net\n' >"$d/recipients.A"
printf '@example.org\n' >"$d/recipients.B"

if ! redis_start; then
	echo "run.sh: redis-server did not start" >&2
	exit 1
fi
if ! daemon_start; then
	not_ok "the $san daemon started"
	show_failure
	exit 1
fi
ok "the $san daemon started (metrics on port $port)"

n=0
while [ "$n" -lt "$loaders" ]; do
	n=$((n + 1))
	miltertest -s "$srcdir/load.lua" -D socket="unix:$d/bulwark.sock" \
	    -D net="$n" -D seconds="$seconds" >"$d/load.$n" 2>&1 &
	echo $! >"$d/load.$n.pid"
	pids="$pids $!"
done

# ThreadSanitizer blocks every signal in a thread while it runs the
# handlers it deferred; a SIGHUP that comes then goes to libmilter's
# sigwait() thread, which stops the milter.  So bursts only without it
# (t/daemon/02-reload.sh sends them to the normal build too).
burst=50
[ "$san" = tsan ] && burst=0

# bulwarkctl on the daemon, bounded: a daemon that hangs fails the run.
bctl() {
	timeout 30 "$ctl" -s "$d/control.sock" "$@"
}

# The storm: ticks of 0.2 s; Redis faults at fixed ticks.
ticks=$((seconds * 5))
tick=0
while [ "$tick" -lt "$ticks" ] && kill -0 "$pid" 2>/dev/null; do
	tick=$((tick + 1))
	if [ $((tick % 2)) -eq 0 ]; then
		cp "$d/a.conf" "$d/bulwark.conf"
		kill -HUP "$pid"
	else
		cp "$d/b.conf" "$d/bulwark.conf"
		bctl reload >>"$d/ctl.out" 2>&1 ||
		    echo "reload failed at tick $tick" >>"$d/ctl.bad"
	fi
	case $((tick % 10)) in
	3) bctl status >/dev/null 2>>"$d/ctl.err" ;;
	5) bctl metrics >/dev/null 2>>"$d/ctl.err" ;;
	7) curl -s -o /dev/null "http://127.0.0.1:$port/metrics" ;;
	9) bctl block 192.0.2.77 1m >/dev/null 2>>"$d/ctl.err"
	   bctl unblock 192.0.2.77 >/dev/null 2>>"$d/ctl.err" ;;
	esac
	[ $((tick % 25)) -eq 12 ] && [ "$burst" -gt 0 ] &&
	    perl -e 'kill "HUP", $ARGV[0] for 1 .. $ARGV[1]' "$pid" "$burst"
	case $tick in
	$((ticks / 5))) kill -STOP "$redis" ;;
	$((ticks / 5 + 10))) kill -CONT "$redis" ;;
	$((ticks / 2)))
		kill -KILL "$redis"
		wait "$redis" 2>/dev/null
		rm -f "$d/redis.sock"
		sleep 1
		redis_start || echo "redis did not restart" >>"$d/ctl.bad" ;;
	esac
	sleep 0.2
done
check "the daemon lived through the storm" kill -0 "$pid"

n=0
while [ "$n" -lt "$loaders" ]; do
	n=$((n + 1))
	if wait "$(cat "$d/load.$n.pid")" &&
	    grep -q '^sessions [1-9]' "$d/load.$n"; then
		ok "load client $n: $(cat "$d/load.$n")"
	else
		not_ok "load client $n:"
		sed 's/^/    /' "$d/load.$n"
	fi
done

reloads=$(grep -c "event=reload status=ok" "$d/log")
failed=$(grep -c "event=reload status=failed" "$d/log")
check "at least 50 reloads ($reloads)" test "$reloads" -ge 50
check "no reload failed ($failed)" test "$failed" -eq 0 -a ! -e "$d/ctl.bad"
check "libmilter never stopped on its own" test "$(grep -c \
    "event=milter-stopped" "$d/log")" -eq 0
check "Redis was missed and found again" grep -q "event=store-recovered" \
    "$d/log"

# A daemon that does not stop is killed after 60 s, and fails the run.
(sleep 60; kill -KILL "$pid" 2>/dev/null) &
watchdog=$!
stop_daemon "$pid" "$d/bulwark.sock"
rc=$?
kill "$watchdog" 2>/dev/null
check "the daemon stopped with status 0 (got $rc)" test "$rc" -eq 0
check "no sanitizer report file" sh -c "! ls '$d'/san.* >/dev/null 2>&1"
check "no sanitizer report in the log" sh -c "! grep -Eq \
    'ThreadSanitizer|AddressSanitizer|LeakSanitizer|runtime error:' \
    '$d/log'"

[ "$failures" -eq 0 ] || show_failure
echo "$san run: $failures failed"
[ "$failures" -eq 0 ]
