#!/bin/sh
# run.sh - run each libFuzzer harness given as argument for SECONDS.
#
# Usage: fuzz/run.sh SECONDS fuzz/fuzz_NAME...
# Each harness starts from its seeds in fuzz/corpus/NAME/; the inputs it
# finds on the way go to a temporary directory, removed at the end, so the
# repository only ever holds the hand-written seeds.  A crash, leak,
# undefined behaviour or failed check stops the run: the input that
# caused it is kept in fuzz/findings/ and the harness's report printed.
# Prints each harness's final libFuzzer status line (executions,
# coverage, executions per second).
set -u
cd "$(dirname "$0")/.." || exit 1
seconds=$1
shift
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p fuzz/findings
for bin in "$@"; do
	name=${bin#fuzz/fuzz_}
	mkdir "$tmp/$name"
	echo "== fuzz $name ($seconds s)"
	if ! "$bin" -max_len=4096 -max_total_time="$seconds" \
	    -artifact_prefix="fuzz/findings/$name-" \
	    "$tmp/$name" "fuzz/corpus/$name" >"$tmp/$name.log" 2>&1; then
		grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)' \
		    "$tmp/$name.log"
		echo "FAILED: $bin (input kept in fuzz/findings/)"
		exit 1
	fi
	grep -E '^#[0-9]+[[:space:]]+DONE' "$tmp/$name.log"
done
echo "fuzz harnesses: $# run, none failed"
