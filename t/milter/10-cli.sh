#!/bin/sh
# 10-cli.sh - the command line, start-up errors and running detached.
#
# Run by run-milter.sh with BULWARK (the daemon), WORKDIR (an empty
# directory of its own) and TOP (the source tree) set.  Prints one line
# per failed check and exits 1 when any failed.
set -u

. "$TOP/t/lib/daemon.sh"

failures=0
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
}
trap cleanup EXIT

bad() {
	echo "not ok: $*"
	failures=$((failures + 1))
}

# run EXPECTED_STATUS ARGS...: run the daemon, keeping out and err.
run() {
	want=$1
	shift
	"$BULWARK" "$@" >"$WORKDIR/out" 2>"$WORKDIR/err"
	status=$?
	[ "$status" -eq "$want" ] ||
	    bad "bulwark $*: status $status, expected $want ($(cat "$WORKDIR/err"))"
}

# expect FILE TEXT: the first line of FILE is TEXT.
expect() {
	first=$(head -n 1 "$WORKDIR/$1")
	[ "$first" = "$2" ] || bad "$1: \"$first\", expected \"$2\""
}

# contains FILE TEXT: FILE holds TEXT.
contains() {
	grep -qF -- "$2" "$WORKDIR/$1" || bad "$1 lacks \"$2\": $(cat "$WORKDIR/$1")"
}

# config FILE SOCKET [MORE]: a valid configuration.
config() {
	printf 'socket = "%s";\npidfile = "%s";\nsyslog_facility = "local7";\n' \
	    "$2" "$WORKDIR/bulwark.pid" >"$WORKDIR/$1"
	printf 'metrics_listen = "";\ncontrol = "";\n%s\n' "${3:-}" \
	    >>"$WORKDIR/$1"
}

version=$(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")

# Version and usage.
run 0 -V
expect out "bulwark $version"
run 64 -x
contains err "usage: bulwark"
run 64 -t extra-argument
contains err "usage: bulwark"
run 64 -c
contains err "usage: bulwark"
run 64 -t -c "$TOP/etc/bulwark.conf" -p "unix:relative/path"
contains err "-p unix:relative/path: the socket path must be absolute"
run 64 -t -c "$TOP/etc/bulwark.conf" -p "inet:70000@localhost"
contains err "the port must be a number from 1 to 65535"
run 64 -t -c "$TOP/etc/bulwark.conf" -p "tcp:25"
contains err "expected unix:/path, inet:PORT@HOST or inet6:PORT@HOST"
run 0 -t -c "$TOP/etc/bulwark.conf" -p "inet6:8891@::1"

# Checking configurations.
run 0 -t -c "$TOP/etc/bulwark.conf"
expect out "bulwark: $TOP/etc/bulwark.conf: configuration ok"
printf '# a comment\nlog_level = "info";\ndos = { max_connections = 0; };\n' \
    >"$WORKDIR/bad.conf"
run 78 -t -c "$WORKDIR/bad.conf"
expect err "$WORKDIR/bad.conf:3: dos.max_connections: 0 is out of range (1..10000000)"
[ -s "$WORKDIR/out" ] && bad "-t on a bad configuration wrote to stdout"
printf 'log_level = "info"\nstore = ;\n' >"$WORKDIR/syntax.conf"
run 78 -t -c "$WORKDIR/syntax.conf"
contains err "$WORKDIR/syntax.conf:2: "
run 78 -t -c "$WORKDIR/missing.conf"
expect err "$WORKDIR/missing.conf: No such file or directory"
# Without -t a bad configuration stops the start the same way.
run 78 -f -c "$WORKDIR/bad.conf"
expect err "$WORKDIR/bad.conf:3: dos.max_connections: 0 is out of range (1..10000000)"

# Start-up errors reach the terminal, with status 1.
config nodir.conf "unix:$WORKDIR/no/such/dir/bulwark.sock"
run 1 -c "$WORKDIR/nodir.conf"
contains err "directory $WORKDIR/no/such/dir: No such file or directory"
: >"$WORKDIR/plain-file"
config plain.conf "unix:$WORKDIR/plain-file"
run 1 -c "$WORKDIR/plain.conf"
contains err "$WORKDIR/plain-file exists and is not a socket"
[ -f "$WORKDIR/plain-file" ] || bad "a file in the socket's place was removed"
config nopid.conf "unix:$WORKDIR/nopid.sock"
sed "s|^pidfile = .*|pidfile = \"$WORKDIR/no/dir/bulwark.pid\";|" \
    "$WORKDIR/nopid.conf" >"$WORKDIR/nopid2.conf"
run 1 -c "$WORKDIR/nopid2.conf"
contains err "pid file $WORKDIR/no/dir/bulwark.pid: directory $WORKDIR/no/dir: No such file or directory"

# Running detached: the parent returns at once, the daemon writes its pid,
# replaces a stale socket, sets the socket's mode, refuses a second
# instance on the same socket, and cleans up when it stops.
sock=$WORKDIR/bulwark.sock
perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 1)' "$sock"
[ -S "$sock" ] || bad "could not leave a stale socket behind"
config detached.conf "unix:$sock" 'socket_mode = "0600";'
run 0 -c "$WORKDIR/detached.conf"
wait_until test -s "$WORKDIR/bulwark.pid" || bad "no pid file written"
pid=$(cat "$WORKDIR/bulwark.pid")
kill -0 "$pid" 2>/dev/null || bad "pid file holds $pid, which is not running"
[ "$(stat -c %a "$sock")" = 600 ] || bad "socket mode $(stat -c %a "$sock"), expected 600"
run 1 -f -c "$WORKDIR/detached.conf"
contains err "$sock is in use by a running process"
kill "$pid"
# A stopping daemon notices within 5 s, or at once on a connection.
knock_until_gone "$sock"
wait_until test ! -e "$WORKDIR/bulwark.pid" || bad "pid file left behind"
[ -e "$sock" ] && bad "socket left behind"
# Once detached the daemon is not our child: a zombie is a finished one.
finished() {
	state=Z
	[ -r "/proc/$1/stat" ] && read -r _ _ state _ <"/proc/$1/stat"
	[ "$state" = Z ]
}
if wait_until finished "$pid"; then
	pid=
else
	bad "daemon $pid still running after SIGTERM"
fi

[ "$failures" -eq 0 ]
