#!/bin/sh
# script_cost.sh - what one call of the Redis store's function costs
# Redis, against INCR (the Redis floor's command) and an empty function
# given the same arguments.
#
# Usage: bench/script_cost.sh [CALLS]   (default 100000)
#
# Starts a Redis of its own (unix socket in a temporary directory), loads
# lib/store_redis.lua as the build names it, and replays with
# redis-benchmark (4 connections) the event calls of one host that has
# dos and dha state: CONNECT (dos) and a rejected recipient (dha), rules
# that never trip, no network.  Prints each command's usec_per_call from
# INFO commandstats (Redis's own time for the call, the commands the
# function runs included), CALLS calls each, in three rounds.
set -u
BENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_TOP/bench/lib.sh"

CALLS=${1:-100000}
LUA=$BENCH_TOP/lib/store_redis.lua
NAME=bulwark_$(sha1sum <"$LUA" | cut -c1-12)
RULE='1 0 1000000000 60 600 0 0 0 0 0'
OFF='0 0 0 0 0 0 0 0 0 0'
KEY='bench:{198.51.0.0/16}198.51.100.7'
DOS="e 0 0 1 0 mx1/1 $RULE $RULE $RULE $OFF 0"
DHA="e 0 1 0 0 mx1/1 $RULE $RULE $RULE $OFF 0"

command -v redis-benchmark >/dev/null 2>&1 ||
    { echo "script_cost.sh: redis-benchmark is missing" >&2; exit 1; }
bench_work script-cost
redis_up || exit 1
{ printf '#!lua name=%s\n' "$NAME"; sed "s/BULWARK_FUNCTION/$NAME/" "$LUA"; } |
    rcli -x function load >/dev/null || exit 1
rcli function load "#!lua name=bench_empty
redis.register_function('bench_empty', function() return 0 end)" >/dev/null ||
    exit 1

# calls ARGS...: CALLS calls of the command.
calls() {
	redis-benchmark -s "$W/redis.sock" -n "$CALLS" -c 4 -q "$@" >/dev/null
}

# usec COMMAND: its usec_per_call since the last CONFIG RESETSTAT.
usec() {
	rcli info commandstats | tr -d '\r' |
	    sed -n "s/^cmdstat_$1:calls=[0-9]*,usec=[0-9]*,usec_per_call=\([0-9.]*\).*/\1/p"
}

# shellcheck disable=SC2086
rcli fcall "$NAME" 1 "$KEY" $DOS >/dev/null && rcli fcall "$NAME" 1 "$KEY" $DHA >/dev/null ||
    exit 1
for round in 1 2 3; do
	for what in dos dha empty incr; do
		rcli config resetstat >/dev/null
		# shellcheck disable=SC2086
		case $what in
		dos) calls fcall "$NAME" 1 "$KEY" $DOS; cmd=fcall ;;
		dha) calls fcall "$NAME" 1 "$KEY" $DHA; cmd=fcall ;;
		empty) calls fcall bench_empty 1 "$KEY" $DHA; cmd=fcall ;;
		incr) calls incr "$KEY:n"; cmd=incr ;;
		esac
		printf 'round %d %-5s %s usec_per_call %s\n' "$round" "$what" \
		    "$cmd" "$(usec "$cmd")"
	done
done
