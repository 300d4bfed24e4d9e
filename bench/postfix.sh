# postfix.sh - the end-to-end part of bench/run.sh (sourced by it).
#
# postfix_e2e: a private Postfix instance in $W/bench, the one of the
# Postfix tests (pf_create of t/postfix/lib.sh: all mail discarded, on
# loopback ports held by hold_ports) without peer name lookups, nor a
# connection limit, a failing milter tempfailing, with three smtpd
# services: no milter, the floor ($W/floor.sock) and bulwark on the
# memory store ($W/bw-mem.sock).  smtp-source sends BENCH_MESSAGES
# messages over 8 sessions at once, one message per session, to each
# service, twice, in opposite orders; records messages/s per service (and
# how many commands a milter refused, all services together: none is
# expected).  Needs root (Postfix's master).  The instance is stopped at
# the end, and by bench_cleanup on an early exit.

TOP=$BENCH_TOP
. "$BENCH_TOP/t/postfix/lib.sh"

bench_pf_stop() {
	pf_stop bench
}

pf_setup() {
	local p
	WORK=$W
	BENCH_ON_EXIT=bench_pf_stop
	pf_create bench
	postconf -c "$W/bench/etc" -e 'smtpd_peername_lookup = no' \
	    'smtpd_client_connection_count_limit = 0' \
	    'milter_default_action = tempfail' || return 1
	set -- $ports
	echo "127.0.0.1:$1 inet n - n - - smtpd" >>"$W/bench/etc/master.cf"
	pf_service bench "$2" floor
	pf_service bench "$3" bw-mem
	pf_start bench >"$W/pf.out" || {
		echo "bench: postfix did not start:" >&2
		cat "$W/pf.out" >&2
		return 1
	}
	for p in $ports; do
		wait_until perl -MIO::Socket::INET -e \
		    'IO::Socket::INET->new("127.0.0.1:$ARGV[0]") or exit 1' "$p" ||
		    return 1
	done
}

# smtp_run PORT: seconds smtp-source took for MESSAGES messages.
smtp_run() {
	local t0 t1
	t0=$(date +%s.%N)
	smtp-source -s 8 -m "$MESSAGES" -f sender@bench.test \
	    -t alice@test.example -M client.bench.test "127.0.0.1:$1" \
	    >>"$W/smtp-source.out" 2>&1 || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

postfix_e2e() {
	local ports names="none floor bulwark" round name port took refused
	echo "bench: postfix end to end" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: the Postfix part needs root, skipped" >&2
		return 1
	fi
	hold_ports 3 || return 1
	pf_setup || return 1
	set -- $ports
	port_none=$1 port_floor=$2 port_bulwark=$3
	# A first message through each warms Postfix's processes up.
	for port in $ports; do
		smtp-source -m 8 -s 8 -f sender@bench.test -t alice@test.example \
		    "127.0.0.1:$port" >>"$W/smtp-source.out" 2>&1
	done
	for round in 1 2; do
		for name in $names; do
			eval port=\$port_$name
			took=$(smtp_run "$port") || {
				echo "bench: smtp-source to $name failed:" >&2
				tail -n 5 "$W/smtp-source.out" >&2
				return 1
			}
			echo "$took" >>"$W/e2e-$name"
		done
		names=$(printf '%s\n' $names | tac | tr '\n' ' ')
	done
	refused=$(grep -c 'milter-reject\|milter-tempfail' "$W/bench/maillog")
	for name in none floor bulwark; do
		row postfix "postfix, milter: $name" "$(awk -v m="$MESSAGES" \
		    -v r="$refused" '{ s += $1; n++ } END {
			printf "{\"messages\":%d,\"seconds\":%.3f,", m * n, s
			printf "\"messages_per_s\":%.1f,", m * n / s
			printf "\"milter_refusals\":%d}\n", r }' "$W/e2e-$name")"
	done
	bench_pf_stop
	BENCH_ON_EXIT=
}
