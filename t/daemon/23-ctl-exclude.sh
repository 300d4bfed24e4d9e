#!/bin/sh
# 23-ctl-exclude.sh - bulwarkctl exclude list|add|remove: refused
# without exclude_file; the file rewritten atomically (a new inode, its
# mode kept, its comments kept, nothing left beside it) and reloaded; the
# change in force at CONNECT, kept across SIGHUP, reload and restart;
# a configuration that does not load leaves the file as it was.
. "$SRCDIR/lib.sh"

d=$WORKDIR
sock=$d/bulwark.sock
rules='dos = { max_connections = 2; period = "1h"; block = "1h"; };'
conf "$d/bulwark.conf" "$d" "$rules"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

ctl_is 1 "exclude list without exclude_file: refused" "$d" exclude list
err_has "without exclude_file: said" "no exclude_file is configured"
ctl_is 1 "exclude add without exclude_file: refused" "$d" exclude add \
    192.0.2.1
ctl_is 2 "exclude with a bad action: exit 2" "$d" exclude purge 192.0.2.1
ctl_is 2 "exclude add without an address: exit 2" "$d" exclude add

mkdir "$d/lists"
file=$d/lists/exclude
printf '# kept by hand\n192.0.2.30   # a partner\n' >"$file"
chmod 0640 "$file"
conf "$d/bulwark.conf" "$d" "$rules
exclude_file = \"$file\";"
ctl_is 0 "reload with exclude_file" "$d" reload
ctl_is 0 "exclude list" "$d" exclude list
out_line "exclude list: the entry" "  192.0.2.30"
ctl_is 0 "exclude list --json" "$d" exclude list --json
out_has "exclude list --json: entries" '"entries":["192.0.2.30"]'

check "198.51.100.7 is counted: two connections" connect "$sock" \
    198.51.100.7 continue 2
inode=$(stat -c %i "$file")
ctl_is 0 "exclude add an address" "$d" exclude add 198.51.100.7
out_line "exclude add: answered" "added 198.51.100.7 to $file; reloaded"
check "the file holds the entry" grep -qx 198.51.100.7 "$file"
check "the comments are kept" grep -qx '192.0.2.30   # a partner' "$file"
check "the file was replaced, not written in place" \
    test "$(stat -c %i "$file")" -ne "$inode"
check "the file keeps its mode" test "$(stat -c %a "$file")" = 640
check "nothing is left beside it" test "$(ls "$d/lists" | wc -l)" -eq 1
check "the added address is excluded at once" connect "$sock" \
    198.51.100.7 continue 5
check "the change is logged" test "$(log_count "$d/log" \
    event=exclude-add entry=198.51.100.7 changed=yes uid=)" -eq 1
cp "$file" "$d/before"
ctl_is 0 "exclude add again" "$d" exclude add 198.51.100.7
out_line "exclude add again: said" "198.51.100.7 is already in $file"
check "exclude add again: the file is unchanged" cmp -s "$file" "$d/before"
ctl_is 0 "exclude add a prefix, --json" "$d" exclude add 2001:db8:7::/48 -j
out_has "exclude add --json" '"action":"add","entry":"2001:db8:7::/48","changed":true,"excluded":true'
check "an address of the prefix is excluded" connect "$sock" \
    2001:db8:7:1::1 continue 5
ctl_is 1 "exclude add of a prefix with host bits: refused" "$d" \
    exclude add 192.0.2.1/24
ctl_is 1 "exclude add of no address: refused" "$d" exclude add nowhere
check "refused entries leave the file alone" test "$(grep -c . "$file")" -eq 4

# Kept across SIGHUP and reload: the change is in the file.
reloads_now=$(log_count "$d/log" "event=reload status=ok")
kill -HUP "$pid"
reloaded() {
	[ "$(log_count "$d/log" "event=reload status=ok")" -gt "$reloads_now" ]
}
check "SIGHUP: reloaded" wait_until reloaded
check "after SIGHUP the address is still excluded" connect "$sock" \
    198.51.100.7 continue 5
ctl_is 0 "reload" "$d" reload
check "after reload the address is still excluded" connect "$sock" \
    198.51.100.7 continue 5

# remove: counted again (its two connections before were counted).
ctl_is 0 "exclude remove" "$d" exclude remove 198.51.100.7
out_line "exclude remove: answered" "removed 198.51.100.7 from $file; reloaded"
check "the entry is gone from the file" sh -c \
    "! grep -q 198.51.100.7 '$file'"
check "the removed address is counted again: refused" connect "$sock" \
    198.51.100.7 refuse
ctl_is 1 "exclude remove of an entry not in the file" "$d" exclude remove \
    198.51.100.8
err_has "not in the file: said" "198.51.100.8 is not in $file"
ctl_is 1 "exclude remove of an entry of the exclude key" "$d" exclude \
    remove 127.0.0.1
err_has "the exclude key: said" "excluded by the exclude key"

# A configuration that does not load: the file stays as it was.
cp "$file" "$d/before"
cp "$d/bulwark.conf" "$d/good.conf"
echo 'dos = { max_connections = "many"; };' >>"$d/bulwark.conf"
ctl_is 1 "exclude add while the configuration has an error" "$d" \
    exclude add 192.0.2.99
err_has "the error: the file unchanged and why" \
    "$file is unchanged: the configuration does not load: $d/bulwark.conf:"
check "the file is as it was" cmp -s "$file" "$d/before"
check "the address is not excluded" connect "$sock" 192.0.2.99 continue 2
check "the address is counted" connect "$sock" 192.0.2.99 refuse
cp "$d/good.conf" "$d/bulwark.conf"

# Kept across a restart.
stop_fg "$pid"
check "stopped with status 0" test $? -eq 0
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1
check "after a restart the prefix is still excluded" connect "$sock" \
    2001:db8:7:2::1 continue 5
ctl_is 0 "exclude list after a restart" "$d" exclude list
out_line "exclude list: the prefix" "  2001:db8:7::/48"
stop_fg "$pid"
check "stopped again with status 0" test $? -eq 0
finish
