# lists.sh - scenario 4: exclusions and the static blocked list.
#
# bw-lists (more than 2 connections block a host) excludes
# 192.0.2.128/25 (exclude) and 203.0.113.128/25 (exclude_file): those
# hosts are never counted.  It refuses 198.51.100.64/26, 192.0.2.200
# (also excluded: blocked wins) and 127.0.0.20 (blocked), and
# 203.0.113.77 (blocked_file) at CONNECT with 554 (blocked_action =
# reject).
# bw-lists-tf refuses its blocked host with 421 (blocked_action =
# tempfail).

lists_setup() {
	next_port
	LISTS_PORT=$PORT
	next_port
	LISTS_TF_PORT=$PORT
	printf '# excluded by file\n203.0.113.128/25\n' >"$WORK/exclude.list"
	printf '203.0.113.77  # blocked by file\n' >"$WORK/blocked.list"
	bw_config bw-lists <<EOF
exclude = [ "127.0.0.1", "192.0.2.128/25" ];
exclude_file = "$WORK/exclude.list";
blocked = [ "198.51.100.64/26", "192.0.2.200", "127.0.0.20" ];
blocked_file = "$WORK/blocked.list";
blocked_action = "reject";
dos = { max_connections = 2; period = "1m"; block = "1m"; };
EOF
	bw_config bw-lists-tf <<EOF
exclude = [ "127.0.0.1" ];
blocked = [ "198.51.100.70" ];
blocked_action = "tempfail";
EOF
	pf_service mx1 "$LISTS_PORT" bw-lists
	pf_service mx1 "$LISTS_TF_PORT" bw-lists-tf
}

# lists_never_blocked ADDR WHY: 5 connections from ADDR, all served.
lists_never_blocked() {
	local n=1
	while [ $n -le 5 ]; do
		xsession "$LISTS_PORT" "$1"
		expect_reply "lists: $2 $1, connection $n" XCLIENT 220
		n=$((n + 1))
	done
	expect_no_line "lists: bulwark never refused $2 $1" "$WORK/bw-lists.log" \
	    "event=refuse" "host=$1 "
}

# lists_rejected ADDR WHY: ADDR is refused with 554 at CONNECT; Postfix
# keeps the session open but refuses MAIL with bulwark's reply.
lists_rejected() {
	local log="$WORK/mx1/maillog"
	xsession "$LISTS_PORT" "$1" "MAIL FROM:<sender@example.org>"
	expect_reply "lists: $2 $1 is refused" XCLIENT "554 "
	expect_reply "lists: $2 $1 cannot send" "MAIL FROM" "554 5.7.1"
	expect_line "lists: Postfix logged the refusal of $1" "$log" \
	    "milter-reject: XCLIENT from unknown[$1]: 554 5.7.1"
}

lists_run() {
	local log="$WORK/mx1/maillog" a=192.0.2.50
	bw_start bw-lists || return
	bw_start bw-lists-tf || return

	# The DoS rule is live for hosts on no list.
	xsession "$LISTS_PORT" "$a"
	xsession "$LISTS_PORT" "$a"
	xsession "$LISTS_PORT" "$a"
	expect_reply "lists: $a (no list) is blocked by the DoS rule" \
	    XCLIENT "421 "

	lists_never_blocked 192.0.2.130 "excluded"
	lists_never_blocked 203.0.113.130 "excluded by exclude_file"
	lists_rejected 198.51.100.70 "blocked (prefix)"
	lists_rejected 192.0.2.200 "blocked and excluded"
	lists_rejected 203.0.113.77 "blocked by blocked_file"
	# The real CONNECT, without XCLIENT, from a bound loopback address.
	session "$LISTS_PORT" -b 127.0.0.20 "EHLO client.test" \
	    "MAIL FROM:<sender@example.org>"
	expect_reply "lists: blocked 127.0.0.20 is refused at connect" \
	    greeting "554 "
	expect_reply "lists: blocked 127.0.0.20 cannot send" "MAIL FROM" \
	    "554 5.7.1"
	expect_line "lists: Postfix logged the refusal of 127.0.0.20" "$log" \
	    "milter-reject: CONNECT from unknown[127.0.0.20]: 554 5.7.1"
	expect_line "lists: bulwark logged the blocked-list refusal" \
	    "$WORK/bw-lists.log" "event=refuse" "host=192.0.2.200 "

	xsession "$LISTS_TF_PORT" 198.51.100.70
	expect_reply "lists: blocked_action tempfail refuses with 421" \
	    XCLIENT "421 "
	expect_hangup "lists: blocked_action tempfail"
	expect_line "lists: Postfix logged the tempfail refusal" "$log" \
	    "milter-reject: XCLIENT from unknown[198.51.100.70]: 421 4.7.0"
	xsession "$LISTS_TF_PORT" 198.51.100.71 "MAIL FROM:<sender@example.org>"
	expect_reply "lists: a neighbour of the blocked host is served" \
	    "MAIL FROM" 250
}
