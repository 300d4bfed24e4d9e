# down.sh - scenario 6: bulwark not running.
#
# Two smtpd services use the same bulwark (bw-down, which refuses
# 192.0.2.99 with 421): one with milter_default_action = accept, one with
# tempfail.  While bulwark is not running (never started: no socket;
# crashed: a socket nobody listens on) the first lets all mail through,
# even from the blocked host, and the second defers every transaction.

down_setup() {
	next_port
	DOWN_ACCEPT_PORT=$PORT
	next_port
	DOWN_TEMPFAIL_PORT=$PORT
	bw_config bw-down <<EOF
exclude = [ "127.0.0.1" ];
blocked = [ "192.0.2.99" ];
blocked_action = "tempfail";
EOF
	pf_service mx1 "$DOWN_ACCEPT_PORT" bw-down -o milter_default_action=accept
	pf_service mx1 "$DOWN_TEMPFAIL_PORT" bw-down \
	    -o milter_default_action=tempfail
}

# down_check WHEN ERROR CLIENT: bulwark is not running; Postfix logs ERROR
# when it tries the milter; CLIENT is the address for the tempfail port.
down_check() {
	local log="$WORK/mx1/maillog"
	deliver "$DOWN_ACCEPT_PORT" 192.0.2.99 alice@test.example
	expect_delivered "down ($1), accept: mail from the blocked host" \
	    "$log" alice@test.example
	expect_log "down ($1): Postfix logged the milter failure" "$log" \
	    "warning: connect to Milter service unix:$WORK/bw-down.sock: $2"
	xsession "$DOWN_TEMPFAIL_PORT" "$3" "MAIL FROM:<sender@example.org>" \
	    "RCPT TO:<alice@test.example>"
	expect_reply "down ($1), tempfail: MAIL is deferred" "MAIL FROM" \
	    "451 4.7.1"
	expect_line "down ($1), tempfail: Postfix logged the deferral" "$log" \
	    "milter-reject: MAIL from unknown[$3]: 451 4.7.1"
}

# down_running WHEN: bulwark filters on both services.
down_running() {
	xsession "$DOWN_ACCEPT_PORT" 192.0.2.99
	expect_reply "down ($1), accept: bulwark refuses the blocked host" \
	    XCLIENT "421 "
	xsession "$DOWN_TEMPFAIL_PORT" 192.0.2.99
	expect_reply "down ($1), tempfail: bulwark refuses the blocked host" \
	    XCLIENT "421 "
	deliver "$DOWN_ACCEPT_PORT" 192.0.2.92 bob@test.example
	expect_delivered "down ($1): mail from another host" \
	    "$WORK/mx1/maillog" bob@test.example
}

down_run() {
	down_check "never started" "No such file or directory" 192.0.2.91
	bw_start bw-down || return
	down_running "running"
	bw_kill bw-down
	if [ -S "$WORK/bw-down.sock" ]; then
		ok "down: a crash leaves the socket behind"
	else
		not_ok "down: no socket left after SIGKILL: cannot test a crash"
	fi
	down_check "crashed" "Connection refused" 192.0.2.93
	bw_start bw-down || return
	down_running "restarted over the stale socket"
}
