#!/bin/sh
# 34-network-array.sh - a network rule on a mail array: two daemons share
# one Redis; the hosts of one /24, spread over both nodes, trip the
# network's block together, which then refuses a new host of that /24 on
# either node; bulwarkctl unblock of the /24 through one node lifts it on
# both within a second.
. "$SRCDIR/lib.sh"

array_start t34: "" 'dos = { max_connections = 100; period = "1h"; block = "1h";
	network = { ipv4_prefix = 24; max = 4; }; };'

# Four hosts of 198.51.100.0/24, each once, alternately on A and B: the
# network's count reaches its max, nobody's own comes near 100.
for n in 1 2 3 4; do
	node=$a
	[ $((n % 2)) -eq 0 ] && node=$b
	check "host $n of the /24 let in" connect "$node/bulwark.sock" \
	    "198.51.100.$n" continue
done
check "the fifth host of the /24 trips the network's block" \
    connect "$b/bulwark.sock" 198.51.100.5 refuse
check "a new host of the /24 refused on A" \
    connect "$a/bulwark.sock" 198.51.100.77 refuse
check "a new host of the /24 refused on B" \
    connect "$b/bulwark.sock" 198.51.100.78 refuse
check "a host of another /24 let in" \
    connect "$a/bulwark.sock" 198.51.101.77 continue
check "the block is the network's, in Redis" test -n \
    "$(redis-cli -s "$r/redis.sock" hget 't34:{198.51.0.0/16}198.51.100.0/24' \
    b:dos)"
check "no host of it is blocked itself" test -z \
    "$(redis-cli -s "$r/redis.sock" hget 't34:{198.51.0.0/16}198.51.100.5' \
    b:dos)"
ctl_is 0 "list through A" "$a" list
out_has "A lists the /24" "198.51.100.0/24"

# A refused from its record of blocks, with no Redis call.
calls() {
	redis-cli -s "$r/redis.sock" info commandstats |
	    sed -n 's/^cmdstat_fcall:calls=\([0-9]*\),.*/\1/p'
}
before=$(calls)
check "Redis counts the script calls" test -n "$before"
check "A refuses 20 more from the /24" \
    connect "$a/bulwark.sock" 198.51.100.90 refuse 20
check "without a script call to Redis" test "$(calls)" = "$before"

ctl_is 0 "unblock the /24 through B" "$b" unblock 198.51.100.0/24
out_line "B unblocked the network" "unblocked 1 host in 198.51.100.0/24"
start=$(date +%s%N)
lifted() {
	connect "$a/bulwark.sock" 198.51.100.77 continue &&
	    connect "$b/bulwark.sock" 198.51.100.78 continue
}
wait_until lifted
took=$((($(date +%s%N) - start) / 1000000))
echo "# the unblock of the /24 reached both nodes in $took ms"
check "both nodes let the /24 in again within a second" test "$took" -le 1000
ctl_is 0 "list through B" "$b" list
check "the /24 is no longer listed" sh -c \
    "! grep -qF 198.51.100.0/24 '$WORKDIR/ctl.out'"

stop_fg "$pid_a"
check "node A stopped with status 0" test $? -eq 0
stop_fg "$pid_b"
check "node B stopped with status 0" test $? -eq 0
finish
