#!/bin/sh
# 01-top.sh - bulwarkctl top against sessions held open by a real milter
# client: the live count, the stages, the hosts, the thresholds, the
# blocks and refusals, the human frame, the refreshing view, and the
# table emptied once the sessions close.
. "$SRCDIR/lib.sh"

d=$WORKDIR
ctl="$BULWARKCTL -s $d/control.sock"
start_daemon "$d" '
dos = { max_connections = 50; period = "1h"; block = "1h"; };
blocked = [ "203.0.113.0/24" ];' || exit 1

top_json "$d"
json_is "no session yet" "$d/top.json" \
    '$j->{ok} && $j->{sessions} == 0 && @{$j->{hosts}} == 0'

hold a "$d" 192.0.2.10 5 mail || exit 1
hold b "$d" 198.51.100.4 3 data || exit 1
hold c "$d" 2001:db8:1::5 2 helo || exit 1
hold e "$d" 192.0.2.99 1 connect || exit 1
# A host on the blocked list is refused at CONNECT: never live.
hold f "$d" 203.0.113.7 1 connect refuse || exit 1

top_json "$d"
json_is "top --once --json: ok" "$d/top.json" \
    '$j->{ok} && $j->{command} eq "top"'
json_is "11 live sessions" "$d/top.json" '$j->{sessions} == 11'
json_is "by stage" "$d/top.json" '$j->{stages}{connected} == 1 &&
    $j->{stages}{greeted} == 2 && $j->{stages}{transaction} == 5 &&
    $j->{stages}{data} == 3'
json_is "hosts, most sessions first" "$d/top.json" '
    join(",", map { "$_->{host}=$_->{sessions}" } @{$j->{hosts}}) eq
    "192.0.2.10=5,198.51.100.4=3,2001:db8:1::/64=2,192.0.2.99=1"'
json_is "the longest-lived sessions" "$d/top.json" '
    @{$j->{oldest}} == 10 && $j->{oldest}[0]{since} <= $j->{oldest}[9]{since}
    && $j->{oldest}[0]{age} >= 0'
json_is "dos counts of the hosts, highest first" "$d/top.json" '
    my ($dos) = grep { $_->{detector} eq "dos" } @{$j->{thresholds}};
    $dos->{max} == 50 && $dos->{hosts}[0]{host} eq "192.0.2.10" &&
    $dos->{hosts}[0]{count} == 5 && $dos->{hosts}[1]{count} == 3 &&
    $dos->{hosts}[0]{window_ends} > $j->{now}'
json_is "one refusal, per second over 10 s" "$d/top.json" '
    $j->{refusals}{total} == 1 && $j->{refusals}{per_second} > 0 &&
    $j->{refusals}{over} == 10'
json_is "store health" "$d/top.json" '$j->{store}{backend} eq "memory" &&
    $j->{store}{health} eq "ok" && !defined $j->{store_error}'
json_is "this node" "$d/top.json" "\$j->{node} eq '$(hostname)'"

# Blocks: one by hand and one by the DoS rule, the later start first.
$ctl block 192.0.2.50 1h "storm test" >/dev/null
sed -i 's/max_connections = 50/max_connections = 2/' "$d/bulwark.conf"
$ctl reload >/dev/null
hold g "$d" 192.0.2.60 3 connect refuse || exit 1
top_json "$d"
json_is "blocks in force" "$d/top.json" '$j->{blocks_total} == 2'
json_is "the DoS block first, then the one by hand" "$d/top.json" '
    $j->{blocks}[0]{host} eq "192.0.2.60" &&
    $j->{blocks}[0]{detector} eq "dos" &&
    $j->{blocks}[1]{reason} eq "storm test"'
json_is "the new rule shown" "$d/top.json" '
    (grep { $_->{detector} eq "dos" } @{$j->{thresholds}})[0]{max} == 2'

# The frame for a human.
$ctl top --once >"$d/frame" 2>&1
check_frame() {
	if grep -qF -- "$2" "$d/frame"; then ok "$1"; else
		not_ok "$1: no \"$2\""; show "$d/frame"; fi
}
check_frame "frame: title" "bulwark top - $(hostname) - "
check_frame "frame: sessions by stage" \
    "sessions 13 of 4096: 3 connected, 2 greeted, 5 in a transaction, 3 in data"
check_frame "frame: refusals" "refusals "
check_frame "frame: store" "store memory, ok"
check_frame "frame: hosts" "192.0.2.10       5"
check_frame "frame: oldest" "LONGEST-LIVED SESSIONS"
check_frame "frame: thresholds" "dos       192.0.2.10       5      2"
check_frame "frame: blocks" "192.0.2.50  manual"
if grep -q "$(printf '\033')" "$d/frame"; then
	not_ok "frame: no escape sequence when not on a terminal"
else
	ok "frame: no escape sequence when not on a terminal"
fi

# -j before the command is --json.
$BULWARKCTL -j -s "$d/control.sock" top --once >"$d/j.json"
json_is "-j top --once" "$d/j.json" '$j->{sessions} == 13'

# The refreshing view: a frame every second until interrupted.
$ctl top --interval 1 >"$d/view" 2>&1 &
view=$!
track "$view"
two_frames() {
	[ "$(grep -c '^bulwark top' "$d/view")" -ge 2 ]
}
wait_until two_frames
frames=$(grep -c '^bulwark top' "$d/view")
kill "$view"
if [ "$frames" -ge 2 ]; then ok "refreshing view: $frames frames"; else
	not_ok "refreshing view: $frames frames"; show "$d/view"; fi

# Usage errors.
$ctl top --once --bogus >/dev/null 2>"$d/err"
[ $? -eq 2 ] && ok "top: unknown option, exit 2" ||
    not_ok "top: unknown option, exit 2"
$ctl top --interval 0 --once >/dev/null 2>"$d/err"
[ $? -eq 2 ] && ok "top: --interval 0, exit 2" ||
    not_ok "top: --interval 0, exit 2"
$BULWARKCTL -s "$d/nowhere.sock" top --once >/dev/null 2>&1
[ $? -eq 3 ] && ok "top: no daemon, exit 3" || not_ok "top: no daemon, exit 3"

# Closing: the table empties.
for h in a b c e f g; do
	release $h
done
all_closed() {
	top_json "$d" && perl -MJSON::PP -e 'local $/;
	    exit(decode_json(<STDIN>)->{sessions} == 0 ? 0 : 1)' <"$d/top.json"
}
if wait_until all_closed; then ok "every session closed: none live"; else
	not_ok "sessions still live after closing"; show "$d/top.json"; fi
json_is "no stage counted" "$d/top.json" '$j->{stages}{greeted} == 0 &&
    $j->{stages}{transaction} == 0 && $j->{stages}{data} == 0 &&
    @{$j->{hosts}} == 0'

finish
