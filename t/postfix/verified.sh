# verified.sh - scenario: exclude_verified_domains.
#
# A chrooted smtpd resolves client names with the system resolver, which
# inside the chroot reads the queue directory's etc/hosts: this scenario
# writes that file, so 127.0.0.2 is mx1.mail.google.com and 127.0.0.3
# mail.example.net, both forward-confirmed by Postfix itself.  The
# harness connects from those addresses (no XCLIENT).  The unverified
# case is Postfix's own: XCLIENT gives the client a PTR name
# (REVERSE_NAME) that is not confirmed (NAME=[UNAVAILABLE]), so Postfix
# sets {client_name} to "unknown".  bulwark allows one connection a
# minute and excludes google.com.

verified_setup() {
	local queue="$WORK/mx1/queue" milter_port
	next_port
	VERIFIED_PORT=$PORT
	next_port
	milter_port=$PORT
	mkdir -p "$queue/etc"
	cat >"$queue/etc/hosts" <<EOF2
127.0.0.1	localhost
127.0.0.2	mx1.mail.google.com
127.0.0.3	mail.example.net
EOF2
	printf 'hosts: files\n' >"$queue/etc/nsswitch.conf"
	bw_config bw-verified "inet:$milter_port@127.0.0.1" <<EOF2
exclude = [ "127.0.0.1" ];
exclude_verified_domains = [ "google.com", "Outlook.com" ];
dos = {
	max_connections = 1;
	period = "1m";
	block = "1m";
	action = "tempfail";
};
EOF2
	echo "127.0.0.1:$VERIFIED_PORT inet n - y - - smtpd" \
	    "-o smtpd_milters=inet:127.0.0.1:$milter_port" \
	    "-o syslog_name=postfix/bw-verified" >>"$WORK/mx1/etc/master.cf"
}

verified_run() {
	local log="$WORK/mx1/maillog" bwlog="$WORK/bw-verified.log" i
	bw_start bw-verified || return

	for i in 1 2 3; do
		session "$VERIFIED_PORT" -b 127.0.0.2 "EHLO client.test"
		expect_reply "verified: connection $i of mx1.mail.google.com" \
		    EHLO 250
	done
	expect_line "verified: Postfix confirmed the name" "$log" \
	    "connect from mx1.mail.google.com[127.0.0.2]"
	expect_line "verified: bulwark excluded the verified name" "$bwlog" \
	    "event=exclude" "addr=127.0.0.2 " "reason=verified-domain"
	expect_no_line "verified: no refusal of 127.0.0.2" "$bwlog" \
	    "event=refuse" "addr=127.0.0.2 "

	# A verified name of another domain is counted.
	session "$VERIFIED_PORT" -b 127.0.0.3 "EHLO client.test"
	expect_reply "verified: first connection of mail.example.net" EHLO 250
	session "$VERIFIED_PORT" -b 127.0.0.3 "EHLO client.test"
	expect_text "verified: mail.example.net is counted and refused" "421"
	expect_line "verified: Postfix confirmed the other name" "$log" \
	    "connect from mail.example.net[127.0.0.3]"

	# The same name as an unverified PTR never matches.
	session "$VERIFIED_PORT" "EHLO client.test" \
	    "XCLIENT NAME=[UNAVAILABLE] REVERSE_NAME=mx1.mail.google.com ADDR=198.51.100.60"
	expect_reply "verified: unverified mx1.mail.google.com connects once" \
	    XCLIENT 220
	session "$VERIFIED_PORT" "EHLO client.test" \
	    "XCLIENT NAME=[UNAVAILABLE] REVERSE_NAME=mx1.mail.google.com ADDR=198.51.100.60"
	expect_reply "verified: unverified mx1.mail.google.com is counted" \
	    XCLIENT "421 "
	expect_no_line "verified: the unverified PTR is not excluded" "$bwlog" \
	    "event=exclude" "addr=198.51.100.60 "
}
