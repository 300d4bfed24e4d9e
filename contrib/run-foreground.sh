#!/bin/sh
# run-foreground.sh - run the built daemon in the foreground ("make run").
#
# The daemon runs with etc/bulwark.conf, except that its socket, control
# socket and pid file live in ./run/ of the source tree: the shipped paths
# under /run/bulwark need a directory made by root.  Since a key may appear
# only once, ./run/bulwark.conf is etc/bulwark.conf without its socket,
# control and pidfile lines plus those three; it is written afresh on every
# run, so edits belong in etc/bulwark.conf.  bulwarkctl reaches it with
# "ctl/bulwarkctl -c run/bulwark.conf status".  Logs go to the terminal;
# Ctrl-C stops.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
run=$top/run
socket=unix:$run/bulwark.sock

mkdir -p "$run"
{
	sed -e '/^[[:space:]]*socket[[:space:]]*[=:]/d' \
	    -e '/^[[:space:]]*pidfile[[:space:]]*[=:]/d' \
	    -e '/^[[:space:]]*control[[:space:]]*[=:]/d' "$top/etc/bulwark.conf"
	printf '\n# Added by contrib/run-foreground.sh.\n'
	printf 'socket = "%s";\n' "$socket"
	printf 'pidfile = "%s";\n' "$run/bulwark.pid"
	printf 'control = "unix:%s";\n' "$run/control.sock"
} >"$run/bulwark.conf"

echo "bulwark listening on $socket (Ctrl-C to stop)"
exec "$top/milter/bulwark" -f -c "$run/bulwark.conf"
