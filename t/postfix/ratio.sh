# ratio.sh - scenario: dha.min_ratio and escalate in a real Postfix.
#
# bw-ratio: more than 20 invalid recipients in 5 minutes block, but only
# when they are at least half of the host's recipients.  A list server
# sending 300 recipients, 30 of them unknown, is not blocked; a harvester
# with 21 unknown of 25 is, and told by whom and until when (%d, %u).
#
# bw-escalate: more than 1 connection a minute blocks for 2 s; a host
# blocked again within a minute of its block's end is blocked twice as
# long (escalate factor 2).  Blocks end on whole seconds (lib.sh clock).

ratio_setup() {
	next_port
	RATIO_PORT=$PORT
	next_port
	ESCALATE_PORT=$PORT
	bw_config bw-ratio <<EOF2
exclude = [ "127.0.0.1" ];
dha = {
	max_invalid = 20;
	min_ratio = 0.5;
	period = "5m";
	block = "1m";
	action = "tempfail";
	reply = "Blocked by %d until %u";
};
EOF2
	bw_config bw-escalate <<EOF2
exclude = [ "127.0.0.1" ];
dos = {
	max_connections = 1;
	period = "1m";
	block = "2s";
	action = "tempfail";
	escalate = { factor = 2; max = "1m"; forget = "1m"; };
};
EOF2
	pf_service mx1 "$RATIO_PORT" bw-ratio
	pf_service mx1 "$ESCALATE_PORT" bw-escalate
}

# rcpts VALID INVALID: "RCPT TO" commands, every tenth one unknown while
# unknown ones are left, valid ones alternating alice and bob.
rcpts() {
	awk -v valid="$1" -v invalid="$2" 'BEGIN {
		for (i = 1; valid + invalid > 0; i++) {
			if (invalid > 0 && (i % 10 == 0 || valid == 0)) {
				printf "RCPT TO:<gone%d@test.example>\n", i; invalid--
			} else {
				printf "RCPT TO:<%s@test.example>\n", i % 2 ? "alice" : "bob"; valid--
			}
		}
	}'
}

ratio_min_ratio() {
	local log="$WORK/mx1/maillog" bwlog="$WORK/bw-ratio.log"
	local list=198.51.100.30 harvester=198.51.100.31 IFS='
'
	bw_start bw-ratio || return
	# shellcheck disable=SC2046
	xsession "$RATIO_PORT" "$list" "MAIL FROM:<news@example.org>" \
	    $(rcpts 270 30) "RCPT TO:<alice@test.example>"
	expect_count "ratio: Postfix rejected the 30 unknown recipients" "$log" \
	    30 "reject: RCPT from unknown[$list]: 550 5.1.1"
	expect_reply "ratio: 30 invalid of 300 recipients do not block" \
	    "RCPT TO:<alice@" 250
	xsession "$RATIO_PORT" "$list"
	expect_reply "ratio: the list server connects again" XCLIENT 220
	expect_no_line "ratio: bulwark did not block the list server" "$bwlog" \
	    "event=block" "host=$list "

	# shellcheck disable=SC2046
	xsession "$RATIO_PORT" "$harvester" "MAIL FROM:<x@example.org>" \
	    $(rcpts 4 21) "RCPT TO:<alice@test.example>"
	expect_hangup "ratio: the harvester's session after the trip"
	expect_line "ratio: the harvester's next recipient was refused" "$log" \
	    "milter-reject: RCPT from unknown[$harvester]: 421 4.7.0 Blocked by dha until $(date -u +%Y-)"
	expect_line "ratio: bulwark blocked the harvester" "$bwlog" \
	    "event=block" "detector=dha" "host=$harvester " "count=21" \
	    "threshold=20"
	xsession "$RATIO_PORT" "$harvester"
	expect_reply "ratio: the harvester is refused at CONNECT" XCLIENT "421 "
}

ratio_escalate() {
	local a=198.51.100.32
	bw_start bw-escalate || return
	clock_start
	xsession "$ESCALATE_PORT" "$a"
	expect_reply "escalate: first connection" XCLIENT 220
	xsession "$ESCALATE_PORT" "$a"
	expect_reply "escalate: the second trips a 2 s block" XCLIENT "421 "
	at 1.5
	xsession "$ESCALATE_PORT" "$a"
	expect_reply "escalate: still blocked at 1.5 s" XCLIENT "421 "
	at 2.3
	xsession "$ESCALATE_PORT" "$a"
	expect_reply "escalate: the first block ended at 2 s" XCLIENT 220
	xsession "$ESCALATE_PORT" "$a"
	expect_reply "escalate: the repeat offender trips again" XCLIENT "421 "
	# Twice as long: 4 s from 2 s.  A 2 s block would end at 4 s.
	at 5.5
	xsession "$ESCALATE_PORT" "$a"
	expect_reply "escalate: the second block still holds at 5.5 s" \
	    XCLIENT "421 "
	at 6.4
	xsession "$ESCALATE_PORT" "$a"
	expect_reply "escalate: the second block ended at 6 s" XCLIENT 220
	expect_line "escalate: the second block is logged at level 1" \
	    "$WORK/bw-escalate.log" "event=block" "host=$a " "level=1"
}

ratio_run() {
	ratio_min_ratio
	ratio_escalate
}
