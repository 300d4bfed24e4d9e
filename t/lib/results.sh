# results.sh - counting and printing test results.
# Sourced, not run: ". "$top/t/lib/results.sh"".  The counts are in
# $passed and $failed.
#
# ok WHAT / not_ok WHAT
#	One assertion: "ok - WHAT" or "not ok - WHAT".
# show [FILE...]
#	The files (or the standard input) indented, to explain a failure.
# pass NAME
#	One scenario or check: "ok      NAME".
# fail NAME REASON [FILE...]
#	"FAILED  NAME: REASON", then the last 25 lines of each non-empty
#	FILE that explains it.
# summary LABEL
#	The last line, "LABEL tests: N passed, M failed"; true when none
#	failed.

passed=0
failed=0

ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $*"
}

show() {
	sed 's/^/    | /' "$@"
}

pass() {
	passed=$((passed + 1))
	echo "ok      $1"
}

fail() {
	failed=$((failed + 1))
	echo "FAILED  $1: $2"
	shift 2
	for file in "$@"; do
		[ -s "$file" ] || continue
		echo "--- ${file##*/}"
		tail -n 25 "$file"
	done
}

summary() {
	echo "$1 tests: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
