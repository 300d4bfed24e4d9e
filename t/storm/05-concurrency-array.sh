#!/bin/sh
# 05-concurrency-array.sh - the concurrency limit across a mail array:
# two daemons on one real Redis, max_sessions = 8.  5 sessions held open
# on node A and 3 on node B from one host: a 9th is refused on either
# node; closing one lets the next in; node B killed (SIGKILL) with 4
# sessions held, they still count until its lease (concurrency.lease,
# 3 s here) ends, and no longer after.  Excluded hosts never count.
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
redis = { server = "unix:'"$r"'/s"; key_prefix = "t05:"; };
concurrency = { enabled = true; max_sessions = 8; action = "tempfail";
	lease = "3s"; };'
start_daemon "$a" "$conf" || exit 1
start_daemon "$b" "$conf" || exit 1
pid_b=$daemon

ip=192.0.2.40
hold a4 "$a" $ip 4 helo || exit 1
hold a1 "$a" $ip 1 connect || exit 1
hold b3 "$b" $ip 3 connect || exit 1
hold a9 "$a" $ip 1 connect refuse || exit 1
hold b9 "$b" $ip 1 connect refuse || exit 1
# Another host is not affected, excluded hosts (127.0.0.0/8) never count.
hold other "$b" 192.0.2.41 2 connect || exit 1
hold excluded "$a" 127.0.0.1 10 connect || exit 1

n=$(grep -c 'event=refuse .* detector=concurrency host=192.0.2.40 ' \
    "$a/log" "$b/log" | awk -F: '{ n += $2 } END { print n }')
if [ "$n" -eq 2 ]; then ok "both refusals logged"; else
	not_ok "$n refusals logged, not 2"; show "$a/log"; show "$b/log"; fi

# Closing one on A lets the next in, on B.
release a1
a1_closed() {
	top_json "$a" && perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
	    exit((grep { $_->{host} eq "192.0.2.40" } @{$j->{hosts}})[0]{sessions}
	    == 4 ? 0 : 1)' <"$WORKDIR/top.json"
}
if wait_until a1_closed; then ok "one session closed on A"; else
	not_ok "the session did not close"; show "$WORKDIR/top.json"; fi
hold b1 "$b" $ip 1 connect || exit 1
hold a9b "$a" $ip 1 connect refuse || exit 1

# Node B dies with 4 sessions of the host: they count until its lease ends.
kill -KILL "$pid_b"
hold dead "$a" $ip 1 connect refuse || exit 1
sleep 4
hold after "$a" $ip 4 connect || exit 1
hold after9 "$a" $ip 1 connect refuse || exit 1

for n in a4 a9 b9 excluded a9b dead after after9; do
	release $n
done
finish
