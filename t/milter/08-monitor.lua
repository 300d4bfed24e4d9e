-- 08-monitor: with monitor_only nothing is ever refused; the log says
-- what would have been.
expect_log_count(1, "event=start ", "monitor_only=yes")
for i = 1, 3 do
	local conn = connect_from("192.0.2.80")
	expect_continue(conn, "connection " .. i)
	mt.disconnect(conn)
end
expect_log_count(1, "event=block ", "detector=dos", "host=192.0.2.80",
    "action=log")
expect_log_count(2, "event=refuse ", "stage=connect", "detector=dos",
    "action=log", "monitor_only=yes")

local conn = connect_from("203.0.113.9")
expect_continue(conn, "blocked-list host")
mt.disconnect(conn)
expect_log_count(1, "event=refuse ", "detector=blocked-list",
    "addr=203.0.113.9", "action=log", "monitor_only=yes")

-- Unknown recipients, reported by the MTA or not in recipients_file,
-- and unexpected commands all continue.
conn = mail_session("192.0.2.81", "client.example", "<sender@example.org>")
rcpt_rejected(conn, "<guess@example.org>", "5.1.1")
expect_continue(conn, "unknown recipient (MTA)")
rcpt_valid(conn, "<nobody@example.org>")
expect_continue(conn, "unknown recipient (recipients_file)")
rcpt_valid(conn, "<alice@example.org>")
expect_continue(conn, "listed recipient")
expect_log_count(1, "event=block ", "detector=dha", "host=192.0.2.81",
    "action=log")
for i = 1, 3 do
	unknown_ok(conn, "JUNK", "unknown command " .. i)
end
expect_log_count(1, "event=flag ", "addr=192.0.2.81", "action=log")
check("data", mt.data(conn))
expect_continue(conn, "DATA")
mt.disconnect(conn)
