#!/bin/sh
# 12-flood.sh - a flood from a blocked host costs neither Redis nor the
# log: once the node knows the block, each refused session is decided
# from its record (no Redis command) and summarised (no line of its own).
# Counts, not timings: Redis's INFO commandstats and the log's lines
# before and after the flood, per refused session, below 0.05.  The same
# for the log with the memory store, whose record logs the first refusal
# of a block in full and a summary of the rest.
. "$SRCDIR/lib.sh"

r=$WORKDIR/redis
a=$WORKDIR/a
mkdir "$r" "$a"
flood=400

if ! redis_start "$r"; then
	not_ok "redis-server started"
	exit 1
fi
conf "$a/bulwark.conf" "$a" "store = \"redis\";
redis = { server = \"unix:$r/redis.sock\"; key_prefix = \"f:\"; };
dos = { max_connections = 2; period = \"1h\"; block = \"1h\"; };"
start_fg node-a "$a/bulwark.conf" "$a" || exit 1
pid_a=$pid

# Every command Redis has run so far.
redis_calls() {
	redis-cli -s "$r/redis.sock" info commandstats |
	    awk -F'[=,]' '/^cmdstat_/ { n += $2 } END { print n + 0 }'
}

check "two connections let in" connect "$a/bulwark.sock" 198.51.100.50 \
    continue 2
check "the third starts a block" connect "$a/bulwark.sock" 198.51.100.50 \
    refuse
check "the block is logged when it starts" test "$(log_count "$a/log" \
    event=block detector=dos host=198.51.100.50)" -eq 1

calls0=$(redis_calls)
lines0=$(wc -l <"$a/log")
check "a flood of $flood sessions from the blocked host, all refused" \
    connect "$a/bulwark.sock" 198.51.100.50 refuse "$flood"
calls=$(( $(redis_calls) - calls0 ))
lines=$(( $(wc -l <"$a/log") - lines0 ))
echo "    flood: $flood refused sessions cost $calls Redis commands" \
    "and $lines log lines"
check "Redis commands per refused session <= 0.05" \
    test $((calls * 100)) -le $((flood * 5))
check "log lines per refused session <= 0.05" \
    test $((lines * 100)) -le $((flood * 5))

# An unblock through bulwarkctl lifts the record too, with a summary.
ctl_is 0 "unblock" "$a" unblock 198.51.100.50
check "the refusals are summed up in one line" test "$(log_count "$a/log" \
    event=refuse-summary detector=dos host=198.51.100.50 lifted=yes)" -eq 1
check "the host is let in again" connect "$a/bulwark.sock" 198.51.100.50 \
    continue

stop_fg "$pid_a"
check "node stopped with status 0" test $? -eq 0

m=$WORKDIR/m
mkdir "$m"
conf "$m/bulwark.conf" "$m" "store = \"memory\";
dos = { max_connections = 2; period = \"1h\"; block = \"1h\"; };"
start_fg node-m "$m/bulwark.conf" "$m" || exit 1
pid_m=$pid
check "memory: two connections let in" connect "$m/bulwark.sock" \
    198.51.100.51 continue 2
check "memory: the third starts a block" connect "$m/bulwark.sock" \
    198.51.100.51 refuse
lines0=$(wc -l <"$m/log")
check "memory: a flood of $flood sessions, all refused" \
    connect "$m/bulwark.sock" 198.51.100.51 refuse "$flood"
lines=$(( $(wc -l <"$m/log") - lines0 ))
echo "    memory flood: $flood refused sessions cost $lines log lines"
check "memory: the first refusal is logged in full" test "$(log_count \
    "$m/log" event=refuse stage=connect host=198.51.100.51)" -eq 2
check "memory: log lines per refused session <= 0.05" \
    test $((lines * 100)) -le $((flood * 5))
ctl_is 0 "memory: unblock" "$m" unblock 198.51.100.51
check "memory: the rest are summed up in one line" test "$(log_count \
    "$m/log" event=refuse-summary detector=dos host=198.51.100.51 \
    refused=$((flood - 1)) lifted=yes)" -eq 1
check "memory: the host is let in again" connect "$m/bulwark.sock" \
    198.51.100.51 continue
stop_fg "$pid_m"
check "memory node stopped with status 0" test $? -eq 0
finish
