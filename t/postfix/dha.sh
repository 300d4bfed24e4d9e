# dha.sh - scenario 2: directory harvest attacks.
#
# Postfix validates recipients (smtpd_reject_unlisted_recipient with the
# local recipient table: alice and bob of test.example) and rejects the
# others with 550 5.1.1; bulwark counts those rejections (status_codes
# 5.1.1) and blocks a host after more than 3 within a minute.  Relay
# denials (554 5.7.1) are rejections too, but are not counted.

dha_setup() {
	next_port
	DHA_PORT=$PORT
	bw_config bw-dha <<EOF
exclude = [ "127.0.0.1" ];
dha = {
	max_invalid = 3;
	period = "1m";
	block = "1m";
	action = "tempfail";
	status_codes = [ "5.1.1" ];
};
EOF
	pf_service mx1 "$DHA_PORT" bw-dha
}

dha_run() {
	local log="$WORK/mx1/maillog" bwlog="$WORK/bw-dha.log"
	local a=198.51.100.20 b=198.51.100.21 n
	bw_start bw-dha || return

	# 5 relay denials and 3 unknown users: only the 3 count, no block.
	xsession "$DHA_PORT" "$a" "MAIL FROM:<sender@example.org>" \
	    "RCPT TO:<r1@relay.example>" "RCPT TO:<r2@relay.example>" \
	    "RCPT TO:<r3@relay.example>" "RCPT TO:<r4@relay.example>" \
	    "RCPT TO:<r5@relay.example>" "RCPT TO:<nobody1@test.example>" \
	    "RCPT TO:<nobody2@test.example>" "RCPT TO:<nobody3@test.example>" \
	    "RCPT TO:<alice@test.example>"
	expect_reply "dha: relay denied by Postfix" "RCPT TO:<r5@" "554 5.7.1"
	expect_reply "dha: unknown user rejected by Postfix" \
	    "RCPT TO:<nobody1@" "550 5.1.1"
	expect_reply "dha: unknown user rejected by Postfix" \
	    "RCPT TO:<nobody3@" "550 5.1.1"
	expect_reply "dha: 5 relay denials and 3 unknown users do not block" \
	    "RCPT TO:<alice@" 250
	expect_count "dha: Postfix logged the 5 relay denials" "$log" 5 \
	    "reject: RCPT from unknown[$a]: 554 5.7.1"
	expect_no_line "dha: bulwark did not block $a yet" "$bwlog" \
	    "event=block" "host=$a "

	# The 4th unknown user trips the rule; Postfix answers it with its
	# own 550, bulwark refuses the next command of the session.
	xsession "$DHA_PORT" "$a" "MAIL FROM:<sender@example.org>" \
	    "RCPT TO:<nobody4@test.example>" "RCPT TO:<alice@test.example>"
	expect_reply "dha: $a connects while under the threshold" XCLIENT 220
	expect_reply "dha: the 4th unknown user is rejected by Postfix" \
	    "RCPT TO:<nobody4@" "550 5.1.1"
	expect_reply "dha: the next recipient is refused" \
	    "RCPT TO:<alice@" "421 4.7.0"
	expect_hangup "dha: session of $a after the trip"
	expect_line "dha: Postfix logged the refusal of the session" "$log" \
	    "milter-reject: RCPT from unknown[$a]: 421 4.7.0 Too many invalid recipients from $a" \
	    "to=<alice@test.example>"
	expect_line "dha: bulwark logged the block" "$bwlog" \
	    "event=block" "detector=dha" "host=$a " "count=4" "threshold=3"

	xsession "$DHA_PORT" "$a"
	expect_reply "dha: $a is refused at its next connection" XCLIENT "421 "
	expect_hangup "dha: next connection of $a"
	expect_line "dha: Postfix logged the refusal at CONNECT" "$log" \
	    "milter-reject: XCLIENT from unknown[$a]: 421 4.7.0 Too many invalid recipients from $a"

	# Mail from another client still flows, and is delivered.
	deliver "$DHA_PORT" "$b" alice@test.example bob@test.example
	expect_delivered "dha: valid mail from $b" "$log" \
	    alice@test.example bob@test.example
	n=$(grep -c 'event=block' "$bwlog")
	if [ "$n" -eq 1 ]; then
		ok "dha: bulwark blocked exactly one host"
	else
		not_ok "dha: bulwark logged $n blocks, 1 expected"
		grep 'event=block' "$bwlog" | show
	fi
}
