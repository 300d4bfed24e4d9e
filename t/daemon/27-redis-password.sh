#!/bin/sh
# 27-redis-password.sh - redis.password_file: a Redis that requires a
# password is used with the password read from its own file; the
# password reaches neither the log nor bulwarkctl; a file every user may
# read is refused by bulwark -t with file:line; a reload reads the file
# again (a changed password needs a restart, a missing file fails the
# reload and the running configuration stays).
. "$SRCDIR/lib.sh"

r=$WORKDIR/redis
d=$WORKDIR/node
mkdir "$r" "$d"
pw=Pw-$$-Secret-Redis
pwfile=$d/redis.password

redis-server --port 0 --unixsocket "$r/redis.sock" --unixsocketperm 700 \
    --requirepass "$pw" --save "" --appendonly no --dir "$r" \
    --logfile "$r/redis.log" --daemonize no &
redis=$!
track "$redis"
rcli() {
	REDISCLI_AUTH=$pw redis-cli -s "$r/redis.sock" "$@" 2>/dev/null
}
if ! wait_until sh -c "REDISCLI_AUTH='$pw' redis-cli -s '$r/redis.sock' \
    ping 2>/dev/null | grep -q PONG"; then
	not_ok "redis-server started"
	exit 1
fi

printf '%s\n' "$pw" >"$pwfile"
chmod 0640 "$pwfile"
conf "$d/bulwark.conf" "$d" "store = \"redis\";
redis = { server = \"unix:$r/redis.sock\"; key_prefix = \"pw:\";
	password_file = \"$pwfile\"; };"

# A file every user may read is refused, at the key's line.
chmod 0644 "$pwfile"
"$BULWARK" -t -c "$d/bulwark.conf" >"$WORKDIR/t.out" 2>&1
check "bulwark -t refuses a world-readable password file: exit 78" \
    test $? -eq 78
line=$(grep -n password_file "$d/bulwark.conf" | cut -d: -f1)
check "the error has file:line and names the file" grep -qF \
    "$d/bulwark.conf:$line: redis.password_file: $pwfile: readable by every user" \
    "$WORKDIR/t.out"
chmod 0640 "$pwfile"
check "bulwark -t accepts the file once private" sh -c \
    "'$BULWARK' -t -c '$d/bulwark.conf' >/dev/null"

start_fg node "$d/bulwark.conf" "$d" || exit 1
ctl_is 0 "status" "$d" status
out_has "status: the redis store, healthy (authenticated)" "store         redis, ok"
ctl_is 0 "block through the node" "$d" block 198.51.100.44 1h "pw test"
check "the block reached the Redis that requires the password" sh -c \
    "REDISCLI_AUTH='$pw' redis-cli -s '$r/redis.sock' --scan --pattern 'pw:*' |
    grep -q ."
ctl_is 0 "show" "$d" show 198.51.100.44
for what in "status --json" "show --json 198.51.100.44" "list --json"; do
	# shellcheck disable=SC2086
	ctl "$d" $what
	check "bulwarkctl $what does not show the password" sh -c \
	    "! grep -qF '$pw' '$WORKDIR/ctl.out' '$WORKDIR/ctl.err'"
done

# Reloads read the file again.
printf 'Other-%s\n' "$pw" >"$pwfile"
ctl_is 4 "reload with a changed password: restart needed, exit 4" "$d" reload
out_has "reload names the redis group" "restart needed for redis"
rm -f "$pwfile"
ctl_is 1 "reload with the password file gone: exit 1" "$d" reload
err_has "the reload error names the file" "redis.password_file: $pwfile: No such file or directory"
ctl_is 0 "the node still answers with the running configuration" "$d" status
out_has "and its store is still healthy" "store         redis, ok"
check "the log never holds the password" sh -c \
    "! grep -qF '$pw' '$d/log'"

stop_fg "$pid"
check "the node stopped with status 0" test $? -eq 0
rcli shutdown nosave >/dev/null
finish
