#!/bin/sh
# 01-ctl.sh - every bulwarkctl command against a running daemon (memory
# store): its tables, its JSON, its errors and its exit statuses, and
# that blocks by hand are enforced by the milter.
. "$SRCDIR/lib.sh"

d=$WORKDIR
sock=$d/bulwark.sock
conf "$d/bulwark.conf" "$d" '
exclude = [ "192.0.2.200" ];
blocked = [ "203.0.113.0/24" ];
dos = { max_connections = 3; period = "1h"; block = "1h"; };'
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

# status
ctl_is 0 "status" "$d" status
out_has "status: version" "version       $(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")"
out_has "status: pid" "pid           $pid"
out_has "status: config" "config        $d/bulwark.conf"
out_has "status: store and health" "store         memory, ok"
out_has "status: counters" "bulwark_connections_total"
ctl_is 0 "status --json" "$d" --json status
out_has "status --json: ok" '{"ok":true,"command":"status"'
out_has "status --json: store" '"store":{"backend":"memory","health":"ok","error":null}'

# Traffic: a DoS block, then what list and show make of it.
check "four connections: the 4th is refused" connect "$sock" 192.0.2.10 \
    continue 3
check "the 4th connection is refused" connect "$sock" 192.0.2.10 refuse
ctl_is 0 "list" "$d" list
out_has "list: header" "HOST        DETECTOR  COUNT  STARTED"
out_has "list: the DoS block" "192.0.2.10  dos       4"
ctl_is 0 "list dos" "$d" list dos
out_has "list dos: the block" "192.0.2.10  dos"
ctl_is 0 "list dha" "$d" list dha
out_has "list dha: nothing" "no blocks in force"
ctl_is 0 "list --json" "$d" -j list
out_has "list --json: one block" '"total":1,"truncated":false'
out_has "list --json: its fields" '"host":"192.0.2.10","detector":"dos","count":4'
ctl_is 0 "show a blocked host" "$d" show 192.0.2.10
out_has "show: status" "status        blocked"
out_has "show: why" "why           blocked by dos (host rule) from"
out_joined "show: why, the count against the threshold" \
    ": 4 connections within 3600 s, more than the threshold of 3; started by node $(hostname)"
check "show: why, wrapped before column 79" sh -c \
    "! awk 'length > 78' '$WORKDIR/ctl.out' | grep -q '^why'"
out_has "show: detector table" "dos       yes      4      3    1h"
ctl_is 0 "show --json a blocked host" "$d" -j show 192.0.2.10
out_has "show --json: the explanation" \
    '"rule":"host","threshold":3,"period":3600,"level":0,"start":'
out_has "show --json: detector, count, node" \
    "\"detector\":\"dos\",\"count\":4,"
out_has "show --json: node" "\"node\":\"$(hostname)\""
ctl_is 0 "show an excluded host" "$d" show 192.0.2.200
out_has "show: excluded" "status        excluded"
out_has "show: excluded, why" "on the exclude list (exclude, exclude_file)"
ctl_is 0 "show a host on the blocked list" "$d" show 203.0.113.9
out_has "show: blocked list" "status        blocked-list"
ctl_is 0 "show an IPv6 host" "$d" show 2001:db8:1:2::99
out_has "show: the /64 key" "host          2001:db8:1:2::/64"
out_has "show: a host never seen" "status        unseen"

# A block by hand, with a reason of any text, enforced at CONNECT.
check "198.51.100.7 connects before its block" connect "$sock" \
    198.51.100.7 continue
reason='ticket 42: "dictionary" \ attack	tab é'
ctl_is 0 "block" "$d" block 198.51.100.7 2h "$reason"
out_has "block: answer" "blocked 198.51.100.7 until "
out_has "block: duration" "(2h)"
check "the blocked host is refused" connect "$sock" 198.51.100.7 refuse
check "the refusal is logged as manual" test "$(log_count "$d/log" \
    event=refuse detector=manual addr=198.51.100.7)" -eq 1
check "the block is logged with the quoted reason" test "$(log_count \
    "$d/log" event=manual-block host=198.51.100.7 \
    'reason="ticket 42: \x22dictionary\x22 \x5c attack\x09tab \xc3\xa9"' \
    uid=)" -eq 1
ctl_is 0 "list manual" "$d" list manual
out_has "list manual: reason, control byte escaped" \
    'ticket 42: "dictionary" \ attack\x09tab é'
ctl_is 0 "list manual --json" "$d" -j list manual
out_has "list --json: reason escaped" \
    '"reason":"ticket 42: \"dictionary\" \\ attack\ttab é"'
out_has "list --json: node" "\"node\":\"$(hostname)\""
ctl_is 0 "show the host blocked by hand" "$d" show 198.51.100.7
out_has "show: blocked by hand" "why           blocked by hand until"
ctl_is 0 "unblock" "$d" unblock 198.51.100.7
out_has "unblock: answer" "unblocked 198.51.100.7"
check "the unblocked host connects again" connect "$sock" 198.51.100.7 \
    continue
ctl_is 0 "unblock a host that is not blocked" "$d" unblock 198.51.100.8
out_has "unblock: not blocked" "198.51.100.8 was not blocked"
ctl_is 0 "unblock the DoS block" "$d" unblock 192.0.2.10
check "the host DoS-blocked connects again" connect "$sock" 192.0.2.10 \
    continue
ctl_is 0 "block an excluded host" "$d" block 192.0.2.200 10m
err_has "block: excluded warning" "warning: the address is on the exclude list"
ctl_is 0 "block an IPv6 address blocks its /64" "$d" block 2001:db8:5::1 1d
check "another address of the /64 is refused" connect "$sock" \
    2001:db8:5::2 refuse

# reload, metrics
ctl_is 0 "reload" "$d" reload
out_has "reload: answer" "reloaded $d/bulwark.conf"
ctl_is 0 "metrics" "$d" metrics
out_has "metrics: text format" "# TYPE bulwark_connections_total counter"
# 9 connections were sent: 4 + 3 from 198.51.100.7 + 1 + 1.
out_line "metrics: connections counted" "bulwark_connections_total 9"
out_line "metrics: DoS refusals" \
    'bulwark_refusals_total{detector="dos",action="tempfail"} 1'
out_line "metrics: manual refusals" \
    'bulwark_refusals_total{detector="manual",action="tempfail"} 2'
out_line "metrics: manual blocks started" \
    'bulwark_blocks_started_total{detector="manual"} 3'
out_line "metrics: blocks in force" \
    'bulwark_active_blocks{detector="manual"} 2'
out_line "metrics: one reload" 'bulwark_config_reloads_total{result="ok"} 1'

# Errors the daemon reports: exit 1, the reason on stderr.
ctl_is 1 "show a bad address" "$d" show 192.0.2.300
err_has "show: bad address" 'show: "192.0.2.300" is not an IPv4 or IPv6 address'
ctl_is 1 "block for 0 s" "$d" block 192.0.2.1 0
err_has "block: bad duration" 'is not a duration from 1 s to 366 days'
ctl_is 1 "block for 367 days" "$d" block 192.0.2.1 367d
long=$(printf '%0300d' 0)
ctl_is 1 "block with a reason too long" "$d" block 192.0.2.1 1h "$long"
err_has "block: reason too long" "the reason is longer than 255 bytes"
ctl_is 1 "--json error" "$d" -j show nowhere
out_has "--json error: ok false" '{"ok":false,"command":"show","error":'

# Usage errors: exit 2, nothing sent.
ctl_is 2 "unknown command" "$d" frobnicate
err_has "unknown command: said" 'unknown command "frobnicate"'
ctl_is 2 "list with a bad detector" "$d" list dns
ctl_is 2 "show without an address" "$d" show
ctl_is 2 "unblock with two addresses" "$d" unblock 192.0.2.1 192.0.2.2
ctl_is 2 "block without a duration" "$d" block 192.0.2.1
ctl_is 2 "an address with a blank" "$d" show "192.0.2.1 x"
ctl_is 2 "a reason on two lines" "$d" block 192.0.2.1 1h "two
lines"
ctl_is 2 "status with an argument" "$d" status now
"$BULWARKCTL" -c "$d/bulwark.conf" -s "$d/control.sock" status \
    >/dev/null 2>&1
check "-c and -s together: exit 2" test $? -eq 2
"$BULWARKCTL" -c "$d/missing.conf" status >/dev/null 2>"$WORKDIR/ctl.err"
check "-c with a file that cannot be read: exit 2" test $? -eq 2
err_has "-c missing file: said" "$d/missing.conf: No such file or directory"

# Finding the socket through the configuration file.
"$BULWARKCTL" -c "$d/bulwark.conf" list >"$WORKDIR/ctl.out" 2>&1
check "-c finds the control socket" test $? -eq 0
out_has "-c: the same daemon" "2001:db8:5::/64"
printf 'control = "";\n' >"$d/off.conf"
"$BULWARKCTL" -c "$d/off.conf" status >/dev/null 2>"$WORKDIR/ctl.err"
check "-c with the control socket off: exit 3" test $? -eq 3
err_has "control off: said" 'the control socket is turned off'

# A request line the daemon cannot take.
perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => $ARGV[0])
    or die; print $s "x" x 5000, "\n"; shutdown($s, 1); print <$s>' \
    "$d/control.sock" >"$WORKDIR/ctl.out"
out_has "an overlong request is refused" \
    '{"ok":false,"error":"request line too long"}'

stop_fg "$pid"
check "the daemon stopped with status 0" test $? -eq 0
ctl_is 3 "no daemon: exit 3" "$d" status
err_has "no daemon: said" "(is bulwark running?)"
finish
