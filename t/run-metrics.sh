#!/bin/sh
# run-metrics.sh - the metrics over HTTP, scraped from the real daemon
# after real milter traffic.
#
# The daemon runs in the foreground in a temporary directory with
# metrics_listen on a loopback port held for the run (hold_ports).  miltertest sends it the traffic
# of t/metrics/traffic.lua through t/milter/harness.lua and replytap.pl,
# which check every reply; curl then scrapes /metrics and each expected
# sample must be there as an exact line.  Also checked: the content type,
# HEAD, 404 for other paths, 405 for other methods, a second daemon
# refused on the taken port with a clear error, and the port closed once
# the daemon has stopped.  Needs miltertest, curl and perl.
#
# Prints one line per check and "metrics tests: N passed, M failed" last;
# exits non-zero when any check failed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
bulwark=$top/milter/bulwark
daemon=
tap=

. "$top/t/lib/daemon.sh"
. "$top/t/lib/results.sh"

work_create metrics
# The daemon and the relay, whichever is running.
cleanup() {
	pids="$daemon $tap ${port_holder:-}"
	work_cleanup
}
trap cleanup EXIT

finish() {
	summary metrics
	exit
}

# write_config DIR PORT
write_config() {
	config_head "$1"
	cat <<EOF
metrics_listen = "127.0.0.1:$2";
blocked = [ "203.0.113.0/24" ];
dos = { max_connections = 3; period = "1h"; block = "1h"; };
dha = { max_invalid = 2; period = "1h"; block = "1h"; action = "reject"; };
attack = {
	max_commands = 2; action = "tempfail";
	max_flagged = 1; period = "1h"; block = "1h";
};
EOF
}

# The HTTP status of curl ARGS... on URL.
http_status() {
	curl -s -o /dev/null -w '%{http_code}' "$@"
}

# /metrics answers.
metrics_up() {
	[ "$(http_status "$url/metrics")" = 200 ]
}

# Start the daemon on a port held for this run (hold_ports).
start_daemon() {
	hold_ports 1 || return 1
	port=$ports
	url=http://127.0.0.1:$port
	write_config "$work" "$port" >"$work/bulwark.conf"
	"$bulwark" -f -c "$work/bulwark.conf" 2>"$work/bulwark.log" &
	daemon=$!
	wait_for_socket "$work/bulwark.sock" "$daemon" &&
	    wait_alive "$daemon" metrics_up
}

# scrape NAME: GET /metrics into $work/NAME, its headers in NAME.headers.
scrape() {
	curl -sS -o "$work/$1" -D "$work/$1.headers" "$url/metrics" ||
	    fail "scrape $1" "curl failed"
}

# expect_samples FILE: each line of the standard input is a sample FILE
# must hold as a whole line.  A miss shows the metric's samples.
expect_samples() {
	while IFS= read -r line; do
		if grep -qxF -- "$line" "$work/$1"; then
			pass "$line"
			continue
		fi
		name=${line%%[{ ]*}
		fail "$line" "not in the scrape; found:"
		grep -F -- "$name" "$work/$1" | grep -v '^#'
	done
}

# expect NAME ACTUAL WANTED
expect() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got \"$2\", expected \"$3\""
	fi
}

run_traffic() {
	perl "$top/t/milter/replytap.pl" "$work/tap.sock" "$work/bulwark.sock" \
	    "$work/replies" 2>"$work/tap.err" &
	tap=$!
	if ! wait_for_socket "$work/tap.sock" "$tap"; then
		fail "traffic" "the reply relay did not start" "$work/tap.err"
		return
	fi
	if miltertest -s "$top/t/milter/harness.lua" \
	    -D scenario="$top/t/metrics/traffic.lua" \
	    -D socket="unix:$work/tap.sock" -D log="$work/bulwark.log" \
	    -D replies="$work/replies" >"$work/miltertest.out" 2>&1; then
		pass "traffic sent, every reply as expected"
	else
		fail "traffic" "miltertest failed" "$work/miltertest.out" \
		    "$work/bulwark.log"
	fi
	kill "$tap"
	wait "$tap" 2>/dev/null
	tap=
}

# A second daemon on the same port stops at start with a clear error.
second_daemon() {
	mkdir "$work/second"
	write_config "$work/second" "$port" >"$work/second/bulwark.conf"
	"$bulwark" -f -c "$work/second/bulwark.conf" 2>"$work/second/log"
	expect "second daemon on port $port exits 1" "$?" 1
	want="metrics_listen 127.0.0.1:$port: Address already in use"
	if grep -qF "event=fatal reason=\"$want\"" "$work/second/log"; then
		pass "second daemon says the port is in use"
	else
		fail "second daemon error" "unexpected" "$work/second/log"
	fi
}

for tool in miltertest curl perl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "run-metrics.sh: $tool is not installed" >&2
		exit 1
	fi
done
if [ ! -x "$bulwark" ]; then
	echo "run-metrics.sh: $bulwark is not built" >&2
	exit 1
fi

started=$(date +%s)
if ! start_daemon; then
	fail "daemon start" "no /metrics answer" "$work/bulwark.log"
	finish
fi
pass "daemon serves /metrics on 127.0.0.1:$port"

scrape before
version=$(sed -n 's/^VERSION *= *//p' "$top/Makefile")
expect_samples before <<EOF
bulwark_connections_total 0
bulwark_build_info{version="$version"} 1
bulwark_store_degraded{store="memory"} 0
bulwark_active_blocks{detector="dos"} 0
EOF
start_time=$(sed -n 's/^bulwark_start_time_seconds //p' "$work/before")
if [ -n "$start_time" ] && [ "$start_time" -ge "$started" ] &&
    [ "$start_time" -le "$(date +%s)" ]; then
	pass "start time $start_time"
else
	fail "start time" "\"$start_time\" is not when the daemon started"
fi
if grep -qix 'content-type: text/plain; version=0.0.4; charset=utf-8.' \
    "$work/before.headers"; then
	pass "content type text/plain; version=0.0.4"
else
	fail "content type" "unexpected" "$work/before.headers"
fi

run_traffic
scrape after
expect_samples after <<'EOF'
bulwark_connections_total 13
bulwark_events_total{detector="dos"} 11
bulwark_events_total{detector="dha"} 3
bulwark_events_total{detector="attack"} 2
bulwark_refusals_total{detector="dos",action="tempfail"} 2
bulwark_refusals_total{detector="dos",action="reject"} 0
bulwark_refusals_total{detector="dha",action="reject"} 2
bulwark_refusals_total{detector="dha",action="tempfail"} 0
bulwark_refusals_total{detector="attack",action="tempfail"} 3
bulwark_refusals_total{detector="blocked-list",action="reject"} 1
bulwark_refusals_total{detector="manual",action="tempfail"} 0
bulwark_blocks_started_total{detector="dos"} 1
bulwark_blocks_started_total{detector="dha"} 1
bulwark_blocks_started_total{detector="attack"} 1
bulwark_blocks_started_total{detector="manual"} 0
bulwark_active_blocks{detector="dos"} 1
bulwark_active_blocks{detector="dha"} 1
bulwark_active_blocks{detector="attack"} 1
bulwark_flagged_connections_total 2
bulwark_store_errors_total{decided_by="local"} 0
bulwark_store_errors_total{decided_by="accept"} 0
bulwark_store_errors_total{decided_by="tempfail"} 0
bulwark_store_latency_seconds_bucket{le="+Inf"} 16
bulwark_store_latency_seconds_count 16
bulwark_config_reloads_total{result="ok"} 0
bulwark_config_reloads_total{result="failed"} 0
EOF

expect "HEAD /metrics" "$(http_status -I "$url/metrics")" 200
expect "GET /nothing-here" "$(http_status "$url/nothing-here")" 404
expect "GET /metrics/more" "$(http_status "$url/metrics/more")" 404
expect "POST /metrics" "$(http_status -d x=1 "$url/metrics")" 405
curl -s -o /dev/null -D "$work/post.headers" -X DELETE "$url/metrics"
if grep -qix 'allow: GET, HEAD.' "$work/post.headers"; then
	pass "405 names the methods allowed"
else
	fail "405 Allow header" "missing" "$work/post.headers"
fi

second_daemon

stop_daemon "$daemon" "$work/bulwark.sock"
expect "daemon stops with status 0" "$?" 0
daemon=
if curl -s -o /dev/null "$url/metrics"; then
	fail "port closed" "still answering after the stop"
else
	pass "port closed after the stop"
fi
if grep -q 'event=metrics-http-error' "$work/bulwark.log"; then
	fail "HTTP errors" "logged" "$work/bulwark.log"
else
	pass "no HTTP error logged"
fi

finish
