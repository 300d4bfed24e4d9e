# postfix.sh - the end-to-end part of bench/run.sh (sourced by it).
#
# postfix_e2e: a private Postfix instance in $W/pf (discarding all mail,
# no DNS, listening on free loopback ports), with three smtpd services:
# no milter, the floor ($W/floor.sock) and bulwark on the memory store
# ($W/bw-mem.sock).  smtp-source sends BENCH_MESSAGES messages over 8
# sessions at once, one message per session, to each service, twice,
# in opposite orders; records messages/s per service (and how many
# commands a milter refused, all services together: none is expected).
# Needs root (Postfix's master).  The instance is
# stopped at the end, and by bench_cleanup on an early exit.

PF=

pf_stop() {
	local pid i=0
	[ -n "$PF" ] || return 0
	pid=$(tr -d ' \n' 2>/dev/null <"$PF/queue/pid/master.pid")
	postfix -c "$PF/etc" stop >/dev/null 2>&1
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	PF=
}

pf_setup() {
	local ports=$1 p
	PF=$W/pf
	BENCH_ON_EXIT=pf_stop
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
	chown postfix "$PF/data"
	echo 'alice@test.example ok' >"$PF/etc/recipients"
	cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
myhostname = bench.test.example
mydomain = test.example
mydestination = test.example
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps = texthash:$PF/etc/recipients
local_transport = discard:
default_transport = discard:
relay_transport = discard:
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
milter_protocol = 6
milter_default_action = tempfail
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
EOF
	cat >"$PF/etc/master.cf" <<EOF
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	set -- $ports
	echo "127.0.0.1:$1 inet n - n - - smtpd" >>"$PF/etc/master.cf"
	echo "127.0.0.1:$2 inet n - n - - smtpd -o smtpd_milters=unix:$W/floor.sock" \
	    >>"$PF/etc/master.cf"
	echo "127.0.0.1:$3 inet n - n - - smtpd -o smtpd_milters=unix:$W/bw-mem.sock" \
	    >>"$PF/etc/master.cf"
	postfix -c "$PF/etc" check >"$W/pf.out" 2>&1 &&
	    postfix -c "$PF/etc" start >>"$W/pf.out" 2>&1 || {
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
	ports=$(free_ports 3)
	pf_setup "$ports" || return 1
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
	refused=$(grep -c 'milter-reject\|milter-tempfail' "$PF/maillog")
	for name in none floor bulwark; do
		row postfix "postfix, milter: $name" "$(awk -v m="$MESSAGES" \
		    -v r="$refused" '{ s += $1; n++ } END {
			printf "{\"messages\":%d,\"seconds\":%.3f,", m * n, s
			printf "\"messages_per_s\":%.1f,", m * n / s
			printf "\"milter_refusals\":%d}\n", r }' "$W/e2e-$name")"
	done
	pf_stop
	BENCH_ON_EXIT=
}
