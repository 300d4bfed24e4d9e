#!/bin/sh
# run-daemon.sh - the daemon as a service: bulwarkctl, reloads, the
# switch of user, stopping, and blocks shared through Redis.
#
# Runs each t/daemon/NN-name.sh in turn, in the order of NN, with
# BULWARK, BULWARKCTL, WORKDIR (a fresh directory of its own), SRCDIR
# (t/daemon) and TOP in its environment; t/daemon/lib.sh has the helpers
# they share.  A script prints "ok: ..." or "not ok: ..." per check; the
# checks of every script are counted.  A script that exits non-zero
# without a failed check counts as one failure.  Whatever processes a
# script leaves behind (those it tracked) are killed after it, and the
# temporary directory is removed, even on failure or interruption.
#
# Needs miltertest, perl, redis-server and redis-cli, curl; the switch of
# user is tested only when run as root.  Prints the failed checks with
# their script's output, and "daemon tests: N passed, M failed" last;
# exits non-zero when any check failed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
srcdir=$top/t/daemon

. "$top/t/lib/daemon.sh"
. "$top/t/lib/results.sh"

work_create daemon
# The daemon may run as nobody: it must reach its directories.
chmod 0755 "$work"

# Kill what the script in $1 tracked, daemons first, then their helpers.
reap() {
	[ -f "$1/pids" ] || return 0
	for pid in $(cat "$1/pids"); do
		kill -TERM "$pid" 2>/dev/null
	done
	sleep 0.1
	for pid in $(cat "$1/pids"); do
		kill -KILL "$pid" 2>/dev/null
	done
	rm -f "$1/pids"
}

cleanup() {
	for dir in "$work"/*; do
		[ -d "$dir" ] && reap "$dir"
	done
	work_cleanup
}
trap cleanup EXIT

for tool in miltertest perl redis-server redis-cli curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "run-daemon.sh: $tool is not installed" >&2
		exit 1
	fi
done
for bin in milter/bulwark ctl/bulwarkctl; do
	if [ ! -x "$top/$bin" ]; then
		echo "run-daemon.sh: $top/$bin is not built" >&2
		exit 1
	fi
done

for script in "$srcdir"/[0-9]*.sh; do
	name=${script##*/}
	name=${name%.sh}
	dir=$work/$name
	mkdir "$dir"
	chmod 0755 "$dir"
	BULWARK=$top/milter/bulwark BULWARKCTL=$top/ctl/bulwarkctl \
	    WORKDIR=$dir SRCDIR=$srcdir TOP=$top \
	    sh "$script" >"$dir/out" 2>&1
	rc=$?
	reap "$dir"
	oks=$(grep -c '^ok: ' "$dir/out")
	bad=$(grep -c '^not ok: ' "$dir/out")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
		echo "not ok: $name exited with status $rc" >>"$dir/out"
	fi
	passed=$((passed + oks))
	failed=$((failed + bad))
	if [ "$bad" -eq 0 ]; then
		echo "ok      $name ($oks checks)"
	else
		echo "FAILED  $name ($bad of $((oks + bad)) checks)"
		sed 's/^/    /' "$dir/out"
	fi
done

summary daemon
