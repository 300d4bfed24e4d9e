#!/bin/sh
# run.sh - "make bench": bulwark against the floor, in one run.
#
# Usage: bench/run.sh  (after "make bench-build"; as root for Postfix)
#
# Environment:
#   BENCH_SECONDS   seconds of load per measured configuration (default 5;
#                   each is measured in BENCH_ROUNDS slices, default 4,
#                   interleaved with the configurations it is compared
#                   with, in turn forwards and backwards)
#   BENCH_HOSTS     distinct hosts of the large scale run (default 1000000)
#   BENCH_MESSAGES  messages per Postfix run (default 1500)
#
# Sessions (bench/loadgen): OPTNEG, CONNECT, HELO, MAIL, one recipient the
# MTA accepted and one it rejected as unknown (5.1.1), ABORT, QUIT; client
# addresses from a pool of 1,000 IPv4 hosts in turn.  Compared, each time
# in the same run:
#   throughput  the floor (bench/floor, a libmilter filter that does
#               nothing), bulwark on the memory store, the Redis floor (the
#               floor plus one Redis round trip per CONNECT and rejected
#               recipient) and bulwark on Redis, at 1, 8 and 32 sessions at
#               once; bulwark on IPv6 /64s at 8
#   scale       bulwark tracking 1,000 hosts against one tracking
#               BENCH_HOSTS (memory; Redis, each on a Redis of its own),
#               8 sessions, hosts at random: sessions/s, process RSS and
#               Redis used_memory per tracked host
#   flood       hosts already blocked (dos.max_connections = 1) connecting
#               as fast as 8 sessions can: refused sessions/s, Redis
#               commands per refused session (INFO commandstats: those
#               of a script count apart) and scripts run (FCALL), log
#               lines per refused session; one host, then 1,000
#   postfix     a private Postfix fed by smtp-source (8 sessions, one
#               message each): no milter, the floor, bulwark (memory)
# Prints one table; the whole run is written as JSON to
# bench/results/bench-DATE.json (and bench/results/latest.json).
# Exit status: 0, or 1 when a part could not run.
set -u
BENCH_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_TOP/bench/lib.sh"

SECONDS_EACH=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-4}
SLICE=$(awk -v s="$SECONDS_EACH" -v r="$ROUNDS" 'BEGIN { printf "%.2f", s / r }')
HOSTS=${BENCH_HOSTS:-1000000}
MESSAGES=${BENCH_MESSAGES:-1500}
RESULTS=$BENCH_TOP/bench/results
SHAPE="-H 1 -t 1 -r 1 -x 1"
CONNECT_ONLY="-H 0 -t 0"

LIMITS='memory = { max_hosts = 4000000; };
dos = { max_connections = 10000000; period = "1h"; block = "1h"; };
dha = { max_invalid = 10000000; period = "1h"; block = "1h"; };'
FLOOD='dos = { max_connections = 1; period = "1h"; block = "1h"; action = "tempfail"; };
dha = { max_invalid = 10000000; period = "1h"; block = "1h"; };'

# redis_conf PREFIX [SERVER]: the Redis store on $W/SERVER.sock (redis).
redis_conf() {
	printf 'store = "redis";\nredis = { server = "unix:%s"; key_prefix = "%s"; };\n' \
	    "$W/${2:-redis}.sock" "$1"
}

# --- Records ----------------------------------------------------------------

# row GROUP NAME JSON: one line of the results.
row() {
	printf '%s\n' "$3" | jq -c --arg g "$1" --arg n "$2" \
	    '{group: $g, name: $n} + .' >>"$W/rows.jsonl"
}

# merge FILE...: the loadgen runs of one configuration as one: rates over
# the total time, p50 and p99 averaged, the largest max.
merge() {
	jq -s -c '
	    def total(f): map(f) | add;
	    . as $runs
	    | (map(.stages | keys) | add | unique) as $stages
	    | .[0] + {
		sessions: total(.sessions), seconds: total(.seconds),
		sessions_per_s: (total(.sessions - .errors) / total(.seconds)),
		completed: total(.completed), errors: total(.errors),
		refused_connect: total(.refused_connect),
		filter_cpu_s: total(.filter_cpu_s),
		redis_cpu_s: total(.redis_cpu_s),
		rcpt_refused: total(.rcpt_refused),
		stages: (reduce $stages[] as $s ({}; .[$s] = ($runs | {
		    n: total(.stages[$s].n // 0),
		    p50_us: (map(.stages[$s].p50_us // empty) | add / length),
		    p99_us: (map(.stages[$s].p99_us // empty) | add / length),
		    max_us: (map(.stages[$s].max_us // empty) | max)})))
	    }' "$@"
}

# interleave TAG ARGS -- NAME...: each daemon NAME under the same load, in
# ROUNDS slices, every other round in the opposite order; the slices
# merged in $W/TAG-NAME.json.
interleave() {
	local tag=$1 args= names= name round=0
	shift
	while [ "$1" != "--" ]; do args="$args $1"; shift; done
	shift
	names=$*
	while [ "$round" -lt "$ROUNDS" ]; do
		round=$((round + 1))
		for name in $names; do
			# shellcheck disable=SC2086
			lg "$name" -d "$SLICE" $args || return 1
			printf '%s\n' "$LG" >"$W/$tag-$name.$round"
		done
		names=$(printf '%s\n' $names | tac | tr '\n' ' ')
	done
	for name in $*; do
		merge "$W/$tag-$name".[0-9]* >"$W/$tag-$name.json"
	done
}

# --- Parts ------------------------------------------------------------------

throughput() {
	local c
	for c in 1 8 32; do
		echo "bench: throughput, $c sessions at once" >&2
		# shellcheck disable=SC2086
		interleave "tp$c" -c "$c" $SHAPE -- floor bw-mem rfloor bw-redis ||
		    return 1
		row throughput "floor c=$c" "$(cat "$W/tp$c-floor.json")"
		row throughput "bulwark memory c=$c" "$(cat "$W/tp$c-bw-mem.json")"
		row throughput "redis floor c=$c" "$(cat "$W/tp$c-rfloor.json")"
		row throughput "bulwark redis c=$c" "$(cat "$W/tp$c-bw-redis.json")"
	done
	echo "bench: throughput, IPv6" >&2
	# shellcheck disable=SC2086
	interleave tp6 -c 8 -6 $SHAPE -- floor bw-mem || return 1
	row throughput "floor ipv6 c=8" "$(cat "$W/tp6-floor.json")"
	row throughput "bulwark memory ipv6 c=8" "$(cat "$W/tp6-bw-mem.json")"
}

# other X A B: B if X is A, else A.
other() {
	if [ "$1" = "$2" ]; then echo "$3"; else echo "$2"; fi
}

# redis_used NAME: used_memory of the Redis on $W/NAME.sock, 0 if none.
redis_used() {
	if [ -S "$W/$1.sock" ]; then
		REDIS=$1 rcli info memory | tr -d '\r' | sed -n 's/^used_memory://p'
	else
		echo 0
	fi
}

# scale NAME STORE-CONF: two daemons (on two Redis servers for Redis),
# one tracking 1,000 hosts, one HOSTS; sessions at random over each
# one's hosts, interleaved; the difference in RSS and Redis used_memory
# per host of difference.
scale() {
	local name=$1 small=$1-1000 large=$1-$HOSTS round d rss1 rss2 mem1 mem2
	local keys
	echo "bench: scale, $name: 1000 and $HOSTS hosts" >&2
	bulwark_up "$small" "$(printf '%s\n' "$2" | sed 's/@REDIS@/redis-small/')
$LIMITS" || return 1
	bulwark_up "$large" "$(printf '%s\n' "$2" | sed 's/@REDIS@/redis-large/')
$LIMITS" || return 1
	# shellcheck disable=SC2086
	lg "$small" -c 8 -n 1000 -a 1000 $CONNECT_ONLY || return 1
	# shellcheck disable=SC2086
	lg "$large" -c 8 -n "$HOSTS" -a "$HOSTS" $CONNECT_ONLY || return 1
	rss1=$(rss_kb "$small") rss2=$(rss_kb "$large")
	mem1=$(redis_used redis-small) mem2=$(redis_used redis-large)
	keys=0
	[ -S "$W/redis-large.sock" ] && keys=$(REDIS=redis-large rcli dbsize)
	round=0
	while [ "$round" -lt "$ROUNDS" ]; do
		round=$((round + 1))
		for d in "$small" "$large"; do
			[ $((round % 2)) -eq 0 ] && d=$(other "$d" "$small" "$large")
			# The pool is the number the daemon's name ends with.
			# shellcheck disable=SC2086
			lg "$d" -c 8 -d "$SLICE" -a "${d##*-}" -R $SHAPE ||
			    return 1
			printf '%s\n' "$LG" >"$W/sc-$d.$round"
		done
	done
	row scale "$name 1000 hosts" "$(merge "$W/sc-$small".*)"
	row scale "$name $HOSTS hosts" "$(merge "$W/sc-$large".* |
	    jq -c --argjson r1 "$rss1" --argjson r2 "$rss2" --argjson m1 "$mem1" \
	    --argjson m2 "$mem2" --argjson h "$HOSTS" --argjson k "$keys" '. + {
		rss_kb_1000: $r1, rss_kb: $r2,
		rss_bytes_per_host: (($r2 - $r1) * 1024 / ($h - 1000)),
		redis_used_memory_1000: $m1, redis_used_memory: $m2,
		redis_bytes_per_host: (($m2 - $m1) / ($h - 1000)),
		redis_keys: $k}')"
	bulwark_down "$small"
	bulwark_down "$large"
}

# The Redis commands run since the last CONFIG RESETSTAT, as a JSON object
# (name: calls), but for INFO and CONFIG themselves.  Commands a script
# runs count too (INFO commandstats counts them apart from the FCALL).
redis_commands() {
	rcli info commandstats | tr -d '\r' | awk -F'[:=,]' '
	    BEGIN { printf "{" }
	    /^cmdstat_/ && $1 != "cmdstat_info" && $1 !~ /^cmdstat_config/ {
		printf "%s\"%s\":%d", sep, substr($1, 9), $3; sep = "," }
	    END { print "}" }'
}

# flood_run NAME TAG ADDRESS POOL REDIS: block POOL hosts from ADDRESS up,
# then flood with them; REDIS = yes counts the Redis commands.
flood_run() {
	local name=$1 tag=$2 first=$3 pool=$4 lines calls
	# shellcheck disable=SC2086
	lg "$name" -c 8 -n $((pool * 2)) -a "$pool" -b "$first" $CONNECT_ONLY ||
	    return 1
	sleep 0.2
	lines=$(wc -l <"$W/$name.log")
	rcli config resetstat >/dev/null
	# shellcheck disable=SC2086
	lg "$name" -c 8 -d "$SECONDS_EACH" -a "$pool" -b "$first" $SHAPE ||
	    return 1
	calls=$(redis_commands)
	sleep 0.2
	lines=$(($(wc -l <"$W/$name.log") - lines))
	row flood "$tag" "$(printf '%s\n' "$LG" | jq -c --argjson l "$lines" \
	    --argjson c "$calls" --arg redis "$5" '. + {
		refused_per_s: (.refused_connect / .seconds),
		log_lines_per_refused: ($l / ([.refused_connect, 1] | max)),
		redis_commands: (if $redis == "yes" then $c else null end),
		redis_commands_per_refused: (if $redis == "yes" then
		    ([$c[]] | add // 0) / ([.refused_connect, 1] | max)
		    else null end),
		redis_scripts_per_refused: (if $redis == "yes" then
		    ($c.fcall // 0) /
		    ([.refused_connect, 1] | max) else null end)}')"
}

flood() {
	echo "bench: flood" >&2
	bulwark_up flood-mem "$FLOOD" || return 1
	bulwark_up flood-redis "$(redis_conf fl:)
$FLOOD" || return 1
	flood_run flood-mem "memory, 1 blocked host" 10.200.0.1 1 no &&
	flood_run flood-mem "memory, 1000 blocked hosts" 10.201.0.0 1000 no &&
	flood_run flood-redis "redis, 1 blocked host" 10.200.0.1 1 yes &&
	flood_run flood-redis "redis, 1000 blocked hosts" 10.201.0.0 1000 yes ||
	    return 1
	# shellcheck disable=SC2086
	lg floor -c 8 -d "$SECONDS_EACH" $CONNECT_ONLY || return 1
	row flood "floor, sessions ending at CONNECT" "$LG"
	bulwark_down flood-mem
	bulwark_down flood-redis
}

. "$BENCH_TOP/bench/postfix.sh"

# --- Table ------------------------------------------------------------------

table() {
	jq -r -f "$BENCH_TOP/bench/table.jq" "$1" |
	    awk -F'\t' 'NR == 1 { print; next } { printf "%-40s %8s %6s %8s %8s %8s %7s  %s\n",
		$1, $2, $3, $4, $5, $6, $7, $8 }'
}

# --- Main -------------------------------------------------------------------

for tool in jq redis-server redis-cli postfix smtp-source; do
	command -v "$tool" >/dev/null 2>&1 && continue
	echo "bench: $tool is missing (contrib/install-deps.sh check)" >&2
	exit 1
done
for prog in "$LOADGEN" "$FLOOR" "$BULWARK"; do
	[ -x "$prog" ] || { echo "bench: $prog is not built" >&2; exit 1; }
done

bench_work bench
: >"$W/rows.jsonl"
started=$(date +%s)
redis_up || exit 1
floor_up floor || exit 1
floor_up rfloor yes || exit 1
bulwark_up bw-mem "$LIMITS" || exit 1
bulwark_up bw-redis "$(redis_conf tp:)
$LIMITS" || exit 1

status=0
throughput || status=1
scale scale-memory 'store = "memory";' || status=1
redis_up redis-small && redis_up redis-large &&
    scale scale-redis "$(redis_conf sc: @REDIS@)" || status=1
flood || status=1
postfix_e2e || status=1

mkdir -p "$RESULTS"
out=$RESULTS/bench-$(date -u +%Y%m%dT%H%M%SZ).json
jq -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg host "$(uname -n)" \
    --arg cpu "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" \
    --argjson cpus "$(nproc)" --argjson s "$SECONDS_EACH" \
    --argjson took $(($(date +%s) - started)) \
    '{date: $date, host: $host, cpu: $cpu, cpus: $cpus,
      bench_seconds: $s, run_seconds: $took, rows: .}' \
    "$W/rows.jsonl" >"$out"
cp "$out" "$RESULTS/latest.json"
table "$out"
echo "bench: $(($(date +%s) - started)) s; results in ${out#"$BENCH_TOP"/}"
exit "$status"
