#!/bin/sh
# run.sh - bulwark-replay against hand-written logs and against the logs
# of the real Postfix of the test suite.
#
#   t/replay/run.sh [fixtures] [live]
#
# fixtures  the parser's edges (fixtures/*.log, and hostile bytes made
#           here): year rollover, RFC 3339, multi-line messages, cut
#           lines, IPv6, unknown[...] clients, other daemons' lines,
#           XCLIENT, verified client names, Sendmail,
#           gzip and rotated files in any order, standard input; the
#           report: hurt hosts, --sweep, --json, --html, --set errors.
# live      the Postfix scenarios dos, dha and attack (t/postfix/run.sh)
#           and the Sendmail tests (t/sendmail/run.sh) are run keeping
#           their logs; each bulwark's clients are replayed with its
#           configuration: the replay must find every block the live
#           daemon logged (host, detector, start within a second) and no
#           other.  Needs root, like t/postfix and t/sendmail.
#
# Everything is written under a temporary directory removed on exit.
# Prints "ok"/"not ok" per check, then "replay tests: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
REPLAY=$TOP/ctl/bulwark-replay
FIX=$HERE/fixtures
CONF=$FIX/replay.conf

. "$TOP/t/lib/results.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-replay.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' HUP INT PIPE TERM
# Classic stamps are local time: the expected times below are UTC.
TZ=UTC
export TZ

# replay ARGS...: run it, stdout in $OUT, stderr in $ERR, status in $RC.
replay() {
	"$REPLAY" -q "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# expect_rc WHAT CODE
expect_rc() {
	if [ "$RC" -eq "$2" ]; then
		ok "$1: exit status $2"
	else
		not_ok "$1: exit status $RC, $2 expected"
		show "$WORK/err"
	fi
}

# expect_out WHAT TEXT: the last output holds TEXT.
expect_out() {
	if printf '%s\n' "$OUT" | grep -qF -- "$2"; then
		ok "$1"
	else
		not_ok "$1: no '$2' in the output"
		show "$WORK/out"
	fi
}

# expect_no_out WHAT TEXT: the last output does not hold TEXT.
expect_no_out() {
	if printf '%s\n' "$OUT" | grep -qF -- "$2"; then
		not_ok "$1: '$2' in the output"
		show "$WORK/out"
	else
		ok "$1"
	fi
}

# blocks FILE: the blocks of a --json output, one "host detector start
# end count" line each, sorted.
blocks() {
	perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>);
	    printf "%s %s %d %d %d\n", @$_{qw(host detector start end count)}
	        for @{$d->{blocks}}' <"$1" | sort
}

# expect_blocks WHAT WANT: the blocks of the last --json output.
expect_blocks() {
	local got
	got=$(blocks "$WORK/out")
	if [ "$got" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf 'want:\n%s\ngot:\n%s\n' "$2" "$got" | show
	fi
}

utc() {
	date -u -d "$1" +%s
}

# --- Fixtures ------------------------------------------------------------

fixture_stamps() {
	local start
	cp "$FIX/rollover.log" "$WORK/rollover.log"
	touch -d "2025-01-01 12:00:00" "$WORK/rollover.log"
	replay -c "$CONF" --json "$WORK/rollover.log"
	start=$(utc "2025-01-01 00:00:05")
	expect_blocks "rollover: the 4th connection within a minute, across the new year, blocks" \
	    "192.0.2.1 dos $start $((start + 600)) 4"
	replay -c "$CONF" "$WORK/rollover.log"
	expect_out "rollover: December is the year before the file's, a late line stays in it" \
	    "2024-12-31T23:59:50Z to 2025-01-01T00:00:06Z"

	replay -c "$CONF" --json "$FIX/rfc3339.log"
	start=$(utc "2025-06-30 22:00:01")
	expect_blocks "rfc3339: offsets, Z and fractions are one clock" \
	    "192.0.2.3 dos $start $((start + 600)) 4"
}

fixture_edges() {
	local start
	cp "$FIX/edges.log" "$WORK/edges.log"
	touch -d "2025-03-10 00:00:00" "$WORK/edges.log"
	replay -c "$CONF" --json "$WORK/edges.log"
	expect_rc "edges" 0
	start=$(utc "2025-03-03 10:00:03")
	# Only the /64 is blocked: not unknown[unknown], not the address named
	# by sshd, qmgr or in the continuation lines of a multi-line message.
	expect_blocks "edges: IPv6 clients (with a port, another syslog_name) are one /64" \
	    "2001:db8:5::/64 dos $start $((start + 600)) 4"
	expect_out "edges: 3 unparsed lines" '"unparsed": 3'
	replay -c "$CONF" "$WORK/edges.log"
	expect_out "edges: cut lines are shown with their line number" \
	    "edges.log:34: Mar  3 10:00:10 mx1 postfix/smtpd[304]: connect from unknown[192.0"
	expect_out "edges: a line without a header is unparsed" "edges.log:36: Mar  3 10:00"
	expect_no_out "edges: continuation lines are not unparsed" "edges.log:30:"
}

# After XCLIENT the session counts for the client Postfix names; its
# first HELO was the proxy's.  The proxy is excluded (a --set list);
# 5 HELO/EHLO with XCLIENT are 1 expected and 3 unexpected (max_commands
# 3: not flagged), 6 are flagged; the 2nd flagged connection blocks.
fixture_xclient() {
	local start
	cp "$FIX/xclient.log" "$WORK/xclient.log"
	touch -d "2025-05-06 00:00:00" "$WORK/xclient.log"
	replay -c "$CONF" --json --set 'exclude=["192.0.2.200"]' "$WORK/xclient.log"
	start=$(utc "2025-05-05 08:00:03")
	expect_blocks "xclient: counted for the client named after XCLIENT, the proxy's HELO apart" \
	    "198.51.100.201 attack $start $((start + 3600)) 2"
}

# Postfix names a client by its verified name ("unknown" when it is
# not): with exclude_verified_domains the verified google.com host is
# never counted, the unknown one is blocked at its 4th connection.
fixture_verified() {
	local start
	cp "$FIX/verified.log" "$WORK/verified.log"
	touch -d "2025-07-02 00:00:00" "$WORK/verified.log"
	replay -c "$CONF" --json --set 'exclude_verified_domains=["google.com"]' \
	    "$WORK/verified.log"
	start=$(utc "2025-07-01 09:00:03")
	expect_blocks "verified: a verified google.com host is not counted" \
	    "192.0.2.71 dos $start $((start + 600)) 4"
}

# Sendmail (sm-mta) names the client late: the recipients it rejected
# before its from= line still count, at their own time.
fixture_sendmail() {
	local dha dos
	cp "$FIX/sendmail.log" "$WORK/sendmail.log"
	touch -d "2025-06-03 00:00:00" "$WORK/sendmail.log"
	replay -c "$CONF" --json "$WORK/sendmail.log"
	dha=$(utc "2025-06-02 11:00:03")
	dos=$(utc "2025-06-02 11:01:03")
	expect_blocks "sendmail: unknown users before the client is named, IPv6 clients" \
	    "$(printf '192.0.2.60 dha %s %s 4\n2001:db8:7::/64 dos %s %s 4' \
	    "$dha" $((dha + 3600)) "$dos" $((dos + 600)) | sort)"
	expect_out "sendmail: the partner that delivered is hurt" '"delivered": 1'
}

fixture_gzip() {
	local whole
	cp "$FIX/hurt.log" "$WORK/hurt.log"
	touch -d "2025-04-02 00:00:00" "$WORK/hurt.log"
	replay -c "$CONF" --json "$WORK/hurt.log"
	whole=$OUT
	# Rotated: the older half gzipped, named after the newer one.
	head -n 12 "$WORK/hurt.log" | gzip -c >"$WORK/maillog.1.gz"
	tail -n +13 "$WORK/hurt.log" >"$WORK/maillog"
	touch -d "2025-04-01 09:06:00" "$WORK/maillog.1.gz"
	touch -d "2025-04-02 00:00:00" "$WORK/maillog"
	replay -c "$CONF" --json "$WORK/maillog" "$WORK/maillog.1.gz"
	if [ "$OUT" = "$whole" ]; then
		ok "gzip: a gzipped file and a plain one, newest first, replay as the whole log"
	else
		not_ok "gzip: the rotated files do not replay as the whole log"
		printf '%s\n' "$OUT" | show
	fi
	touch "$WORK/hurt.log"
	replay -c "$CONF" --json "$WORK/hurt.log"
	whole=$OUT
	replay -c "$CONF" --json - <"$WORK/hurt.log"
	if [ "$OUT" = "$whole" ]; then
		ok "stdin: '-' reads standard input"
	else
		not_ok "stdin: '-' does not replay as the file"
	fi
}

fixture_hurt() {
	local keys
	replay -c "$CONF" --json "$WORK/hurt.log"
	keys=$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>);
	    print join(",", sort keys %{$d->{blocks}[0]}), " ",
	        join(",", sort keys %{$d->{hurt}[0]}), " ",
	        scalar @{$d->{hurt}}, " $d->{hurt}[0]{host} $d->{hurt}[0]{delivered}\n"' \
	    <"$WORK/out")
	if [ "$keys" = "count,detector,end,host,start delivered,host 1 203.0.113.5 3" ]; then
		ok "hurt: the partner that harvested and delivered is hurt; --json fields exact"
	else
		not_ok "hurt: got '$keys'"
		show "$WORK/out"
	fi
	replay -c "$CONF" --json --set exclude_authenticated=false "$WORK/hurt.log"
	expect_out "--set: an authenticated sender is counted once exclude_authenticated is off" \
	    '"host": "192.0.2.50"'
	replay -c "$CONF" "$WORK/hurt.log"
	expect_no_out "an authenticated sender is not blocked by default" "192.0.2.50"
	expect_out "text: the attack block of the scanner" "198.51.100.77            attack"

	replay -c "$CONF" --sweep dha.max_invalid=3,4,10 "$WORK/hurt.log"
	expect_rc "sweep" 0
	if [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 4 ] &&
	    printf '%s\n' "$OUT" | head -n 1 | grep -q '^dha.max_invalid  *BLOCKS' &&
	    printf '%s\n' "$OUT" | awk '$1 == 3 && $2 == 3 && $6 == 1 { a = 1 }
	        $1 == 4 && $2 == 1 && $6 == 0 { b = 1 } $1 == 10 && $2 == 1 { c = 1 }
	        END { exit !(a && b && c) }'; then
		ok "sweep: one row per value, blocks and hurt per value"
	else
		not_ok "sweep: unexpected table"
		show "$WORK/out"
	fi
	replay -c "$CONF" --json --sweep dos.max_connections=1,2 "$WORK/hurt.log"
	expect_out "sweep --json: one row per value" '"value": "2"'
}

fixture_errors() {
	replay -c "$CONF" --set dos.max_connections=abc "$WORK/hurt.log"
	expect_rc "--set error" 1
	if printf '%s\n' "$ERR" | grep -q '^bulwark-replay: --set dos.max_connections=abc: '; then
		ok "--set error: names the --set"
	else
		not_ok "--set error: '$ERR'"
	fi
	replay -c "$CONF" --set nosuch.key=1 "$WORK/hurt.log"
	expect_rc "--set unknown key" 1
	replay -c "$WORK/none.conf" "$WORK/hurt.log"
	expect_rc "missing configuration" 1
	replay -c "$CONF" "$WORK/none.log"
	expect_rc "missing log" 1
	replay -c "$CONF"
	expect_rc "no log file" 2
}

fixture_html() {
	replay -c "$CONF" --html "$WORK/r.html" - <"$WORK/hurt.log"
	expect_rc "html from standard input" 0
	if grep -q "<svg" "$WORK/r.html" && grep -q "<polyline" "$WORK/r.html" &&
	    grep -q "<h3>203.0.113.5</h3>" "$WORK/r.html" &&
	    grep -q "dha block" "$WORK/r.html" &&
	    ! grep -Eqi "<script|src=|href=|@import|url\(" "$WORK/r.html"; then
		ok "html: timelines in inline SVG with blocks marked, nothing fetched"
	else
		not_ok "html: the page is not as expected"
		head -c 2000 "$WORK/r.html" | show
	fi
}

fixture_hostile() {
	{
		printf 'Mar  3 10:00:00 mx1 postfix/smtpd[1]: connect from x[192.0.2.9]\000junk\n'
		printf 'Mar  3 10:00:00 mx1 postfix/smtpd[1]: connect from \033[31m%%s%%n[192.0.2.9]\n'
		printf 'Mar  3 10:00:00 mx1 postfix/smtpd[2]: connect from \377\376[192.0.2.10]\n'
		printf 'Mar  3 10:00:00 mx1 postfix/smtpd[99999999999999999999]: connect from x[192.0.2.11]\n'
		printf 'Mar  3 10:00:00 mx1 postfix/smtpd[3]: disconnect from x[192.0.2.12] ehlo=99999999999999999999 unknown=1/%%n\n'
		printf 'Mar 99 10:00:00 mx1 postfix/smtpd[4]: connect from x[192.0.2.13]\n'
		printf '2025-13-45T99:00:00Z mx1 postfix/smtpd[4]: connect from x[192.0.2.13]\n'
		printf 'Mar  3 10:00:00 mx1 postfix/smtpd[5]: connect from x[%s]\n' \
		    "$(head -c 300 /dev/zero | tr '\0' 1)"
		printf 'Mar  3 10:00:00 mx1 postfix/smtpd[6]: %s\n' \
		    "$(head -c 20000 /dev/zero | tr '\0' A)"
		head -c 4096 /dev/urandom
		printf '\nMar  3 10:00:01 mx1 postfix/smtpd[7]: connect from ok[192.0.2.14]\n'
		printf 'Mar  3 10:00:01 mx1 postfix/smtpd[7]: disconnect from ok[192.0.2.14]'
	} >"$WORK/hostile.log"
	replay -c "$CONF" "$WORK/hostile.log"
	expect_rc "hostile bytes" 0
	if LC_ALL=C grep -q "$(printf '[\001-\010\016-\037\177-\377]')" "$WORK/out"; then
		not_ok "hostile bytes: raw control or 8-bit bytes in the report"
	else
		ok "hostile bytes: the report holds only printable text"
	fi
	expect_out "hostile bytes: the session after the noise is read" "sessions 2, connections 2,"
	replay -c "$CONF" --json "$WORK/hostile.log"
	if perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)->{lines}{unparsed} >= 8 or exit 1' \
	    <"$WORK/out" 2>/dev/null; then
		ok "hostile bytes: valid JSON, the bad lines counted as unparsed"
	else
		not_ok "hostile bytes: --json"
		show "$WORK/out"
	fi
}

# make bench-replay works (a small log; its speed is not judged here).
fixture_bench() {
	if "$TOP/bench/replay_bench.sh" 2000 >"$WORK/bench.out" 2>&1 &&
	    grep -q '^bulwark-replay: [0-9]* lines/s' "$WORK/bench.out"; then
		ok "bench: bench/replay_bench.sh runs"
	else
		not_ok "bench: bench/replay_bench.sh failed"
		show "$WORK/bench.out"
	fi
}

# --- Live ----------------------------------------------------------------

# live_blocks NAME: the blocks bulwark NAME logged, as "host detector
# start": the start is the end it logged less its block (from NAME.conf).
live_blocks() {
	perl -MTime::Local -e '
		my ($conf, $log) = @ARGV;
		my %unit = (s => 1, m => 60, h => 3600, d => 86400, "" => 1);
		my %block = (dos => 600, dha => 900, attack => 3600);
		open my $c, "<", $conf or die; local $/; my $text = <$c>;
		while ($text =~ /(dos|dha|attack)\s*=\s*\{([^}]*)\}/g) {
			my ($d, $g) = ($1, $2);
			$block{$d} = $1 * $unit{$2} if $g =~ /\bblock\s*=\s*"?(\d+)([smhd]?)"?/;
		}
		open my $l, "<", $log or die; $/ = "\n";
		while (<$l>) {
			next unless /event=block .*detector=(\S+) host=(\S+) .*until=(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z/;
			my $until = timegm($8, $7, $6, $5, $4 - 1, $3);
			print "$2 $1 ", $until - $block{$1}, "\n";
		}' "$1" "$2" | sort
}

lines() {
	printf '%s' "$1" | grep -c .
}

# live_match WANT GOT: every block of WANT is in GOT, its start within a
# second (the log's stamps are whole seconds).
live_match() {
	printf '%s\n' "$1" | while read -r host det start; do
		[ -n "$host" ] || continue
		printf '%s\n' "$2" | awk -v h="$host" -v d="$det" -v s="$start" '
		    $1 == h && $2 == d && $3 - s <= 1 && s - $3 <= 1 { f = 1 }
		    END { exit !f }' || exit 1
	done
}

live() {
	local logs="$WORK/live" name got want n=0
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "live: needs root (the Postfix tests run Postfix's master)"
		return
	fi
	mkdir -p "$logs"
	if BULWARK_KEEP_LOGS=$logs "$TOP/t/postfix/run.sh" dos dha attack \
	    >"$WORK/postfix.out" 2>&1; then
		ok "live: the Postfix scenarios dos, dha, attack ran"
	else
		not_ok "live: the Postfix scenarios failed"
		grep -v '^ok' "$WORK/postfix.out" | tail -n 20 | show
		return
	fi
	for name in bw-dos bw-slide bw-dha bw-atk-log bw-atk-drop; do
		grep -F " postfix/$name/smtpd[" "$logs/mx1.maillog" >"$WORK/$name.maillog"
		touch -r "$logs/mx1.maillog" "$WORK/$name.maillog"
		replay -c "$logs/$name.conf" --json "$WORK/$name.maillog"
		got=$(blocks "$WORK/out" | awk '{ print $1, $2, $3 }')
		want=$(live_blocks "$logs/$name.conf" "$logs/$name.log")
		n=$((n + $(lines "$want")))
		if [ "$(lines "$want")" = "$(lines "$got")" ] &&
		    live_match "$want" "$got"; then
			ok "live $name: the replay finds the $(lines "$want") blocks bulwark made, and no other"
		else
			not_ok "live $name: blocks differ"
			printf 'live:\n%s\nreplay:\n%s\n' "$want" "$got" | show
		fi
	done
	if [ "$n" -ge 6 ]; then
		ok "live: $n blocks compared (dos, sliding dos, IPv6, dha, attack)"
	else
		not_ok "live: only $n blocks logged by the live daemons"
	fi
}

# The Sendmail test (t/sendmail/run.sh) keeping its log: its blocks, made
# by two bulwark configurations with the same DoS and DHA thresholds
# (bulwark.conf.in, bulwark-refuse.conf.in), replayed with the first.
live_sendmail() {
	local logs="$WORK/sendmail" got want
	mkdir -p "$logs"
	if BULWARK_KEEP_LOGS=$logs "$TOP/t/sendmail/run.sh" \
	    >"$WORK/sendmail.out" 2>&1; then
		ok "live sendmail: the Sendmail tests ran"
	else
		not_ok "live sendmail: the Sendmail tests failed"
		grep -v '^ok' "$WORK/sendmail.out" | tail -n 20 | show
		return
	fi
	replay -c "$logs/bulwark.conf" --json "$logs/maillog"
	got=$(blocks "$WORK/out" | awk '{ print $1, $2, $3 }')
	want=$(live_blocks "$logs/bulwark.conf" "$logs/bulwark.log")
	if [ "$(lines "$want")" -ge 4 ] &&
	    [ "$(lines "$want")" = "$(lines "$got")" ] &&
	    live_match "$want" "$got"; then
		ok "live sendmail: the replay finds the $(lines "$want") blocks bulwark made (dos, dha by Sendmail and by bulwark's recipients file), and no other"
	else
		not_ok "live sendmail: blocks differ"
		printf 'live:\n%s\nreplay:\n%s\n' "$want" "$got" | show
	fi
}

[ -x "$REPLAY" ] || { not_ok "$REPLAY is not built (make)"; summary replay; exit 1; }
for part in ${*:-fixtures live}; do
	echo "# $part"
	case "$part" in
	fixtures)
		fixture_stamps
		fixture_edges
		fixture_xclient
		fixture_verified
		fixture_sendmail
		fixture_gzip
		fixture_hurt
		fixture_errors
		fixture_html
		fixture_hostile
		fixture_bench
		;;
	live)
		live
		live_sendmail
		;;
	*) not_ok "no part $part" ;;
	esac
done
summary replay
