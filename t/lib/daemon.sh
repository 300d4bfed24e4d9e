# daemon.sh - shell helpers for the tests that run the real daemon.
# Sourced, not run: ". "$top/t/lib/daemon.sh"".  Needs perl (perl-base).
#
# config_head DIR
#	The start of a test configuration: socket, control socket and pid
#	file in DIR, syslog facility local7, debug logging.
# wait_for_socket PATH PID
#	Wait up to 5 s for the unix socket PATH while process PID lives;
#	non-zero when it did not appear.
# knock PATH
#	Connect once to the unix socket PATH.  libmilter looks at its stop
#	flag when a connection comes in, or only every 5 s.
# stop_daemon PID PATH
#	SIGTERM the daemon PID (a child of this shell) listening on PATH,
#	knock until it has removed its socket, so it stops at once, and
#	return its exit status.

config_head() {
	cat <<EOF
socket = "unix:$1/bulwark.sock";
pidfile = "$1/bulwark.pid";
control = "unix:$1/control.sock";
syslog_facility = "local7";
log_level = "debug";
EOF
}

wait_for_socket() {
	tries=0
	while [ ! -S "$1" ]; do
		kill -0 "$2" 2>/dev/null || return 1
		tries=$((tries + 1))
		[ "$tries" -le 100 ] || return 1
		sleep 0.05
	done
}

knock() {
	perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Peer => $ARGV[0])' "$1"
}

stop_daemon() {
	kill -TERM "$1" 2>/dev/null
	tries=0
	while [ -S "$2" ] && [ "$tries" -lt 100 ]; do
		knock "$2"
		sleep 0.05
		tries=$((tries + 1))
	done
	wait "$1"
}
