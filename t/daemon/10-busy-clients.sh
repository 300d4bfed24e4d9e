#!/bin/sh
# 10-busy-clients.sh - idle and slow clients delay nobody.  With three
# control clients connected and silent and one trickling a byte at a
# time, bulwarkctl status is answered while all four are still held
# (before the idle ones' deadline could have freed the server); more
# idle clients than there are slots still leave room for status; the
# trickler is dropped at its deadline, and the drop logged.  With 24
# idle HTTP clients that reconnect when dropped, every scrape of
# /metrics succeeds; malformed HTTP requests are logged at most once a
# second.
. "$SRCDIR/lib.sh"

d=$WORKDIR
hold_ports 1 || exit 1
port=$ports
track "$port_holder"
conf "$d/bulwark.conf" "$d"
sed -i "s|^metrics_listen = .*|metrics_listen = \"127.0.0.1:$port\";|" \
    "$d/bulwark.conf"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

# idle NAME: a control client that connects and sends nothing; its file
# says "connected", then "closed" once the daemon drops it.
idle() {
	perl -MIO::Socket::UNIX -e '
		$| = 1;
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "$!\n";
		print "connected\n";
		sysread($s, my $buf, 1);
		print "closed\n";
	' "$d/control.sock" >"$WORKDIR/$1.out" 2>&1 &
	track $!
}

# A client sending "s", "t", "a", ... one byte every half second, never
# a whole line.
perl -MIO::Socket::UNIX -e '
	$| = 1;
	$SIG{PIPE} = "IGNORE";
	my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "$!\n";
	print "connected\n";
	while (syswrite($s, "s", 1)) {
		select(undef, undef, undef, 0.5);
	}
	print "closed\n";
' "$d/control.sock" >"$WORKDIR/trickle.out" 2>&1 &
track $!
for i in 1 2 3; do
	idle "idle$i"
done
all_connected() {
	for f in idle1 idle2 idle3 trickle; do
		grep -q connected "$WORKDIR/$f.out" || return 1
	done
}
check "three idle control clients and a trickling one are connected" \
    wait_until all_connected
ctl_is 0 "bulwarkctl status is answered meanwhile" "$d" status
out_has "with the counters" "bulwark_connections_total"
none_closed() {
	! grep -q closed "$WORKDIR/idle1.out" "$WORKDIR/idle2.out" \
	    "$WORKDIR/idle3.out" "$WORKDIR/trickle.out"
}
check "answered while the four were still held" none_closed

trickle_dropped() {
	grep -q closed "$WORKDIR/trickle.out"
}
check "the trickling client is dropped at its deadline" \
    wait_until trickle_dropped
idle_dropped() {
	for f in idle1 idle2 idle3; do
		grep -q closed "$WORKDIR/$f.out" || return 1
	done
}
check "so are the idle ones" wait_until idle_dropped
check "the drop is logged" grep -q "event=control-drop reason=read-timeout" \
    "$d/log"

# More idle clients than slots (32): status still gets in.
i=4
while [ "$i" -le 40 ]; do
	idle "idle$i"
	i=$((i + 1))
done
forty_connected() {
	[ "$(cat "$WORKDIR"/idle*.out | grep -c connected)" -eq 40 ]
}
check "40 idle control clients connected" wait_until forty_connected
ctl_is 0 "bulwarkctl status is answered with every slot taken" "$d" status
check "a client that made room is logged" wait_until grep -q \
    "event=control-drop reason=busy" "$d/log"

# 24 idle HTTP clients, each reconnecting as soon as it is dropped.
perl -MIO::Socket::INET -MIO::Select -e '
	$| = 1;
	my ($port, $n) = @ARGV;
	my $sel = IO::Select->new;
	for (;;) {
		for my $s ($sel->can_read(0)) {
			next if sysread($s, my $buf, 4096);
			$sel->remove($s);
			close $s;
		}
		while ($sel->count < $n) {
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			    PeerPort => $port) or last;
			$sel->add($s);
		}
		print "holding\n" unless $said++;
		select(undef, undef, undef, 0.1);
	}
' "$port" 24 >"$WORKDIR/http-idle.out" 2>&1 &
track $!
check "24 idle HTTP clients connected" wait_until grep -q holding \
    "$WORKDIR/http-idle.out"
scraped=0
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	curl -s -m 5 -o "$WORKDIR/scrape" "http://127.0.0.1:$port/metrics" &&
	    grep -q '^bulwark_connections_total ' "$WORKDIR/scrape" &&
	    scraped=$((scraped + 1))
done
check "every scrape succeeds beside them ($scraped of 11)" test "$scraped" -eq 11

# Malformed requests: a flood, logged at most once a second.
before=$(log_count "$d/log" "event=metrics-http-error")
start=$(date +%s)
perl -MIO::Socket::INET -e '
	my $port = shift;
	for (1 .. 200) {
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
		    PeerPort => $port) or next;
		print $s "BAD\x01REQUEST \x7f\r\n\r\n";
		sysread($s, my $buf, 4096);
	}
' "$port"
took=$(($(date +%s) - start + 1))
sleep 1
logged=$(($(log_count "$d/log" "event=metrics-http-error") - before))
check "200 malformed requests: some logged ($logged)" test "$logged" -ge 1
check "at most one line a second ($logged in about $took s)" \
    test "$logged" -le "$((took + 1))"
check "no raw client byte in the log" sh -c \
    "! LC_ALL=C grep -q '[[:cntrl:]]' '$d/log'"
stop_fg "$pid"
check "stopped with status 0" test $? -eq 0
finish
