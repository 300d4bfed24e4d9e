-- 07-lists: an excluded host is never counted nor blocked; a host on the
-- blocked list is refused at CONNECT (reject: 554 5.7.1) from the start.

-- A host that is not excluded, for comparison: its second connection is
-- refused.
local conn = connect_from("192.0.2.71")
expect_continue(conn, "control host, connection 1")
mt.disconnect(conn)
conn = connect_from("192.0.2.71")
expect_reply(conn, "control host, connection 2", "421", "4.7.0",
    "Too many connections from 192.0.2.71, try again later")
mt.disconnect(conn)

for _, ip in ipairs({ "192.0.2.70", "198.51.100.1", "198.51.100.254" }) do
	for i = 1, 4 do
		conn = connect_from(ip)
		expect_continue(conn, ip .. " connection " .. i)
		helo_ok(conn, "excluded.example")
		mail_ok(conn, "<sender@example.org>")
		for j = 1, 3 do
			rcpt_rejected(conn, "<guess" .. j .. "@example.org>", "5.1.1")
			expect_continue(conn, ip .. " unknown recipient " .. j)
		end
		mt.disconnect(conn)
	end
	expect_log_count(4, "event=exclude ", "addr=" .. ip, "reason=exclude-list")
	expect_log_count(0, "event=refuse ", "addr=" .. ip)
end

for _, ip in ipairs({ "203.0.113.5", "2001:db8:bad:1::25" }) do
	conn = connect_from(ip)
	expect_reply(conn, "blocked " .. ip, "554", "5.7.1",
	    "Connection refused for " .. ip)
	mt.disconnect(conn)
	expect_log_count(1, "event=refuse ", "stage=connect",
	    "detector=blocked-list", "addr=" .. ip)
end
expect_log_count(1, "event=block ")
