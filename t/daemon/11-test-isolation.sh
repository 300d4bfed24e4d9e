#!/bin/sh
# 11-test-isolation.sh - the tests cannot collide with other software on
# the machine, nor with another copy of themselves: no test picks a port
# and lets it go before its server binds it (free_ports), none names the
# default metrics port, and every configuration template a test starts
# the daemon with sets its own control socket and metrics address.
. "$SRCDIR/lib.sh"

t=$TOP/t
self=$SRCDIR/11-test-isolation.sh

# found WHAT PATTERN: lines of the tests (unit tests of the parser aside,
# which never listen) matching the extended regular expression PATTERN.
found() {
	grep -rnE --exclude-dir=unit -e "$1" "$t" | grep -v "^$self:"
}

if found '\bfree_ports\b' >"$WORKDIR/found"; then
	not_ok "a test picks ports and releases them (free_ports):"
	sed 's/^/    /' "$WORKDIR/found"
else
	ok "no test picks ports and releases them (free_ports)"
fi
if found '\b9713\b' >"$WORKDIR/found"; then
	not_ok "a test names the default metrics port 9713:"
	sed 's/^/    /' "$WORKDIR/found"
else
	ok "no test names the default metrics port 9713"
fi
for f in $(find "$t" -name '*.conf.in' | sort); do
	name=${f#"$TOP"/}
	check "$name sets metrics_listen" grep -q '^metrics_listen = ' "$f"
	check "$name sets control" grep -q '^control = ' "$f"
done
finish
