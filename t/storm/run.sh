#!/bin/sh
# run.sh - the storm view: live sessions held open with a real milter
# client (miltertest, t/storm/hold.lua) against the real daemon, and
# what bulwarkctl top says of them.
#
# Runs every t/storm/NN-name.sh in turn with BULWARK, BULWARKCTL, TOP,
# SRCDIR (t/storm) and WORKDIR (a fresh directory of its own) in its
# environment; t/storm/lib.sh has the helpers they share.  A script
# prints "ok - ..." or "not ok - ..." per check.  What a script started
# (listed in WORKDIR/pids) is killed after it, even when it failed, and
# the temporary directory is removed.
#
# Needs miltertest, perl (JSON::PP) and curl.  Prints the output of a
# script with a failed check, and "storm tests: N passed, M failed" last;
# exits non-zero when any check failed.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
srcdir=$top/t/storm

. "$top/t/lib/daemon.sh"
. "$top/t/lib/results.sh"

work_create storm

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

for tool in miltertest perl curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "t/storm/run.sh: $tool is not installed" >&2
		exit 1
	fi
done
for bin in milter/bulwark ctl/bulwarkctl; do
	if [ ! -x "$top/$bin" ]; then
		echo "t/storm/run.sh: $top/$bin is not built" >&2
		exit 1
	fi
done

for script in "$srcdir"/[0-9]*.sh; do
	name=${script##*/}
	name=${name%.sh}
	dir=$work/$name
	mkdir "$dir"
	BULWARK=$top/milter/bulwark BULWARKCTL=$top/ctl/bulwarkctl \
	    WORKDIR=$dir SRCDIR=$srcdir TOP=$top \
	    sh "$script" >"$dir/out" 2>&1
	rc=$?
	reap "$dir"
	oks=$(grep -c '^ok - ' "$dir/out")
	bad=$(grep -c '^not ok - ' "$dir/out")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
		echo "not ok - $name exited with status $rc" >>"$dir/out"
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

summary storm
