# lib.sh - helpers of bench/run.sh and t/bench/smoke.sh (sourced, with
# BENCH_TOP set to the source tree).
#
# Everything lives in $W, a temporary directory made by bench_work; on
# exit bench_cleanup stops every daemon started here (by pid) and removes
# it.  Every daemon listens on unix sockets in $W and has its own pid file
# and control socket; no metrics listener.
#
# bench_work NAME              make $W (in /tmp, searchable by postfix;
#                              kept at the end when BENCH_KEEP is set)
# redis_up [NAME]              redis-server on $W/NAME.sock (default
#                              redis), no persistence
# rcli ARGS...                 redis-cli on $W/$REDIS.sock (default redis)
# floor_up NAME [REDIS]        the floor on $W/NAME.sock (Redis floor with
#                              REDIS = yes)
# bench_config NAME TEXT       $W/NAME.conf: the bench head (config_head
#                              of t/lib/daemon.sh, info logging, no
#                              metrics listener, nothing excluded) plus TEXT
# bulwark_up NAME TEXT         bulwark on $W/NAME.sock, configured by
#                              bench_config; log in $W/NAME.log
# bulwark_down NAME            SIGTERM, wait until it has gone
# pid_of NAME                  the pid of daemon NAME
# rss_kb NAME                  its resident set, kB
# cpu_s NAME                   CPU time daemon NAME used so far, seconds
# lg NAME ARGS...              loadgen on $W/NAME.sock; its JSON in $LG,
#                              with filter_cpu_s: the CPU time NAME used
#                              meanwhile (user and system, all threads),
#                              and redis_cpu_s: the one the Redis server
#                              used (0 without one)
# lg_get FIELD                 one field of $LG (jq path, e.g. .completed)
# BENCH_ON_EXIT                a function name bench_cleanup calls first

LOADGEN=$BENCH_TOP/bench/loadgen
FLOOR=$BENCH_TOP/bench/floor
BULWARK=$BENCH_TOP/milter/bulwark
. "$BENCH_TOP/t/lib/daemon.sh"

W=
DAEMONS=
LG=
BENCH_ON_EXIT=

bench_work() {
	W=$(mktemp -d "/tmp/bulwark-$1.XXXXXX") || exit 1
	chmod 755 "$W"
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM HUP PIPE
}

bench_cleanup() {
	local name pid
	[ -n "$BENCH_ON_EXIT" ] && "$BENCH_ON_EXIT"
	for name in $DAEMONS; do
		pid=$(pid_of "$name")
		[ -n "$pid" ] || continue
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -n "$W" ] && [ -z "${BENCH_KEEP:-}" ] && rm -rf "$W"
}

pid_of() {
	cat "$W/$1.daemon" 2>/dev/null
}

track_daemon() {
	echo "$2" >"$W/$1.daemon"
	DAEMONS="$DAEMONS $1"
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$(pid_of "$1")/status"
}

redis_up() {
	local name=${1:-redis}
	mkdir -p "$W/$name.d"
	redis-server --port 0 --unixsocket "$W/$name.sock" --unixsocketperm 700 \
	    --save "" --appendonly no --dir "$W/$name.d" \
	    --logfile "$W/$name.d/redis.log" --daemonize no >/dev/null 2>&1 &
	track_daemon "$name-server" $!
	wait_until sh -c "redis-cli -s '$W/$name.sock' ping 2>/dev/null |
	    grep -q PONG" || { echo "bench: redis did not start" >&2; return 1; }
}

rcli() {
	redis-cli -s "$W/${REDIS:-redis}.sock" "$@"
}

# The floor's socket must be usable by postfix (smtpd): umask 0.
floor_up() {
	local name=$1
	(umask 0; exec "$FLOOR" -p "unix:$W/$name.sock" \
	    ${2:+-r "$W/redis.sock"}) 2>"$W/$name.log" &
	track_daemon "$name" $!
	wait_for_socket "$W/$name.sock" "$(pid_of "$name")" ||
	    { echo "bench: floor $name did not start" >&2; return 1; }
}

bench_config() {
	{
		config_head "$W" "$1" info
		cat <<EOF
socket_mode = "0666";
metrics_listen = "";
exclude = [ ];
$2
EOF
	} >"$W/$1.conf"
}

bulwark_up() {
	local name=$1
	bench_config "$name" "$2"
	"$BULWARK" -f -c "$W/$name.conf" 2>"$W/$name.log" &
	track_daemon "$name" $!
	wait_for_socket "$W/$name.control" "$(pid_of "$name")" || {
		echo "bench: bulwark $name did not start:" >&2
		cat "$W/$name.log" >&2
		return 1
	}
}

bulwark_down() {
	local pid
	pid=$(pid_of "$1")
	kill -TERM "$pid" 2>/dev/null
	knock_until_gone "$W/$1.sock"
	wait "$pid" 2>/dev/null
	rm -f "$W/$1.daemon"
}

cpu_s() {
	# Fields 14 and 15 of stat, after the command name in parentheses.
	sed 's/.*) //' "/proc/$(pid_of "$1")/stat" |
	    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($12 + $13) / hz }'
}

redis_cpu_s() {
	if [ -n "$(pid_of redis-server)" ]; then cpu_s redis-server; else echo 0; fi
}

lg() {
	local name=$1 cpu0 rcpu0
	shift
	cpu0=$(cpu_s "$name")
	rcpu0=$(redis_cpu_s)
	LG=$("$LOADGEN" -s "unix:$W/$name.sock" "$@") || {
		echo "bench: loadgen $* against $name failed: $LG" >&2
		return 1
	}
	LG=$(printf '%s\n' "$LG" | jq -c --argjson a "$cpu0" \
	    --argjson b "$(cpu_s "$name")" --argjson ra "$rcpu0" \
	    --argjson rb "$(redis_cpu_s)" \
	    '. + {filter_cpu_s: ($b - $a), redis_cpu_s: ($rb - $ra)}')
}

lg_get() {
	printf '%s\n' "$LG" | jq -r "$1"
}
