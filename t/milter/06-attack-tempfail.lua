-- 06-attack-tempfail: with action "tempfail" a flagged connection is
-- refused 421; with max_flagged = 1 the second flagged connection blocks
-- the host, which is then refused at CONNECT.
local refusal = "Possible SMTP attack from 192.0.2.60"

for n = 1, 2 do
	local conn = connect_ok("192.0.2.60", "connection " .. n)
	for i = 1, 2 do
		unknown_ok(conn, "JUNK", "unknown command " .. i)
	end
	check("unknown", mt.unknown(conn, "JUNK"))
	expect_reply(conn, "unknown command 3", "421", "4.7.0", refusal)
	-- Whatever comes next in the session is refused the same way.
	check("helo", mt.helo(conn, "client.example"))
	expect_reply(conn, "HELO after the refusal", "421", "4.7.0", refusal)
	mt.disconnect(conn)
	expect_log_count(n, "event=flag ", "addr=192.0.2.60", "action=tempfail")
end
expect_log_count(1, "event=block ", "detector=attack", "host=192.0.2.60",
    "count=2")

local conn = connect_from("192.0.2.60")
expect_reply(conn, "connection 3", "421", "4.7.0", refusal)
mt.disconnect(conn)
expect_log_count(1, "event=refuse ", "stage=connect", "detector=attack")

conn = connect_from("192.0.2.61")
expect_continue(conn, "another host")
mt.disconnect(conn)
