#!/bin/sh
# 03-privdrop.sh - started as root with user = "nobody": the daemon runs
# detached as nobody with no supplementary group and no capability, its
# sockets belong to nobody, the milter and the control socket answer,
# it reloads and stops cleanly, in a set-group-ID directory the sockets
# keep the directory's group; a user or group that cannot be used
# stops the start with a clear error and status 1.  Needs root; run as
# another user, it checks only that it refuses to switch users.
. "$SRCDIR/lib.sh"

d=$WORKDIR/run
mkdir "$d"
nobody_group=$(id -gn nobody)

# start_detached CONF: run the daemon in the background, as a service.
start_detached() {
	"$BULWARK" -c "$1" >"$WORKDIR/start.out" 2>&1
}

# field NAME: the values of a line of /proc/$pid/status.
field() {
	sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status" | tr -s ' \t' ' '
}

runs_as_nobody() {
	[ "$(field Uid)" = "65534 65534 65534 65534" ]
}

if [ "$(id -u)" -ne 0 ]; then
	conf "$d/bulwark.conf" "$d" 'user = "daemon";'
	start_detached "$d/bulwark.conf"
	rc=$?
	[ -s "$d/bulwark.pid" ] && track "$(cat "$d/bulwark.pid")"
	check "not root: refuses to switch users (status 1)" test "$rc" -eq 1
	check "not root: says why" grep -qF \
	    'cannot switch to user daemon: not running as root' \
	    "$WORKDIR/start.out"
	finish
	exit
fi

chown nobody "$d"
conf "$d/bulwark.conf" "$d" 'user = "nobody";
dos = { max_connections = 2; period = "1h"; block = "1h"; };'
start_detached "$d/bulwark.conf"
check "started detached: status 0" test $? -eq 0
check "the parent returns once the pid file is written" test -s \
    "$d/bulwark.pid"
pid=$(cat "$d/bulwark.pid")
track "$pid"
check "the pid file names a running process" kill -0 "$pid"
check "real, effective, saved and fs uid are nobody's" \
    test "$(field Uid)" = "65534 65534 65534 65534"
gid=$(id -g nobody)
check "all four gids are nobody's group" \
    test "$(field Gid)" = "$gid $gid $gid $gid"
check "no supplementary group" test -z "$(field Groups)"
check "no effective capability" test "$(field CapEff)" = 0000000000000000
check "no permitted capability" test "$(field CapPrm)" = 0000000000000000
check "the milter socket belongs to nobody" \
    test "$(stat -c %U:%G:%a "$d/bulwark.sock")" = "nobody:$nobody_group:660"
check "the control socket belongs to nobody, mode 600" \
    test "$(stat -c %U:%G:%a "$d/control.sock")" = "nobody:$nobody_group:600"
check "the milter answers" connect "$d/bulwark.sock" 192.0.2.1 continue 2
check "and refuses as configured" connect "$d/bulwark.sock" 192.0.2.1 refuse
ctl_is 0 "root reaches the control socket" "$d" list
out_has "the block is listed" "192.0.2.1  dos       3"
setpriv --reuid=daemon --regid=daemon --clear-groups "$BULWARKCTL" \
    -s "$d/control.sock" status >/dev/null 2>"$WORKDIR/ctl.err"
check "another user may not use the control socket (exit 3)" test $? -eq 3
err_has "another user: permission denied" "Permission denied"
ctl_is 0 "as nobody, the daemon reloads (bulwarkctl)" "$d" reload
kill -HUP "$pid"
reloaded_twice() {
	ctl "$d" metrics &&
	    grep -qxF 'bulwark_config_reloads_total{result="ok"} 2' \
	    "$WORKDIR/ctl.out"
}
check "as nobody, the daemon reloads (SIGHUP)" wait_until reloaded_twice
ctl_is 0 "the daemon still answers after reloads" "$d" status
kill -TERM "$pid"
check "SIGTERM: the daemon exits" wait_until sh -c "! kill -0 $pid 2>/dev/null"
check "SIGTERM: the milter socket is removed" test ! -e "$d/bulwark.sock"
check "SIGTERM: the control socket is removed" test ! -e "$d/control.sock"
check "SIGTERM: the pid file is removed" test ! -e "$d/bulwark.pid"

# In the foreground too, with an explicit group.
conf "$d/bulwark.conf" "$d" "user = \"nobody\";
group = \"$nobody_group\";"
start_fg bulwark "$d/bulwark.conf" "$d" || exit 1
# The sockets open before the drop: wait for it rather than race it.
check "foreground: runs as nobody" wait_until runs_as_nobody
check "foreground: the milter answers" connect "$d/bulwark.sock" \
    192.0.2.2 continue
stop_fg "$pid"
check "foreground: stopped with status 0" test $? -eq 0
check "foreground: event=start names the user" \
    grep -q "event=start .*user=nobody" "$d/log"
check "foreground: everything removed" test ! -e "$d/bulwark.sock" -a \
    ! -e "$d/control.sock" -a ! -e "$d/bulwark.pid"

# In a set-group-ID directory the sockets keep the directory's group
# (the way to hand them to Postfix's group).
s=$WORKDIR/sgid
mkdir "$s"
chown nobody:daemon "$s"
chmod 2755 "$s"
conf "$s/bulwark.conf" "$s" 'user = "nobody";'
start_fg bulwark "$s/bulwark.conf" "$s" || exit 1
check "set-group-ID directory: the milter socket keeps its group" \
    test "$(stat -c %U:%G "$s/bulwark.sock")" = nobody:daemon
check "set-group-ID directory: so does the control socket" \
    test "$(stat -c %U:%G "$s/control.sock")" = nobody:daemon
check "set-group-ID directory: the milter answers" connect \
    "$s/bulwark.sock" 192.0.2.3 continue
stop_fg "$pid"
check "set-group-ID directory: stopped with status 0" test $? -eq 0
check "set-group-ID directory: everything removed" test ! -e \
    "$s/bulwark.sock" -a ! -e "$s/control.sock" -a ! -e "$s/bulwark.pid"

# What cannot be used stops the start, root or not.
refused() {
	what=$1
	text=$2
	conf "$d/bulwark.conf" "$d" "$3"
	start_detached "$d/bulwark.conf"
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qF -- "$text" "$WORKDIR/start.out" &&
	    [ ! -e "$d/bulwark.sock" ] && [ ! -e "$d/control.sock" ]; then
		ok "$what"
	else
		not_ok "$what: status $rc"
		sed 's/^/    /' "$WORKDIR/start.out"
	fi
}
refused "an unknown user" 'user no-such-user-4711: no such user' \
    'user = "no-such-user-4711";'
refused "an unknown group" 'group no-such-group-4711: no such group' \
    'user = "nobody"; group = "no-such-group-4711";'
refused "user root" 'user root is root' 'user = "root";'
conf "$d/bulwark.conf" "$d" 'user = "daemon";'
chmod 0644 "$d/bulwark.conf"
setpriv --reuid=nobody --regid="$nobody_group" --clear-groups \
    "$BULWARK" -c "$d/bulwark.conf" >"$WORKDIR/start.out" 2>&1
check "not root: refuses to switch users (status 1)" test $? -eq 1
check "not root: says why" grep -qF \
    'cannot switch to user daemon: not running as root' \
    "$WORKDIR/start.out"
finish
