# array.sh - scenario 5: a mail array.
#
# Two Postfix instances, mx1 and mx2, each with its own bulwark (bw-r1,
# bw-r2), both keeping state in one Redis: connections are counted across
# the array (more than 2 block a host for a minute) and a host blocked
# through one node is refused by the other.

array_setup() {
	local name
	next_port
	ARRAY1_PORT=$PORT
	next_port
	ARRAY2_PORT=$PORT
	for name in bw-r1 bw-r2; do
		bw_config "$name" <<EOF
store = "redis";
redis = { server = "unix:$WORK/redis.sock"; };
exclude = [ "127.0.0.1" ];
dos = { max_connections = 2; period = "1m"; block = "1m"; };
EOF
	done
	pf_create mx2
	pf_service mx1 "$ARRAY1_PORT" bw-r1
	pf_service mx2 "$ARRAY2_PORT" bw-r2
}

# Every key bulwark left in Redis expires.
array_check_ttls() {
	local sock="$WORK/redis.sock" keys key ttl bad=
	keys=$(redis-cli -s "$sock" --scan 2>/dev/null)
	if [ -z "$keys" ]; then
		not_ok "array: bulwark stored nothing in Redis"
		return
	fi
	for key in $keys; do
		ttl=$(redis-cli -s "$sock" ttl "$key")
		[ "$ttl" -gt 0 ] 2>/dev/null || bad="$bad $key($ttl)"
	done
	if [ -z "$bad" ]; then
		ok "array: every Redis key has a TTL ($(printf "%s\n" "$keys" | wc -l) keys)"
	else
		not_ok "array: Redis keys without a TTL:$bad"
	fi
}

array_run() {
	local log2="$WORK/mx2/maillog" a=192.0.2.60 b=192.0.2.61 c=192.0.2.62
	redis_start || return
	bw_start bw-r1 || return
	bw_start bw-r2 || return

	# Connections are counted across the array.
	xsession "$ARRAY1_PORT" "$a"
	expect_reply "array: connection 1 from $a via mx1" XCLIENT 220
	xsession "$ARRAY2_PORT" "$a"
	expect_reply "array: connection 2 from $a via mx2" XCLIENT 220
	xsession "$ARRAY1_PORT" "$a"
	expect_reply "array: connection 3 from $a via mx1 is refused" \
	    XCLIENT "421 "
	xsession "$ARRAY2_PORT" "$a"
	expect_reply "array: connection 4 from $a via mx2 is refused" \
	    XCLIENT "421 "

	# Blocked through mx1 alone, refused by mx2.
	xsession "$ARRAY1_PORT" "$b"
	xsession "$ARRAY1_PORT" "$b"
	xsession "$ARRAY1_PORT" "$b"
	expect_reply "array: $b blocked through mx1" XCLIENT "421 "
	expect_line "array: bw-r1 logged the block" "$WORK/bw-r1.log" \
	    "event=block" "detector=dos" "host=$b "
	xsession "$ARRAY2_PORT" "$b" "MAIL FROM:<sender@example.org>"
	expect_reply "array: $b is refused by mx2" XCLIENT "421 "
	expect_hangup "array: $b at mx2"
	expect_line "array: mx2 logged the refusal" "$log2" \
	    "milter-reject: XCLIENT from unknown[$b]: 421 4.7.0 Too many connections from $b"
	# bw-r2 refused it from its record of the array's blocks, which
	# sums refusals up instead of logging each (t/daemon/12-flood.sh).

	xsession "$ARRAY2_PORT" "$c" "MAIL FROM:<sender@example.org>"
	expect_reply "array: another address is served by mx2" "MAIL FROM" 250
	array_check_ttls
}
