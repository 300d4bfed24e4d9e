# attack.sh - scenario 3: possible SMTP attacks.
#
# A connection with more than 3 unexpected commands (unknown commands,
# repeated HELO/EHLO) is flagged.  bw-atk-log only logs it; bw-atk-drop
# refuses the command that flags it with 421 (Postfix hangs up) and
# blocks a host whose second connection within a minute is flagged.
# A third service keeps Postfix's own limit of 20 errors per session
# (smtpd_hard_error_limit): bulwark flags before Postfix drops the client.

attack_setup() {
	next_port
	ATK_LOG_PORT=$PORT
	next_port
	ATK_DROP_PORT=$PORT
	next_port
	ATK_LIMIT_PORT=$PORT
	bw_config bw-atk-log <<EOF
exclude = [ "127.0.0.1" ];
attack = { max_commands = 3; count = [ "helo", "unknown" ]; action = "log"; };
EOF
	bw_config bw-atk-drop <<EOF
exclude = [ "127.0.0.1" ];
attack = {
	max_commands = 3;
	action = "tempfail";
	max_flagged = 1;
	period = "1m";
	block = "1m";
};
EOF
	pf_service mx1 "$ATK_LOG_PORT" bw-atk-log
	# Postfix's limit on errors at its default, without the delays.
	pf_service mx1 "$ATK_LIMIT_PORT" bw-atk-log \
	    -o smtpd_hard_error_limit=20 -o smtpd_error_sleep_time=0
	pf_service mx1 "$ATK_DROP_PORT" bw-atk-drop
}

attack_run() {
	bw_start bw-atk-log || return
	bw_start bw-atk-drop || return
	attack_logged
	attack_dropped
}

attack_logged() {
	local log="$WORK/mx1/maillog" bwlog="$WORK/bw-atk-log.log"
	local a=203.0.113.30 b=203.0.113.31 c=203.0.113.32

	xsession "$ATK_LOG_PORT" "$a" FOO1 FOO2 FOO3 FOO4 FOO5 \
	    "MAIL FROM:<sender@example.org>"
	expect_reply "attack log: unknown commands get Postfix's reply" \
	    FOO5 "500 5.5.2"
	expect_reply "attack log: the flagged session goes on" "MAIL FROM" 250
	expect_line "attack log: bulwark flagged $a" "$bwlog" \
	    "event=flag" "host=$a " "action=log"
	expect_line "attack log: Postfix saw the 5 unknown commands" "$log" \
	    "disconnect from unknown[$a]" "unknown=0/5"

	# Exactly max_commands unknown commands: not flagged.
	xsession "$ATK_LOG_PORT" "$b" FOO1 FOO2 FOO3
	expect_log "attack log: session of $b ended" "$log" \
	    "disconnect from unknown[$b]"
	expect_no_line "attack log: $b (3 unknown commands) is not flagged" \
	    "$bwlog" "event=flag" "host=$b "

	# The EHLO after XCLIENT is expected; 4 more are not.
	xsession "$ATK_LOG_PORT" "$c" "EHLO again.test" "HELO again.test" \
	    "EHLO again.test" "EHLO again.test" "MAIL FROM:<sender@example.org>"
	expect_reply "attack log: repeated EHLO still answered" "HELO" 250
	expect_line "attack log: bulwark flagged $c for repeated HELO/EHLO" \
	    "$bwlog" "event=flag" "host=$c " "action=log"
	attack_postfix_limit
}

# Postfix drops a client after smtpd_hard_error_limit (20) errors, so
# attack.max_commands must stay below it to see anything.
attack_postfix_limit() {
	local a=203.0.113.33 n=1 cmds=
	while [ $n -le 22 ]; do
		cmds="$cmds FOO$n"
		n=$((n + 1))
	done
	# shellcheck disable=SC2086
	xsession "$ATK_LIMIT_PORT" "$a" $cmds
	expect_reply "attack limit: the 20th unknown command is answered" \
	    FOO20 "500 5.5.2"
	expect_reply "attack limit: Postfix drops the client at the 21st" \
	    FOO21 "421 4.7.0"
	expect_text "attack limit: Postfix's own reason" "Error: too many errors"
	expect_hangup "attack limit: Postfix's drop"
	expect_line "attack limit: bulwark flagged $a before that" \
	    "$WORK/bw-atk-log.log" "event=flag" "host=$a " "unknown=4"
}

attack_dropped() {
	local log="$WORK/mx1/maillog" bwlog="$WORK/bw-atk-drop.log"
	local a=203.0.113.40 b=203.0.113.41

	xsession "$ATK_DROP_PORT" "$a" FOO1 FOO2 FOO3 FOO4 FOO5
	expect_reply "attack drop: 3 unknown commands are answered" \
	    FOO3 "500 5.5.2"
	expect_reply "attack drop: the 4th is refused" FOO4 "421 4.7.0"
	expect_hangup "attack drop: flagged session of $a"
	expect_line "attack drop: Postfix logged the refusal" "$log" \
	    "milter-reject: UNKNOWN from unknown[$a]: 421 4.7.0 Possible SMTP attack from $a"
	expect_line "attack drop: bulwark flagged $a" "$bwlog" \
	    "event=flag" "host=$a " "action=tempfail"

	# A second flagged connection within the period blocks the host.
	xsession "$ATK_DROP_PORT" "$a" FOO1 FOO2 FOO3 FOO4
	expect_reply "attack drop: second flagged session refused" \
	    FOO4 "421 4.7.0"
	expect_line "attack drop: bulwark blocked $a" "$bwlog" \
	    "event=block" "detector=attack" "host=$a "
	xsession "$ATK_DROP_PORT" "$a"
	expect_reply "attack drop: blocked $a is refused at connect" \
	    XCLIENT "421 "
	expect_hangup "attack drop: next connection of $a"
	expect_line "attack drop: Postfix logged the refusal at CONNECT" "$log" \
	    "milter-reject: XCLIENT from unknown[$a]: 421 4.7.0 Possible SMTP attack from $a"

	xsession "$ATK_DROP_PORT" "$b" "MAIL FROM:<sender@example.org>"
	expect_reply "attack drop: another address is served" "MAIL FROM" 250
}
