#!/bin/sh
# 03-dashboards.sh - contrib/prometheus and contrib/grafana against the
# real daemon: the alert rules pass promtool's check and their unit
# tests; every query of the Grafana dashboard parses as PromQL; the
# daemon's scrape passes promtool's check; every metric the rules and
# the dashboard name is in that scrape; and the live sessions gauge
# counts sessions held open by a real milter client.
. "$SRCDIR/lib.sh"

d=$WORKDIR
rules=$TOP/contrib/prometheus/bulwark.rules.yml
dashboard=$TOP/contrib/grafana/bulwark.json

if ! command -v promtool >/dev/null 2>&1; then
	not_ok "promtool is not installed (Debian package prometheus)"
	exit 1
fi

# run WHAT COMMAND...: ok when COMMAND succeeds; its output otherwise.
run() {
	what=$1
	shift
	if "$@" >"$d/run.out" 2>&1; then ok "$what"; else
		not_ok "$what"; show "$d/run.out"; fi
}

run "promtool check rules" promtool check rules "$rules"
run "promtool test rules (the alerts fire when they should)" \
    sh -c 'cd "$1" && promtool test rules bulwark.rules.test.yml' sh \
    "$TOP/contrib/prometheus"

# The dashboard's queries as recording rules, for promtool to parse,
# with Grafana's variables given values.
if perl -MJSON::PP -e '
	local $/;
	open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!\n";
	my $dash = decode_json(<$f>);
	my $n = 0;
	print "groups:\n  - name: dashboard\n    rules:\n";
	for my $p (@{$dash->{panels}}) {
		for my $t (@{$p->{targets}}) {
			my $e = $t->{expr};
			$e =~ s/\$__rate_interval/5m/g;
			$e =~ s/\$instance/.*/g;
			$n++;
			print "      - record: dashboard:query$n\n";
			print "        expr: ", JSON::PP->new->encode([$e]) =~ s/^\[|\]$//gr, "\n";
		}
	}
	exit($n > 0 ? 0 : 1);' "$dashboard" >"$d/dashboard.rules.yml"; then
	ok "the dashboard is JSON with queries"
else
	not_ok "the dashboard is not JSON, or has no query"
fi
run "every dashboard query parses (promtool check rules)" \
    promtool check rules "$d/dashboard.rules.yml"

# A daemon with its metrics listener on a port held from the start.
hold_ports 1 || { not_ok "no port to hold"; exit 1; }
port=$ports
if ! start_daemon "$d" "metrics_listen = \"127.0.0.1:$port\";" ||
    ! wait_alive "$daemon" curl -sf -o /dev/null \
    "http://127.0.0.1:$port/metrics"; then
	not_ok "the daemon serves /metrics"
	show "$d/log"
	exit 1
fi
hold a "$d" 192.0.2.20 2 helo || exit 1
hold b "$d" 192.0.2.21 1 data || exit 1
curl -sf "http://127.0.0.1:$port/metrics" >"$d/scrape"
run "promtool check metrics on the scrape" sh -c \
    'promtool check metrics <"$1"' sh "$d/scrape"
for line in 'bulwark_live_sessions{stage="connected"} 0' \
    'bulwark_live_sessions{stage="greeted"} 2' \
    'bulwark_live_sessions{stage="transaction"} 0' \
    'bulwark_live_sessions{stage="data"} 1'; do
	if grep -qxF -- "$line" "$d/scrape"; then ok "scrape: $line"; else
		not_ok "scrape: no $line"; grep live_sessions "$d/scrape"; fi
done

# Every metric named is exported: sample names as scraped (a histogram
# by its _bucket, _sum and _count).
sed -n 's/^\(bulwark_[a-z_]*\).*/\1/p' "$d/scrape" | sort -u >"$d/exported"
grep -oh 'bulwark_[a-z_]*' "$rules" "$dashboard" | sort -u >"$d/named"
n=$(wc -l <"$d/named")
if [ "$n" -ge 10 ]; then ok "$n metrics named by the rules and dashboard"; else
	not_ok "only $n metrics named by the rules and dashboard"; fi
while IFS= read -r name; do
	if grep -qxF -- "$name" "$d/exported"; then ok "exported: $name"; else
		not_ok "named but not exported: $name"; fi
done <"$d/named"

release a
release b
finish
