#!/bin/sh
# profile.sh - where the time goes: bulwark (memory store) against the
# floor, 8 sessions at once, the sessions of bench/run.sh.
#
# Usage: bench/profile.sh callgrind [SESSIONS]   (default 4000)
#        bench/profile.sh flood [SESSIONS]       (default 4000)
#        bench/profile.sh perf [SECONDS]         (default 5)
#
# callgrind: each filter runs under valgrind --tool=callgrind; the counts
# are zeroed once it listens, loadgen runs SESSIONS sessions, the counts
# are dumped.  Prints instructions per session (deterministic, all
# threads, libraries included) and the top functions, inclusive and
# exclusive.  flood: the same for a flood, bulwark refusing one blocked
# host (dos.max_connections = 1) against the floor's sessions that end
# after CONNECT.  perf: perf record -g (cpu-clock) on each filter's process
# while loadgen runs for SECONDS; prints the top symbols, kernel
# included.  The raw profiles stay in bench/results/profile-*.
# Needs valgrind or linux-perf; run "make bench-build" first.
set -u
BENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_TOP/bench/lib.sh"

MODE=${1:-callgrind}
OUT=$BENCH_TOP/bench/results
SHAPE="-c 8 -a 1000 -H 1 -t 1 -r 1 -x 1"
LIMITS='memory = { max_hosts = 4000000; };
dos = { max_connections = 10000000; period = "1h"; block = "1h"; };
dha = { max_invalid = 10000000; period = "1h"; block = "1h"; };'

# start NAME COMMAND...: a filter listening on $W/NAME.sock, maybe under
# valgrind.
start() {
	local name=$1
	shift
	(umask 0; exec "$@") 2>"$W/$name.log" &
	track_daemon "$name" $!
	wait_until test -S "$W/$name.sock" ||
	    { echo "profile: $name did not start" >&2; cat "$W/$name.log" >&2
	      exit 1; }
}

callgrind_one() {
	local name=$1 n=$2 file=$OUT/profile-callgrind.$1 total
	shift 2
	start "$name" valgrind --tool=callgrind --callgrind-out-file="$file" \
	    "$@"
	# One blocked host for the flood (none with the normal limits).
	# shellcheck disable=SC2086
	lg "$name" -n 2 $SHAPE $EXTRA || exit 1
	callgrind_control -z "$(pid_of "$name")" >/dev/null
	# shellcheck disable=SC2086
	lg "$name" -n "$n" $SHAPE $EXTRA || exit 1
	callgrind_control -d "$(pid_of "$name")" >/dev/null
	kill -KILL "$(pid_of "$name")"
	wait "$(pid_of "$name")" 2>/dev/null
	file=$(ls -t "$file"* | head -n 1)
	total=$(callgrind_annotate "$file" | awk '/PROGRAM TOTALS/ {
	    gsub(",", "", $1); print $1; exit }')
	echo "== $name: $total instructions, $((total / n)) per session"
	callgrind_annotate --inclusive=yes "$file" | sed -n '/^Ir/,$p' |
	    sed -n '2,26p'
	echo "-- exclusive"
	callgrind_annotate "$file" | sed -n '/^Ir/,$p' | sed -n '2,26p'
}

perf_one() {
	local name=$1 s=$2 file=$OUT/profile-perf.$1.data
	shift 2
	start "$name" "$@"
	# shellcheck disable=SC2086
	lg "$name" -d 1 $SHAPE || exit 1
	perf record -q -g -e cpu-clock -o "$file" -p "$(pid_of "$name")" \
	    -- sleep "$s" 2>/dev/null &
	perfpid=$!
	# shellcheck disable=SC2086
	lg "$name" -d "$s" $SHAPE || exit 1
	wait "$perfpid"
	echo "== $name: $(lg_get .sessions_per_s) sessions/s under perf"
	perf report -i "$file" --no-children --sort symbol --stdio 2>/dev/null |
	    grep -v '^#' | grep '%' | head -n 30
	kill -KILL "$(pid_of "$name")"
	wait "$(pid_of "$name")" 2>/dev/null
}

mkdir -p "$OUT"
bench_work profile
EXTRA=
case $MODE in
flood)
	LIMITS='dos = { max_connections = 1; period = "1h"; block = "1h"; };'
	SHAPE="-c 8 -a 1"
	bench_config bulwark "$LIMITS"
	EXTRA="-H 0 -t 0"
	n=${2:-4000}
	callgrind_one floor "$n" "$FLOOR" -p "unix:$W/floor.sock"
	EXTRA=
	callgrind_one bulwark "$n" "$BULWARK" -f -c "$W/bulwark.conf"
	;;
callgrind)
	bench_config bulwark "$LIMITS"
	n=${2:-4000}
	callgrind_one floor "$n" "$FLOOR" -p "unix:$W/floor.sock"
	callgrind_one bulwark "$n" "$BULWARK" -f -c "$W/bulwark.conf"
	;;
perf)
	bench_config bulwark "$LIMITS"
	s=${2:-5}
	perf_one floor "$s" "$FLOOR" -p "unix:$W/floor.sock"
	perf_one bulwark "$s" "$BULWARK" -f -c "$W/bulwark.conf"
	;;
*)
	echo "usage: bench/profile.sh callgrind|flood [SESSIONS] | perf [SECONDS]" >&2
	exit 2
	;;
esac
