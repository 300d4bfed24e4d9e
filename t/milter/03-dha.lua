-- 03-dha: recipients the MTA rejected as unknown (5.1.1) are counted; past
-- max_invalid the session is refused at its next command, and the host's
-- next connection at CONNECT.  Other rejections (5.7.1) are not counted.
local refusal = "Directory harvest from 192.0.2.30"

local conn = mail_session("192.0.2.30", "harvester.example",
    "<probe@example.net>")
for i = 1, 2 do
	rcpt_rejected(conn, "<guess" .. i .. "@example.org>", "5.1.1")
	expect_continue(conn, "unknown recipient " .. i)
end
-- A relay denial is not a harvest, whatever the count.
for i = 1, 3 do
	rcpt_rejected(conn, "<someone@elsewhere.example>", "5.7.1")
	expect_continue(conn, "relay denial " .. i)
end
rcpt_valid(conn, "<postmaster@example.org>")
expect_continue(conn, "valid recipient after 2 unknown ones")
expect_log_count(0, "event=block ")

-- The third unknown recipient trips the rule.  The MTA ignores a verdict
-- on a recipient it rejected itself, so the next command is refused too.
rcpt_rejected(conn, "<guess3@example.org>", "5.1.1")
expect_reply(conn, "unknown recipient 3", "421", "4.7.0", refusal)
expect_log_count(1, "event=block ", "detector=dha", "host=192.0.2.30",
    "count=3", "action=tempfail")
rcpt_valid(conn, "<postmaster@example.org>")
expect_reply(conn, "valid recipient after the block", "421", "4.7.0", refusal)
check("data", mt.data(conn))
expect_reply(conn, "DATA after the block", "421", "4.7.0", refusal)
mt.disconnect(conn)

-- The host is blocked: its next connection is refused at CONNECT.
conn = connect_from("192.0.2.30")
expect_reply(conn, "next connection", "421", "4.7.0", refusal)
mt.disconnect(conn)
expect_log_count(1, "event=refuse ", "stage=connect", "detector=dha",
    "addr=192.0.2.30")

-- Another host is not affected.
conn = connect_from("192.0.2.31")
expect_continue(conn, "another host")
mt.disconnect(conn)
