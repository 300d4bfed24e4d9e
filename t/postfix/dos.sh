# dos.sh - scenario 1: connection floods.
#
# bw-dos: more than 3 connections from a host within a minute block it
# for 3 seconds; retries during the block do not extend it.
# bw-slide: more than 2 connections block for 3 seconds, and every refused
# retry starts the 3 seconds again.
# Blocks end on whole seconds, so the timed checks count from the start
# of a second (clock_start, at in lib.sh) and fall at least 0.4 s inside
# or past the end of a block.

dos_setup() {
	next_port
	DOS_PORT=$PORT
	next_port
	SLIDE_PORT=$PORT
	bw_config bw-dos <<EOF
exclude = [ "127.0.0.1" ];
dos = {
	max_connections = 3;
	period = "1m";
	block = 3;
	sliding = false;
	action = "tempfail";
	reply = "%a: too many connections (100%% sure)";
};
EOF
	bw_config bw-slide <<EOF
exclude = [ "127.0.0.1" ];
dos = { max_connections = 2; period = "1m"; block = 3; sliding = true; };
EOF
	pf_service mx1 "$DOS_PORT" bw-dos
	pf_service mx1 "$SLIDE_PORT" bw-slide
}

# dos_flood PORT ADDR N: N connections from ADDR, each greeted with 220.
dos_flood() {
	local port="$1" addr="$2" n=1
	while [ $n -le "$3" ]; do
		xsession "$port" "$addr"
		expect_reply "dos: connection $n from $addr" XCLIENT 220
		n=$((n + 1))
	done
}

dos_run() {
	local log="$WORK/mx1/maillog" bwlog="$WORK/bw-dos.log"
	local a=192.0.2.10 b=192.0.2.11
	bw_start bw-dos || return
	bw_start bw-slide || return

	dos_flood "$DOS_PORT" "$a" 3
	clock_start
	xsession "$DOS_PORT" "$a"
	expect_reply "dos: connection 4 from $a is refused" XCLIENT "421 "
	expect_hangup "dos: connection 4 from $a"

	xsession "$DOS_PORT" "$b" "MAIL FROM:<sender@example.org>" \
	    "RCPT TO:<alice@test.example>"
	expect_reply "dos: another address is unaffected" XCLIENT 220
	expect_reply "dos: another address is unaffected" "RCPT TO" 250
	dos_real

	# The block ends 3 s after the trip's second.  A retry at 2.5 s is
	# refused; with a sliding block it would keep the host out until 5 s.
	at 2.5
	xsession "$DOS_PORT" "$a"
	expect_reply "dos: a retry 2.5 s into the block is refused" XCLIENT "421 "
	expect_hangup "dos: retry from $a"
	at 3.4
	xsession "$DOS_PORT" "$a" "MAIL FROM:<sender@example.org>"
	expect_reply "dos: $a is served when the block ends (retries do not extend it)" \
	    XCLIENT 220
	expect_reply "dos: $a is served again" "MAIL FROM" 250
	# Log checks may wait for a line: after the timed part.
	expect_line "dos: Postfix logged the milter refusal with bulwark's reply" \
	    "$log" "milter-reject: XCLIENT from unknown[$a]: 421 4.7.0 $a: too many connections (100% sure)"
	expect_line "dos: bulwark logged the block" "$bwlog" \
	    "event=block" "detector=dos" "host=$a " "count=4" "sliding=no"
	expect_count "dos: Postfix logged exactly the 2 refusals of $a" "$log" 2 \
	    "milter-reject: XCLIENT from unknown[$a]: 421"
	expect_line "dos: Postfix logged the refusal at CONNECT" "$log" \
	    "milter-reject: CONNECT from unknown[127.0.0.10]: 421 4.7.0 127.0.0.10: too many connections"

	dos_ipv6
	dos_sliding
}

# The real CONNECT, without XCLIENT: from a bound loopback address.
dos_real() {
	local real=127.0.0.10 n=1
	while [ $n -le 3 ]; do
		session "$DOS_PORT" -b "$real" "EHLO client.test"
		expect_reply "dos: real connection $n from $real" greeting 220
		n=$((n + 1))
	done
	session "$DOS_PORT" -b "$real" "EHLO client.test"
	expect_reply "dos: real connection 4 from $real is refused" greeting "421 "
	expect_hangup "dos: real connection 4 from $real"
}

# IPv6 hosts are counted per /64 (ipv6_prefix defaults to 64).
dos_ipv6() {
	local log="$WORK/mx1/maillog" n=1
	while [ $n -le 3 ]; do
		xsession "$DOS_PORT" "IPV6:2001:db8:1::$n"
		expect_reply "dos ipv6: connection from 2001:db8:1::$n" XCLIENT 220
		n=$((n + 1))
	done
	xsession "$DOS_PORT" "IPV6:2001:db8:1::ff"
	expect_reply "dos ipv6: a 4th address of the same /64 is refused" \
	    XCLIENT "421 "
	expect_line "dos ipv6: Postfix logged the refusal" "$log" \
	    "milter-reject: XCLIENT from unknown[2001:db8:1::ff]: 421 4.7.0"
	expect_line "dos ipv6: bulwark blocked the /64" "$WORK/bw-dos.log" \
	    "event=block" "detector=dos" "host=2001:db8:1::/64 "
	xsession "$DOS_PORT" "IPV6:2001:db8:2::1"
	expect_reply "dos ipv6: another /64 is served" XCLIENT 220
}

dos_sliding() {
	local log="$WORK/mx1/maillog" a=192.0.2.20
	dos_flood "$SLIDE_PORT" "$a" 2
	clock_start
	xsession "$SLIDE_PORT" "$a"
	expect_reply "dos sliding: connection 3 from $a is refused" XCLIENT "421 "
	expect_hangup "dos sliding: connection 3 from $a"
	at 2.5
	xsession "$SLIDE_PORT" "$a"
	expect_reply "dos sliding: a retry 2.5 s into the block is refused" \
	    XCLIENT "421 "
	# A fixed block would have ended at 3 s; this one now ends at 5 s.
	at 4.5
	xsession "$SLIDE_PORT" "$a"
	expect_reply "dos sliding: a retry at 4.5 s is still refused" \
	    XCLIENT "421 "
	expect_hangup "dos sliding: retry from $a"
	at 7.4
	xsession "$SLIDE_PORT" "$a"
	expect_reply "dos sliding: served 3 s after the last retry" XCLIENT 220
	expect_count "dos sliding: Postfix logged exactly the 3 refusals of $a" \
	    "$log" 3 \
	    "milter-reject: XCLIENT from unknown[$a]: 421 4.7.0 Too many connections from $a,"
	expect_line "dos sliding: bulwark logged a sliding block" \
	    "$WORK/bw-slide.log" "event=block" "detector=dos" "host=$a " \
	    "sliding=yes"
}
