# daemon.sh - shell helpers for the tests that run the real daemon.
# Sourced, not run: ". "$top/t/lib/daemon.sh"".  Needs perl (perl-base).
#
# work_create NAME
#	A fresh temporary directory, $work (bulwark-NAME.XXXXXX in $TMPDIR
#	or /tmp).  On exit, also after SIGINT or SIGTERM, work_cleanup
#	kills every process listed in $pids, waits for them and removes
#	$work; a script that has more to stop traps EXIT itself and calls
#	work_cleanup last.
# config_head DIR [NAME [LEVEL]]
#	The start of a test configuration: socket, control socket and pid
#	file in DIR (bulwark.sock, control.sock and bulwark.pid, or with
#	NAME: NAME.sock, NAME.control and NAME.pid), syslog facility local7,
#	log level LEVEL (default debug).
# wait_until COMMAND...
#	Retry COMMAND for up to 20 s (a bound for a loaded machine);
#	non-zero when it never succeeded.
# wait_alive PID COMMAND...
#	The same, giving up as soon as process PID is gone.
# wait_for_socket PATH PID
#	Wait up to 20 s for the unix socket PATH while process PID lives;
#	non-zero when it did not appear.
# knock PATH
#	Connect once to the unix socket PATH.  libmilter looks at its stop
#	flag when a connection comes in, or only every 5 s.
# knock_until_gone PATH
#	Knock for up to 20 s, until a stopping daemon has removed PATH.
# stop_daemon PID PATH
#	SIGTERM the daemon PID (a child of this shell) listening on PATH,
#	knock until it has removed its socket, so it stops at once, and
#	return its exit status.
# hold_ports N
#	Reserve N distinct TCP ports on 127.0.0.1 for as long as this shell
#	lives: sets $ports to them and $port_holder to the process that
#	holds them (not a child of this shell; it exits with the shell).  The holder binds each with SO_REUSEADDR and never
#	listens: a server that sets SO_REUSEADDR too (bulwark's metrics
#	listener, Postfix, Sendmail) may still listen on it, while no other
#	program can bind it, nor be given it for port 0.  So a test never
#	picks a port and lets it go before its server binds it.

pids=

work_create() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-$1.XXXXXX") || exit 1
	trap work_cleanup EXIT
	trap 'exit 130' INT TERM
}

work_cleanup() {
	for pid in $pids; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
}

config_head() {
	if [ -n "${2:-}" ]; then
		set -- "$1/$2.sock" "$1/$2.control" "$1/$2.pid" "${3:-debug}"
	else
		set -- "$1/bulwark.sock" "$1/control.sock" "$1/bulwark.pid" debug
	fi
	cat <<EOC
socket = "unix:$1";
pidfile = "$3";
control = "unix:$2";
syslog_facility = "local7";
log_level = "$4";
EOC
}

wait_alive() {
	wait_pid=$1
	shift
	tries=0
	until "$@"; do
		kill -0 "$wait_pid" 2>/dev/null || return 1
		tries=$((tries + 1))
		[ "$tries" -le 400 ] || return 1
		sleep 0.05
	done
}

# This shell lives as long as the wait.
wait_until() {
	wait_alive $$ "$@"
}

wait_for_socket() {
	wait_alive "$2" test -S "$1"
}

knock() {
	perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Peer => $ARGV[0])' "$1"
}

# True once PATH is gone; else knocks, for the next try.
knocked_gone() {
	[ -S "$1" ] || return 0
	knock "$1"
	return 1
}

knock_until_gone() {
	wait_until knocked_gone "$1"
}

stop_daemon() {
	kill -TERM "$1" 2>/dev/null
	knock_until_gone "$2"
	wait "$1"
}

hold_ports() {
	hold_file=$(mktemp "${TMPDIR:-/tmp}/bulwark-ports.XXXXXX") || return 1
	# Not a child of this shell, so that no "wait" waits for it.
	(cd / && exec perl -MSocket -e '
		my ($n, $owner) = @ARGV;
		my @held;
		for (1 .. $n) {
			socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
			setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1) or die "$!\n";
			bind($s, pack_sockaddr_in(0, inet_aton("127.0.0.1")))
			    or die "bind: $!\n";
			push @held, $s;
		}
		print join(" ", $$, map { (unpack_sockaddr_in(getsockname($_)))[0] }
		    @held), "\n";
		close STDOUT;
		open(STDERR, ">", "/dev/null");
		select(undef, undef, undef, 0.2) while kill 0, $owner;
	' "$1" "$$" >"$hold_file" &)
	wait_until test -s "$hold_file"
	read -r port_holder ports <"$hold_file"
	rm -f "$hold_file"
	[ -n "$ports" ]
}
