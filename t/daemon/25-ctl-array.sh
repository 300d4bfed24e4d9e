#!/bin/sh
# 25-ctl-array.sh - prefix blocks and unblocks and unblock --all on a
# mail array: two daemons share one Redis; what is done through one node
# is enforced, listed and lifted on the other.
. "$SRCDIR/lib.sh"

array_start t25: "" \
    'dos = { max_connections = 1; period = "1h"; block = "1h"; };'

# total NODE [DETECTOR]: the blocks list --json counts through NODE.
total() {
	node=$1
	shift
	"$BULWARKCTL" -s "$node/control.sock" list --json "$@" |
	    sed -n 's/.*"total":\([0-9]*\).*/\1/p'
}

ctl_is 0 "block a /29 through A" "$a" block 203.0.113.8/29 1h range
out_has "block /29: 8 hosts" "(8 hosts)"
check "B refuses an address of the /29" connect "$b/bulwark.sock" \
    203.0.113.13 refuse
check "B lists the 8 blocks" test "$(total "$b" manual)" -eq 8
check "a DoS trip on B" connect "$b/bulwark.sock" 198.51.100.30 continue
check "the DoS block on B" connect "$b/bulwark.sock" 198.51.100.30 refuse

ctl_is 0 "unblock a /30 of it through B" "$b" unblock 203.0.113.12/30
out_line "unblock /30 through B: 4 hosts" "unblocked 4 hosts in 203.0.113.12/30"
check "A lists the 4 left" test "$(total "$a" manual)" -eq 4
unblocked_on_a() {
	connect "$a/bulwark.sock" 203.0.113.13 continue
}
check "A lets an unblocked address in" wait_until unblocked_on_a
check "A still refuses the rest of the /29" connect "$a/bulwark.sock" \
    203.0.113.9 refuse

ctl_is 0 "unblock --all dos --yes through A" "$a" unblock --all dos --yes
out_line "unblock --all dos: the DoS block" "unblocked 1 host blocked by dos"
check "the manual blocks stay" test "$(total "$b" manual)" -eq 4
ctl_is 0 "unblock --all --yes through B" "$b" unblock --yes --all
out_line "unblock --all: the 4 left" "unblocked 4 hosts"
check "A lists no block" test "$(total "$a")" -eq 0
in_on_a() {
	connect "$a/bulwark.sock" 203.0.113.9 continue
}
check "A lets the last of the /29 in" wait_until in_on_a

stop_fg "$pid_a"
check "node A stopped with status 0" test $? -eq 0
stop_fg "$pid_b"
check "node B stopped with status 0" test $? -eq 0
finish
