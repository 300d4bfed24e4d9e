#!/bin/sh
# 06-top-array.sh - bulwarkctl top on a mail array: two daemons on one
# real Redis, sessions held open on each; top --once --json through
# either node lists both nodes with their live sessions and stages, and
# a node killed (SIGKILL) leaves the list once its summary expires.
. "$SRCDIR/lib.sh"

# A short directory name: a unix socket path holds at most 107 bytes.
r=$WORKDIR/r
a=$WORKDIR/a
b=$WORKDIR/b
mkdir "$r" "$a" "$b"

redis-server --port 0 --unixsocket "$r/s" --unixsocketperm 700 \
    --save "" --appendonly no --dir "$r" --logfile "$r/redis.log" \
    --daemonize no &
track $!
if ! wait_until sh -c "redis-cli -s '$r/s' ping 2>/dev/null |
    grep -q PONG"; then
	not_ok "redis-server started"
	exit 1
fi

conf='store = "redis";
redis = { server = "unix:'"$r"'/s"; key_prefix = "t06:"; };
blocked = [ "203.0.113.0/24" ];'
start_daemon "$a" "$conf" || exit 1
pid_a=$daemon
start_daemon "$b" "$conf" || exit 1
pid_b=$daemon
node_a="$(hostname)/$pid_a"
node_b="$(hostname)/$pid_b"

hold a1 "$a" 192.0.2.50 3 mail || exit 1
hold a2 "$a" 192.0.2.51 1 connect || exit 1
hold b1 "$b" 192.0.2.50 2 helo || exit 1
hold b2 "$b" 203.0.113.9 1 connect refuse || exit 1

# NODE SESSIONS CONNECTED GREETED TRANSACTION: the node's row as expected.
row_is() {
	perl -MJSON::PP -e '
	    local $/; my $j = decode_json(<STDIN>);
	    my ($n) = grep { $_->{node} eq $ARGV[0] } @{$j->{nodes}};
	    exit(defined $n && $n->{sessions} == $ARGV[1] &&
		$n->{stages}{connected} == $ARGV[2] &&
		$n->{stages}{greeted} == $ARGV[3] &&
		$n->{stages}{transaction} == $ARGV[4] &&
		$n->{stages}{data} == 0 ? 0 : 1)' "$@" <"$WORKDIR/top.json"
}
both_rows() {
	top_json "$1" && row_is "$node_a" 4 1 0 3 && row_is "$node_b" 2 0 2 0
}
if wait_until both_rows "$a"; then ok "top through A: both nodes' rows"; else
	not_ok "top through A: not both nodes' rows"; show "$WORKDIR/top.json"; fi
if wait_until both_rows "$b"; then ok "top through B: both nodes' rows"; else
	not_ok "top through B: not both nodes' rows"; show "$WORKDIR/top.json"; fi
json_is "two nodes, by name, with a rate and an expiry" "$WORKDIR/top.json" '
    @{$j->{nodes}} == 2 && $j->{nodes}[0]{node} lt $j->{nodes}[1]{node} &&
    defined $j->{nodes}[0]{refusals_per_second} &&
    $j->{nodes}[0]{expires} > $j->{now} - 5'
refusing_b() {
	top_json "$a" && perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
	    my ($n) = grep { $_->{node} eq $ARGV[0] } @{$j->{nodes}};
	    exit($n->{refusals_per_second} > 0 ? 0 : 1)' "$node_b" \
	    <"$WORKDIR/top.json"
}
if wait_until refusing_b; then ok "B's refusals a second, seen from A"; else
	not_ok "no refusals of B seen from A"; show "$WORKDIR/top.json"; fi

"$BULWARKCTL" -s "$a/control.sock" top --once >"$WORKDIR/frame" 2>&1
if grep -q '^NODES' "$WORKDIR/frame" && grep -qF "$node_b" "$WORKDIR/frame"
then ok "the frame has a row per node"; else
	not_ok "no NODES rows in the frame"; show "$WORKDIR/frame"; fi

kill -KILL "$pid_b"
only_a() {
	top_json "$a" && perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
	    exit(@{$j->{nodes}} == 1 && $j->{nodes}[0]{node} eq $ARGV[0] ? 0 : 1)' \
	    "$node_a" <"$WORKDIR/top.json"
}
if wait_until only_a; then ok "B leaves the list once its summary expires"
else not_ok "B is still listed"; show "$WORKDIR/top.json"; fi

for n in a1 a2 b1 b2; do
	release $n
done
finish
