#!/bin/sh
# 33-mta-watch.sh - a daemon no MTA reaches says so: bulwarkctl status
# shows "never" and the live sessions, and after mta_warn_after seconds
# the log has one event=no-mta warning; once an MTA has connected,
# status shows when, counts its open sessions, and no warning comes.
. "$SRCDIR/lib.sh"

# out_re WHAT REGEX: a line of ctl.out matches the extended REGEX.
out_re() {
	if grep -qE -- "$2" "$WORKDIR/ctl.out"; then
		ok "$1"
	else
		not_ok "$1: no line like \"$2\" in:"
		sed -n 1,12p "$WORKDIR/ctl.out" | sed 's/^/    /'
	fi
}

d=$WORKDIR/lonely
mkdir -p "$d"
conf "$d/bulwark.conf" "$d" 'mta_warn_after = 2;'
start_fg lonely "$d/bulwark.conf" "$d" || exit 1
lonely=$pid
ctl_is 0 "status of a daemon no MTA reached" "$d" status
out_re "status: no MTA yet" '^mta connected +never'
out_re "status: no live session" '^sessions +0$'

ctl_is 0 "status --json" "$d" status --json
out_has "status --json: last_connect null" '"last_connect":null'
check "the warning comes after mta_warn_after" wait_until grep -q \
    "event=no-mta" "$d/log"
check "it names the socket" grep -q "event=no-mta up=[0-9]* socket=\"unix:$d/bulwark.sock\"" "$d/log"
sleep 1.5
check "it is logged once" test "$(log_count "$d/log" event=no-mta)" -eq 1
check "lonely stops with status 0" stop_fg "$lonely"

d=$WORKDIR/served
mkdir -p "$d"
conf "$d/bulwark.conf" "$d" 'mta_warn_after = 2;'
start_fg served "$d/bulwark.conf" "$d" || exit 1
served=$pid
before=$(date +%s)
miltertest -s "$TOP/t/storm/hold.lua" -D socket="unix:$d/bulwark.sock" \
    -D ip=192.0.2.30 -D count=2 -D stage=helo -D ready="$d/ready" \
    -D release="$d/release" >"$WORKDIR/hold.out" 2>&1 &
holder=$!
track "$holder"
check "an MTA holds two sessions" wait_until test -e "$d/ready"
ctl_is 0 "status with an MTA" "$d" status
out_re "status: two live sessions" '^sessions +2$'
out_re "status: the MTA's connection is shown" '^mta connected +[0-9]{4}-'

ctl_is 0 "status --json with an MTA" "$d" status --json
last=$(sed -n 's/.*"last_connect":\([0-9]*\).*/\1/p' "$WORKDIR/ctl.out")
check "last_connect is the time of the connection (${last:-none})" \
    test "${last:-0}" -ge "$before"
touch "$d/release"
wait "$holder"
check "the held sessions ended well" test $? -eq 0
sleep 2.5
check "no warning once an MTA connected" test \
    "$(log_count "$d/log" event=no-mta)" -eq 0
ctl_is 0 "status after the sessions" "$d" status
out_re "status: no live session left" '^sessions +0$'
check "served stops with status 0" stop_fg "$served"
finish
