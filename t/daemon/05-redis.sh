#!/bin/sh
# 05-redis.sh - bulwarkctl on a mail array: two daemons share one Redis;
# a block made through one node is enforced and listed by the other, an
# unblock through the other ends it everywhere, a DoS block started on
# one node is seen on the other; with Redis gone, status says so and a
# block is refused with the store's error.
. "$SRCDIR/lib.sh"

array_start t:

ctl_is 0 "status on a node" "$a" status
out_has "status: the redis store, healthy" "store         redis, ok"

# A block by hand through A, enforced and listed by B.
check "before the block, B lets the host in" connect "$b/bulwark.sock" \
    198.51.100.20 continue
ctl_is 0 "block through A" "$a" block 198.51.100.20 1h "array test"
check "B refuses the host blocked through A" connect "$b/bulwark.sock" \
    198.51.100.20 refuse
# B knew the block from the channel: refused from its record, summarised.
check "B logs no line per refusal of a known block" test "$(log_count \
    "$b/log" event=refuse detector=manual addr=198.51.100.20)" -eq 0
ctl_is 0 "list through B" "$b" list manual
out_has "B lists the block made through A" "198.51.100.20  manual"
ctl_is 0 "show through B" "$b" show 198.51.100.20
out_has "B shows the host blocked by hand" "why           blocked by hand until"

# Unblocked through B, let in by A.
ctl_is 0 "unblock through B" "$b" unblock 198.51.100.20
out_has "unblock through B: it was blocked" "unblocked 198.51.100.20"
check "B sums up the refusals of the block it lifted" test "$(log_count \
    "$b/log" event=refuse-summary detector=manual host=198.51.100.20 \
    refused=1 lifted=yes)" -eq 1
# The unblock reaches A through the channel, within a second.
check "A lets the unblocked host in" wait_until connect "$a/bulwark.sock" \
    198.51.100.20 continue
ctl_is 0 "list through A after the unblock" "$a" list manual
out_has "no block left" "no blocks in force"

# A DoS block counted across the array, listed by either node.
check "one connection through each node" connect "$a/bulwark.sock" \
    192.0.2.20 continue
check "the second through B" connect "$b/bulwark.sock" 192.0.2.20 continue
check "the third, through A, is refused" connect "$a/bulwark.sock" \
    192.0.2.20 refuse
ctl_is 0 "list dos through B" "$b" list dos
out_has "B lists the DoS block A started" "192.0.2.20  dos       3"
ctl_is 0 "list --json through B" "$b" -j list dos
out_has "the node of a Redis block is unknown" '"node":null'

# Redis gone: the health says so, a block fails with the reason.
redis-cli -s "$r/redis.sock" shutdown nosave >/dev/null 2>&1
wait "$redis" 2>/dev/null
ctl_is 0 "status without Redis" "$a" status
if grep -q "store         redis, ok" "$WORKDIR/ctl.out"; then
	not_ok "status without Redis: health is not ok"
else
	ok "status without Redis: health is not ok"
fi
out_has "status without Redis: the store's error" "store error"
ctl_is 1 "block without Redis: exit 1" "$a" block 192.0.2.21 1h
err_has "block without Redis: the store failed" "the store failed: "

stop_fg "$pid_a"
check "node A stopped with status 0" test $? -eq 0
stop_fg "$pid_b"
check "node B stopped with status 0" test $? -eq 0
finish
