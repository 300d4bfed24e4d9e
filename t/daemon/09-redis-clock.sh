#!/bin/sh
# 09-redis-clock.sh - one clock per mail array.  Nodes A and B share one
# Redis; B runs with its clock a day ahead (libfaketime).  B neither ends
# nor erases the block A made (it refuses the host, and the block is
# still in Redis for A), and the blocks B makes, by its rule or by hand,
# end an hour from Redis's time, not from B's.
. "$SRCDIR/lib.sh"

faketime=
for lib in /usr/lib/*/faketime/libfaketime.so.1; do
	[ -e "$lib" ] && faketime=$lib
done
if [ -z "$faketime" ]; then
	not_ok "libfaketime is installed (contrib/install-deps.sh check)"
	exit 1
fi

# Short: a Redis socket path is kept in at most 61 bytes.
r=$WORKDIR/r
a=$WORKDIR/a
b=$WORKDIR/b
mkdir "$r" "$a" "$b"

rcli() {
	redis-cli -s "$r/redis.sock" "$@"
}

# within WHAT VALUE LOW HIGH: LOW <= VALUE <= HIGH.
within() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		ok "$1"
	else
		not_ok "$1: \"$2\" is not in [$3, $4]"
	fi
}

if ! redis_start "$r"; then
	not_ok "redis-server started"
	exit 1
fi
for node in "$a" "$b"; do
	conf "$node/bulwark.conf" "$node" "store = \"redis\";
redis = { server = \"unix:$r/redis.sock\"; key_prefix = \"t:\"; };
dos = { max_connections = 2; period = \"1h\"; block = \"1h\"; };"
done
start_fg node-a "$a/bulwark.conf" "$a" || exit 1
pid_a=$pid
# B's wall clock a day ahead; its monotonic clock (timeouts) left alone.
LD_PRELOAD=$faketime FAKETIME=+1d DONT_FAKE_MONOTONIC=1 \
    "$BULWARK" -f -c "$b/bulwark.conf" 2>"$b/log" &
pid_b=$!
track "$pid_b"
if ! wait_until test -S "$b/control.sock"; then
	not_ok "node B started"
	cat "$b/log"
	exit 1
fi
now=$(date +%s)
ctl "$b" metrics
started=$(sed -n 's/^bulwark_start_time_seconds //p' "$WORKDIR/ctl.out")
within "B's clock is a day ahead" "$started" $((now + 86000)) \
    $((now + 86800))

# A block A made: B refuses the host and leaves the block where it was.
check "192.0.2.10 connects twice through A" connect "$a/bulwark.sock" \
    192.0.2.10 continue 2
check "its third connection trips the DoS rule" connect "$a/bulwark.sock" \
    192.0.2.10 refuse
until=$(rcli hget 't:{192.0.0.0/16}192.0.2.10' b:dos)
check "B, a day ahead, refuses the host A blocked" connect \
    "$b/bulwark.sock" 192.0.2.10 refuse
check "the block's end in Redis did not move" test \
    "$(rcli hget 't:{192.0.0.0/16}192.0.2.10' b:dos)" = "$until"
check "A still refuses the host" connect "$a/bulwark.sock" 192.0.2.10 refuse
within "the block ends an hour from now" "$until" $((now + 3590)) \
    $((now + 3610))

# Blocks B makes end an hour from Redis's time.
now=$(date +%s)
check "192.0.2.20 connects twice through B" connect "$b/bulwark.sock" \
    192.0.2.20 continue 2
check "its third connection trips the DoS rule on B" connect \
    "$b/bulwark.sock" 192.0.2.20 refuse
within "B's block ends an hour from Redis's time" \
    "$(rcli hget 't:{192.0.0.0/16}192.0.2.20' b:dos)" $((now + 3590)) $((now + 3610))
ctl_is 0 "a block by hand through B" "$b" block 192.0.2.30 1h clock test
within "it ends an hour from Redis's time" \
    "$(rcli hget 't:{192.0.0.0/16}192.0.2.30' b:manual)" $((now + 3590)) $((now + 3610))
within "its key lives about an hour" "$(rcli ttl 't:{192.0.0.0/16}192.0.2.30')" 3590 \
    3620
check "A refuses the host B blocked by hand" connect "$a/bulwark.sock" \
    192.0.2.30 refuse

for node in "a $pid_a" "b $pid_b"; do
	stop_fg "${node#* }"
	check "node ${node% *} stopped with status 0" test $? -eq 0
done
rcli shutdown nosave >/dev/null 2>&1
wait "$redis" 2>/dev/null
finish
