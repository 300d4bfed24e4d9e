# network.sh - scenario: a harvest spread over a /24, blocked as a
# network (dha.network), in a real Postfix, and the network's block seen
# and lifted with bulwarkctl.
#
# bw-network: more than 5 invalid recipients in 10 minutes block a host;
# more than 120 from one /24 block the whole /24.  198.51.100.1 .. .50
# each try 3 unknown recipients, under the host threshold: the 41st
# address's first one is the 121st of the /24 and blocks it (its next
# recipient is refused), and every later address of the /24 is refused
# at CONNECT.  198.51.100.200 is
# excluded: its 10 unknown recipients, sent first, count for nothing
# (else the /24 would trip earlier), and the network's block never
# refuses it.  An address of 198.51.101.0/24 is not refused.  bulwarkctl
# lists the block as 198.51.100.0/24, shows it (rule network), shows a
# host of the /24 as refused with its network, and unblocks the prefix,
# after which the next address of the /24 gets through.

network_setup() {
	next_port
	NETWORK_PORT=$PORT
	bw_config bw-network <<EOF
exclude = [ "127.0.0.1", "198.51.100.200" ];
dha = {
	max_invalid = 5;
	period = "10m";
	block = "10m";
	action = "tempfail";
	network = { ipv4_prefix = 24; max = 120; };
};
EOF
	# Its own control socket, for bulwarkctl.
	sed -i "s|^control = \"\";|control = \"unix:$WORK/bw-network.ctl\";|" \
	    "$WORK/bw-network.conf"
	pf_service mx1 "$NETWORK_PORT" bw-network
}

# network_ctl ARGS...: bulwarkctl on bw-network; output in $OUT.
network_ctl() {
	OUT=$("$TOP/ctl/bulwarkctl" -s "$WORK/bw-network.ctl" "$@" 2>&1)
}

# network_harvest ADDR N: one session of ADDR trying N unknown recipients.
network_harvest() {
	local addr="$1" n="$2" i=1 IFS='
'
	# shellcheck disable=SC2046
	xsession "$NETWORK_PORT" "$addr" "MAIL FROM:<x@example.org>" \
	    $(while [ $i -le "$n" ]; do
		echo "RCPT TO:<gone$i@test.example>"
		i=$((i + 1))
	    done)
}

network_spread() {
	local log="$WORK/mx1/maillog" bwlog="$WORK/bw-network.log" n=1
	local refused=0 served=0
	network_harvest 198.51.100.200 10
	expect_count "network: Postfix rejected the excluded host's 10 unknown recipients" \
	    "$log" 10 "reject: RCPT from unknown[198.51.100.200]: 550 5.1.1"
	while [ $n -le 40 ]; do
		network_harvest "198.51.100.$n" 3
		[ "$(printf '%s\n' "$OUT" | smtp_reply "RCPT TO:<gone3@")" = \
		    "550 5.1.1 <gone3@test.example>: Recipient address rejected: User unknown in local recipient table" ] &&
		    served=$((served + 1))
		n=$((n + 1))
	done
	if [ "$served" -eq 40 ]; then
		ok "network: 40 addresses of the /24 tried 3 unknown recipients each, unrefused"
	else
		not_ok "network: only $served of 40 addresses were served"
		show_out
	fi
	# Postfix refuses an unknown recipient itself: bulwark's refusal
	# shows at the next valid one.
	xsession "$NETWORK_PORT" 198.51.100.41 "MAIL FROM:<x@example.org>" \
	    "RCPT TO:<gone1@test.example>" "RCPT TO:<alice@test.example>"
	expect_reply "network: the 121st unknown recipient of the /24 trips the network" \
	    "RCPT TO:<alice@" "421 4.7.0"
	expect_hangup "network: the tripping session"
	expect_line "network: bulwark blocked 198.51.100.0/24 as a network" \
	    "$bwlog" "event=block" "detector=dha" "host=198.51.100.41 " \
	    "rule=network network=198.51.100.0/24 " "count=121 " \
	    "threshold=120 "
	expect_no_line "network: no host was blocked by its own rule" "$bwlog" \
	    "event=block" "rule=host"
	n=42
	while [ $n -le 50 ]; do
		network_harvest "198.51.100.$n" 3
		[ "$(printf '%s\n' "$OUT" | smtp_reply XCLIENT | cut -c1-4)" = \
		    "421 " ] && refused=$((refused + 1))
		n=$((n + 1))
	done
	if [ "$refused" -eq 9 ]; then
		ok "network: the 9 later addresses of the /24 are refused at CONNECT"
	else
		not_ok "network: $refused of 9 later addresses of the /24 refused"
		show_out
	fi
	# The block's first refusal is logged in full, the rest summed up.
	expect_line "network: the refusal names the network" "$bwlog" \
	    "event=refuse" "stage=connect" "detector=dha" \
	    "host=198.51.100.42 " "network=198.51.100.0/24 "
	xsession "$NETWORK_PORT" 198.51.100.200
	expect_reply "network: the excluded address of the /24 is not refused" \
	    XCLIENT 220
	xsession "$NETWORK_PORT" 198.51.101.7
	expect_reply "network: an address of another /24 is not refused" \
	    XCLIENT 220
}

network_ctl_checks() {
	local field
	network_ctl list
	expect_text "network: bulwarkctl list shows the network" \
	    "198.51.100.0/24 "
	network_ctl -j list
	expect_text "network: list --json: rule network" '"rule":"network"'
	network_ctl show 198.51.100.0/24
	expect_text "network: show names the network" "198.51.100.0/24"
	expect_text "network: show explains a network rule's block" \
	    "(network rule)"
	network_ctl -j show 198.51.100.0/24
	expect_text "network: show gives the count and threshold" \
	    "121 invalid recipients from the network within 600 s, more than the threshold of 120"
	for field in '"network":true' '"status":"blocked"' '"detector":"dha"' \
	    '"rule":"network"' '"count":121' '"threshold":120' \
	    '"period":600' '"level":0'; do
		expect_text "network: show --json of the network: $field" "$field"
	done
	network_ctl -j show 198.51.100.45
	expect_text "network: a host of the /24 is blocked" '"status":"blocked"'
	expect_text "network: its explanation names its network" \
	    "refused with its network 198.51.100.0/24"
	expect_text "network: its networks are listed" \
	    '"networks":["198.51.100.0/24"]'
	network_ctl -j show 198.51.100.200
	expect_text "network: the excluded host stays excluded" \
	    '"status":"excluded"'
	network_ctl unblock 198.51.100.0/24
	expect_text "network: bulwarkctl unblock of the prefix" \
	    "unblocked 1 host in 198.51.100.0/24"
	expect_line "network: the unblock is logged" "$WORK/bw-network.log" \
	    "event=manual-unblock" "scope=198.51.100.0/24"
	expect_line "network: the later refusals are summed up for the network" \
	    "$WORK/bw-network.log" "event=refuse-summary" "detector=dha" \
	    "host=198.51.100.0/24 " "refused=8 " "lifted=yes"
	xsession "$NETWORK_PORT" 198.51.100.51
	expect_reply "network: after the unblock a new address of the /24 gets through" \
	    XCLIENT 220
	network_ctl list
	expect_text "network: no block is left" "no blocks in force"
}

network_run() {
	bw_start bw-network || return
	network_spread
	network_ctl_checks
}
