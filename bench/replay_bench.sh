#!/bin/sh
# replay_bench.sh - lines per second of bulwark-replay ("make bench-replay").
#
#   bench/replay_bench.sh [LINES]
#
# Writes a Postfix log of LINES lines (default 2,000,000) in a temporary
# directory: 20,000 client addresses, most delivering mail, a few
# flooding or harvesting, and the lines of other Postfix daemons that a
# maillog holds in between.  Replays it with the default configuration
# (an empty file) on one core, three times, and prints the best rates:
# by the clock, and by the CPU time it used (the fairer figure on a busy
# machine).  Nothing here is asserted: the figures are for reading.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
REPLAY=$TOP/ctl/bulwark-replay
LINES=${1:-2000000}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-replay-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT

[ -x "$REPLAY" ] || { echo "build it first: make" >&2; exit 1; }
echo "# the defaults" >"$DIR/defaults.conf"

awk -v lines="$LINES" 'BEGIN {
	srand(7); t = 0; pid = 1000; n = 0
	split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", mon, " ")
	while (n < lines) {
		t += 0.05
		sec = int(t); d = 1 + int(sec / 86400); h = int(sec % 86400 / 3600)
		m = int(sec % 3600 / 60); s = sec % 60
		stamp = sprintf("Mar %2d %02d:%02d:%02d mx1", d, h, m, s)
		r = rand()
		if (r < 0.02) { host = "198.51.100." int(rand() * 4) }
		else { host = sprintf("10.%d.%d.%d", int(rand() * 2), int(rand() * 100), int(rand() * 100)) }
		pid++; if (pid > 60000) pid = 1000
		p = sprintf("%s postfix/smtpd[%d]: ", stamp, pid)
		print p "connect from mail.example.net[" host "]"; n++
		if (r < 0.01) {
			for (i = 0; i < 5; i++) {
				print p "NOQUEUE: reject: RCPT from mail.example.net[" host "]: 550 5.1.1 <u" i "@example.org>: Recipient address rejected: User unknown in local recipient table; from=<a@example.net> to=<u" i "@example.org> proto=ESMTP helo=<mail.example.net>"; n++
			}
			print p "disconnect from mail.example.net[" host "] ehlo=1 mail=1 rcpt=0/5 quit=1 commands=3/8"; n++
		} else {
			q = sprintf("%X", 1000000 + n)
			print p q ": client=mail.example.net[" host "]"; n++
			print stamp " postfix/cleanup[900]: " q ": message-id=<" n "@example.net>"; n++
			print stamp " postfix/qmgr[901]: " q ": from=<a@example.net>, size=2048, nrcpt=1 (queue active)"; n++
			print p "disconnect from mail.example.net[" host "] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"; n++
			print stamp " postfix/local[902]: " q ": to=<b@example.org>, relay=local, delay=0.1, delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (delivered to mailbox)"; n++
			print stamp " postfix/qmgr[901]: " q ": removed"; n++
		}
	}
}' >"$DIR/maillog"
n=$(wc -l <"$DIR/maillog")

# run FILE: replay it on core 0 (when taskset is there); prints the wall
# and CPU (user + system) seconds it took.
run() {
	local pin=
	command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
	# shellcheck disable=SC2086
	/usr/bin/time -f "%e %U %S" -o "$DIR/time" $pin "$REPLAY" -q \
	    -c "$DIR/defaults.conf" "$1" >/dev/null
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$DIR/time"
}

# rate SECONDS: lines per second.
rate() {
	awk -v n="$n" -v s="$1" 'BEGIN { printf "%d", (s > 0 ? n / s : n * 100) }'
}

best_wall=0
best_cpu=0
for i in 1 2 3; do
	set -- $(run "$DIR/maillog")
	echo "run $i: $n lines in $1 s ($2 s of CPU)"
	[ "$(rate "$1")" -gt "$best_wall" ] && best_wall=$(rate "$1")
	[ "$(rate "$2")" -gt "$best_cpu" ] && best_cpu=$(rate "$2")
done
gzip -c "$DIR/maillog" >"$DIR/maillog.gz"
set -- $(run "$DIR/maillog.gz")
echo "gzip: $(rate "$1") lines/s ($(rate "$2") per CPU second)"
echo "bulwark-replay: $best_wall lines/s, $best_cpu lines per CPU second" \
    "(best of 3, plain file, default configuration, one core)"
