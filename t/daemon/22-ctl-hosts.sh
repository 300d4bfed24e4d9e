#!/bin/sh
# 22-ctl-hosts.sh - the hosts bulwarkctl names: every host form list
# prints is taken back by show and unblock, blocks and unblocks of CIDR
# prefixes, and unblock --all [DETECTOR] --yes; all checked at CONNECT.
. "$SRCDIR/lib.sh"

d=$WORKDIR
sock=$d/bulwark.sock
conf "$d/bulwark.conf" "$d" '
dos = { max_connections = 1; period = "1h"; block = "1h"; };'
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

# total: the number of blocks list --json counts.
total() {
	"$BULWARKCTL" -s "$d/control.sock" list --json "$@" |
	    sed -n 's/.*"total":\([0-9]*\).*/\1/p'
}

# Every host form that list prints, taken back by show and unblock.
ctl_is 0 "block an IPv6 address" "$d" block 2001:db8:1:2::5 1h
ctl_is 0 "block an IPv4 address" "$d" block 192.0.2.5 1h
check "two DoS trips" connect "$sock" 198.51.100.20 continue
check "the DoS block" connect "$sock" 198.51.100.20 refuse
ctl_is 0 "list" "$d" list --json
hosts=$(tr '{' '\n' <"$WORKDIR/ctl.out" | sed -n 's/^"host":"\([^"]*\)".*/\1/p')
check "list names three hosts" test "$(echo "$hosts" | wc -l)" -eq 3
for host in $hosts; do
	ctl_is 0 "show takes $host back" "$d" show "$host"
	out_has "show $host: blocked" "status        blocked"
done
ctl_is 0 "show the /64 key" "$d" show 2001:db8:1:2::/64
out_has "show the /64 key: its host" "host          2001:db8:1:2::/64"
ctl_is 0 "show the address form [IPv6:...]" "$d" show "[IPv6:2001:db8:1:2::9]"
out_has "show [IPv6:...]: its host" "host          2001:db8:1:2::/64"
ctl_is 0 "show a /128 inside the /64" "$d" show 2001:db8:1:2::7/128
out_has "show /128: the /64 host" "host          2001:db8:1:2::/64"
ctl_is 0 "unblock the /64 key as list prints it" "$d" unblock 2001:db8:1:2::/64
out_line "unblock /64: answered" "unblocked 2001:db8:1:2::/64"
check "the /64 connects again" connect "$sock" 2001:db8:1:2::99 continue
ctl_is 1 "a prefix with host bits set is refused" "$d" show 192.0.2.5/24
err_has "host bits: the prefix is suggested" "(the prefix is 192.0.2.0/24)"
ctl_is 1 "a bad prefix length is refused" "$d" show 192.0.2.0/33
ctl_is 1 "show of a prefix of many hosts is refused" "$d" show 192.0.2.0/24
err_has "show of a prefix: why" "192.0.2.0/24 holds more than one host"

# A prefix block covers each host key inside it.
ctl_is 0 "block a /28" "$d" block 203.0.113.16/28 2h "range"
out_has "block /28: 16 hosts" "blocked 203.0.113.16/28 (16 hosts) until"
check "an address inside the /28 is refused" connect "$sock" 203.0.113.20 \
    refuse
check "the last address of the /28 is refused" connect "$sock" \
    203.0.113.31 refuse
check "the next address is not" connect "$sock" 203.0.113.32 continue
check "list counts 17 manual blocks" test "$(total manual)" -eq 17
ctl_is 0 "block a /56 of IPv6 /64 hosts" "$d" block 2001:db8:aa00::/56 1h
out_has "block /56: 256 hosts" "(256 hosts)"
check "an address of the /56 is refused" connect "$sock" \
    2001:db8:aa00:ff:1::1 refuse
ctl_is 1 "a prefix of more than 256 hosts is refused" "$d" \
    block 10.0.0.0/16 1h
err_has "too wide: the blocked list is named" \
    "10.0.0.0/16 holds more than 256 hosts (ipv4_prefix = 32)"
check "the refused prefix blocked nothing" test "$(total manual)" -eq 273

# unblock of a prefix: every blocked host inside it, and only those.
ctl_is 0 "unblock a /30 inside the /28" "$d" unblock 203.0.113.16/30
out_line "unblock /30: four hosts" "unblocked 4 hosts in 203.0.113.16/30"
out_line "unblock /30: each named" "  203.0.113.19"
check "an unblocked address connects" connect "$sock" 203.0.113.17 continue
check "an address of the /28 outside the /30 is still refused" \
    connect "$sock" 203.0.113.20 refuse
ctl_is 0 "unblock the /56" "$d" unblock 2001:db8:aa00::/56
out_line "unblock /56: 256 hosts" "unblocked 256 hosts in 2001:db8:aa00::/56"
check "the /56 connects again" connect "$sock" 2001:db8:aa00:ff:1::2 continue
ctl_is 0 "unblock a prefix with no block" "$d" unblock 192.0.2.128/25
out_line "nothing to unblock: said" "unblocked 0 hosts in 192.0.2.128/25"

# unblock --all: refused without --yes, per detector, then everything.
ctl_is 2 "unblock --all without --yes: exit 2" "$d" unblock --all
err_has "unblock --all: --yes asked for" "confirm with --yes"
check "without --yes nothing was unblocked" test "$(total)" -eq 14
ctl_is 2 "unblock --all with an address: exit 2" "$d" unblock --all \
    192.0.2.5 --yes
ctl_is 2 "--yes without --all: exit 2" "$d" unblock 192.0.2.5 --yes
ctl_is 0 "unblock --all dos --yes" "$d" unblock --all dos --yes
out_line "unblock --all dos: one host" "unblocked 1 host blocked by dos"
check "the DoS-blocked host connects again" connect "$sock" 198.51.100.20 \
    continue
check "manual blocks stay" test "$(total manual)" -eq 13
check "a host blocked by hand is still refused" connect "$sock" 192.0.2.5 \
    refuse
ctl_is 0 "unblock --all --yes" "$d" --yes unblock --all --json
out_has "unblock --all --json: the count" '"unblocked":13'
check "no block is left" test "$(total)" -eq 0
check "the unblock --all is logged once" test "$(log_count "$d/log" \
    event=manual-unblock scope=all detector=any count=13 uid=)" -eq 1

# Host keys of another prefix length: list prints them, ctl takes them.
conf "$d/bulwark.conf" "$d" '
ipv4_prefix = 24;
dos = { max_connections = 1; period = "1h"; block = "1h"; };'
ctl_is 0 "reload with ipv4_prefix = 24" "$d" reload
ctl_is 0 "block an address: its /24" "$d" block 198.51.100.77 1h
out_has "block: the /24 host" "blocked 198.51.100.0/24 until"
ctl_is 0 "list shows the /24" "$d" list
out_has "list: the /24 key" "198.51.100.0/24  manual"
ctl_is 0 "show takes the /24 back" "$d" show 198.51.100.0/24
out_has "show /24: blocked" "status        blocked"
ctl_is 0 "unblock takes the /24 back" "$d" unblock 198.51.100.0/24
out_line "unblock /24: one host" "unblocked 198.51.100.0/24"
check "the /24 connects again" connect "$sock" 198.51.100.1 continue

stop_fg "$pid"
check "the daemon stopped with status 0" test $? -eq 0
finish
