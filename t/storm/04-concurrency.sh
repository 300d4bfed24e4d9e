#!/bin/sh
# 04-concurrency.sh - the concurrency limit through the real daemon
# (memory store) with sessions held open by a real milter client:
# max_sessions = 8, 5 and 3 sessions held from one host, the 9th is
# refused at CONNECT; closing 3 lets the next in; excluded hosts never
# count; the refusal is logged and counted in the metrics and top.
. "$SRCDIR/lib.sh"

d=$WORKDIR
ctl="$BULWARKCTL -s $d/control.sock"
start_daemon "$d" '
concurrency = { enabled = true; max_sessions = 8; action = "tempfail";
	reply = "Too many simultaneous connections from %a"; };' || exit 1

hold a "$d" 192.0.2.30 5 helo || exit 1
hold b "$d" 192.0.2.30 3 connect || exit 1
hold c "$d" 192.0.2.30 1 connect refuse || exit 1
# Another host is not affected.
hold e "$d" 192.0.2.31 2 connect || exit 1
# Excluded hosts (127.0.0.0/8 by default) never count.
hold f "$d" 127.0.0.1 10 connect || exit 1

top_json "$d"
json_is "top: 8 live sessions of the host" "$d/top.json" '
    (grep { $_->{host} eq "192.0.2.30" } @{$j->{hosts}})[0]{sessions} == 8'
json_is "top: one refusal" "$d/top.json" '$j->{refusals}{total} == 1'
if [ "$(grep -c 'event=refuse .* stage=connect detector=concurrency host=192.0.2.30 addr=192.0.2.30 action=tempfail' \
    "$d/log")" -eq 1 ]; then
	ok "the refusal is logged"
else
	not_ok "no event=refuse detector=concurrency line"; show "$d/log"
fi
$ctl metrics >"$d/metrics"
want='bulwark_refusals_total{detector="concurrency",action="tempfail"} 1'
if grep -qxF -- "$want" "$d/metrics"; then ok "metrics: $want"; else
	not_ok "metrics: no $want"; grep refusals "$d/metrics"; fi

# Closing 3 sessions lets the next in.
release b
five_left() {
	top_json "$d" && perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
	    exit((grep { $_->{host} eq "192.0.2.30" } @{$j->{hosts}})[0]{sessions}
	    == 5 ? 0 : 1)' <"$d/top.json"
}
if wait_until five_left; then ok "3 sessions closed"; else
	not_ok "the 3 sessions did not close"; show "$d/top.json"; fi
hold g "$d" 192.0.2.30 3 connect || exit 1
hold h "$d" 192.0.2.30 1 connect refuse || exit 1

for n in a c e f g h; do
	release $n
done
finish
