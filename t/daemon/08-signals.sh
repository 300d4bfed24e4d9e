#!/bin/sh
# 08-signals.sh - SIGHUP always reloads: sent right after another signal
# (SIGUSR1, which the main thread is still to handle), it is neither
# lost nor taken by libmilter's own signal thread, which would stop the
# milter.  The daemon reloads every time and keeps serving; SIGTERM then
# stops it with status 0.
. "$SRCDIR/lib.sh"

d=$WORKDIR
conf "$d/bulwark.conf" "$d"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

rounds=100
reloads() {
	log_count "$d/log" "event=reload status=ok via=signal"
}
reloaded() {
	[ "$(reloads)" -ge "$1" ]
}
# One SIGUSR1 and one SIGHUP from one process, back to back: the SIGHUP
# arrives while the SIGUSR1 is still pending in the main thread.
i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1))
	perl -e 'kill "USR1", $ARGV[0]; kill "HUP", $ARGV[0]' "$pid"
	wait_alive "$pid" reloaded "$i" || break
done
check "SIGHUP after SIGUSR1: $rounds reloads (got $(reloads))" \
    test "$(reloads)" -eq "$rounds"
check "the daemon is still running" kill -0 "$pid"
check "libmilter's loop never stopped" \
    test "$(log_count "$d/log" "event=milter-stopped")" -eq 0
check "it still serves" connect "$d/bulwark.sock" 192.0.2.1 continue
ctl_is 0 "it still answers bulwarkctl" "$d" status
stop_fg "$pid"
check "SIGTERM afterwards: status 0" test $? -eq 0
finish
