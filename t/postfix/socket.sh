# socket.sh - scenario 7: the recipes of contrib/postfix.
#
# bw-chroot listens on QUEUE/bulwark/bulwark.sock, mode 0660, in a
# set-group-ID directory of group postfix.  One smtpd service runs
# chrooted in the queue directory ("y" in the chroot column), one does
# not; both name the milter unix:bulwark/bulwark.sock, relative to the
# queue directory.  bw-inet listens on inet:PORT@127.0.0.1, reached as
# inet:127.0.0.1:PORT.  Both refuse 192.0.2.99 (blocked list) with 421.
# And main.cf.snippet is valid main.cf.

socket_rules() {
	cat <<EOF
exclude = [ "127.0.0.1" ];
blocked = [ "192.0.2.99" ];
blocked_action = "tempfail";
EOF
}

socket_setup() {
	local dir="$WORK/mx1/queue/bulwark" milter_port
	next_port
	CHROOT_PORT=$PORT
	next_port
	NOCHROOT_PORT=$PORT
	next_port
	INET_PORT=$PORT
	next_port
	milter_port=$PORT
	mkdir -p "$dir"
	chgrp postfix "$dir"
	chmod 2750 "$dir"
	socket_rules | bw_config bw-chroot "unix:$dir/bulwark.sock" 0660
	socket_rules | bw_config bw-inet "inet:$milter_port@127.0.0.1"
	{
		echo "127.0.0.1:$CHROOT_PORT inet n - y - - smtpd" \
		    "-o smtpd_milters=unix:bulwark/bulwark.sock"
		echo "127.0.0.1:$NOCHROOT_PORT inet n - n - - smtpd" \
		    "-o smtpd_milters=unix:bulwark/bulwark.sock"
		echo "127.0.0.1:$INET_PORT inet n - n - - smtpd" \
		    "-o smtpd_milters=inet:127.0.0.1:$milter_port"
	} >>"$WORK/mx1/etc/master.cf"
}

# The snippet is valid main.cf: postconf knows every parameter in it.
socket_snippet() {
	local dir="$WORK/snippet" out
	mkdir -p "$dir"
	cp "$TOP/contrib/postfix/main.cf.snippet" "$dir/main.cf"
	: >"$dir/master.cf"
	if out=$(postconf -c "$dir" -n 2>&1) &&
	    ! printf '%s\n' "$out" | grep -q warning &&
	    printf '%s\n' "$out" | grep -q '^smtpd_milters = unix:bulwark/bulwark.sock$'; then
		ok "socket: contrib/postfix/main.cf.snippet is valid main.cf"
	else
		not_ok "socket: postconf complains about main.cf.snippet"
		printf '%s\n' "$out" | show
	fi
}

socket_run() {
	local log="$WORK/mx1/maillog"
	bw_start bw-chroot || return
	xsession "$CHROOT_PORT" 192.0.2.99
	expect_reply "socket: chrooted smtpd, bulwark refuses the blocked host" \
	    XCLIENT "421 "
	expect_hangup "socket: chrooted smtpd, blocked host"
	expect_line "socket: Postfix logged the refusal" "$log" \
	    "milter-reject: XCLIENT from unknown[192.0.2.99]: 421 4.7.0"
	deliver "$CHROOT_PORT" 192.0.2.98 alice@test.example
	expect_delivered "socket: chrooted smtpd, mail from another host" \
	    "$log" alice@test.example
	xsession "$NOCHROOT_PORT" 192.0.2.99
	expect_reply "socket: the same relative path works without chroot" \
	    XCLIENT "421 "
	expect_no_line "socket: smtpd reached the milter every time" "$log" \
	    "connect to Milter service unix:bulwark/bulwark.sock"

	bw_start bw-inet || return
	xsession "$INET_PORT" 192.0.2.99
	expect_reply "socket: inet socket, bulwark refuses the blocked host" \
	    XCLIENT "421 "
	xsession "$INET_PORT" 192.0.2.98 "MAIL FROM:<sender@example.org>"
	expect_reply "socket: inet socket, another host is served" \
	    "MAIL FROM" 250
	expect_no_line "socket: smtpd reached the inet milter every time" \
	    "$log" "connect to Milter service inet:"
	socket_snippet
}
