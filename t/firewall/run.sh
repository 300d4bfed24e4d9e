#!/bin/sh
# run.sh - the firewall group against real nftables, in network
# namespaces made for the run.
#
#   t/firewall/run.sh
#
# Two namespaces joined by a veth pair: the node (198.51.100.1,
# 2001:db8::1) runs a private Postfix, bulwark and the table of
# contrib/nftables/bulwark.nft; the clients (198.51.100.10-21) connect
# from the other one, so they have real, non-loopback addresses.
#   - a missing table fails bulwark -t and the start (exit 78);
#   - a DoS flood blocks a client; its next TCP connection is dropped by
#     the kernel (Postfix logs no "connect from"); bulwarkctl unblock lets
#     it in again; the element ends by itself with the block;
#   - loopback, excluded and own addresses are never pushed; IPv6 hosts
#     go in as their /64; the static blocked list goes in without timeout;
#   - status and metrics count elements pushed, removed, skipped, errors;
#     a set that disappears is one logged error, not a stop, and its
#     return is logged once;
#   - a daemon dropping root for "nobody" keeps CAP_NET_ADMIN alone and
#     still changes its set; one started as nobody with CAP_NET_ADMIN
#     ambient (the systemd unit) keeps it with the firewall on, and
#     drops it with the firewall off;
#   - a network rule (dos.network, /24): five hosts of 192.0.2.0/24 each
#     under the host limit block the network; the prefix goes in the set
#     and a sixth host's connection is dropped by the kernel; unblocking
#     the prefix removes it;
#   - two daemons on one Redis (two tables standing for two nodes): a
#     block made through node A is loaded by node B when B starts, and B
#     pushes a block made through A at the first connection B refuses;
#     one made through A reaches B's set unasked within a second (the
#     array's channel), and an unblock through B leaves A's set.
# Everything (namespaces, daemons, temporary directory) goes at the end,
# also when the run is interrupted.  Needs root, ip, nft, postfix, perl,
# redis-server.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../postfix/lib.sh"

NODE=bwfw-node-$$
CLIENT=bwfw-cli-$$
NODE_IF=bwn$$
CLIENT_IF=bwc$$
SERVER=198.51.100.1
CTL=$TOP/ctl/bulwarkctl

finish() {
	summary firewall
	exit
}

AMB_PID=

fw_cleanup() {
	[ -n "$AMB_PID" ] && kill -KILL "$AMB_PID" 2>/dev/null
	cleanup
	ip netns del "$NODE" 2>/dev/null
	ip netns del "$CLIENT" 2>/dev/null
}

preflight() {
	local tool
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "the firewall tests need root (network namespaces, nftables)"
		finish
	fi
	for tool in ip nft setpriv postfix postconf redis-server redis-cli perl; do
		command -v "$tool" >/dev/null 2>&1 && continue
		not_ok "$tool is not installed (contrib/install-deps.sh check)"
	done
	[ -x "$BULWARK" ] && [ -x "$CTL" ] || not_ok "bulwark is not built (make)"
	[ "$failed" -eq 0 ] || finish
}

in_node() { ip netns exec "$NODE" "$@"; }
in_client() { ip netns exec "$CLIENT" "$@"; }

netns_setup() {
	ip netns add "$NODE" && ip netns add "$CLIENT" &&
	ip link add "$NODE_IF" type veth peer name "$CLIENT_IF" &&
	ip link set "$NODE_IF" netns "$NODE" &&
	ip link set "$CLIENT_IF" netns "$CLIENT" &&
	in_node ip link set lo up && in_client ip link set lo up &&
	in_node ip addr add "$SERVER/24" dev "$NODE_IF" &&
	in_node ip addr add 2001:db8::1/64 dev "$NODE_IF" nodad &&
	in_node ip link set "$NODE_IF" up &&
	in_client ip addr add 198.51.100.10/24 dev "$CLIENT_IF" &&
	in_client ip addr add 2001:db8::10/64 dev "$CLIENT_IF" nodad &&
	in_client ip link set "$CLIENT_IF" up || return 1
	for n in 11 12 13 20 21; do
		in_client ip addr add "198.51.100.$n/24" dev "$CLIENT_IF" || return 1
	done
}

# table NAME: the contrib table, renamed NAME, loaded in the node.
table_load() {
	sed "s/^table inet bulwark /table inet $1 /" \
	    "$TOP/contrib/nftables/bulwark.nft" | in_node nft -f -
}

# set_has TABLE SET TEXT: the set lists TEXT (waits up to 3 s).
set_has() {
	local i=0
	while [ $i -lt 30 ]; do
		in_node nft list set inet "$1" "$2" 2>/dev/null | grep -qF -- "$3" &&
		    return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# set_lacks TABLE SET TEXT: the set does not list TEXT (waits up to 3 s).
set_lacks() {
	local i=0
	while [ $i -lt 30 ]; do
		in_node nft list set inet "$1" "$2" 2>/dev/null | grep -qF -- "$3" ||
		    return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

expect_set() {
	if set_has "$2" "$3" "$4"; then ok "$1"; else
		not_ok "$1: no $4 in $2 $3"; in_node nft list table inet "$2" | show
	fi
}

expect_no_set() {
	if set_lacks "$2" "$3" "$4"; then ok "$1"; else
		not_ok "$1: $4 still in $2 $3"; in_node nft list table inet "$2" | show
	fi
}

# client ADDR PORT: one SMTP session from ADDR to the node; $OUT.
client() {
	OUT=$(in_client perl "$SMTP_CLIENT" -b "$1" -w 3 "$SERVER" "$2" \
	    "EHLO client.test" 2>&1)
}

connects() {
	grep -cF ": connect from unknown[$1]" "$WORK/mx1/maillog" 2>/dev/null
}

# ctl NAME COMMAND...: bulwarkctl on daemon NAME's control socket.
ctl() {
	local name="$1"
	shift
	"$CTL" -s "$WORK/$name.ctl" "$@" >/dev/null 2>&1
}

# bw_fw_config NAME TABLE [MORE]: a daemon with the firewall on TABLE.
bw_fw_config() {
	{
		cat <<EOF2
control = "unix:$WORK/$1.ctl";
exclude = [ "127.0.0.0/8", "::1", "198.51.100.12" ];
dos = { max_connections = 3; period = "1m"; block = 6; };
firewall = { enabled = true; table = "$2"; };
EOF2
		cat
	} | bw_config "$1"
	sed -i 's/^control = "";$//' "$WORK/$1.conf"
}

# --- scenarios ---------------------------------------------------------------

missing_table() {
	local out rc
	out=$("$BULWARK" -t -c "$WORK/bw1.conf" 2>&1)
	rc=$?
	if [ $rc -eq 78 ] && printf '%s\n' "$out" |
	    grep -qF "firewall: nftables table inet bulwark cannot be read"; then
		ok "bulwark -t: a missing table is a configuration error (78)"
	else
		not_ok "bulwark -t with no table: exit $rc"; printf '%s\n' "$out" | show
	fi
	"$BULWARK" -f -c "$WORK/bw1.conf" >"$WORK/missing.out" 2>&1
	rc=$?
	if [ $rc -eq 78 ] && grep -qF "event=fatal reason=\"firewall: nftables table inet bulwark cannot be read" "$WORK/missing.out" &&
	    [ ! -e "$WORK/bw1.sock" ]; then
		ok "start: a missing table stops it with exit 78, no socket left"
	else
		not_ok "start with no table: exit $rc"; show "$WORK/missing.out"
	fi
}

flood() {
	local a=198.51.100.10 n=1 before
	while [ $n -le 3 ]; do
		client "$a" 25
		expect_reply "flood: connection $n from $a" greeting 220
		n=$((n + 1))
	done
	client "$a" 25
	expect_reply "flood: connection 4 from $a is refused by the milter" \
	    greeting "421 "
	expect_set "flood: $a is pushed to blocked4" bulwark blocked4 \
	    "$a timeout 6s"
	before=$(connects "$a")
	client "$a" 25
	expect_text "flood: the next connection from $a is dropped" \
	    "== connect failed"
	client 198.51.100.11 25
	expect_reply "flood: another client is served meanwhile" greeting 220
	if [ "$(connects "$a")" -eq "$before" ]; then
		ok "flood: Postfix never saw the dropped connection"
	else
		not_ok "flood: Postfix logged a connect from $a"
	fi
	ctl bw1 unblock "$a"
	expect_no_set "flood: unblock removes the element" bulwark blocked4 "$a"
	client "$a" 25
	expect_reply "flood: $a is served after the unblock" greeting 220
}

expiry() {
	local a=198.51.100.13 n=1
	while [ $n -le 3 ]; do
		client "$a" 25
		n=$((n + 1))
	done
	clock_start
	client "$a" 25
	expect_reply "expiry: $a is blocked" greeting "421 "
	expect_set "expiry: $a is pushed" bulwark blocked4 "$a timeout"
	at 7.2
	if in_node nft list set inet bulwark blocked4 | grep -qF "$a"; then
		not_ok "expiry: the element outlived the block"
	else
		ok "expiry: the element ended by itself with the block"
	fi
	client "$a" 25
	expect_reply "expiry: $a is served again" greeting 220
}

guarded() {
	local log="$WORK/bw1.log"
	ctl bw1 block 198.51.100.12 1h
	ctl bw1 block 127.0.0.1 1h
	ctl bw1 block "$SERVER" 1h
	ctl bw1 block 2001:db8::99 1h
	ctl bw1 block 2001:db8:ff::7 1h
	expect_set "ipv6: a host goes in as its /64" bulwark blocked6 \
	    "2001:db8:ff::/64 timeout"
	expect_line "excluded host never pushed" "$log" "event=firewall-skip" \
	    "host=198.51.100.12 " "reason=excluded"
	expect_line "loopback never pushed" "$log" "event=firewall-skip" \
	    "host=127.0.0.1 " "reason=loopback"
	expect_line "own address never pushed" "$log" "event=firewall-skip" \
	    "host=$SERVER " "reason=own-address"
	expect_line "a /64 holding an own address never pushed" "$log" \
	    "event=firewall-skip" "host=2001:db8::/64 " "reason=own-address"
	expect_no_set "none of them is in blocked4" bulwark blocked4 "198.51.100.12"
	expect_no_set "nor the node's address" bulwark blocked4 "$SERVER"
	expect_no_set "nor its /64" bulwark blocked6 "2001:db8::/64"
	expect_set "the static blocked list is in, without timeout" bulwark \
	    blocked4 "203.0.113.0/24 }"
}

counters() {
	local json
	json=$("$CTL" -j -s "$WORK/bw1.ctl" status 2>&1)
	if printf '%s\n' "$json" | perl -MJSON::PP -e '
	    my $f = decode_json(join "", <STDIN>)->{firewall};
	    exit !($f->{state} eq "ok" && $f->{pushed} >= 4 &&
	        $f->{removed} >= 1 && $f->{skipped} >= 4 && $f->{errors} == 0)'
	then
		ok "status: firewall ok, pushed, removed and skipped counted"
	else
		not_ok "status: firewall counters"; printf '%s\n' "$json" | show
	fi
	if "$CTL" -s "$WORK/bw1.ctl" metrics 2>&1 |
	    grep -q '^bulwark_firewall_removed_total [1-9]'; then
		ok "metrics: bulwark_firewall_removed_total"
	else
		not_ok "metrics: no bulwark_firewall_removed_total"
	fi
}

# The table goes away under the daemon, then comes back.
failure() {
	local log="$WORK/bw1.log"
	in_node nft delete table inet bulwark
	ctl bw1 block 198.51.100.20 1h
	ctl bw1 block 198.51.100.21 1h
	expect_line "failure: the error is logged" "$log" "event=firewall-error" \
	    "op=add"
	sleep 0.5
	expect_count "failure: logged once, not per element" "$log" 1 \
	    "event=firewall-error"
	client 198.51.100.11 25
	expect_reply "failure: the milter still answers" greeting 220
	table_load bulwark
	ctl bw1 block 198.51.100.20 2h
	expect_line "failure: the recovery is logged" "$log" \
	    "event=firewall-recovered"
	expect_set "failure: pushed again once the table is back" bulwark \
	    blocked4 198.51.100.20
}

capabilities() {
	local pid status
	table_load capt
	bw_fw_config bwcap capt <<EOF2
user = "nobody";
EOF2
	bw_start bwcap || return
	pid=$(bw_pid bwcap)
	status=$(grep '^Cap' "/proc/$pid/status" | tr -s '\t ' ' ')
	case "$status" in
	*"CapInh: 0000000000000000"*"CapPrm: 0000000000001000"*"CapEff: 0000000000001000"*"CapBnd: 0000000000001000"*"CapAmb: 0000000000000000"*)
		ok "user nobody: CAP_NET_ADMIN alone is kept" ;;
	*) not_ok "user nobody: capabilities"; printf '%s\n' "$status" | show ;;
	esac
	if [ "$(stat -c %U "/proc/$pid")" = nobody ]; then
		ok "user nobody: the daemon runs as nobody"
	else
		not_ok "user nobody: runs as $(stat -c %U "/proc/$pid")"
	fi
	ctl bwcap block 198.51.100.21 1h
	expect_set "user nobody: the set is still changed" capt blocked4 \
	    198.51.100.21
	bw_stop bwcap
	bw_wait bwcap 15
	ambient on 0000000000001000
	ambient off 0000000000000000
}

# ambient on|off CAPEFF: started as nobody with CAP_NET_ADMIN ambient (as
# the systemd unit does), the firewall on or off: the capabilities left.
ambient() {
	local dir="$WORK/amb-$1" pid i=0 eff
	mkdir "$dir" && chown nobody "$dir"
	cat >"$dir/b.conf" <<EOF2
socket = "unix:$dir/b.sock";
pidfile = "$dir/b.pid";
control = "unix:$dir/c.sock";
metrics_listen = "";
firewall = { enabled = $([ "$1" = on ] && echo true || echo false); table = "capt"; };
EOF2
	ip netns exec "$NODE" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    --inh-caps=+net_admin --ambient-caps=+net_admin \
	    "$TOP/milter/bulwark" -f -c "$dir/b.conf" 2>"$dir/log" &
	pid=$!
	AMB_PID=$pid
	while ! grep -qs 'event=start' "$dir/log" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	eff=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
	if [ "$eff" = "$2" ]; then
		ok "ambient CAP_NET_ADMIN, firewall $1: CapEff $eff"
	else
		not_ok "ambient CAP_NET_ADMIN, firewall $1: CapEff '$eff', $2 expected"
		show "$dir/log"
	fi
	if [ "$1" = on ]; then
		"$CTL" -s "$dir/c.sock" block 198.51.100.20 1h >/dev/null 2>&1
		expect_set "ambient CAP_NET_ADMIN: the set is changed" capt \
		    blocked4 198.51.100.20
	fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	AMB_PID=
}

array() {
	redis_start || return
	table_load node_a
	table_load node_b
	for n in a b; do
		bw_fw_config "bw$n" "node_$n" <<EOF2
store = "redis";
redis = { server = "unix:$WORK/redis.sock"; };
EOF2
	done
	bw_start bwa || return
	bw_start bwb || return
	ctl bwa block 198.51.100.20 1h
	expect_set "array: a block through node A is in A's set" node_a \
	    blocked4 198.51.100.20
	bw_stop bwb
	bw_wait bwb 15
	rm -f "$WORK/bwb.stopping"
	bw_start bwb || return
	expect_set "array: node B loads it when it starts" node_b blocked4 \
	    "198.51.100.20 timeout"
	ctl bwa block 198.51.100.21 1h
	client 198.51.100.21 2525
	expect_reply "array: node B refuses a host blocked through A" \
	    greeting "421 "
	expect_set "array: and pushes it to its own set" node_b blocked4 \
	    198.51.100.21
	# Heard through the channel: no connection to B needed, within 1 s.
	local t0 took
	t0=$(date +%s%N)
	ctl bwa block 198.51.100.22 1h
	if set_has node_b blocked4 198.51.100.22; then
		took=$((($(date +%s%N) - t0) / 1000000))
		ok "array: a block through A reaches B's set, unasked ($took ms)"
		if [ "$took" -le 1000 ]; then ok "array: within a second"
		else not_ok "array: $took ms, more than a second"; fi
	else
		not_ok "array: a block through A never reached B's set"
	fi
	t0=$(date +%s%N)
	ctl bwb unblock 198.51.100.22
	if set_lacks node_a blocked4 198.51.100.22; then
		took=$((($(date +%s%N) - t0) / 1000000))
		ok "array: an unblock through B removes it from A's set ($took ms)"
	else
		not_ok "array: an unblock through B left it in A's set"
	fi
	bw_stop bwa
	bw_stop bwb
}

# A /24 of clients with no address of the node in it (the node's own
# network could never be pushed): on-link from the node.
network() {
	local n=1
	table_load bwnet || { not_ok "network: table bwnet does not load"; return; }
	while [ $n -le 6 ]; do
		in_client ip addr add "192.0.2.$n/32" dev "$CLIENT_IF" || return
		n=$((n + 1))
	done
	in_node ip route add 192.0.2.0/24 dev "$NODE_IF" || return
	bw_config bwn <<EOF2
control = "unix:$WORK/bwn.ctl";
exclude = [ "127.0.0.0/8", "::1" ];
dos = { max_connections = 3; period = "1m"; block = 6;
	network = { ipv4_prefix = 24; max = 4; }; };
firewall = { enabled = true; table = "bwnet"; };
EOF2
	sed -i 's/^control = "";$//' "$WORK/bwn.conf"
	bw_start bwn || return
	n=1
	while [ $n -le 4 ]; do
		client "192.0.2.$n" 2526
		expect_reply "network: host $n of 192.0.2.0/24 is served" greeting 220
		n=$((n + 1))
	done
	client 192.0.2.5 2526
	expect_reply "network: the fifth host trips the network's block" \
	    greeting "421 "
	expect_set "network: the prefix is pushed" bwnet blocked4 \
	    "192.0.2.0/24 timeout 6s"
	# The table drops new connections to the mail ports (25 here).
	client 192.0.2.6 25
	expect_text "network: a sixth host of the network is dropped" \
	    "== connect failed"
	ctl bwn unblock 192.0.2.0/24
	expect_no_set "network: unblocking the prefix removes it" bwnet \
	    blocked4 "192.0.2.0/24"
	client 192.0.2.6 2526
	expect_reply "network: the sixth host is served after the unblock" \
	    greeting 220
	bw_stop bwn
}

# --- run ---------------------------------------------------------------------

preflight
postfix_work_create
trap fw_cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM
netns_setup || { not_ok "network namespaces could not be made"; finish; }
ok "namespaces $NODE and $CLIENT joined by a veth pair"

# bulwark runs inside the node: a wrapper keeps its pid (ip netns exec
# and the wrapper both exec).
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NODE" \
    "$TOP/milter/bulwark" >"$WORK/bulwark"
chmod 755 "$WORK/bulwark"
BULWARK=$WORK/bulwark

bw_fw_config bw1 bulwark <<EOF2
blocked = [ "203.0.113.0/24" ];
EOF2
pf_create mx1
postconf -c "$WORK/mx1/etc" -e inet_interfaces=all smtpd_peername_lookup=no
echo "$SERVER:25 inet n - n - - smtpd -o smtpd_milters=unix:$WORK/bw1.sock" \
    >>"$WORK/mx1/etc/master.cf"
echo "$SERVER:2525 inet n - n - - smtpd -o smtpd_milters=unix:$WORK/bwb.sock" \
    >>"$WORK/mx1/etc/master.cf"
echo "$SERVER:2526 inet n - n - - smtpd -o smtpd_milters=unix:$WORK/bwn.sock" \
    >>"$WORK/mx1/etc/master.cf"

missing_table
table_load bulwark || { not_ok "contrib/nftables/bulwark.nft does not load"; finish; }
ok "contrib/nftables/bulwark.nft loads"
if out=$(in_node postfix -c "$WORK/mx1/etc" start 2>&1); then
	ok "postfix started in $NODE"
else
	not_ok "postfix did not start"; printf '%s\n' "$out" | show; finish
fi
bw_start bw1 || finish
flood
expiry
guarded
counters
failure
bw_stop bw1
capabilities
network
array
for name in $BW_NAMES; do
	bw_wait "$name" 15 || not_ok "bulwark $name still running 15 s after SIGTERM"
done
fw_cleanup
if ip netns list | grep -qF -- "-$$ "; then
	not_ok "namespaces left"
else
	ok "namespaces removed"
fi
finish
