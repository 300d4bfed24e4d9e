#!/bin/sh
# 02-runbook.sh - every bulwarkctl command of bulwark-storm(7), in the
# order of the page, against a running daemon with sessions held open:
# each must succeed.  The commands are the lines "# bulwarkctl ..." of
# the page's literal displays; top without --once (a view that runs
# until interrupted) must draw a frame and is stopped after 3 s.
. "$SRCDIR/lib.sh"

d=$WORKDIR
page=$TOP/man/bulwark-storm.7
start_daemon "$d" 'dos = { max_connections = 3; period = "1h"; block = "1h"; };' ||
    exit 1
hold a "$d" 198.51.100.7 3 helo || exit 1
hold b "$d" 198.51.100.7 1 connect refuse || exit 1

awk '
	/^\.Bd -literal/ { literal = 1; next }
	/^\.Ed/ { literal = 0; next }
	literal && /^# bulwarkctl / { sub(/^# bulwarkctl /, ""); print }
' "$page" >"$d/commands"
n=$(wc -l <"$d/commands")
if [ "$n" -ge 10 ]; then ok "$n bulwarkctl commands in the page"; else
	not_ok "only $n bulwarkctl commands found in the page"; fi
for want in "top" "top --once" "top --once --json" "status" "list" \
    "show 198.51.100.7" "reload" "metrics"; do
	if grep -qxF -- "$want" "$d/commands"; then ok "the page runs $want"
	else not_ok "the page has no bulwarkctl $want"; fi
done

set -f
while IFS= read -r args; do
	# shellcheck disable=SC2086
	case "$args" in
	top|top\ --interval*)
		timeout 3 "$BULWARKCTL" -s "$d/control.sock" $args \
		    >"$d/run.out" 2>"$d/run.err"
		rc=$?
		[ "$rc" -eq 124 ] && grep -q '^bulwark top' "$d/run.out" && rc=0
		;;
	*)
		"$BULWARKCTL" -s "$d/control.sock" $args >"$d/run.out" \
		    2>"$d/run.err"
		rc=$?
		;;
	esac
	if [ "$rc" -eq 0 ]; then
		ok "bulwarkctl $args"
	else
		not_ok "bulwarkctl $args: exit $rc"
		show "$d/run.out" "$d/run.err"
	fi
done <"$d/commands"
set +f

finish
