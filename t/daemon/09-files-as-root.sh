#!/bin/sh
# 09-files-as-root.sh - started as root, the daemon never lets another
# user steer what root does to a path.  A process of the daemon's user
# that swaps each new socket for a symbolic link to a file of root's
# never gets that file's owner or mode changed, over many starts; a pid
# file planted as a symbolic link, or as a hard link to root's file, is
# refused and the file left alone; the pid file's mode does not follow
# the umask; a directory another user or group may write to is refused,
# naming it; a directory of root's that is set-group-ID (Postfix's
# recipe) gives the sockets its group and the user.  Needs root; run as
# another user, it checks only the planted symbolic link.
. "$SRCDIR/lib.sh"

nobody_group=$(id -gn nobody)
victim=$WORKDIR/victim
echo secret >"$victim"
chmod 0640 "$victim"
victim_was=$(stat -c %u:%g:%a:%s "$victim")

victim_intact() {
	[ "$(stat -c %u:%g:%a:%s "$victim")" = "$victim_was" ] &&
	    [ "$(cat "$victim")" = secret ]
}

# refused WHAT TEXT CONF: the start fails with status 1 saying TEXT (a
# daemon that started after all is stopped).
refused() {
	"$BULWARK" -f -c "$3" >"$WORKDIR/start.out" 2>&1 &
	started_pid=$!
	track "$started_pid"
	wait_until sh -c "! kill -0 $started_pid 2>/dev/null" ||
	    kill -TERM "$started_pid"
	wait "$started_pid"
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qF -- "$2" "$WORKDIR/start.out"; then
		ok "$1"
	else
		not_ok "$1: status $rc"
		sed 's/^/    /' "$WORKDIR/start.out"
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	d=$WORKDIR/self
	mkdir "$d"
	conf "$d/bulwark.conf" "$d"
	ln -s "$victim" "$d/bulwark.pid"
	refused "not root: a pid file that is a symbolic link is refused" \
	    "pid file $d/bulwark.pid: is a symbolic link" "$d/bulwark.conf"
	check "not root: the linked file is untouched" victim_intact
	finish
	exit
fi

as_nobody() {
	setpriv --reuid=nobody --regid="$nobody_group" --clear-groups "$@"
}

# --- The sockets, raced by the user -------------------------------------
d=$WORKDIR/race
mkdir "$d"
chown nobody "$d"
conf "$d/bulwark.conf" "$d" 'user = "nobody";'
# Swap every socket that appears for a link to the victim, at once.
setpriv --reuid=nobody --regid="$nobody_group" --clear-groups perl -e '
	my ($dir, $victim) = @ARGV;
	$| = 1;
	for (;;) {
		for my $name ("bulwark.sock", "control.sock") {
			next unless -S "$dir/$name";
			symlink($victim, "$dir/.swap") or next;
			print "swapped\n" if rename("$dir/.swap", "$dir/$name");
		}
	}' "$d" "$victim" >"$WORKDIR/racer.out" 2>&1 &
racer=$!
track "$racer"

started() {
	grep -q "event=start " "$d/log" || ! kill -0 "$pid" 2>/dev/null
}
starts=20
changed=0
i=0
while [ "$i" -lt "$starts" ]; do
	i=$((i + 1))
	"$BULWARK" -f -c "$d/bulwark.conf" 2>"$d/log" &
	pid=$!
	track "$pid"
	wait_until started
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	victim_intact || changed=$((changed + 1))
	rm -f "$d/bulwark.sock" "$d/control.sock" "$d/bulwark.pid"
done
kill "$racer" 2>/dev/null
wait "$racer" 2>/dev/null
swaps=$(grep -c swapped "$WORKDIR/racer.out")
check "the racer swapped sockets for links ($swaps times in $starts starts)" \
    test "$swaps" -gt 0
check "root's file kept its owner and mode through $starts starts" \
    test "$changed" -eq 0
check "and its content" victim_intact

# --- The pid file, planted -------------------------------------------------
d=$WORKDIR/planted
mkdir "$d"
chown nobody "$d"
conf "$d/bulwark.conf" "$d" 'user = "nobody";'
as_nobody ln -s "$victim" "$d/bulwark.pid"
refused "a pid file planted as a symbolic link is refused" \
    "pid file $d/bulwark.pid: is a symbolic link" "$d/bulwark.conf"
check "the linked file is untouched" victim_intact
check "the refused start removed its sockets" \
    test ! -e "$d/bulwark.sock" -a ! -e "$d/control.sock"
rm -f "$d/bulwark.pid"
ln "$victim" "$d/bulwark.pid"
refused "a pid file planted as a hard link to root's file is refused" \
    "pid file $d/bulwark.pid: Permission denied" "$d/bulwark.conf"
check "the hard-linked file is untouched" victim_intact
rm -f "$d/bulwark.pid"

d=$WORKDIR/rootdir
mkdir "$d"
conf "$d/bulwark.conf" "$d"
ln -s "$victim" "$d/bulwark.pid"
refused "root's own directory: a symbolic link is refused too" \
    "pid file $d/bulwark.pid: is a symbolic link" "$d/bulwark.conf"
rm -f "$d/bulwark.pid"
ln "$victim" "$d/bulwark.pid"
refused "root's own directory: a second name of a file is refused" \
    "pid file $d/bulwark.pid: has 2 hard links" "$d/bulwark.conf"
check "root's file is untouched" victim_intact
rm -f "$d/bulwark.pid"

# --- Modes: set, not left to the umask ------------------------------------
(umask 0 && exec "$BULWARK" -f -c "$d/bulwark.conf" 2>"$d/log") &
pid=$!
track "$pid"
check "umask 0: started" wait_alive "$pid" test -S "$d/control.sock"
check "umask 0: the pid file is 0644" \
    test "$(stat -c %a "$d/bulwark.pid")" = 644
check "umask 0: the milter socket has socket_mode 0660" \
    test "$(stat -c %a "$d/bulwark.sock")" = 660
check "umask 0: the control socket has control_mode 0600" \
    test "$(stat -c %a "$d/control.sock")" = 600
stop_fg "$pid"
check "umask 0: stopped with status 0" test $? -eq 0

# --- Directories that cannot be made safe ---------------------------------
d=$WORKDIR/other
mkdir "$d"
chown daemon "$d"
conf "$d/bulwark.conf" "$d" 'user = "nobody";'
refused "a directory of another user is refused, named" \
    "directory $d belongs to user daemon" "$d/bulwark.conf"
chown root:daemon "$d"
chmod 0775 "$d"
refused "a directory a group may write to is refused, named" \
    "directory $d is writable by group daemon" "$d/bulwark.conf"
chmod 0777 "$d"
refused "a directory every user may write to is refused, named" \
    "directory $d is writable by every user" "$d/bulwark.conf"
chmod 0755 "$d"
mkdir "$d/sub"
chown daemon "$WORKDIR/other"
conf "$d/sub/bulwark.conf" "$d/sub"
refused "so is a directory below one another user may change" \
    "directory $d belongs to user daemon" "$d/sub/bulwark.conf"
check "nothing was made in the refused directories" \
    test -z "$(ls -A "$d/sub" | grep -v bulwark.conf)"

# --- Postfix's recipe: root's set-group-ID directory ----------------------
d=$WORKDIR/spool
mkdir "$d"
chgrp daemon "$d"
chmod 2750 "$d"
conf "$d/bulwark.conf" "$d" 'user = "nobody";'
for round in first second; do
	"$BULWARK" -f -c "$d/bulwark.conf" 2>"$d/log" &
	pid=$!
	track "$pid"
	check "root's set-group-ID directory: $round start" \
	    wait_alive "$pid" grep -q "event=start " "$d/log"
	check "$round start: the milter socket is nobody's, group daemon, 0660" \
	    test "$(stat -c %U:%G:%a "$d/bulwark.sock")" = nobody:daemon:660
	check "$round start: the control socket is nobody's, 0600" \
	    test "$(stat -c %U:%G:%a "$d/control.sock")" = nobody:daemon:600
	check "$round start: the milter answers" connect "$d/bulwark.sock" \
	    192.0.2.1 continue
	ctl_is 0 "$round start: bulwarkctl answers" "$d" status
	stop_fg "$pid"
	check "$round start: stopped with status 0" test $? -eq 0
done
finish
