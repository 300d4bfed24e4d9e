# lib.sh - helpers for the t/storm scripts, sourced by each of them.
#
# run.sh runs every t/storm/NN-name.sh with BULWARK, BULWARKCTL, TOP,
# SRCDIR and WORKDIR in its environment.  Every process a script starts
# is listed in $WORKDIR/pids (track) for run.sh to kill afterwards.
#
# ok WHAT / not_ok WHAT        one check (t/lib/results.sh)
# track PID                    remember a process to kill at the end
# start_daemon DIR [TEXT]      the daemon in the foreground on a test
#                              configuration in DIR (sockets, pid file;
#                              no metrics listener unless TEXT sets one)
#                              with TEXT added; its stderr in DIR/log;
#                              waits until it answers on its control
#                              socket; sets $daemon; non-zero when it
#                              failed
# hold NAME DIR IP COUNT STAGE [EXPECT]
#                              COUNT sessions from IP held open at STAGE
#                              (hold.lua) on DIR's daemon, in the
#                              background; waits until they are all
#                              open; release NAME DIR lets them go
# top_json DIR                 bulwarkctl top --once --json into
#                              $WORKDIR/top.json
# json_is WHAT FILE EXPR       ok when the Perl EXPR is true of $j, the
#                              JSON document in FILE
# finish                       the script's exit status
set -u

. "$TOP/t/lib/daemon.sh"
. "$TOP/t/lib/results.sh"

track() {
	echo "$1" >>"$WORKDIR/pids"
}

start_daemon() {
	{
		config_head "$1"
		case "${2:-}" in
		*metrics_listen*) ;;
		*) echo 'metrics_listen = "";' ;;
		esac
		echo "${2:-}"
	} >"$1/bulwark.conf"
	"$BULWARK" -f -c "$1/bulwark.conf" 2>"$1/log" &
	daemon=$!
	track "$daemon"
	# The socket files appear before the daemon listens on them.
	if ! wait_alive "$daemon" "$BULWARKCTL" -s "$1/control.sock" status \
	    >/dev/null 2>&1 ||
	    ! wait_alive "$daemon" test -S "$1/bulwark.sock"; then
		echo "--- the daemon did not start:"
		show "$1/log"
		return 1
	fi
}

hold() {
	miltertest -s "$SRCDIR/hold.lua" -D socket="unix:$2/bulwark.sock" \
	    -D ip="$3" -D count="$4" -D stage="$5" -D expect="${6:-continue}" \
	    -D ready="$WORKDIR/$1.ready" -D release="$WORKDIR/$1.release" \
	    >"$WORKDIR/$1.out" 2>&1 &
	hold_pid=$!
	track "$hold_pid"
	if ! wait_alive "$hold_pid" test -e "$WORKDIR/$1.ready"; then
		not_ok "$1: $4 sessions from $3 held at $5"
		show "$WORKDIR/$1.out"
		return 1
	fi
	ok "$1: $4 sessions from $3 held at $5"
}

release() {
	touch "$WORKDIR/$1.release"
}

top_json() {
	"$BULWARKCTL" -s "$1/control.sock" top --once --json \
	    >"$WORKDIR/top.json" 2>"$WORKDIR/top.err" && return 0
	show "$WORKDIR/top.err"
	return 1
}

json_is() {
	if perl -MJSON::PP -e '
		local $/;
		open(my $f, "<", $ARGV[0]) or exit 2;
		my $j = eval { decode_json(<$f>) } or exit 3;
		exit(eval($ARGV[1]) ? 0 : 1);' "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1: not true: $3"
		show "$2"
	fi
}

finish() {
	[ "$failed" -eq 0 ]
}
