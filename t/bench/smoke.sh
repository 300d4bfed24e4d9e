#!/bin/sh
# smoke.sh - the benchmark's programs work: bench/loadgen drives the floor
# and the real daemon through a few hundred sessions, and every session
# ends as the configuration says it must.  No figure is ever checked;
# speed is measured by "make bench" only.
#
# The floor lets every session through.  bulwark on the memory store
# (dos.max_connections = 3, dha.max_invalid = 5, attack.max_commands = 3
# with action tempfail) lets 200 sessions from 100 hosts through; a host
# connecting 50 times is refused after 3 (also an IPv6 host); sessions
# with 5 unknown commands are refused at the 4th; a host trying 6 unknown
# recipients over two sessions is refused at the 6th and then at
# CONNECT.  bulwark on Redis refuses a flood after 3 too, and
# bench/script_cost.sh runs.  Every daemon uses unix sockets, a pid file
# and a control socket in a temporary directory, no metrics listener.
#
# Needs jq, redis-server, redis-benchmark and the programs of "make bench-build".  Prints
# one line per check and "bench tests: N passed, M failed" last; exits
# non-zero when any check failed.
set -u
BENCH_TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$BENCH_TOP/bench/lib.sh"
. "$BENCH_TOP/t/lib/results.sh"

RULES='dos = { max_connections = 3; period = "1h"; block = "1h"; };
dha = { max_invalid = 5; period = "1h"; block = "1h"; };
attack = { max_commands = 3; action = "tempfail"; };'

# expect WHAT JQ-CONDITION: the last loadgen run satisfies the condition.
expect() {
	if [ "$(lg_get "$2")" = true ]; then
		ok "$1"
	else
		not_ok "$1: not $2 in"
		printf '%s\n' "$LG" | show
	fi
}

# run WHAT NAME ARGS...: loadgen against NAME; a failure to run is one.
run() {
	local what=$1
	shift
	if lg "$@"; then
		return 0
	fi
	not_ok "$what: loadgen failed"
	LG='{}'
	return 1
}

for prog in "$LOADGEN" "$FLOOR" "$BULWARK"; do
	[ -x "$prog" ] && continue
	echo "smoke.sh: $prog is not built (make bench-build)" >&2
	exit 1
done
for tool in jq redis-server redis-cli; do
	command -v "$tool" >/dev/null 2>&1 && continue
	echo "smoke.sh: $tool is not installed" >&2
	exit 1
done

bench_work bench-smoke
redis_up || exit 1
floor_up floor || exit 1
bulwark_up mem "$RULES" || exit 1
bulwark_up shared "store = \"redis\";
redis = { server = \"unix:$W/redis.sock\"; key_prefix = \"smoke:\"; };
$RULES" || exit 1

run "floor" floor -c 4 -n 200 -a 100
expect "floor: 200 sessions, all let through" \
    '.sessions == 200 and .completed == 200 and .errors == 0'
expect "floor: every stage answered" \
    '.stages.connect.n == 200 and .stages.rcpt_rejected.n == 200'

run "memory, 100 hosts" mem -c 4 -n 200 -a 100
expect "memory: 2 sessions from each of 100 hosts let through" \
    '.completed == 200 and .errors == 0 and .rcpt_refused == 0 and
     .rcpt_rejected_refused == 0'

run "memory, flood" mem -c 4 -n 50 -a 1 -b 192.0.2.1
expect "memory: a flood of 50 is refused at CONNECT after 3" \
    '.completed == 3 and .refused_connect == 47 and .errors == 0'

run "memory, IPv6 flood" mem -c 4 -n 20 -a 1 -6 -b 2001:db8:5::
expect "memory: an IPv6 flood of 20 is refused at CONNECT after 3" \
    '.completed == 3 and .refused_connect == 17 and .errors == 0'

run "memory, unknown commands" mem -c 2 -n 10 -a 10 -b 198.51.100.0 -u 5
expect "memory: sessions with 5 unknown commands refused at the 4th" \
    '.refused_unknown == 10 and .stages.unknown.n == 40 and .errors == 0'

run "memory, unknown recipients" mem -c 1 -n 4 -a 1 -b 203.0.113.7 -r 0 -x 3
expect "memory: the 6th unknown recipient trips DHA, then CONNECT refused" \
    '.completed == 2 and .rcpt_rejected_refused == 1 and
     .refused_connect == 2 and .errors == 0'

run "redis, flood" shared -c 4 -n 50 -a 1 -b 192.0.2.1
expect "redis: a flood of 50 is refused at CONNECT after 3" \
    '.completed == 3 and .refused_connect == 47 and .errors == 0'

bulwark_down mem
bulwark_down shared

# The store function's cost: every command answered, a figure printed.
if out=$("$BENCH_TOP/bench/script_cost.sh" 200 2>&1) &&
    [ "$(printf '%s\n' "$out" | grep -c 'usec_per_call [0-9]')" -eq 12 ]; then
	ok "script_cost.sh: the store's function, empty and INCR measured"
else
	not_ok "script_cost.sh"
	printf '%s\n' "$out" | show
fi
summary bench
