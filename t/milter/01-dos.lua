-- 01-dos: a host past max_connections is refused 421 at CONNECT.

local open = {}
for i = 1, 3 do
	open[i] = connect_from("192.0.2.10")
	expect_continue(open[i], "connection " .. i)
end
expect_log_count(0, "event=block")

-- The reply text is the template with %a expanded and the percent sign
-- doubled, as libmilter wants it.
local conn = connect_from("192.0.2.10")
expect_reply(conn, "connection 4", "421", "4.7.0",
    "Too many connections from 192.0.2.10; 100%% sure")
mt.disconnect(conn)
expect_log_count(1, "event=block ", "detector=dos", "host=192.0.2.10",
    "count=4", "action=tempfail")
expect_log_count(1, "event=refuse ", "stage=connect", "detector=dos",
    "addr=192.0.2.10")

-- Still blocked: refused again, without a second block.
conn = connect_from("192.0.2.10")
expect_reply(conn, "connection 5", "421", "4.7.0",
    "Too many connections from 192.0.2.10; 100%% sure")
mt.disconnect(conn)
expect_log_count(1, "event=block ")
expect_log_count(2, "event=refuse ", "detector=dos", "addr=192.0.2.10")

-- The connections opened before the block carry on.
helo_ok(open[1], "client.example")
mail_ok(open[1], "<sender@example.org>")
for i = 1, 3 do
	mt.disconnect(open[i])
end

-- Another host is not affected, through a whole transaction.
conn = mail_session("192.0.2.11", "other.example", "<sender@example.org>")
message_ok(conn, "<user@example.org>")
mt.disconnect(conn)

-- IPv6 clients are counted per /64: four addresses of one /64 are one
-- host, and the reply names the address that connected.
for i = 1, 3 do
	conn = connect_from("2001:db8:1:2::" .. i)
	expect_continue(conn, "IPv6 connection " .. i)
	mt.disconnect(conn)
end
conn = connect_from("2001:db8:1:2::ff")
expect_reply(conn, "IPv6 connection 4", "421", "4.7.0",
    "Too many connections from 2001:db8:1:2::ff; 100%% sure")
mt.disconnect(conn)
expect_log_count(1, "event=block ", "detector=dos", "host=2001:db8:1:2::/64")
conn = connect_from("2001:db8:1:3::1")
expect_continue(conn, "IPv6 connection from the next /64")
mt.disconnect(conn)
