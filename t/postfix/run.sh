#!/bin/sh
# run.sh - bulwark inside a real Postfix: end-to-end scenarios.
#
#   t/postfix/run.sh [scenario ...]
#
# Scenarios (t/postfix/NAME.sh, all by default, in this order):
#   dos     connection floods: 421 after max_connections, block expiry,
#           sliding blocks
#   dha     unknown recipients rejected by Postfix block the client; relay
#           denials do not count
#   attack  unknown and repeated commands flag a connection (logged, or
#           dropped with 421); repeatedly flagged hosts are blocked
#   lists   exclude, exclude_file, blocked, blocked_file, blocked_action
#   array   two Postfix instances, each with its own bulwark, on one Redis
#   down    bulwark not running: milter_default_action accept / tempfail
#   socket  the socket recipes of contrib/postfix: chrooted smtpd, relative
#           path, inet socket; main.cf.snippet is valid
#   defaults  bulwark's default rules under Postfix's default error
#           limits: a harvest in one session trips DHA before Postfix
#           hangs up
#   verified  exclude_verified_domains: a forward-confirmed name (resolved
#           from a hosts file in the chroot) excluded, an unverified not
#   ratio   dha.min_ratio spares a list server with a few stale
#           addresses; escalate doubles a repeat offender's block
#   network  a harvest spread over 50 addresses of a /24 blocks the /24
#           (dha.network); bulwarkctl lists, shows and unblocks it
#
# Each scenario file defines NAME_setup (bulwark configurations, smtpd
# services; before Postfix starts) and NAME_run (assertions).  Everything
# lives in a temporary directory that is removed at the end, also when
# the run is interrupted.  Needs root (Postfix's master), postfix, swaks,
# redis-server and perl.  Prints one "ok" or "not ok" line per assertion
# and, last, "postfix tests: N passed, M failed"; exits non-zero on any
# failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

SCENARIOS=${*:-dos dha attack lists array down socket defaults verified ratio network}

finish() {
	summary postfix
	exit
}

preflight() {
	local tool
	if [ "$(id -u)" -ne 0 ]; then
		not_ok "the Postfix tests need root (Postfix's master runs as root)"
		finish
	fi
	for tool in postfix postconf swaks redis-server redis-cli perl; do
		command -v "$tool" >/dev/null 2>&1 && continue
		not_ok "$tool is not installed (contrib/install-deps.sh check)"
	done
	[ -x "$BULWARK" ] || not_ok "$BULWARK is not built (make)"
	[ "$failed" -eq 0 ] || finish
}

# Stop every daemon and check that each went away cleanly (bulwark
# daemons have been sent SIGTERM already).
teardown() {
	local name pid left
	for name in $BW_NAMES; do
		[ -n "$(bw_pid "$name")" ] || continue
		if ! bw_wait "$name" 15; then
			not_ok "bulwark $name still running 15 s after SIGTERM"
			continue
		fi
		if grep -q 'event=stop status=ok' "$WORK/$name.log" &&
		    [ ! -e "$(bw_sock "$name")" ] && [ ! -e "$WORK/$name.pid" ]; then
			ok "bulwark $name stopped: stop logged, socket and pid file removed"
		else
			not_ok "bulwark $name did not stop cleanly"
			tail -n 5 "$WORK/$name.log" | show
			ls -l "$(bw_sock "$name")" "$WORK/$name.pid" 2>&1 | show
		fi
	done
	for name in $PF_NAMES; do
		pid=$(pf_master_pid "$name")
		[ -n "$pid" ] || continue
		if pf_stop "$name"; then
			ok "postfix $name stopped: no process of master $pid's group left"
		else
			not_ok "postfix $name: processes left after stop (killed)"
		fi
	done
	redis_stop
	left=$(ps -eo pid,args | grep -F "$WORK" | grep -v grep)
	if [ -n "$left" ]; then
		not_ok "processes using $WORK are left"
		printf '%s\n' "$left" | show
	else
		ok "no process using $WORK is left"
	fi
}

preflight
postfix_work_create
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM
hold_ports 25 || { not_ok "no ports to hold"; finish; }
PORTS=$ports

pf_create mx1
for s in $SCENARIOS; do
	if [ ! -f "$HERE/$s.sh" ]; then
		not_ok "no scenario $s"
		finish
	fi
	. "$HERE/$s.sh"
	"${s}_setup"
done
for name in $PF_NAMES; do
	pf_start "$name" || finish
done

started=$(date +%s)
for s in $SCENARIOS; do
	echo "# scenario $s"
	"${s}_run"
	# A daemon takes a few seconds to stop: start now, check in teardown.
	for name in $BW_NAMES; do
		bw_stop "$name"
	done
done

echo "# teardown"
teardown
dir=$WORK
cleanup
if [ -e "$dir" ]; then
	not_ok "$dir is left"
else
	ok "temporary directory removed"
fi
echo "# scenarios took $(($(date +%s) - started)) s"
finish
