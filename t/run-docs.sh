#!/bin/sh
# run-docs.sh - the documentation matches the code.
#
# Every man page lints clean and renders; the sample configuration is
# valid; every key set in etc/bulwark.conf is described in bulwark.conf(5)
# and every key the man page describes is in the sample.
set -u
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

for page in man/*.[0-9]; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	if [ -z "$out" ]; then ok; else fail "mandoc lint $page"; echo "$out"; fi
	if MANWIDTH=80 man -l "$page" >/dev/null 2>&1; then ok; else fail "man -l $page"; fi
done

if milter/bulwark -t -c etc/bulwark.conf >/dev/null; then ok; else fail "bulwark -t etc/bulwark.conf"; fi

# Keys of the sample: "name =" at any depth, groups as "group.name"; a
# setting commented out without a space ("#name = ...", an optional group
# shown with its values) counts as a key.
sample_keys=$(awk '
	/^[ \t]*#[a-z_0-9]+[ \t]*=/ { match($0, /[a-z_0-9]+/); print group substr($0, RSTART, RLENGTH); next }
	/^[ \t]*#/ { next }
	/^[ \t]*[a-z_0-9]+[ \t]*=[ \t]*\{/ { match($0, /[a-z_0-9]+/); group = substr($0, RSTART, RLENGTH) "."; next }
	/^[ \t]*\};/ { group = ""; next }
	/^[ \t]*[a-z_0-9]+[ \t]*=/ { match($0, /[a-z_0-9]+/); print group substr($0, RSTART, RLENGTH) }
' etc/bulwark.conf | sort -u)
man_keys=$(sed -n 's/^\.It Ic \([a-z_0-9.]*\).*/\1/p' man/bulwark.conf.5 | sort -u)
for key in $sample_keys; do
	if echo "$man_keys" | grep -qx "$key"; then ok; else fail "key $key of etc/bulwark.conf not in bulwark.conf(5)"; fi
done
for key in $man_keys; do
	if echo "$sample_keys" | grep -qx "$key"; then ok; else fail "key $key of bulwark.conf(5) not in etc/bulwark.conf"; fi
done

# Every option bulwark-replay's usage names is in bulwark-replay(8).
for opt in $(ctl/bulwark-replay --help | grep -o -- '--[a-z]*' | sort -u); do
	if grep -q "^\.It .*Fl Fl ${opt#--}\b" man/bulwark-replay.8; then ok; else
		fail "option $opt of bulwark-replay not in bulwark-replay(8)"; fi
done

echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
