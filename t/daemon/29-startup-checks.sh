#!/bin/sh
# 29-startup-checks.sh - a start that cannot work reports every reason at
# once (missing directories, a port in use, an unknown user), and so
# does bulwark -t, as warnings after "configuration ok"; pidfile = ""
# runs without a pid file; the daemon says where its log goes in the
# foreground; log_file sends the log to a file (also once detached), or
# to stderr, which a daemon in the background refuses.
. "$SRCDIR/lib.sh"

d=$WORKDIR/d
mkdir "$d"

# A port something listens on.
perl -MIO::Socket::INET -e '
	$| = 1;
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
	    Listen => 1, ReuseAddr => 1) or die "$!\n";
	print $s->sockport, "\n";
	sleep 60;
' >"$WORKDIR/port" &
track $!
wait_until test -s "$WORKDIR/port" || { not_ok "a listener for the test"; exit 1; }
busy=$(cat "$WORKDIR/port")

cat >"$d/broken.conf" <<EOF
socket = "unix:$d/gone/bulwark.sock";
control = "unix:$d/gone2/control.sock";
pidfile = "$d/gone3/bulwark.pid";
metrics_listen = "127.0.0.1:$busy";
user = "no-such-user-here";
syslog_facility = "local7";
EOF
"$BULWARK" -f -c "$d/broken.conf" >"$WORKDIR/start.out" 2>&1
rc=$?
check "a start that cannot work: exit 1" test "$rc" -eq 1
for want in "no-such-user-here" "socket unix:$d/gone/bulwark.sock: directory $d/gone:" \
    "control unix:$d/gone2/control.sock: directory $d/gone2:" \
    "pid file $d/gone3/bulwark.pid: directory $d/gone3:" "metrics_listen 127.0.0.1:$busy: Address already in use"; do
	check "every problem at once: $want" grep -qF -- "$want" "$WORKDIR/start.out"
done
check "each one as event=fatal" test "$(log_count "$WORKDIR/start.out" event=fatal)" -eq 5

"$BULWARK" -t -c "$d/broken.conf" >"$WORKDIR/t.out" 2>&1
rc=$?
check "bulwark -t: exit 0 for a valid configuration" test "$rc" -eq 0
check "bulwark -t: configuration ok" grep -qF "$d/broken.conf: configuration ok" "$WORKDIR/t.out"
check "bulwark -t: the same problems, as warnings" test \
    "$(log_count "$WORKDIR/t.out" "warning: would not start now:")" -eq 5
check "bulwark -t: the port in use among them" grep -qF \
    "would not start now: metrics_listen 127.0.0.1:$busy: Address already in use" "$WORKDIR/t.out"
check "bulwark -t: the count" grep -qF "warning: 5 problems" "$WORKDIR/t.out"

# pidfile = "": none.  In the foreground the log's destination is told.
conf "$d/nopid.conf" "$d" 'pidfile = "";'
sed -i '/^pidfile = ".*\/bulwark.pid";$/d' "$d/nopid.conf"
start_fg nopid "$d/nopid.conf" "$d" || exit 1
check "pidfile \"\": no pid file" test ! -e "$d/bulwark.pid"
check "foreground: it says the log goes to syslog and stderr" grep -qF \
    "bulwark: logging to syslog (facility local7) and stderr, level debug" "$d/log"
stop_fg "$pid"
check "pidfile \"\": stops with status 0" test $? -eq 0

# log_file: a file, in the foreground and detached.
conf "$d/file.conf" "$d" "log_file = \"$d/bulwark.log\";"
start_fg logfile "$d/file.conf" "$d" || exit 1
check "log_file: told on stderr" grep -qF "logging to $d/bulwark.log and stderr" "$d/log"
"$BULWARK" -t -c "$d/file.conf" >"$WORKDIR/t.out" 2>&1
check "bulwark -t next to the running daemon: it is named" grep -qF \
    "a daemon runs with this configuration (pid $pid)" "$WORKDIR/t.out"
check "bulwark -t next to the running daemon: no warning" sh -c \
    "! grep -q warning '$WORKDIR/t.out'"
check "log_file: the start is in the file" wait_until grep -q \
    "bulwark\[$pid\]: notice: event=start" "$d/bulwark.log"
stop_fg "$pid"
check "log_file: the stop is in the file" grep -q "event=stop status=ok" "$d/bulwark.log"
"$BULWARK" -c "$d/file.conf" >"$WORKDIR/bg.out" 2>&1
check "log_file, detached: started" test $? -eq 0
bgpid=$(cat "$d/bulwark.pid" 2>/dev/null)
[ -n "$bgpid" ] && track "$bgpid"
check "log_file, detached: the start is in the file" wait_until grep -q \
    "bulwark\[$bgpid\]: notice: event=start" "$d/bulwark.log"
ctl_is 0 "log_file, detached: reload" "$d" reload
check "log_file, detached: the reload is in the file" wait_until grep -q \
    "bulwark\[$bgpid\]: notice: event=reload status=ok" "$d/bulwark.log"
kill -TERM "$bgpid"
check "log_file, detached: the stop is in the file" wait_until grep -q \
    "bulwark\[$bgpid\]: notice: event=stop status=ok" "$d/bulwark.log"
check "log_file: mode 0640" test "$(stat -c %a "$d/bulwark.log")" = 640

# log_file = "stderr": the foreground only.
conf "$d/stderr.conf" "$d" 'log_file = "stderr";'
"$BULWARK" -c "$d/stderr.conf" >"$WORKDIR/bg.out" 2>&1
check "log_file \"stderr\" in the background: refused, exit 1" test $? -eq 1
check "log_file \"stderr\" in the background: says why" grep -qF \
    'log_file stderr: a daemon in the background has no stderr' "$WORKDIR/bg.out"
start_fg stderr "$d/stderr.conf" "$d" || exit 1
check "log_file \"stderr\": told" grep -qF "bulwark: logging to stderr, level debug" "$d/log"
check "log_file \"stderr\": the start on stderr" grep -q "notice: event=start" "$d/log"
stop_fg "$pid"
check "log_file \"stderr\": stops with status 0" test $? -eq 0
finish
