#!/bin/sh
# 08-empty-config.sh - an empty (truncated) configuration file is refused
# everywhere: a reload by SIGHUP or bulwarkctl logs and reports the error
# naming the file and keeps the running configuration (its threshold and
# its exclude file), bulwark -t fails on it, and the daemon does not
# start on it.  A file of blanks only counts as empty; a file holding only
# a comment is a deliberate choice of the defaults and loads.
. "$SRCDIR/lib.sh"

d=$WORKDIR
sock=$d/bulwark.sock
echo "192.0.2.30" >"$d/exclude"
conf "$d/bulwark.conf" "$d" "exclude_file = \"$d/exclude\";
dos = { max_connections = 2; period = \"1h\"; block = \"1h\"; };"
cp "$d/bulwark.conf" "$d/good.conf"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

empty_error="$d/bulwark.conf: empty file"

signal_failure_logged() {
	[ "$(log_count "$d/log" "event=reload status=failed via=signal" \
	    "error=\"$empty_error")" -eq 1 ]
}

# Truncated to nothing: SIGHUP.
: >"$d/bulwark.conf"
kill -HUP "$pid"
check "SIGHUP of an empty file: the failure is logged, naming the file" \
    wait_until signal_failure_logged
check "no reload of the empty file succeeded" test "$(log_count "$d/log" \
    "event=reload status=ok")" -eq 0

# Blanks only: bulwarkctl reload.
printf '\n   \n\t\n' >"$d/bulwark.conf"
ctl_is 1 "bulwarkctl reload of a file of blanks: exit 1" "$d" reload
err_has "the error names the file" "reload: $empty_error"
check "the control reload failure is logged" test "$(log_count "$d/log" \
    "event=reload status=failed via=control" "error=\"$empty_error")" -eq 1

# The running configuration is untouched: threshold and exclude file.
check "the running threshold holds: 2 connections allowed" connect \
    "$sock" 192.0.2.1 continue 2
check "the running threshold holds: the 3rd refused" connect "$sock" \
    192.0.2.1 refuse
check "the running exclude file holds" connect "$sock" 192.0.2.30 continue 5
ctl_is 0 "show an excluded host after the refused reloads" "$d" show \
    192.0.2.30
out_line "it is still excluded" "excluded      yes"
ctl_is 0 "show after the refused reloads" "$d" show 192.0.2.99
out_has "the running dos threshold is shown" "dos       yes      0      2"

# bulwark -t refuses it too, and so does a start.
: >"$d/bulwark.conf"
"$BULWARK" -t -c "$d/bulwark.conf" >"$d/t.out" 2>&1
rc=$?
check "bulwark -t on an empty file fails" test "$rc" -ne 0
check "bulwark -t names the file" grep -qF "$empty_error" "$d/t.out"
# Only once -t has refused: a daemon started on the defaults would
# listen on the default sockets and port, which belong to others.
if [ "$rc" -ne 0 ]; then
	timeout 20 "$BULWARK" -f -c "$d/bulwark.conf" >"$d/start.out" 2>&1
	rc=$?
	check "a start on an empty file fails" test "$rc" -ne 0 -a "$rc" -ne 124
	check "the start error names the file" grep -qF "$empty_error" \
	    "$d/start.out"
fi

# A comment alone is the defaults, chosen: -t accepts it.
echo "# every key at its default" >"$d/comment.conf"
check "bulwark -t accepts a file holding only a comment" \
    "$BULWARK" -t -c "$d/comment.conf"

# A good file reloads again afterwards.
cp "$d/good.conf" "$d/bulwark.conf"
ctl_is 0 "the good file reloads again" "$d" reload

stop_fg "$pid"
check "stopped with status 0" test $? -eq 0
finish
