#!/bin/sh
# run-unit.sh - run the check unit suites given as arguments.
#
# Each suite prints its own check summary; this prints the total and
# exits non-zero when any suite failed or could not run.
set -u
failed=0
for suite in "$@"; do
	echo "== $suite"
	if ! CK_FORK=yes "$suite"; then
		echo "FAILED: $suite"
		failed=$((failed + 1))
	fi
done
echo "unit suites: $# run, $failed failed"
[ "$failed" -eq 0 ]
