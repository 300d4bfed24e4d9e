# scripts.sh - run a directory of test scripts against the real daemon.
# Sourced, not run, after t/lib/daemon.sh and t/lib/results.sh.
#
# run_scripts STAGE SRCDIR OK_MARK TOOL...
#	Checks that every TOOL is installed and that milter/bulwark and
#	ctl/bulwarkctl are built (exit 1 naming what is missing), makes
#	$work (work_create STAGE, readable by all: the daemon may run as
#	nobody), then runs each SRCDIR/NN-name.sh in the order of NN, with
#	BULWARK, BULWARKCTL, WORKDIR (a fresh directory of its own), SRCDIR
#	and TOP in its environment.  A script prints "OK_MARK ..." or
#	"not OK_MARK ..." per check ("ok:" or "ok -"); the checks of every
#	script are counted, and a script that exits non-zero without a
#	failed check counts as one failure.  What a script tracked (listed
#	in WORKDIR/pids) is killed after it, daemons first, and $work is
#	removed, even on failure or interruption.  Prints the failed checks
#	with their script's output, and "STAGE tests: N passed, M failed"
#	last; exits non-zero when any check failed.  Needs $top.

# Kill what the script in $1 tracked, daemons first, then their helpers.
scripts_reap() {
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

scripts_cleanup() {
	for dir in "$work"/*; do
		[ -d "$dir" ] && scripts_reap "$dir"
	done
	work_cleanup
}

# run_one SCRIPT OK_MARK: run it in a directory of its own; count.
scripts_run_one() {
	name=${1##*/}
	name=${name%.sh}
	dir=$work/$name
	mkdir "$dir"
	chmod 0755 "$dir"
	BULWARK=$top/milter/bulwark BULWARKCTL=$top/ctl/bulwarkctl \
	    WORKDIR=$dir SRCDIR=${1%/*} TOP=$top \
	    sh "$1" >"$dir/out" 2>&1
	rc=$?
	scripts_reap "$dir"
	oks=$(grep -c "^$2 " "$dir/out")
	bad=$(grep -c "^not $2 " "$dir/out")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
		echo "not $2 $name exited with status $rc" >>"$dir/out"
	fi
	passed=$((passed + oks))
	failed=$((failed + bad))
	if [ "$bad" -eq 0 ]; then
		echo "ok      $name ($oks checks)"
	else
		echo "FAILED  $name ($bad of $((oks + bad)) checks)"
		sed 's/^/    /' "$dir/out"
	fi
}

run_scripts() {
	stage=$1
	srcdir=$2
	mark=$3
	shift 3
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "$stage tests: $tool is not installed" >&2
			exit 1
		fi
	done
	for bin in milter/bulwark ctl/bulwarkctl; do
		if [ ! -x "$top/$bin" ]; then
			echo "$stage tests: $top/$bin is not built" >&2
			exit 1
		fi
	done
	work_create "$stage"
	chmod 0755 "$work"
	trap scripts_cleanup EXIT
	for script in "$srcdir"/[0-9]*.sh; do
		scripts_run_one "$script" "$mark"
	done
	summary "$stage"
}
