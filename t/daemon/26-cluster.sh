#!/bin/sh
# 26-cluster.sh - a mail array on Redis Cluster: two daemons share a
# cluster of three primaries and three replicas.  Counts made through
# both nodes add up for hosts on every primary, a block made through one
# node is enforced by the other, and bulwarkctl lists the blocks of all
# primaries.
. "$SRCDIR/lib.sh"

a=$WORKDIR/a
b=$WORKDIR/b
mkdir "$a" "$b"

# Twelve ports held for this test: a client and a bus port per node.
if ! hold_ports 12; then
	not_ok "ports held"
	exit 1
fi
set -- $ports

# node DIR PORT BUS: a cluster-enabled redis-server.
node() {
	mkdir -p "$1"
	redis-server --port "$2" --cluster-port "$3" --bind 127.0.0.1 \
	    --cluster-enabled yes --cluster-config-file nodes.conf \
	    --cluster-node-timeout 1000 --save "" --appendonly no \
	    --dir "$1" --logfile "$1/redis.log" --daemonize no &
	p=$!
	track "$p"
	echo "$2" >"$1/port"
	wait_until sh -c "redis-cli -p $2 info server 2>/dev/null |
	    grep -q '^process_id:$p'"
}

addrs=""
for n in 1 2 3 4 5 6; do
	if ! node "$WORKDIR/r$n" "$1" "$2"; then
		not_ok "cluster node $n started"
		exit 1
	fi
	addrs="$addrs 127.0.0.1:$1"
	shift 2
done
p1=$(cat "$WORKDIR/r1/port")
p2=$(cat "$WORKDIR/r2/port")
# shellcheck disable=SC2086
if ! redis-cli --cluster create $addrs --cluster-replicas 1 --cluster-yes \
    >"$WORKDIR/create.log" 2>&1; then
	not_ok "redis-cli --cluster create"
	sed 's/^/    /' "$WORKDIR/create.log"
	exit 1
fi
cluster_ok() {
	for n in 1 2 3 4 5 6; do
		redis-cli -p "$(cat "$WORKDIR/r$n/port")" cluster info |
		    grep -q '^cluster_state:ok' || return 1
	done
}
check "the cluster is up" wait_until cluster_ok

for n in "$a" "$b"; do
	conf "$n/bulwark.conf" "$n" "store = \"redis\";
redis = { cluster = [ \"127.0.0.1:$p1\", \"127.0.0.1:$p2\" ];
  key_prefix = \"t26:\"; timeout_ms = 500; };
dos = { max_connections = 2; period = \"1h\"; block = \"1h\"; };"
done
start_fg node-a "$a/bulwark.conf" "$a" || exit 1
pid_a=$pid
start_fg node-b "$b/bulwark.conf" "$b" || exit 1
pid_b=$pid

# Thirty hosts of thirty /16s (a key's hash tag is its /16): their keys
# fall on every primary.
hosts=$(seq 1 30 | sed 's/.*/10.&.0.1/')
added=0
for h in $hosts; do
	connect "$a/bulwark.sock" "$h" continue &&
	    connect "$b/bulwark.sock" "$h" continue &&
	    connect "$a/bulwark.sock" "$h" refuse && added=$((added + 1))
done
check "counts of A and B add up for all 30 hosts" test "$added" -eq 30

primaries_with_keys=0
for n in 1 2 3 4 5 6; do
	port=$(cat "$WORKDIR/r$n/port")
	if redis-cli -p "$port" role | head -1 | grep -q master &&
	    [ "$(redis-cli -p "$port" dbsize)" -gt 0 ]; then
		primaries_with_keys=$((primaries_with_keys + 1))
	fi
done
check "the hosts are on all three primaries" test "$primaries_with_keys" -eq 3

ctl_is 0 "block through A" "$a" block 203.0.113.77 1h cluster
check "B refuses the host A blocked" connect "$b/bulwark.sock" \
    203.0.113.77 refuse

total() {
	"$BULWARKCTL" -s "$1/control.sock" list --json |
	    sed -n 's/.*"total":\([0-9]*\).*/\1/p'
}
check "B lists the 31 blocks of all primaries" test "$(total "$b")" -eq 31
check "A lists them too" test "$(total "$a")" -eq 31
ctl_is 0 "unblock through B" "$b" unblock 203.0.113.77
check "A lists 30 blocks" test "$(total "$a")" -eq 30

stop_fg "$pid_a"
check "node A stopped with status 0" test $? -eq 0
stop_fg "$pid_b"
check "node B stopped with status 0" test $? -eq 0
finish
