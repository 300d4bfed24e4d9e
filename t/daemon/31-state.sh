#!/bin/sh
# 31-state.sh - state_file: the memory store's blocks (by hand, with
# their notes, and by a detector) are written at the stop and are in
# force again after the start; a state file that cannot be used is
# ignored with a warning naming it (file:line for a bad line); a
# missing directory stops the start with the other start-up problems.
. "$SRCDIR/lib.sh"

d=$WORKDIR
mkdir "$d/state"
state=$d/state/bulwark.state
conf "$d/bulwark.conf" "$d" "state_file = \"$state\";
dos = { max_connections = 1; period = \"1h\"; block = \"1h\"; };"

start_fg first "$d/bulwark.conf" "$d" || exit 1
ctl_is 0 "a block by hand" "$d" block 198.51.100.60 2h "kept across restarts"
check "a DoS block: the first connection passes" connect "$d/bulwark.sock" 192.0.2.61 continue
check "a DoS block: the second trips" connect "$d/bulwark.sock" 192.0.2.61 refuse
stop_fg "$pid"
check "stopped with status 0" test $? -eq 0
check "the stop wrote both blocks" test "$(log_count "$d/log" "event=state-saved blocks=2")" -eq 1
check "the file starts with its header" sh -c "head -n 1 '$state' | grep -qx '# bulwark state 1'"
check "the file is the daemon's alone" test "$(stat -c %a "$state")" = 600

mv "$d/log" "$d/log.1"
start_fg second "$d/bulwark.conf" "$d" || exit 1
check "the start read them back" test "$(log_count "$d/log" "event=state-loaded blocks=2")" -eq 1
ctl_is 0 "list after the restart" "$d" list
out_has "the block by hand is listed" "198.51.100.60"
out_has "the DoS block is listed" "192.0.2.61"
ctl_is 0 "show the host blocked by hand" "$d" show 198.51.100.60
out_has "its reason came back" "kept across restarts"
check "the DoS-blocked host is refused" connect "$d/bulwark.sock" 192.0.2.61 refuse
check "another host passes" connect "$d/bulwark.sock" 192.0.2.62 continue
ctl_is 0 "unblock the host blocked by hand" "$d" unblock 198.51.100.60
stop_fg "$pid"
check "the second stop wrote one block" test "$(log_count "$d/log" "event=state-saved blocks=1")" -eq 1

# A bad line: the file is ignored, with its place.
printf '# bulwark state 1\nblock 192.0.2.70 dos 9999999999\nblock nonsense\n' >"$state"
mv "$d/log" "$d/log.2"
start_fg third "$d/bulwark.conf" "$d" || exit 1
check "a bad line: ignored with file:line" grep -qF \
    "event=state-ignored reason=\"$state:3: not a block or note record\"" "$d/log"
check "a bad line: nothing of the file applied" connect "$d/bulwark.sock" 192.0.2.70 continue
stop_fg "$pid"
check "a bad file: the daemon still stops with status 0" test $? -eq 0

# A symbolic link is not followed.
printf '# bulwark state 1\nblock 192.0.2.71 dos 9999999999\n' >"$d/elsewhere"
rm -f "$state"
ln -s "$d/elsewhere" "$state"
mv "$d/log" "$d/log.3"
start_fg fourth "$d/bulwark.conf" "$d" || exit 1
check "a link: ignored" grep -qF "event=state-ignored reason=\"$state: is a symbolic link\"" "$d/log"
check "a link: its blocks not applied" connect "$d/bulwark.sock" 192.0.2.71 continue
stop_fg "$pid"

# The directory is missing: a start-up problem.
conf "$d/gone.conf" "$d" "state_file = \"$d/gone/bulwark.state\";"
"$BULWARK" -f -c "$d/gone.conf" >"$WORKDIR/start.out" 2>&1
check "a missing state directory stops the start: exit 1" test $? -eq 1
check "and says which" grep -qF "state_file: directory $d/gone: No such file or directory" \
    "$WORKDIR/start.out"
finish
