#!/bin/sh
# run-docs.sh - the documentation matches the code.
#
# Every man page lints clean and renders; the sample configuration is
# valid; every key set in etc/bulwark.conf is described in bulwark.conf(5)
# and every key the man page describes is in the sample.  Every example
# of the README, the man pages and contrib/ (t/docs/examples.pl finds
# them) is run: bulwark.conf snippets through "bulwark -t" (a file they
# name that does not exist here is replaced by a valid one; one with a
# firewall group runs in a network namespace of its own holding
# contrib/nftables/bulwark.nft, which needs root), main.cf lines through
# Postfix's postconf, bulwarkctl command lines against a real daemon
# started here (its own sockets in a temporary directory, removed at the
# end), and the Sendmail line must be the one t/sendmail tests with a
# real Sendmail.
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-docs.XXXXXX") || exit 1
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

for page in man/*.[0-9]; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	if [ -z "$out" ]; then ok; else fail "mandoc lint $page"; echo "$out"; fi
	if MANWIDTH=80 man -l "$page" >/dev/null 2>&1; then ok; else fail "man -l $page"; fi
done

if milter/bulwark -t -c etc/bulwark.conf >/dev/null 2>&1; then ok; else fail "bulwark -t etc/bulwark.conf"; fi

# Keys of the sample: "name =" at any depth, groups as "group.name"; a
# setting commented out without a space ("#name = ...", an optional group
# shown with its values) counts as a key.
sample_keys=$(awk '
	/^[ \t]*#[a-z_0-9]+[ \t]*=/ { match($0, /[a-z_0-9]+/); print group substr($0, RSTART, RLENGTH); next }
	/^[ \t]*#/ { next }
	/^[ \t]*[a-z_0-9]+[ \t]*=[ \t]*\{/ { match($0, /[a-z_0-9]+/); group = substr($0, RSTART, RLENGTH) "."; next }
	/^[ \t]*\};/ { group = ""; next }
	/^[ \t]*[a-z_0-9]+[ \t]*=/ { match($0, /[a-z_0-9]+/); print group substr($0, RSTART, RLENGTH) }
' etc/bulwark.conf | sort -u)
man_keys=$(sed -n 's/^\.It Ic \([a-z_0-9.]*\).*/\1/p' man/bulwark.conf.5 | sort -u)
for key in $sample_keys; do
	if echo "$man_keys" | grep -qx "$key"; then ok; else fail "key $key of etc/bulwark.conf not in bulwark.conf(5)"; fi
done
for key in $man_keys; do
	if echo "$sample_keys" | grep -qx "$key"; then ok; else fail "key $key of bulwark.conf(5) not in etc/bulwark.conf"; fi
done

# Every option bulwark-replay's usage names is in bulwark-replay(8).
for opt in $(ctl/bulwark-replay --help | grep -o -- '--[a-z]*' | sort -u); do
	if grep -q "^\.It .*Fl Fl ${opt#--}\b" man/bulwark-replay.8; then ok; else
		fail "option $opt of bulwark-replay not in bulwark-replay(8)"; fi
done

# The man pages render their own forms: IPv6 listen addresses are
# "[address]:port", never "[address:port]" (refused).
if MANWIDTH=80 man -l man/bulwark.conf.5 2>/dev/null | grep -qF '"[address:port]"'; then
	fail "bulwark.conf(5) renders an IPv6 form as [address:port]"
else
	ok
fi

# --- The examples -----------------------------------------------------

examples=$(perl t/docs/examples.pl README.md man/*.[0-9] contrib/postfix/README \
    contrib/sendmail/README debian/README.Debian) || fail "t/docs/examples.pl"

# Stand-ins for the files a snippet names that do not exist here.
mkdir "$tmp/standin"
echo "x-password" >"$tmp/standin/password"
chmod 0600 "$tmp/standin/password"
echo "192.0.2.1" >"$tmp/standin/exclude"
echo "192.0.2.2" >"$tmp/standin/blocked"
echo "user@example.org" >"$tmp/standin/recipients"
standin() {
	STANDIN=$tmp/standin perl -pe 's{(\b(\w+)_file\s*=\s*")(/[^"]+)(")}{
	    -e $3 || $2 eq "state" || $2 eq "log" ? "$1$3$4" : "$1$ENV{STANDIN}/$2$4"}ge'
}

# The daemon the command lines run against.
d=$tmp/daemon
mkdir "$d"
: >"$d/exclude"
{
	echo "socket = \"unix:$d/bulwark.sock\";"
	echo "pidfile = \"$d/bulwark.pid\";"
	echo "control = \"unix:$d/control.sock\";"
	echo 'metrics_listen = "";'
	echo 'syslog_facility = "local7";'
	echo "exclude_file = \"$d/exclude\";"
	# Networks of /24 and /48, for the examples that show one.
	echo 'dha = { network = { max = 50; }; };'
} >"$d/bulwark.conf"
milter/bulwark -f -c "$d/bulwark.conf" 2>"$d/log" &
daemon=$!
i=0
while [ ! -S "$d/control.sock" ] && [ $i -lt 200 ] && kill -0 "$daemon" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$d/control.sock" ] || { fail "the daemon for the examples did not start"; cat "$d/log"; }
mc=$(grep '^INPUT_MAIL_FILTER' contrib/sendmail/bulwark.mc | sed 's/dnl$//')

n=0
printf '%s\n' "$examples" | while IFS='	' read -r kind where text; do
	n=$((n + 1))
	printf '%b\n' "$text" >"$tmp/example"
	case $kind in
	conf)
		standin <"$tmp/example" >"$tmp/example.conf"
		check="milter/bulwark -t -c $tmp/example.conf"
		# The firewall group needs its table: load the ready one in a
		# network namespace of the check's own (root only).
		if grep -q '^firewall' "$tmp/example.conf"; then
			check="unshare --net sh -c 'nft -f contrib/nftables/bulwark.nft && $check'"
		fi
		if out=$(sh -c "$check" 2>&1); then
			echo "ok"
		else
			echo "FAIL: $where: bulwark -t refuses the example: $out"
		fi ;;
	main)
		mkdir -p "$tmp/pf$n"
		cp "$tmp/example" "$tmp/pf$n/main.cf"
		: >"$tmp/pf$n/master.cf"
		if out=$(postconf -c "$tmp/pf$n" -n 2>&1) &&
		    ! printf '%s\n' "$out" | grep -q warning; then
			echo "ok"
		else
			echo "FAIL: $where: postconf complains about the example: $out"
		fi ;;
	mc)
		if [ "$(cat "$tmp/example")" = "$mc" ]; then
			echo "ok"
		else
			echo "FAIL: $where: not the line of contrib/sendmail/bulwark.mc, which t/sendmail tests"
		fi ;;
	ctl)
		cmd=$(sed -e "s|\bbulwark -t\( -c [^ ]*\)\?|$PWD/milter/bulwark -t -c $d/bulwark.conf|" \
		    -e "s|\bbulwarkctl\b|$PWD/ctl/bulwarkctl -s $d/control.sock|g" \
		    -e 's/ top$/ top --once/' "$tmp/example")
		if out=$(sh -c "$cmd" 2>&1 </dev/null); then
			echo "ok"
		else
			echo "FAIL: $where: $(cat "$tmp/example") failed against a real daemon: $out"
		fi ;;
	esac
done >"$tmp/results"
while read -r line; do
	case $line in
	ok) ok ;;
	FAIL:*) failed=$((failed + 1)); echo "$line" ;;
	*) echo "    $line" ;;
	esac
done <"$tmp/results"
examples_run=$(grep -c '^ok$\|^FAIL:' "$tmp/results")
if [ "$examples_run" -ge 40 ]; then ok; else
	fail "only $examples_run examples found (t/docs/examples.pl)"; fi

echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
