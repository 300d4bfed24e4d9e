-- 11-session: the transaction as the MTA reports it.  Aborted
-- transactions count as unexpected commands (attack.count "rset"), but
-- an abort after a message was accepted does not; a client that
-- authenticated ({auth_authen} at MAIL) is never counted.
local conn = mail_session("192.0.2.100", "client.example",
    "<sender@example.org>")
check("abort", mt.abort(conn))
mail_ok(conn, "<sender@example.org>")
message_ok(conn, "<user@example.org>")
-- Nothing to abort once the message is accepted.
check("abort", mt.abort(conn))
mail_ok(conn, "<sender@example.org>")
expect_log_count(0, "event=flag ")
-- The second aborted transaction flags the connection; the abort itself
-- gets no answer (so the log is read after the next one), and the next
-- command is refused.
check("abort", mt.abort(conn))
check("mail", mt.mailfrom(conn, "<sender@example.org>"))
expect_reply(conn, "MAIL after the flag", "421", "4.7.0",
    "Possible SMTP attack from 192.0.2.100")
expect_log_count(1, "event=flag ", "addr=192.0.2.100", "rset=2", "last=rset")
mt.disconnect(conn)

-- Authenticated: unknown recipients are not counted.
conn = connect_ok("192.0.2.101", "CONNECT")
helo_ok(conn, "client.example")
check("macro", mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice"))
mail_ok(conn, "<alice@example.org>")
for i = 1, 3 do
	rcpt_rejected(conn, "<typo" .. i .. "@example.org>", "5.1.1")
	expect_continue(conn, "authenticated, unknown recipient " .. i)
end
expect_log_count(1, "event=exclude ", "addr=192.0.2.101",
    "reason=authenticated")
mt.disconnect(conn)

-- The same without authentication is blocked at the second one.
conn = mail_session("192.0.2.102", "client.example",
    "<someone@example.org>")
rcpt_rejected(conn, "<typo1@example.org>", "5.1.1")
expect_continue(conn, "unknown recipient 1")
rcpt_rejected(conn, "<typo2@example.org>", "5.1.1")
expect_reply(conn, "unknown recipient 2", "421", "4.7.0",
    "Too many invalid recipients from 192.0.2.102")
mt.disconnect(conn)
expect_log_count(1, "event=block ")
