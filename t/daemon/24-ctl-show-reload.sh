#!/bin/sh
# 24-ctl-show-reload.sh - what show says of a host never seen, of a
# counted one and of the attack detector (enabled, flagging, blocking or
# not); what reload answers in text and JSON: the keys that need a
# restart, an error with file:line, and the exit status of each.
. "$SRCDIR/lib.sh"

d=$WORKDIR
sock=$d/bulwark.sock
rules='dos = { max_connections = 3; period = "1h"; block = "1h"; };'
conf "$d/bulwark.conf" "$d" "$rules"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1

# show: never seen, counted.
ctl_is 0 "show a host never seen" "$d" show 192.0.2.50
out_line "never seen: status unseen" "status        unseen"
out_has "never seen: why" "why           not blocked; nothing is known of it"
check "one connection" connect "$sock" 192.0.2.51 continue
ctl_is 0 "show a counted host" "$d" show 192.0.2.51
out_line "counted: status counted" "status        counted"
out_has "counted: why" "not blocked; counted in an open evaluation period"
out_has "counted: its count" "dos       yes      1      3"
ctl_is 0 "show --json of a host never seen" "$d" show 192.0.2.50 --json
out_has "show --json: unseen" '"status":"unseen"'

# attack: enabled by default, flags, never blocks (max_flagged = 0).
ctl_is 0 "show with the default attack settings" "$d" show 192.0.2.50
out_has "attack row: enabled" "attack    yes      0      0"
out_has "attack: flags, never blocks" "attack: a connection with more than 10 unexpected commands is flagged (action log); hosts are never blocked for it (attack.max_flagged = 0)"
ctl_is 0 "show --json: attack" "$d" -j show 192.0.2.50
out_has "attack --json: enabled, blocks false" \
    '"detector":"attack","enabled":true,"blocks":false'
out_has "attack --json: max_commands and flag_action" \
    '"max_commands":10,"flag_action":"log"'
out_has "dos --json: enabled and blocks" \
    '"detector":"dos","enabled":true,"blocks":true'

conf "$d/bulwark.conf" "$d" "$rules
attack = { max_commands = 4; action = \"tempfail\"; max_flagged = 2; };"
ctl_is 0 "reload: attack blocks after 2 flagged" "$d" reload
ctl_is 0 "show: attack that blocks" "$d" show 192.0.2.50
out_has "attack row: enabled, max 2" "attack    yes      0      2"
out_has "attack: flags and blocks" "more than 4 unexpected commands is flagged (action tempfail); more than MAX flagged connections within PERIOD block the host"

conf "$d/bulwark.conf" "$d" "$rules
attack = { enabled = false; };"
ctl_is 0 "reload: attack off" "$d" reload
ctl_is 0 "show: attack off" "$d" show 192.0.2.50
out_has "attack row: disabled" "attack    no "
check "attack off: no note" sh -c "! grep -q '^note' '$WORKDIR/ctl.out'"

# reload: restart keys, in text and JSON, exit 4.
conf "$d/bulwark.conf" "$d" "$rules"
ctl_is 0 "reload with nothing that needs a restart: exit 0" "$d" reload
out_line "reload: answered" "reloaded $d/bulwark.conf"
check "reload: no restart line" sh -c \
    "! grep -q 'restart' '$WORKDIR/ctl.out'"
ctl_is 0 "reload --json: exit 0" "$d" reload --json
out_has "reload --json: no restart key" '"restart_needed":[]'
conf "$d/bulwark.conf" "$d/elsewhere" "$rules
memory = { max_hosts = 5000; };"
ctl_is 4 "reload that changes start keys: exit 4" "$d" reload
out_line "reload: the keys named" "restart needed for socket, pidfile, control, memory.max_hosts: the new values take effect at the next start, the running ones stay until then"
ctl_is 4 "reload --json that changes start keys: exit 4" "$d" reload --json
out_has "reload --json: the keys" \
    '"restart_needed":["socket","pidfile","control","memory.max_hosts"]'
ctl_is 0 "the running control socket still answers" "$d" status

# reload: an error with file:line, exit 1, the old configuration kept.
conf "$d/bulwark.conf" "$d" "$rules"
echo 'dha = { max_invalid = -1; };' >>"$d/bulwark.conf"
line=$(wc -l <"$d/bulwark.conf")
ctl_is 1 "reload of a bad file: exit 1" "$d" reload
err_has "reload error: file and line" "bulwarkctl: reload: $d/bulwark.conf:$line: dha.max_invalid"
err_has "reload error: the old configuration stays" \
    "the running configuration stays in force"
ctl_is 1 "reload --json of a bad file: exit 1" "$d" reload --json
out_has "reload --json error: file and line" \
    "{\"ok\":false,\"command\":\"reload\",\"error\":\"$d/bulwark.conf:$line: dha.max_invalid"

stop_fg "$pid"
check "the daemon stopped with status 0" test $? -eq 0
finish
