#!/bin/sh
# 28-secrets.sh - the README's setup of who may read what: the daemon
# runs as its own user and group (nobody:nogroup standing in for
# bulwark:bulwark), the configuration and the Redis password file are
# root:GROUP 0640, the milter socket lives in a directory of the group
# postfix, set-group-ID.  The postfix user connects to the socket and
# can read neither file; another user cannot even reach the socket; the
# daemon, switched to its user, still reloads both files.  Needs root and
# the postfix user (Postfix is installed for the Postfix tests).
. "$SRCDIR/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	not_ok "28-secrets needs root (it switches users)"
	finish
	exit
fi
if ! id postfix >/dev/null 2>&1; then
	not_ok "28-secrets needs the postfix user (contrib/install-deps.sh)"
	finish
	exit
fi
group=$(id -gn nobody)

d=$WORKDIR/etc
spool=$WORKDIR/spool/bulwark
mkdir -p "$d" "$WORKDIR/spool"
chmod 0755 "$d" "$WORKDIR/spool"
install -d -o nobody -g postfix -m 2750 "$spool"

install -m 0640 -g "$group" /dev/null "$d/redis.password"
echo "Secret-$$-Pw" >"$d/redis.password"
{
	config_head "$d" | grep -v '^socket ='
	cat <<EOF
metrics_listen = "";
socket = "unix:$spool/bulwark.sock";
socket_mode = "0660";
user = "nobody";
group = "$group";
redis = { password_file = "$d/redis.password"; };
EOF
} >"$d/bulwark.conf"
chown "root:$group" "$d/bulwark.conf"
chmod 0640 "$d/bulwark.conf"

start_fg secrets "$d/bulwark.conf" "$d" || exit 1

# as USER COMMAND...: run COMMAND as USER.
as() {
	u=$1
	shift
	runuser -u "$u" -- "$@" 2>/dev/null
}
reach='use IO::Socket::UNIX; IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 1'

check "the socket is the group postfix's" test \
    "$(stat -c %G:%a "$spool/bulwark.sock")" = "postfix:660"
check "the postfix user connects to the milter socket" \
    as postfix perl -e "$reach" "$spool/bulwark.sock"
check "the postfix user cannot read bulwark.conf" sh -c \
    "! runuser -u postfix -- cat '$d/bulwark.conf' >/dev/null 2>&1"
check "the postfix user cannot read the password file" sh -c \
    "! runuser -u postfix -- cat '$d/redis.password' >/dev/null 2>&1"
check "another user cannot reach the milter socket" sh -c \
    "! runuser -u daemon -- perl -e '$reach' '$spool/bulwark.sock' 2>/dev/null"
ctl_is 0 "the daemon, as nobody, reloads both files" "$d" reload
check "the reload was read as the daemon's user" test \
    "$(log_count "$d/log" "event=reload status=ok")" -eq 1
check "the log does not hold the password" sh -c \
    "! grep -qF 'Secret-$$-Pw' '$d/log'"

stop_fg "$pid"
check "the daemon stopped with status 0" test $? -eq 0
finish
