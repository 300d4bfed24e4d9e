#!/bin/sh
# 06-metrics.sh - the metrics through bulwarkctl and over HTTP after
# known traffic: both give the same text, its counters match what was
# sent, and bulwarkctl status shows the same counters.
. "$SRCDIR/lib.sh"

d=$WORKDIR
sock=$d/bulwark.sock
hold_ports 1 || exit 1
port=$ports
conf "$d/bulwark.conf" "$d" "
dos = { max_connections = 3; period = \"1h\"; block = \"1h\"; };"
sed -i "s|^metrics_listen = .*|metrics_listen = \"127.0.0.1:$port\";|" \
    "$d/bulwark.conf"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

check "three connections let in" connect "$sock" 192.0.2.1 continue 3
check "the fourth refused: a DoS block" connect "$sock" 192.0.2.1 refuse
ctl_is 0 "a block by hand" "$d" block 192.0.2.2 1h
check "the host blocked by hand is refused" connect "$sock" 192.0.2.2 refuse

ctl_is 0 "bulwarkctl metrics" "$d" metrics
cp "$WORKDIR/ctl.out" "$WORKDIR/ctl.metrics"
curl -s -o "$WORKDIR/http.metrics" "http://127.0.0.1:$port/metrics"
check "/metrics scraped" test -s "$WORKDIR/http.metrics"
check "bulwarkctl and /metrics give the same text" \
    cmp -s "$WORKDIR/ctl.metrics" "$WORKDIR/http.metrics"
out_line "5 connections" "bulwark_connections_total 5"
out_line "one DoS refusal" \
    'bulwark_refusals_total{detector="dos",action="tempfail"} 1'
out_line "one manual refusal" \
    'bulwark_refusals_total{detector="manual",action="tempfail"} 1'
out_line "one DoS block started" 'bulwark_blocks_started_total{detector="dos"} 1'
out_line "one manual block started" \
    'bulwark_blocks_started_total{detector="manual"} 1'
out_line "one DoS block in force" 'bulwark_active_blocks{detector="dos"} 1'
out_line "one manual block in force" \
    'bulwark_active_blocks{detector="manual"} 1'
out_line "no reload yet" 'bulwark_config_reloads_total{result="ok"} 0'
ctl_is 0 "status" "$d" status
out_has "status shows the counters" "bulwark_connections_total"
check "status: the same connection count" grep -qE \
    '^bulwark_connections_total +5$' "$WORKDIR/ctl.out"
ctl_is 0 "status --json" "$d" -j status
out_has "status --json: a counter" \
    '{"name":"bulwark_blocks_started_total{detector=\"manual\"}","value":1}'

stop_fg "$pid"
check "stopped with status 0" test $? -eq 0
finish
