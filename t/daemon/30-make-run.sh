#!/bin/sh
# 30-make-run.sh - contrib/run-foreground.sh ("make run"): it says where
# the daemon listens only once it does (the socket answers, the printed
# bulwarkctl command line works), where the metrics are, and a daemon
# that cannot start is reported with its status and no such line.
. "$SRCDIR/lib.sh"

hold_ports 1 || { not_ok "a port for the metrics"; exit 1; }
port=$ports
run=$WORKDIR/run

BULWARK_RUN_DIR=$run BULWARK_RUN_METRICS=127.0.0.1:$port \
    sh "$TOP/contrib/run-foreground.sh" >"$WORKDIR/run.out" 2>&1 &
script=$!
track "$script"
check "it says it listens" wait_until grep -q "^bulwark listening on unix:$run/bulwark.sock" \
    "$WORKDIR/run.out"
check "the milter socket is there when it says so" test -S "$run/bulwark.sock"
check "the daemon logged its start before" sh -c \
    "sed -n '1,/^bulwark listening/p' '$WORKDIR/run.out' | grep -q event=start"
check "it names the metrics URL" grep -qxF "metrics: http://127.0.0.1:$port/metrics" \
    "$WORKDIR/run.out"
check "the metrics answer there" sh -c \
    "curl -sf 'http://127.0.0.1:$port/metrics' | grep -q bulwark_build_info"
cmd=$(sed -n 's/^control: //p' "$WORKDIR/run.out")
check "it prints the bulwarkctl command line" test -n "$cmd"
# shellcheck disable=SC2086
check "that command line works" sh -c "$cmd >/dev/null"
check "the milter answers" connect "$run/bulwark.sock" 192.0.2.50 continue
dpid=$(cat "$run/bulwark.pid")
kill -INT "$script" "$dpid" 2>/dev/null
wait "$script"
rc=$?
check "Ctrl-C stops it with status 0 (got $rc)" test "$rc" -eq 0
check "the daemon removed its socket" test ! -e "$run/bulwark.sock"

# A daemon that cannot start: its reason, its status, no "listening".
BULWARK_RUN_DIR=$run BULWARK_RUN_METRICS=not-an-address \
    sh "$TOP/contrib/run-foreground.sh" >"$WORKDIR/run.out" 2>&1
rc=$?
check "a daemon that cannot start: its status (78, got $rc)" test "$rc" -eq 78
check "a daemon that cannot start: no listening line" sh -c \
    "! grep -q '^bulwark listening' '$WORKDIR/run.out'"
check "a daemon that cannot start: the reason" grep -q "metrics_listen" \
    "$WORKDIR/run.out"
finish
