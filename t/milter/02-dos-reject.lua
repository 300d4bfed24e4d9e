-- 02-dos-reject: with action "reject" the refusal at CONNECT is 554 5.7.1,
-- with the default reply text.
local conn = connect_from("192.0.2.20")
expect_continue(conn, "connection 1")
mt.disconnect(conn)

for i = 2, 3 do
	conn = connect_from("192.0.2.20")
	expect_reply(conn, "connection " .. i, "554", "5.7.1",
	    "Too many connections from 192.0.2.20, try again later")
	mt.disconnect(conn)
end
expect_log_count(1, "event=block ", "detector=dos", "host=192.0.2.20",
    "count=2", "action=reject")
expect_log_count(2, "event=refuse ", "stage=connect", "detector=dos",
    "action=reject")

conn = connect_from("192.0.2.21")
expect_continue(conn, "another host")
mt.disconnect(conn)
