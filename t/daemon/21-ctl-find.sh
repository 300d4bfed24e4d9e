#!/bin/sh
# 21-ctl-find.sh - bulwarkctl reaches the daemon through a configuration
# file that has errors (it reads only the control key), says how it
# found the socket, suggests -s when it cannot connect; options anywhere
# on the command line, help and version.
. "$SRCDIR/lib.sh"

d=$WORKDIR
conf "$d/bulwark.conf" "$d"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

# find WHAT CONFIG: bulwarkctl -c CONFIG status, output in ctl.out/err.
find_status() {
	"$BULWARKCTL" -c "$1" status >"$WORKDIR/ctl.out" 2>"$WORKDIR/ctl.err"
}

# A value the daemon would refuse does not stop bulwarkctl: silently.
{ config_head "$d"; echo 'dos = { period = "5x"; };'; } >"$d/semantic.conf"
find_status "$d/semantic.conf"
check "a file with a bad value: the daemon is reached" test $? -eq 0
out_has "a file with a bad value: status answered" "pid           $pid"
check "a file with a bad value: nothing said" test ! -s "$WORKDIR/ctl.err"

# A typo libconfig cannot parse: the control line is found by a scan.
{ config_head "$d"; echo 'dos = { period = "1m" };;'; echo 'oops {'; } \
    >"$d/typo.conf"
find_status "$d/typo.conf"
check "a file that does not parse: the daemon is reached" test $? -eq 0
out_has "a file that does not parse: status answered" "pid           $pid"
err_has "a file that does not parse: the error with its line" \
    "$d/typo.conf:6: "
err_has "a file that does not parse: the fallback is said" \
    "using control = \"unix:$d/control.sock\" found by a line scan"

# The running daemon's own file gets a typo: every command still works.
cp "$d/bulwark.conf" "$d/good.conf"
echo 'oops {' >>"$d/bulwark.conf"
line=$(wc -l <"$d/bulwark.conf")
"$BULWARKCTL" -c "$d/bulwark.conf" block 192.0.2.9 1h typo \
    >"$WORKDIR/ctl.out" 2>"$WORKDIR/ctl.err"
check "block through a broken file: exit 0" test $? -eq 0
out_has "block through a broken file: done" "blocked 192.0.2.9 until"
"$BULWARKCTL" -c "$d/bulwark.conf" unblock 192.0.2.9 \
    >"$WORKDIR/ctl.out" 2>"$WORKDIR/ctl.err"
check "unblock through a broken file: exit 0" test $? -eq 0
"$BULWARKCTL" -c "$d/bulwark.conf" reload >"$WORKDIR/ctl.out" \
    2>"$WORKDIR/ctl.err"
check "reload of the broken file: refused, exit 1" test $? -eq 1
err_has "reload of the broken file: file and line" \
    "reload: $d/bulwark.conf:$line: syntax error"
err_has "reload of the broken file: the old one stays" \
    "the running configuration stays in force"
cp "$d/good.conf" "$d/bulwark.conf"

# No control line at all in a file that does not parse: the default.
printf 'dos = {\n' >"$d/nocontrol.conf"
find_status "$d/nocontrol.conf"
rc=$?
check "no control line: not a usage error" test "$rc" -ne 2
err_has "no control line: the default socket is tried, and said" \
    "no control line found: trying the default control socket /run/bulwark/control.sock"

# A socket nobody listens on: exit 3, and -s suggested.
{ echo "control = \"unix:$d/nobody.sock\";"; } >"$d/nobody.conf"
find_status "$d/nobody.conf"
check "nobody listening: exit 3" test $? -eq 3
err_has "nobody listening: the socket named" \
    "cannot connect to $d/nobody.sock"
err_has "nobody listening: where the path came from" \
    "that socket is control in $d/nobody.conf"
err_has "nobody listening: -s suggested" \
    "name its control socket with -s unix:/path"
ctl_is 3 "nobody listening on -s: exit 3" "$d/nobody" status
check "with -s, no suggestion of -s" sh -c \
    "! grep -q 'with -s unix' '$WORKDIR/ctl.err'"

# Options anywhere; -- ends them.
ctl_is 0 "list --json" "$d" list --json
out_has "list --json: JSON" '{"ok":true,"command":"list"'
ctl_is 0 "block with -j at the end" "$d" block 192.0.2.10 1h spam -j
out_has "block -j: JSON" '"command":"block","host":"192.0.2.10"'
ctl_is 0 "a reason after --" "$d" block 192.0.2.11 1h -- -j is a reason
ctl_is 0 "list manual --json" "$d" list manual --json
out_has "the reason after -- is kept" '"reason":"-j is a reason"'
ctl_is 2 "an unknown option after the command: exit 2" "$d" list --frob

# help and version, without a daemon.
"$BULWARKCTL" -s "$d/nobody.sock" help >"$WORKDIR/ctl.out" 2>&1
check "help: exit 0" test $? -eq 0
for cmd in status list show block unblock "unblock --all" "exclude list" \
    "exclude add|remove" reload metrics help version; do
	out_has "help lists $cmd" "  $cmd "
done
out_has "help lists the exit statuses" "4 restart needed"
"$BULWARKCTL" version >"$WORKDIR/ctl.out" 2>&1
check "version: exit 0" test $? -eq 0
out_line "version: the version" \
    "bulwarkctl $(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")"
ctl_is 2 "help takes no argument" "$d" help list

# bulwarkctl(8) has every command, option and exit status help names.
man=$TOP/man/bulwarkctl.8
for cmd in status list show block unblock exclude reload metrics help \
    version; do
	check "bulwarkctl(8) describes $cmd" grep -q "^\.It Cm $cmd" "$man"
done
for opt in a c h j s V y; do
	check "bulwarkctl(8) describes -$opt" grep -q "^\.It Fl $opt" "$man"
done
for rc in 0 1 2 3 4; do
	check "bulwarkctl(8) describes exit status $rc" grep -qx "\.It $rc" "$man"
done

stop_fg "$pid"
check "the daemon stopped with status 0" test $? -eq 0
finish
