#!/bin/sh
# 02-reload.sh - reloading the configuration, by SIGHUP and bulwarkctl:
# a good file replaces the rules and the lists, a bad one is refused
# with its file and line while the old one keeps running, keys that need
# a restart keep their values, connections keep the configuration they
# started with, and SIGHUP never stops the daemon, however many come.
. "$SRCDIR/lib.sh"

d=$WORKDIR
sock=$d/bulwark.sock
head='exclude_file = "'$d'/exclude";'
echo "192.0.2.30" >"$d/exclude"
conf "$d/bulwark.conf" "$d" "$head
dos = { max_connections = 2; period = \"1h\"; block = \"1h\"; };"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

# reloads: the number of lines logged with status=ok.
reloads() {
	log_count "$d/log" "event=reload status=ok"
}

# True once at least $1 reloads are logged; re-read on every try of
# wait_until (a "$(reloads)" argument would be read only once).
reloads_reach() {
	[ "$(reloads)" -ge "$1" ]
}

signal_failures_logged() {
	[ "$(log_count "$d/log" "event=reload status=failed via=signal" \
	    "error=\"$d/bulwark.conf:3: dos.max_connections: expected an integer\"")" -eq 1 ]
}

check "first configuration: 2 connections allowed" connect "$sock" \
    192.0.2.1 continue 2
check "first configuration: the 3rd refused" connect "$sock" 192.0.2.1 refuse
check "192.0.2.40 is counted" connect "$sock" 192.0.2.40 continue 2
check "192.0.2.30 is excluded by the file" connect "$sock" 192.0.2.30 \
    continue 5

# A good file, by SIGHUP: new threshold, new exclude file.
echo "192.0.2.40" >"$d/exclude"
conf "$d/bulwark.conf" "$d" "$head
dos = { max_connections = 5; period = \"1h\"; block = \"1h\"; };"
kill -HUP "$pid"
check "SIGHUP: reload logged" wait_until reloads_reach 1
check "SIGHUP: one reload logged" test "$(reloads)" -eq 1
check "the reload names its cause and file" test "$(log_count "$d/log" \
    "event=reload status=ok via=signal config=\"$d/bulwark.conf\"")" -eq 1
check "new configuration: 5 connections allowed" connect "$sock" \
    192.0.2.2 continue 5
check "new configuration: the 6th refused" connect "$sock" 192.0.2.2 refuse
check "the new exclude file is in force" connect "$sock" 192.0.2.40 \
    continue 5
check "the old exclude file is gone" connect "$sock" 192.0.2.30 continue 5
check "192.0.2.30 is counted again" connect "$sock" 192.0.2.30 refuse
check "blocks made before the reload stay" connect "$sock" 192.0.2.1 refuse

# A bad file: refused with file:line, by bulwarkctl and by SIGHUP.
cp "$d/bulwark.conf" "$d/good.conf"
printf '%s\n' "$head" 'log_level = "info";' \
    'dos = { max_connections = "ten"; };' >"$d/bulwark.conf"
ctl_is 1 "bulwarkctl reload of a bad file: exit 1" "$d" reload
err_has "the error names file and line" \
    "reload: $d/bulwark.conf:3: dos.max_connections: expected an integer"
kill -HUP "$pid"
check "SIGHUP of a bad file: failure logged" wait_until signal_failures_logged
check "the failure is logged at error level" test "$(log_count "$d/log" \
    "bulwark: error: event=reload status=failed")" -eq 2
ctl_is 0 "the old configuration still runs" "$d" show 192.0.2.99
out_has "old threshold still in force" "dos       yes      0      5"
check "and the daemon still filters" connect "$sock" 192.0.2.3 continue 5
check "with the old rules" connect "$sock" 192.0.2.3 refuse
printf '10.0.0.1\n10.0.0.300\n' >"$d/exclude"
cp "$d/good.conf" "$d/bulwark.conf"
ctl_is 1 "a bad line in the exclude file is refused" "$d" reload
err_has "the error names the exclude file and its line" "$d/exclude:2: "
echo "192.0.2.40" >"$d/exclude"

# Keys read only at start keep their running values, with a warning.
conf "$d/bulwark.conf" "$d/elsewhere" "$head
dos = { max_connections = 5; period = \"1h\"; block = \"1h\"; };"
ctl_is 4 "a reload that changes the sockets: exit 4" "$d" reload
check "restart-only keys are named in a warning" test "$(log_count \
    "$d/log" "event=reload-restart-needed keys=socket,pidfile,control")" \
    -eq 1
check "the milter socket is still the running one" connect "$sock" \
    192.0.2.4 continue
ctl_is 0 "the control socket is still the running one" "$d" status
cp "$d/good.conf" "$d/bulwark.conf"

# Connections keep the configuration they started with.
conf "$d/bulwark.conf" "$d" "$head
attack = { max_commands = 1; action = \"tempfail\"; };"
ctl_is 0 "reload: one unexpected HELO allowed" "$d" reload
conf "$d/bulwark.conf" "$d" "$head
attack = { max_commands = 50; action = \"tempfail\"; };"
miltertest -s "$SRCDIR/inflight.lua" -D socket="unix:$sock" \
    -D reload="'$BULWARKCTL' -s '$d/control.sock' reload >/dev/null" \
    >"$WORKDIR/mt.out" 2>&1
rc=$?
check "a connection keeps its configuration across a reload" \
    test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/    /' "$WORKDIR/mt.out"

# Twenty SIGHUPs in a row, each one a reload; then a burst.
before=$(reloads)
n=0
while [ "$n" -lt 20 ]; do
	n=$((n + 1))
	kill -HUP "$pid" 2>/dev/null || break
	wait_until reloads_reach $((before + n)) || break
done
check "20 SIGHUPs in a row: 20 reloads" test "$(reloads)" -eq $((before + 20))
perl -e 'kill "HUP", $ARGV[0] for 1 .. 200' "$pid"
sleep 0.3
check "a burst of 200 SIGHUPs: still running" kill -0 "$pid"
check "a burst of SIGHUPs: still serving" connect "$sock" 192.0.2.5 continue
ctl_is 0 "a burst of SIGHUPs: still answering" "$d" status
check "no stop was logged" test "$(log_count "$d/log" "event=stop")" -eq 0

stop_fg "$pid"
check "stopped with status 0" test $? -eq 0
check "the log has no raw control byte" sh -c \
    "! tr -d '\n' <'$d/log' | LC_ALL=C grep -q '[^ -~]'"
finish
