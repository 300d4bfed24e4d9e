#!/bin/sh
# run-foreground.sh - run the built daemon in the foreground ("make run").
#
# The daemon runs with etc/bulwark.conf, except that its socket, control
# socket and pid file live in ./run/ of the source tree: the shipped paths
# under /run/bulwark need a directory made by root.  Since a key may appear
# only once, ./run/bulwark.conf is etc/bulwark.conf without its socket,
# control and pidfile lines plus those three; it is written afresh on every
# run, so edits belong in etc/bulwark.conf.  Once the daemon listens (and
# only then) this prints its milter socket, where its metrics are, and the
# bulwarkctl command line that reaches it.  Logs go to the terminal;
# Ctrl-C stops.
#
# Environment: BULWARK_RUN_DIR instead of ./run; BULWARK_RUN_METRICS
# instead of the sample's metrics_listen ("" for none).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
run=${BULWARK_RUN_DIR:-$top/run}
socket=unix:$run/bulwark.sock

# The keys replaced below.
keys='socket|pidfile|control'
[ -z "${BULWARK_RUN_METRICS+set}" ] || keys="$keys|metrics_listen"

mkdir -p "$run"
{
	grep -Ev "^[[:space:]]*($keys)[[:space:]]*[=:]" "$top/etc/bulwark.conf"
	printf '\n# Added by contrib/run-foreground.sh.\n'
	printf 'socket = "%s";\n' "$socket"
	printf 'pidfile = "%s";\n' "$run/bulwark.pid"
	printf 'control = "unix:%s";\n' "$run/control.sock"
	if [ -n "${BULWARK_RUN_METRICS+set}" ]; then
		printf 'metrics_listen = "%s";\n' "$BULWARK_RUN_METRICS"
	fi
} >"$run/bulwark.conf"
metrics=$(sed -n 's/^metrics_listen = "\(.*\)";$/\1/p' "$run/bulwark.conf" |
    tail -n 1)

"$top/milter/bulwark" -f -c "$run/bulwark.conf" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' INT TERM

# Listening once both sockets are there, and the pid file names it.
i=0
until [ -S "$run/bulwark.sock" ] && [ -S "$run/control.sock" ] &&
    [ "$(cat "$run/bulwark.pid" 2>/dev/null)" = "$pid" ]; do
	if ! kill -0 "$pid" 2>/dev/null || [ "$i" -ge 200 ]; then
		set +e
		wait "$pid"
		exit $?
	fi
	sleep 0.1
	i=$((i + 1))
done
echo "bulwark listening on $socket (pid $pid; Ctrl-C stops it)"
if [ -n "$metrics" ]; then
	echo "metrics: http://$metrics/metrics"
else
	echo "metrics: off"
fi
echo "control: $top/ctl/bulwarkctl -s $run/control.sock status"
set +e
wait "$pid"
rc=$?
# A signal interrupted the wait: wait for the daemon's own exit.
if kill -0 "$pid" 2>/dev/null; then
	wait "$pid"
	rc=$?
fi
exit "$rc"
