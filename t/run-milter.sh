#!/bin/sh
# run-milter.sh - end-to-end tests: the real daemon, driven by miltertest.
#
# Each t/milter/NN-name.lua is a scenario.  The daemon is started in the
# foreground in a fresh temporary directory, with a configuration made of
# a common head (socket, pid file, debug logging, no metrics listener) and
# t/milter/NN-name.conf (@DIR@ is replaced by that directory, @SRCDIR@ by
# t/milter).  Helpers shared with other tests are in t/lib.  miltertest
# runs the scenario through harness.lua, connected to the daemon through
# replytap.pl, which records the reply texts.  Then the daemon is stopped
# and must exit 0, log event=stop, remove its socket and pid file and
# never have written a raw control byte to its log.
# Each t/milter/NN-name.sh is a scenario run as it is, with BULWARK,
# WORKDIR (its own empty directory) and TOP (the source tree) in its
# environment.  Scenarios run in the order of NN.  Besides miltertest,
# the tests need only perl (perl-base).
#
# Prints one line per scenario and "milter tests: N passed, M failed" last;
# exits non-zero when any scenario failed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
srcdir=$top/t/milter
bulwark=$top/milter/bulwark

. "$top/t/lib/daemon.sh"
. "$top/t/lib/results.sh"

work_create milter

write_config() {
	config_head "$1"
	echo 'metrics_listen = "";'
	sed -e "s|@DIR@|$1|g" -e "s|@SRCDIR@|$srcdir|g" "$2"
}

# What must hold after any scenario's daemon stopped; prints what does not.
check_stopped() {
	dir=$1
	rc=$2
	[ "$rc" -eq 0 ] || echo "daemon exited with status $rc"
	grep -q 'event=start ' "$dir/bulwark.log" || echo "no event=start logged"
	grep -q 'event=stop ' "$dir/bulwark.log" || echo "no event=stop logged"
	[ ! -e "$dir/bulwark.sock" ] || echo "socket left behind"
	[ ! -e "$dir/bulwark.pid" ] || echo "pid file left behind"
	if tr -d '\n' <"$dir/bulwark.log" | LC_ALL=C grep -q '[^ -~]'; then
		echo "raw control or non-ASCII bytes in the log"
	fi
}

run_lua() {
	name=$1
	dir=$work/$name
	mkdir "$dir"
	write_config "$dir" "$srcdir/$name.conf" >"$dir/bulwark.conf"
	"$bulwark" -f -c "$dir/bulwark.conf" 2>"$dir/bulwark.log" &
	daemon=$!
	perl "$srcdir/replytap.pl" "$dir/tap.sock" "$dir/bulwark.sock" \
	    "$dir/replies" 2>"$dir/tap.err" &
	tap=$!
	pids="$daemon $tap"
	if ! wait_for_socket "$dir/bulwark.sock" "$daemon" ||
	    ! wait_for_socket "$dir/tap.sock" "$tap"; then
		fail "$name" "the daemon or the relay did not start" \
		    "$dir/bulwark.log" "$dir/tap.err"
		kill $pids 2>/dev/null
		wait 2>/dev/null
		pids=
		return
	fi
	miltertest -s "$srcdir/harness.lua" -D scenario="$srcdir/$name.lua" \
	    -D socket="unix:$dir/tap.sock" -D log="$dir/bulwark.log" \
	    -D replies="$dir/replies" >"$dir/miltertest.out" 2>&1
	mt_rc=$?
	kill "$tap"
	wait "$tap" 2>/dev/null
	stop_daemon "$daemon" "$dir/bulwark.sock"
	daemon_rc=$?
	pids=
	problems=$(check_stopped "$dir" "$daemon_rc")
	if [ "$mt_rc" -ne 0 ]; then
		fail "$name" "miltertest exited with status $mt_rc" \
		    "$dir/miltertest.out" "$dir/bulwark.log"
	elif [ -n "$problems" ]; then
		fail "$name" "$problems" "$dir/bulwark.log"
	else
		pass "$name"
	fi
}

run_sh() {
	name=$1
	dir=$work/$name
	mkdir "$dir"
	if BULWARK=$bulwark WORKDIR=$dir TOP=$top \
	    sh "$srcdir/$name.sh" >"$dir/out" 2>&1; then
		pass "$name"
	else
		fail "$name" "the script failed" "$dir/out"
	fi
}

if [ ! -x "$bulwark" ]; then
	echo "run-milter.sh: $bulwark is not built" >&2
	exit 1
fi
if ! command -v miltertest >/dev/null 2>&1; then
	echo "run-milter.sh: miltertest is not installed" >&2
	exit 1
fi

for script in "$srcdir"/[0-9]*; do
	name=${script##*/}
	case $name in
	*.lua) run_lua "${name%.lua}" ;;
	*.sh) run_sh "${name%.sh}" ;;
	esac
done

summary milter
