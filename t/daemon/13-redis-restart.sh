#!/bin/sh
# 13-redis-restart.sh - blocks survive a Redis restarted empty, under
# load: a DoS block started on node A and a block by hand made through
# node B are known to both nodes; while Redis is down both nodes refuse
# both hosts; once Redis is back, empty, the nodes write the blocks back
# within a few seconds (the time taken is printed), and both nodes and
# Redis agree again.
. "$SRCDIR/lib.sh"

# The block of detector $2 host $1 (IPv4, tagged by its /16) is in Redis.
in_redis() {
	[ -n "$(redis-cli -s "$r/redis.sock" hget "t:{${1%.*.*}.0.0/16}$1" "b:$2" \
	    2>/dev/null)" ]
}

ms() {
	echo $(($(date +%s%N) / 1000000))
}

array_start t: "timeout_ms = 100; "

check "two connections let in" connect "$a/bulwark.sock" 198.51.100.60 \
    continue 2
check "a DoS block starts on A" connect "$a/bulwark.sock" 198.51.100.60 \
    refuse
ctl_is 0 "a block by hand through B" "$b" block 198.51.100.61 1h
check "B refuses the host A blocked" wait_until connect "$b/bulwark.sock" \
    198.51.100.60 refuse
check "A refuses the host blocked through B" wait_until connect \
    "$a/bulwark.sock" 198.51.100.61 refuse

# Load: other hosts keep connecting to both nodes throughout.
touch "$WORKDIR/load" "$WORKDIR/load.sessions"
(
	i=0
	while [ -e "$WORKDIR/load" ]; do
		i=$(((i + 1) % 200))
		miltertest -s "$SRCDIR/connect.lua" -D socket="unix:$a/bulwark.sock" \
		    -D ip="203.0.113.$i" -D expect=continue >/dev/null 2>&1
		miltertest -s "$SRCDIR/connect.lua" -D socket="unix:$b/bulwark.sock" \
		    -D ip="203.0.113.$i" -D expect=continue >/dev/null 2>&1
		echo >>"$WORKDIR/load.sessions"
	done
) &
track "$!"

# Redis dies: both nodes still refuse both hosts.
kill -KILL "$redis"
wait "$redis" 2>/dev/null
for node in "$a" "$b"; do
	for host in 198.51.100.60 198.51.100.61; do
		check "Redis down: ${node##*/} refuses $host" connect \
		    "$node/bulwark.sock" "$host" refuse
	done
done
check "Redis down: other hosts are let in" connect "$a/bulwark.sock" \
    192.0.2.80 continue
sleep 1

# Back, empty: the nodes write the blocks back.
redis_start "$r" || not_ok "redis-server restarted"
t0=$(ms)
check "both blocks back in Redis" wait_until sh -c \
    "$(command -v redis-cli) -s '$r/redis.sock' hget 't:{198.51.0.0/16}198.51.100.60' b:dos |
    grep -q . && $(command -v redis-cli) -s '$r/redis.sock' \
    hget 't:{198.51.0.0/16}198.51.100.61' b:manual | grep -q ."
took=$(($(ms) - t0))
echo "    restart: 2 of 2 blocks back in Redis $took ms after it answered"
check "within a few seconds" test "$took" -le 5000
check "both nodes write back what they know" wait_until sh -c \
    "test \$(cat '$a/log' '$b/log' | grep -c event=store-restored) -ge 2"
grep -h event=store-restored "$a/log" "$b/log" | sed 's/^/    /'
rm -f "$WORKDIR/load"
echo "    load: $(($(wc -l <"$WORKDIR/load.sessions") * 2)) sessions of other" \
    "hosts meanwhile"
ctl_is 0 "list through A" "$a" list
out_has "A lists the DoS block" "198.51.100.60"
out_has "A lists the block by hand" "198.51.100.61"
for node in "$a" "$b"; do
	for host in 198.51.100.60 198.51.100.61; do
		check "Redis back: ${node##*/} refuses $host" connect \
		    "$node/bulwark.sock" "$host" refuse
	done
done

stop_fg "$pid_a"
check "node A stopped with status 0" test $? -eq 0
stop_fg "$pid_b"
check "node B stopped with status 0" test $? -eq 0
finish
