#!/bin/sh
# run.sh - bulwark inside a real Sendmail.
#
# Debian's sendmail-bin and sendmail-cf are fetched with "apt-get
# download" and unpacked into a temporary directory (never installed:
# they conflict with Postfix).  A private sendmail.cf is built from
# sendmail.mc.in, which includes contrib/sendmail/bulwark.mc with only
# the socket moved into the temporary directory.  Sendmail runs as a
# daemon on 127.0.0.1 in its own UTS namespace, under a qualified host
# name, and bulwark runs in the foreground with bulwark.conf.in.
#
# Each client host is one source address (t/lib/smtp.pl -b):
#   127.0.1.x  DoS              127.0.3.x  DHA, bulwark's recipients file
#   127.0.2.x  SMTP attack      127.0.4.x  DHA, Sendmail's own rejections
#   127.0.5.x  bulwark down     127.0.6.x  DoS block that rejects
#   127.0.8.1  blocked list     127.0.9.x  excluded (127.0.9.9 also blocked)
#
# Needs root and a package source apt-get can download from.
# Everything started is stopped, and the directory removed, on exit.
# Prints "ok"/"not ok" per check, then "sendmail tests: N passed, M
# failed"; exits non-zero on any failure, including a failure to fetch
# or start Sendmail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BULWARK=$TOP/milter/bulwark
MX=mx.example.test
DEFAULT_SOCKET=unix:/run/bulwark/bulwark.sock
SMTP_WAIT=5		# seconds smtp.pl waits for a reply or the hang-up

. "$TOP/t/lib/daemon.sh"
. "$TOP/t/lib/results.sh"
. "$TOP/t/lib/smtp.sh"

WORK=
SM_PID=
BW_PID=
SYSLOG_PID=
OUT=

# --- Results ---------------------------------------------------------------

# A setup step failed: no test can run.
abort() {
	not_ok "$*"
	summary sendmail
	exit 1
}

# --- Processes -------------------------------------------------------------

# True while pid runs (a zombie child waiting to be reaped does not).
running() {
	[ -r "/proc/$1/stat" ] || return 1
	[ "$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# stop PID: TERM, up to 5 s to exit, then KILL; reaps it.
stop() {
	kill "$1" 2>/dev/null || return 0
	n=0
	while running "$1" && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

stop_sendmail() {
	[ -n "$SM_PID" ] || return 0
	children=$(pgrep -P "$SM_PID")
	stop "$SM_PID"
	for child in $children; do
		kill -KILL "$child" 2>/dev/null
	done
	SM_PID=
}

stop_bulwark() {
	[ -n "$BW_PID" ] || return 0
	stop "$BW_PID"
	BW_PID=
}

cleanup() {
	stop_sendmail
	stop_bulwark
	[ -n "$SYSLOG_PID" ] && stop "$SYSLOG_PID"
	SYSLOG_PID=
	# t/replay reads what Sendmail and bulwark logged.
	if [ -n "${BULWARK_KEEP_LOGS:-}" ] && [ -n "$WORK" ]; then
		cp "$WORK/maillog" "$WORK/bulwark.log" "$BULWARK_KEEP_LOGS/" 2>/dev/null
		subst "$HERE/bulwark.conf.in" >"$BULWARK_KEEP_LOGS/bulwark.conf"
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
	WORK=
}

# --- Setup -----------------------------------------------------------------

# subst FILE.in > FILE: the placeholders of the templates.
subst() {
	sed -e "s|@WORK@|$WORK|g" -e "s|@HERE@|$HERE|g" -e "s|@PORT@|$PORT|g" "$1"
}

# Fetches and unpacks the packages; sets SENDMAIL and CF_DIR.
fetch_sendmail() {
	mkdir "$WORK/debs" "$WORK/root"
	if ! (cd "$WORK/debs" && apt-get download sendmail-bin sendmail-cf) \
	    >"$WORK/apt.log" 2>&1; then
		# A fresh system may have no package lists yet.
		apt-get update -qq >>"$WORK/apt.log" 2>&1
		(cd "$WORK/debs" && apt-get download sendmail-bin sendmail-cf) \
		    >>"$WORK/apt.log" 2>&1
	fi
	set -- "$WORK"/debs/sendmail-bin_*.deb "$WORK"/debs/sendmail-cf_*.deb
	if [ ! -f "$1" ] || [ ! -f "$2" ]; then
		show "$WORK/apt.log"
		abort "apt-get download sendmail-bin sendmail-cf failed"
	fi
	for deb in "$@"; do
		dpkg -x "$deb" "$WORK/root" || abort "dpkg -x $deb failed"
	done
	SENDMAIL=$WORK/root/usr/libexec/sendmail/sendmail
	[ -x "$SENDMAIL" ] || SENDMAIL=$WORK/root/usr/lib/sm.bin/sendmail
	[ -x "$SENDMAIL" ] || abort "no sendmail binary in sendmail-bin"
	CF_DIR=$WORK/root/usr/share/sendmail/cf
	[ -f "$CF_DIR/m4/cf.m4" ] || abort "no cf/m4/cf.m4 in sendmail-cf"
	missing=$(ldd "$SENDMAIL" | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')
	[ -z "$missing" ] || abort "sendmail needs missing libraries: $missing" \
	    "(run contrib/install-deps.sh check as root)"
}

# The Sendmail configuration: contrib/sendmail/bulwark.mc with the
# socket moved, in sendmail.mc.in.
build_cf() {
	mc=$TOP/contrib/sendmail/bulwark.mc
	sed "s|S=$DEFAULT_SOCKET,|S=unix:$WORK/bulwark.sock,|" "$mc" >"$WORK/bulwark.mc"
	grep -q "S=unix:$WORK/bulwark.sock," "$WORK/bulwark.mc" ||
	    abort "contrib/sendmail/bulwark.mc has no S=$DEFAULT_SOCKET"
	subst "$HERE/sendmail.mc.in" >"$WORK/sendmail.mc"
	m4 -D_CF_DIR_="$CF_DIR/" "$CF_DIR/m4/cf.m4" "$WORK/sendmail.mc" \
	    >"$WORK/sendmail.cf" 2>"$WORK/m4.log" || { show "$WORK/m4.log"; abort "m4 sendmail.mc failed"; }
	grep -q "^Xbulwark, S=unix:$WORK/bulwark.sock, " "$WORK/sendmail.cf" ||
	    abort "sendmail.cf has no bulwark filter"
	mkdir -m 0700 "$WORK/mqueue"
	printf 'hosts\tfiles\n' >"$WORK/service.switch"
	printf 'postmaster: root\n' >"$WORK/aliases"
	cp "$WORK/root/etc/mail/helpfile" "$WORK/helpfile"
}

# start_bulwark CONF.in: runs bulwark until its socket is there.
start_bulwark() {
	subst "$HERE/$1" >"$WORK/bulwark.conf"
	rm -f "$WORK/bulwark.sock"
	"$BULWARK" -f -c "$WORK/bulwark.conf" 2>>"$WORK/bulwark.log" &
	BW_PID=$!
	wait_for_socket "$WORK/bulwark.sock" "$BW_PID" ||
	    { show "$WORK/bulwark.log"; abort "bulwark did not start with $1"; }
}

# Sendmail sleeps a minute on an unqualified host name: give it one of
# its own in a new UTS namespace.  It logs to /dev/log: in its own mount
# namespace, /dev holds only null, zero, random and urandom and a log
# socket of t/lib/syslog.pl, which writes $WORK/maillog.
start_sendmail() {
	mkdir -m 755 "$WORK/dev"
	"$TOP/t/lib/syslog.pl" "$WORK/syslog.sock" "$WORK/maillog" "$MX" &
	SYSLOG_PID=$!
	wait_for_socket "$WORK/syslog.sock" "$SYSLOG_PID" ||
	    abort "t/lib/syslog.pl did not start"
	# shellcheck disable=SC2016 # the inner shell expands them
	unshare --uts --mount sh -c 'hostname "$1" &&
	    mount --make-rprivate / && mount -t tmpfs -o mode=755 tmpfs "$5" &&
	    for n in null zero random urandom; do
		: >"$5/$n" && mount --bind "/dev/$n" "$5/$n" || exit 1
	    done &&
	    : >"$5/log" && mount --bind "$6" "$5/log" && mount --rbind "$5" /dev &&
	    exec "$2" -C "$3" -bD -X "$4"' sh \
	    "$MX" "$SENDMAIL" "$WORK/sendmail.cf" "$WORK/smtp.trace" \
	    "$WORK/dev" "$WORK/syslog.sock" \
	    >"$WORK/sendmail.out" 2>&1 &
	SM_PID=$!
	n=0
	while [ $n -lt 100 ]; do
		running "$SM_PID" || break
		# An excluded source address: the probe counts for nothing.
		case $("$SMTP_CLIENT" -b 127.0.9.200 -w 2 127.0.0.1 "$PORT" QUIT 2>/dev/null) in
		"<- 220 "*) return 0 ;;
		esac
		sleep 0.1
		n=$((n + 1))
	done
	show "$WORK/sendmail.out"
	abort "sendmail did not start"
}

# --- Sessions and checks ---------------------------------------------------

# session ADDR COMMAND...: an SMTP session from ADDR, transcript (see
# t/lib/smtp.pl) in $OUT.
session() {
	addr=$1
	shift
	OUT=$("$SMTP_CLIENT" -b "$addr" -w "$SMTP_WAIT" 127.0.0.1 "$PORT" "$@")
}

# expect WHAT PREFIX DESCRIPTION: the reply to WHAT ("greeting", a
# command, "end": see smtp_reply) starts with PREFIX.
expect() {
	got=$(printf '%s\n' "$OUT" | smtp_reply "$1")
	case $got in
	"$2"*) ok "$3" ;;
	*)
		not_ok "$3"
		echo "    expected '$1: $2...', got:"
		printf '%s\n' "$OUT" | show
		;;
	esac
}

# expect_log TEXT DESCRIPTION: a bulwark log line contains every word of
# TEXT (space-separated key=value pairs).
expect_log() {
	pattern=$1
	shift
	n=0
	while [ $n -lt 20 ]; do
		if awk -v words="$pattern" '
			BEGIN { n = split(words, w, " ") }
			{ for (i = 1; i <= n; i++) if (index(" " $0 " ", " " w[i] " ") == 0) next; found = 1; exit }
			END { exit !found }' "$WORK/bulwark.log"; then
			ok "$*"
			return
		fi
		sleep 0.1
		n=$((n + 1))
	done
	not_ok "$*"
	echo "    no log line with: $pattern"
	show "$WORK/bulwark.log"
}

# --- Tests -----------------------------------------------------------------

test_dos() {
	for i in 1 2 3; do
		session 127.0.1.1 QUIT
		expect greeting "220 " "dos: connection $i of max_connections=3 is greeted"
	done
	session 127.0.1.1 QUIT
	expect greeting "421 4.7.0 $MX closing connection" \
	    "dos: connection 4 gets 421 (Sendmail's text: the milter's text is ignored at CONNECT)"
	expect end closed "dos: Sendmail closes the refused connection"
	expect_log "event=block detector=dos host=127.0.1.1 count=4" \
	    "dos: bulwark logs the block"
	session 127.0.1.1 QUIT
	expect greeting "421 " "dos: the blocked host stays refused"
	session 127.0.1.2 'HELO client.test' QUIT
	expect greeting "220 " "dos: another host is greeted"
	expect QUIT "221 " "dos: another host completes its session"
}

test_attack() {
	session 127.0.2.1 'HELO client.test' XCMD1 XCMD2 XCMD3 XCMD4 XCMD5 XCMD6 QUIT
	expect XCMD5 "500 5.5.1" "attack: unknown commands up to max_commands=5 get Sendmail's 500"
	expect XCMD6 "421 4.7.0 test: possible SMTP attack from 127.0.2.1" \
	    "attack: unknown command 6 gets bulwark's 421 and text"
	expect end closed "attack: Sendmail closes the connection"
	expect_log "event=flag host=127.0.2.1 unknown=6" "attack: bulwark logs the flag"
	session 127.0.2.2 'HELO client.test' XCMD1 XCMD2 XCMD3 XCMD4 XCMD5 QUIT
	expect QUIT "221 " "attack: exactly max_commands unknown commands are let be"
}

test_lists() {
	for i in 1 2 3 4 5; do
		session 127.0.9.1 QUIT
	done
	expect greeting "220 " "exclude: an excluded host is never DoS-blocked"
	session 127.0.9.1 'HELO client.test' XCMD1 XCMD2 XCMD3 XCMD4 XCMD5 XCMD6 \
	    'MAIL FROM:<sender@client.test>' 'RCPT TO:<h1@relay.test>' \
	    'RCPT TO:<h2@relay.test>' 'RCPT TO:<h3@relay.test>' 'RCPT TO:<h4@relay.test>' QUIT
	expect XCMD6 "500 " "exclude: an excluded host is never flagged"
	expect QUIT "221 " "exclude: an excluded host is never cut for invalid recipients"
	session 127.0.9.1 QUIT
	expect greeting "220 " "exclude: nor blocked for them"
	session 127.0.8.1 'HELO client.test' 'MAIL FROM:<sender@client.test>' QUIT
	expect greeting "554 " "blocked: a listed host is refused at CONNECT (reject: 554)"
	expect 'MAIL FROM:<sender@client.test>' "550 5.0.0 Command rejected" \
	    "blocked: Sendmail then rejects every transaction"
	expect QUIT "221 " "blocked: the session lasts until the client quits"
	expect_log "event=refuse stage=connect detector=blocked-list host=127.0.8.1" \
	    "blocked: bulwark logs the refusal"
	session 127.0.9.9 QUIT
	expect greeting "554 " "blocked: a listed host is refused even when excluded"
}

test_dha_recipients_file() {
	session 127.0.3.1 'HELO client.test' 'MAIL FROM:<sender@client.test>' \
	    'RCPT TO:<alice@relay.test>' 'RCPT TO:<h1@relay.test>' \
	    'RCPT TO:<h2@relay.test>' 'RCPT TO:<h3@relay.test>' 'RCPT TO:<h4@relay.test>' QUIT
	expect 'RCPT TO:<alice@relay.test>' "250 " "dha: a listed recipient is accepted"
	expect 'RCPT TO:<h1@relay.test>' "550 5.1.1 " "dha: bulwark rejects an unlisted recipient with 550 5.1.1"
	expect 'RCPT TO:<h3@relay.test>' "550 5.1.1 " "dha: up to max_invalid=3 of them"
	expect 'RCPT TO:<h4@relay.test>' "421 4.7.0 test: too many invalid recipients from 127.0.3.1" \
	    "dha: invalid recipient 4 gets bulwark's 421 and text"
	expect end closed "dha: Sendmail closes the connection"
	expect_log "event=block detector=dha host=127.0.3.1 count=4" "dha: bulwark logs the block"
	session 127.0.3.1 QUIT
	expect greeting "421 4.7.0 $MX closing connection" "dha: the harvester's next connection is refused"
	expect end closed "dha: and closed"

	session 127.0.3.2 'HELO client.test' 'MAIL FROM:<sender@client.test>' \
	    'RCPT TO:<h1@relay.test>' 'RCPT TO:<h2@relay.test>' 'RCPT TO:<h3@relay.test>' QUIT
	expect QUIT "221 " "dha: exactly max_invalid invalid recipients are let be"
	session 127.0.3.2 QUIT
	expect greeting "220 " "dha: and the host is not blocked"

	session 127.0.3.3 'HELO client.test' 'MAIL FROM:<sender@client.test>' \
	    'RCPT TO:<r1@other.test>' 'RCPT TO:<r2@other.test>' 'RCPT TO:<r3@other.test>' \
	    'RCPT TO:<r4@other.test>' 'RCPT TO:<r5@other.test>' QUIT
	expect 'RCPT TO:<r5@other.test>' "550 5.7.1 " "dha: Sendmail denies relaying (5.7.1)"
	session 127.0.3.3 QUIT
	expect greeting "220 " "dha: relay denials are not counted as invalid recipients"
}

# Sendmail passes the recipients it rejected itself to milters that ask
# (SMFIP_RCPT_REJ), with {rcpt_mailer}=error and the status in
# {rcpt_host}.  bulwark takes all of example.test as valid, so only these
# rejections can count.  On the one that trips the rule bulwark answers
# 421: Sendmail sends its own 550 and then hangs up without a 421 line.
test_dha_sendmail_rejections() {
	session 127.0.4.1 'HELO client.test' 'MAIL FROM:<sender@client.test>' \
	    'RCPT TO:<root@example.test>' 'RCPT TO:<nosuch1@example.test>' \
	    'RCPT TO:<nosuch2@example.test>' 'RCPT TO:<nosuch3@example.test>' \
	    'RCPT TO:<nosuch4@example.test>' QUIT
	expect 'RCPT TO:<root@example.test>' "250 " "rcpt_rej: Sendmail accepts an existing user"
	expect 'RCPT TO:<nosuch1@example.test>' "550 5.1.1 <nosuch1@example.test>... User unknown" \
	    "rcpt_rej: Sendmail rejects an unknown user itself"
	expect 'RCPT TO:<nosuch4@example.test>' "550 5.1.1 <nosuch4@example.test>... User unknown" \
	    "rcpt_rej: the rejection that trips the rule still gets Sendmail's 550"
	expect QUIT "(closed)" "rcpt_rej: then Sendmail hangs up, with no 421 line"
	expect_log "event=block detector=dha host=127.0.4.1 count=4" \
	    "rcpt_rej: bulwark counted Sendmail's own rejections"
	expect_log "event=refuse stage=rcpt detector=dha host=127.0.4.1 action=tempfail" \
	    "rcpt_rej: bulwark answered the tripping one with 421"
	session 127.0.4.1 QUIT
	expect greeting "421 " "rcpt_rej: the harvester's next connection is refused"
}

# The other refusals at CONNECT, with a second bulwark configuration.
test_connect_actions() {
	stop_bulwark
	start_bulwark bulwark-refuse.conf.in
	for i in 1 2 3; do
		session 127.0.6.1 QUIT
	done
	expect greeting "220 " "reject: connection 3 of 3 is greeted"
	session 127.0.6.1 'HELO client.test' 'MAIL FROM:<sender@client.test>' QUIT
	expect greeting "554 " "reject: dos.action=reject refuses connection 4 with 554"
	expect 'MAIL FROM:<sender@client.test>' "550 " "reject: Sendmail then rejects every transaction"
	session 127.0.8.1 QUIT
	expect greeting "421 4.7.0 $MX closing connection" "reject: blocked_action=tempfail gives 421"
	expect end closed "reject: and Sendmail closes the connection"
}

# F=T (contrib/sendmail/bulwark.mc): mail waits while bulwark is down.
test_bulwark_down() {
	stop_bulwark
	session 127.0.5.1 'HELO client.test' 'MAIL FROM:<sender@client.test>' QUIT
	expect 'MAIL FROM:<sender@client.test>' "451 4.3.2" "F=T: with bulwark down, MAIL gets 451"
}

# What the documentation tells Sendmail users is what was tested.
test_docs() {
	line=$(grep '^INPUT_MAIL_FILTER(' "$TOP/contrib/sendmail/bulwark.mc")
	if [ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] &&
	    printf '%s\n' "$line" | grep -qF "S=$DEFAULT_SOCKET,"; then
		ok "docs: contrib/sendmail/bulwark.mc has one filter, on the default socket"
	else
		not_ok "docs: contrib/sendmail/bulwark.mc has one filter, on the default socket"
	fi
	if grep -q "^socket = \"$DEFAULT_SOCKET\";" "$TOP/etc/bulwark.conf"; then
		ok "docs: etc/bulwark.conf listens on that socket"
	else
		not_ok "docs: etc/bulwark.conf listens on that socket"
	fi
	line=${line%dnl}
	section=$(awk '/^## /{ on = ($0 == "## Using it with Sendmail") } on' "$TOP/README.md")
	if printf '%s\n' "$section" | grep -qxF "$line"; then
		ok "docs: README.md (Using it with Sendmail) shows the tested line"
	else
		not_ok "docs: README.md (Using it with Sendmail) shows the tested line"
		echo "    expected the line: $line"
	fi
	if grep -qF "$line" "$TOP/contrib/sendmail/README"; then
		ok "docs: contrib/sendmail/README shows the tested line"
	else
		not_ok "docs: contrib/sendmail/README shows the tested line"
	fi
}

# --- Main ------------------------------------------------------------------

trap cleanup EXIT
trap 'not_ok "interrupted"; summary sendmail; exit 1' INT TERM HUP
[ "$(id -u)" -eq 0 ] || abort "the Sendmail tests need root (unshare --uts, Sendmail's daemon)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-sendmail.XXXXXX") || abort "mktemp failed"
[ -x "$BULWARK" ] || abort "$BULWARK is not built"
hold_ports 1 || abort "no port to hold"
PORT=$ports
fetch_sendmail
build_cf
start_bulwark bulwark.conf.in
start_sendmail

test_dos
test_attack
test_lists
test_dha_recipients_file
test_dha_sendmail_rejections
test_connect_actions
test_bulwark_down
test_docs

if [ "$failed" -ne 0 ]; then
	echo "== bulwark log"
	show "$WORK/bulwark.log"
	echo "== Sendmail SMTP trace (last 40 lines)"
	tail -n 40 "$WORK/smtp.trace" | show
fi
summary sendmail
