#!/bin/sh
# 04-stop.sh - stopping: SIGTERM and SIGINT stop the daemon at once,
# also with milter connections open, with status 0, removing its sockets
# and pid file; sockets left by a daemon that was killed are replaced at
# the next start; a stopped daemon is not reachable any more.
. "$SRCDIR/lib.sh"

d=$WORKDIR
sock=$d/bulwark.sock
conf "$d/bulwark.conf" "$d"

# stop_checks NAME SIGNAL: stop $pid with SIGNAL, checking what follows.
stop_checks() {
	start=$(date +%s%N)
	kill -"$2" "$pid"
	wait "$pid"
	rc=$?
	took=$((($(date +%s%N) - start) / 1000000))
	check "$1: status 0" test "$rc" -eq 0
	check "$1: stopped within a second (${took} ms)" test "$took" -lt 1000
	check "$1: milter socket removed" test ! -e "$sock"
	check "$1: control socket removed" test ! -e "$d/control.sock"
	check "$1: pid file removed" test ! -e "$d/bulwark.pid"
	check "$1: stop logged" test "$(log_count "$d/log" "event=stop status=ok")" \
	    -eq 1
}

start_fg bulwark "$d/bulwark.conf" "$d" || exit 1
check "SIGTERM: the daemon serves first" connect "$sock" 192.0.2.1 continue
stop_checks SIGTERM TERM
check "SIGTERM: the signal is logged" test "$(log_count "$d/log" \
    "event=stopping signal=TERM")" -eq 1

start_fg bulwark "$d/bulwark.conf" "$d" || exit 1
stop_checks SIGINT INT
check "SIGINT: the signal is logged" test "$(log_count "$d/log" \
    "event=stopping signal=INT")" -eq 1

# With a milter connection open in the middle of a session.
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1
perl -MIO::Socket::UNIX -e '
	$| = 1;
	my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "$!\n";
	# SMFIC_OPTNEG, version 6, every action, every protocol step.
	syswrite($s, pack("NaNNN", 13, "O", 6, 0x1ff, 0x1fffff));
	sysread($s, my $buf, 1024);
	print "negotiated\n";
	sleep 10;
' "$sock" >"$WORKDIR/open.out" 2>&1 &
client=$!
track "$client"
check "a client holds a milter connection" wait_until grep -q negotiated \
    "$WORKDIR/open.out"
stop_checks "SIGTERM with a connection open" TERM
kill "$client" 2>/dev/null

# Sockets left behind by a killed daemon are replaced.
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "a killed daemon leaves its sockets" test -S "$sock" -a \
    -S "$d/control.sock"
start_fg bulwark "$d/bulwark.conf" "$d"
check "the next start replaces them" test $? -eq 0
check "and serves" connect "$sock" 192.0.2.2 continue
ctl_is 0 "and answers bulwarkctl" "$d" status

# A second daemon on the same control socket is refused.
mkdir "$d/other"
conf "$d/second.conf" "$d/other"
sed -i "s|^control = .*|control = \"unix:$d/control.sock\";|" "$d/second.conf"
"$BULWARK" -f -c "$d/second.conf" 2>"$WORKDIR/second.err"
check "a control socket in use: status 1" test $? -eq 1
check "a control socket in use: said" grep -qF \
    "control unix:$d/control.sock: $d/control.sock is in use by a running process" \
    "$WORKDIR/second.err"
check "the refused daemon removed the milter socket it made" \
    test ! -e "$d/other/bulwark.sock"
stop_fg "$pid"
check "stopped with status 0" test $? -eq 0
ctl_is 3 "after the stop bulwarkctl cannot connect" "$d" status
finish
