# defaults.sh - scenario 8: bulwark's default rules against Postfix's
# default error limits.
#
# bw-defaults sets nothing but its sockets and an exclude list without
# 127.0.0.1; its smtpd takes Postfix's own defaults for the error limits
# (smtpd_soft_error_limit, smtpd_hard_error_limit, smtpd_junk_command_limit,
# as "postconf -d" gives them), not the relaxed ones of the other
# scenarios; only smtpd_error_sleep_time is 0, which changes no count.
# A harvest inside one session (unknown
# users, one after the other, until Postfix hangs up on "too many
# errors") must trip the DHA rule before the hang-up, so the host is
# refused at its next connection; a client sending unknown commands must
# be flagged before the hang-up too.  (Postfix answers the unknown users
# after the trip with its own 550: it ignores a milter's verdict on a
# recipient it rejected itself.)

# The default of a Postfix parameter, without its "stress" variant.
pf_default() {
	postconf -dh "$1" | sed 's/^\${stress?{[0-9]*}:{\([^}]*\)}}$/\1/'
}

defaults_setup() {
	next_port
	DEFAULTS_PORT=$PORT
	echo 'exclude = [ "::1" ];' | bw_config bw-defaults
	pf_service mx1 "$DEFAULTS_PORT" bw-defaults \
	    "-o smtpd_soft_error_limit=$(pf_default smtpd_soft_error_limit)" \
	    "-o smtpd_hard_error_limit=$(pf_default smtpd_hard_error_limit)" \
	    "-o smtpd_error_sleep_time=0" \
	    "-o smtpd_junk_command_limit=$(pf_default smtpd_junk_command_limit)"
}

defaults_run() {
	local log="$WORK/mx1/maillog" bwlog="$WORK/bw-defaults.log"
	local a=198.51.100.80 b=198.51.100.81 hard i
	bw_start bw-defaults || return
	hard=$(pf_default smtpd_hard_error_limit)
	if [ "$hard" -ge 2 ] 2>/dev/null; then
		ok "defaults: Postfix's smtpd_hard_error_limit is $hard"
	else
		not_ok "defaults: cannot read smtpd_hard_error_limit ('$hard')"
		return
	fi

	# Unknown users until Postfix hangs up.
	set -- "MAIL FROM:<sender@example.org>"
	i=1
	while [ "$i" -le "$((hard + 1))" ]; do
		set -- "$@" "RCPT TO:<harvest$i@test.example>"
		i=$((i + 1))
	done
	xsession "$DEFAULTS_PORT" "$a" "$@"
	expect_text "defaults: Postfix hung up on the harvest at its limit" \
	    "Error: too many errors"
	expect_line "defaults: bulwark blocked $a for DHA within the session" \
	    "$bwlog" "event=block" "detector=dha" "host=$a "
	xsession "$DEFAULTS_PORT" "$a"
	expect_reply "defaults: $a is refused at its next connection" XCLIENT \
	    "421 "

	# Unknown commands: flagged as a possible attack before Postfix
	# counts them to its hard limit.
	set --
	i=1
	while [ "$i" -le "$((hard + 1))" ]; do
		set -- "$@" "XYZZY$i"
		i=$((i + 1))
	done
	xsession "$DEFAULTS_PORT" "$b" "$@"
	expect_line "defaults: bulwark flagged $b's unknown commands" "$bwlog" \
	    "event=flag" "host=$b "
}
