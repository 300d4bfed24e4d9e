#!/bin/sh
# 07-redis-outage.sh - a mail array riding out Redis outages.  Nodes A and
# B share one Redis (timeout_ms = 100, on_error = local).  With Redis
# paused (SIGSTOP), A answers every CONNECT within the bound, keeps
# refusing the hosts it knew were blocked, counts new ones itself and
# logs store-degraded once; after SIGCONT it logs store-recovered and
# shares blocks again.  With Redis killed and restarted empty, no store
# error reaches the client and sharing resumes.  With Redis paused, node
# C (on_error = tempfail) answers 421 4.3.0 and node D (on_error =
# accept) lets every connection through, both within the bound.
. "$SRCDIR/lib.sh"

# Every answer within timeout_ms and a generous margin for a busy host.
bound=600

r=$WORKDIR/redis
a=$WORKDIR/a
b=$WORKDIR/b
c=$WORKDIR/c
d=$WORKDIR/d
mkdir "$r" "$a" "$b" "$c" "$d"

# start_node DIR ON_ERROR: write DIR's configuration and start the daemon.
start_node() {
	conf "$1/bulwark.conf" "$1" "store = \"redis\";
redis = { server = \"unix:$r/redis.sock\"; key_prefix = \"t:\";
    timeout_ms = 100; on_error = \"$2\"; };
dos = { max_connections = 2; period = \"1h\"; block = \"1h\"; };"
	start_fg "node-${1##*/}" "$1/bulwark.conf" "$1"
}

# timed WHAT SOCKET PLAN [PAUSE]: timed.lua's plan through the milter
# at SOCKET, PAUSE ms apart, every answer as planned and within the
# bound; the slowest in the check.  Each answer in $WORKDIR/timed.out.
timed() {
	miltertest -s "$SRCDIR/timed.lua" -D socket="unix:$2" -D plan="$3" \
	    -D bound="$bound" -D pause="${4:-0}" >"$WORKDIR/timed.out" 2>&1
	rc=$?
	slowest=$(sed -n 's/^slowest //p' "$WORKDIR/timed.out")
	if [ "$rc" -eq 0 ]; then
		ok "$1 (slowest answer ${slowest} ms)"
	else
		not_ok "$1:"
		sed 's/^/    /' "$WORKDIR/timed.out"
	fi
}

# repeat N ITEM: a plan of ITEM N times.
repeat() {
	i=0
	while [ "$i" -lt "$1" ]; do
		printf '%s ' "$2"
		i=$((i + 1))
	done
}

# recovered DIR N: true once DIR's log counts N event=store-recovered
# lines; else a new host connects through that node for the next try, as
# only events probe Redis.  One not let through is noted in poke.bad.
poke=0
recovered() {
	[ "$(log_count "$1/log" event=store-recovered)" -ge "$2" ] && return 0
	poke=$((poke + 1))
	ip=10.0.$((poke / 250)).$((poke % 250 + 1))
	connect "$1/bulwark.sock" "$ip" continue ||
	    echo "$ip through ${1##*/}" >>"$WORKDIR/poke.bad"
	return 1
}

# ms_since T: milliseconds since T, a date +%s%N.
ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

# logged WHAT DIR N TEXT...: N lines of DIR's log hold every TEXT.
logged() {
	what=$1
	node_dir=$2
	want=$3
	shift 3
	got=$(log_count "$node_dir/log" "$@")
	if [ "$got" -eq "$want" ]; then
		ok "$what"
	else
		not_ok "$what: $got line(s) with $*, expected $want"
		grep -F -e event=store -e event=block "$node_dir/log" |
		    sed 's/^/    /'
	fi
}

if ! redis_start "$r"; then
	not_ok "redis-server started"
	exit 1
fi
start_node "$a" local || exit 1
pid_a=$pid
start_node "$b" local || exit 1
pid_b=$pid

# 1. Sharing: a host tripped through A is refused by B.
check "192.0.2.10 connects twice through A" connect "$a/bulwark.sock" \
    192.0.2.10 continue 2
check "its third connection trips the DoS rule" connect "$a/bulwark.sock" \
    192.0.2.10 refuse
check "B refuses the host A blocked" connect "$b/bulwark.sock" \
    192.0.2.10 refuse

# 2. Redis paused.  The first CONNECT waits timeout_ms for Redis, later
# ones skip it for a back-off and one at a time probes it again; none
# may wait long.  Nine new hosts connect three times each: let in twice,
# the third refused by A's own count; the host blocked before the
# outage stays refused.  The 30 connections are spread over about a
# second, so that the back-off ends and probes meet the paused Redis.
kill -STOP "$redis"
plan=
for round in 1 2 3; do
	want=continue
	[ "$round" -eq 3 ] && want=refuse
	plan="${plan}192.0.2.10:refuse"
	for host in 1 2 3 4 5 6 7 8 9; do
		plan="$plan 198.51.100.$host:$want"
	done
	plan="$plan "
done
timed "Redis paused: 30 CONNECTs through A answered as planned within \
$bound ms" "$a/bulwark.sock" "$plan" 30
# An answer that waited for Redis takes about timeout_ms, one that
# skipped it a few ms (the clock has 10 ms steps).
waited=$(awk 'NF == 4 && $4 >= 80' "$WORKDIR/timed.out" | wc -l)
check "A waited for the paused Redis at least once, not at every \
CONNECT ($waited of 30)" test "$waited" -ge 1 -a "$waited" -lt 10
logged "A logs store-degraded once" "$a" 1 event=store-degraded
logged "A logs the block it counted itself" "$a" 1 event=block \
    detector=dos "host=198.51.100.1 "
logged "A logs no store error" "$a" 0 event=store-error

# 3. Redis resumed: A finds it again within the longest back-off (2 s).
kill -CONT "$redis"
started=$(date +%s%N)
wait_alive "$pid_a" recovered "$a" 1
took=$(ms_since "$started")
logged "A logs store-recovered once" "$a" 1 event=store-recovered
check "A recovered within 3 s of SIGCONT ($took ms)" test "$took" -lt 3000
check "192.0.2.30 connects twice through A" connect "$a/bulwark.sock" \
    192.0.2.30 continue 2
check "its third connection trips the DoS rule" connect "$a/bulwark.sock" \
    192.0.2.30 refuse
check "B refuses the host A blocked after the outage" connect \
    "$b/bulwark.sock" 192.0.2.30 refuse

# 4. Redis killed, then restarted empty on the same socket.  While it is
# away both nodes decide locally (known blocks refused, new hosts let
# in, recipients counted without an error); then each finds the new
# Redis and blocks are shared again.
kill -KILL "$redis"
wait "$redis" 2>/dev/null
known="192.0.2.10:refuse 192.0.2.30:refuse"
timed "Redis down: sessions through A, known blocks refused" \
    "$a/bulwark.sock" "$known 198.51.100.21:session 198.51.100.22:session"
timed "Redis down: sessions through B, known blocks refused" \
    "$b/bulwark.sock" "$known 198.51.100.31:session 198.51.100.32:session"
logged "A logs store-degraded again" "$a" 2 event=store-degraded
logged "B logs store-degraded" "$b" 1 event=store-degraded
if ! redis_start "$r"; then
	not_ok "redis-server restarted"
	exit 1
fi
# It comes back empty; the nodes write back the blocks they know.
check "the blocks known are written back to the new Redis" wait_until sh -c \
    "$(command -v redis-cli) -s '$r/redis.sock' hget 't:{192.0.0.0/16}192.0.2.30' b:dos |
    grep -q ."
started=$(date +%s%N)
check "A finds the new Redis" wait_alive "$pid_a" recovered "$a" 2
check "B finds the new Redis" wait_alive "$pid_b" recovered "$b" 1
ok "both recovered $(ms_since "$started") ms after the restart"
check "every connection while recovering was let in" test ! -e \
    "$WORKDIR/poke.bad"
timed "after the restart: sessions through A" "$a/bulwark.sock" \
    "198.51.100.41:session 198.51.100.42:session"
timed "after the restart: sessions through B" "$b/bulwark.sock" \
    "198.51.100.43:session 198.51.100.44:session"
check "192.0.2.40 connects twice through B" connect "$b/bulwark.sock" \
    192.0.2.40 continue 2
check "its third connection trips the DoS rule" connect "$b/bulwark.sock" \
    192.0.2.40 refuse
check "A refuses the host B blocked in the new Redis" connect \
    "$a/bulwark.sock" 192.0.2.40 refuse
logged "A logs no store error" "$a" 0 event=store-error
logged "B logs no store error" "$b" 0 event=store-error

# 5. Redis paused: without a local store, C refuses with 421 4.3.0 and
# D lets in a host five times, over its max of two, each within the
# bound.  They start now, so their first event meets the paused Redis,
# not a connection the kill broke.  C's replies are read through the
# relay that records them.
start_node "$c" tempfail || exit 1
pid_c=$pid
start_node "$d" accept || exit 1
pid_d=$pid
perl "$TOP/t/milter/replytap.pl" "$c/tap.sock" "$c/bulwark.sock" \
    "$c/replies" 2>"$c/tap.err" &
tap=$!
track "$tap"
if ! wait_for_socket "$c/tap.sock" "$tap"; then
	not_ok "the reply relay started"
	cat "$c/tap.err"
	exit 1
fi
kill -STOP "$redis"
timed "on_error=tempfail: C refuses 5 CONNECTs within $bound ms" \
    "$c/tap.sock" "$(repeat 5 192.0.2.50:refuse)"
check "C's 5 replies are 421 4.3.0" test "$(grep -c '^y 421 4\.3\.0 ' \
    "$c/replies")" -eq 5 -a "$(grep -c '^y ' "$c/replies")" -eq 5
logged "C logs store-degraded once" "$c" 1 event=store-degraded \
    on_error=tempfail
timed "on_error=accept: D lets in 5 CONNECTs within $bound ms" \
    "$d/bulwark.sock" "$(repeat 5 192.0.2.60:continue)"
logged "D logs store-degraded once" "$d" 1 event=store-degraded \
    on_error=accept
kill -CONT "$redis"

for node in "a $pid_a" "b $pid_b" "c $pid_c" "d $pid_d"; do
	stop_fg "${node#* }"
	check "node ${node% *} stopped with status 0" test $? -eq 0
done
kill "$tap"
wait "$tap" 2>/dev/null
redis-cli -s "$r/redis.sock" shutdown nosave >/dev/null 2>&1
wait "$redis" 2>/dev/null
finish
