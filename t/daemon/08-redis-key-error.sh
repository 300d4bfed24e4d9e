#!/bin/sh
# 08-redis-key-error.sh - one bad key is one host's problem, and every
# event decided without Redis is counted.  A node (on_error = local)
# shares a Redis in which the key of 192.0.2.50 holds a string, not a
# hash: that host's connections are decided by the node's own store
# (allowed twice, the third refused), while the 30 other hosts that
# connect in between all reach Redis; the node is never degraded, and
# bulwark_store_errors_total{decided_by="local"} counts the 3.  Then
# Redis goes away: the 10 connections made meanwhile are counted there
# too.
. "$SRCDIR/lib.sh"

bound=600
# Short: a Redis socket path is kept in at most 61 bytes.
r=$WORKDIR/r
a=$WORKDIR/a
mkdir "$r" "$a"

rcli() {
	redis-cli -s "$r/redis.sock" "$@"
}

# timed WHAT PLAN: timed.lua's plan through the node, answered as planned.
timed() {
	if miltertest -s "$SRCDIR/timed.lua" -D socket="unix:$a/bulwark.sock" \
	    -D plan="$2" -D bound="$bound" >"$WORKDIR/timed.out" 2>&1; then
		ok "$1"
	else
		not_ok "$1:"
		sed 's/^/    /' "$WORKDIR/timed.out"
	fi
}

# metric WHAT SAMPLE VALUE: the node's metrics hold the line SAMPLE VALUE.
metric() {
	ctl "$a" metrics
	out_line "$1" "$2 $3"
}

if ! redis_start "$r"; then
	not_ok "redis-server started"
	exit 1
fi
conf "$a/bulwark.conf" "$a" "store = \"redis\";
redis = { server = \"unix:$r/redis.sock\"; key_prefix = \"t:\";
    timeout_ms = 100; on_error = \"local\"; };
dos = { max_connections = 2; period = \"1h\"; block = \"1h\"; };"
start_fg node-a "$a/bulwark.conf" "$a" || exit 1
pid_a=$pid

check "a key of the wrong type for 192.0.2.50" test \
    "$(rcli set 't:{192.0.0.0/16}192.0.2.50' x)" = OK
plan=
for n in $(seq 1 30); do
	want=continue
	[ "$n" -gt 20 ] && want=refuse
	[ $((n % 10)) -eq 0 ] && plan="$plan 192.0.2.50:$want"
	plan="$plan 198.51.100.$n:continue"
done
timed "192.0.2.50 decided by the node's own store, 30 others let in" \
    "$plan"
reached=0
for n in $(seq 1 30); do
	[ "$(rcli hget "t:{198.51.0.0/16}198.51.100.$n" c:dos)" = 1 ] &&
	    reached=$((reached + 1))
done
check "every other host's connection reached Redis ($reached of 30)" \
    test "$reached" -eq 30
check "the bad key is left as it was" test "$(rcli get 't:{192.0.0.0/16}192.0.2.50')" = x
if [ "$(log_count "$a/log" event=store-degraded)" -eq 0 ]; then
	ok "the node was never degraded"
else
	not_ok "the node was never degraded:"
	grep -F event=store "$a/log" | sed 's/^/    /'
fi
errors=$(log_count "$a/log" event=store-error host=192.0.2.50 WRONGTYPE)
check "the key's error is logged, at most once a second ($errors lines)" \
    test "$errors" -ge 1 -a "$errors" -le 3
metric "3 events decided by the local store" \
    'bulwark_store_errors_total{decided_by="local"}' 3
metric "none let through for want of Redis" \
    'bulwark_store_errors_total{decided_by="accept"}' 0
metric "the store is not degraded" 'bulwark_store_degraded{store="redis"}' 0

# Redis gone: every event is decided by the local store, and counted.
rcli shutdown nosave >/dev/null 2>&1
wait "$redis" 2>/dev/null
plan=
for n in $(seq 1 10); do
	plan="$plan 203.0.113.$n:continue"
done
timed "Redis down: 10 new hosts let in by the local store" "$plan"
metric "13 events decided by the local store" \
    'bulwark_store_errors_total{decided_by="local"}' 13
metric "the store is degraded" 'bulwark_store_degraded{store="redis"}' 1

stop_fg "$pid_a"
check "the node stopped with status 0" test $? -eq 0
finish
