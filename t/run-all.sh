#!/bin/sh
# run-all.sh - every test stage of "make check", in order.
#
# Usage: t/run-all.sh UNIT_SUITE...
# Every stage runs even when an earlier one failed, so one run shows all
# failures; the summary names the stages that failed and the exit status
# is non-zero when any did.
set -u
cd "$(dirname "$0")/.." || exit 1

failed_stages=
passed=0
failed=0
run_stage() {
	name=$1
	shift
	echo "==== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_stages="$failed_stages $name"
	fi
}

run_stage unit t/run-unit.sh "$@"
run_stage milter t/run-milter.sh
run_stage daemon t/run-daemon.sh
run_stage metrics t/run-metrics.sh
run_stage postfix t/postfix/run.sh
run_stage sendmail t/sendmail/run.sh
run_stage bench t/bench/smoke.sh
run_stage storm t/storm/run.sh
run_stage firewall t/firewall/run.sh
run_stage deb t/deb/run.sh
run_stage replay t/replay/run.sh
run_stage docs t/run-docs.sh

echo "===="
[ -z "$failed_stages" ] || echo "failed stages:$failed_stages"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
