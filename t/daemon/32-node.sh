#!/bin/sh
# 32-node.sh - node names this daemon: in status, in the node column of
# list and show for the blocks it set by hand, in its start and
# manual-block log lines; without it the host name; a bad name is a
# configuration error at its line; a changed name needs a restart.
. "$SRCDIR/lib.sh"

d=$WORKDIR
conf "$d/bulwark.conf" "$d" 'node = "mx-test-1";'
start_fg node "$d/bulwark.conf" "$d" || exit 1
ctl_is 0 "status" "$d" status
out_has "status: the node" "node          mx-test-1"
ctl_is 0 "block by hand" "$d" block 198.51.100.90 1h "node test"
ctl_is 0 "list" "$d" list
check "list: the node column" grep -qE '^198\.51\.100\.90 .* mx-test-1 ' "$WORKDIR/ctl.out"
ctl_is 0 "show --json" "$d" show --json 198.51.100.90
out_has "show: the node" '"node":"mx-test-1"'
check "the start line names the node" grep -q "event=start version=[^ ]* node=mx-test-1 " "$d/log"
check "the manual-block line names the node" grep -q "event=manual-block host=198.51.100.90 .* node=mx-test-1" "$d/log"
conf "$d/bulwark.conf" "$d" 'node = "mx-test-2";'
ctl_is 4 "reload with another node: restart needed" "$d" reload
out_has "reload names node" "restart needed for node"
stop_fg "$pid"
check "stopped with status 0" test $? -eq 0

conf "$d/bulwark.conf" "$d"
start_fg host "$d/bulwark.conf" "$d" || exit 1
ctl_is 0 "status without node" "$d" status
out_has "status: the host name" "node          $(hostname)"
stop_fg "$pid"

conf "$d/bad.conf" "$d" 'node = "mx 1";'
line=$(grep -n '^node' "$d/bad.conf" | cut -d: -f1)
"$BULWARK" -t -c "$d/bad.conf" >"$WORKDIR/t.out" 2>&1
check "a node with a blank: exit 78" test $? -eq 78
check "a node with a blank: file:line" grep -qF "$d/bad.conf:$line: node: expected printable" "$WORKDIR/t.out"
finish
