-- 04-dha-recipients: with dha.recipients_file bulwark answers unknown
-- recipients itself (550 5.1.1) and counts them; listed ones continue.
local conn = connect_from("192.0.2.40")
expect_continue(conn, "CONNECT")
helo_ok(conn, "client.example")
mail_ok(conn, "<sender@example.com>")

for _, address in ipairs({ "<alice@example.org>", "<BOB@Example.ORG>",
    "<anyone@example.net>" }) do
	rcpt_valid(conn, address)
	expect_continue(conn, "listed recipient " .. address)
end
for i = 1, 2 do
	rcpt_valid(conn, "<nobody" .. i .. "@example.org>")
	expect_reply(conn, "unknown recipient " .. i, "550", "5.1.1",
	    "No such user here")
end
rcpt_valid(conn, "<alice@example.org>")
expect_continue(conn, "listed recipient after 2 unknown ones")
expect_log_count(0, "event=block ")

-- The third unknown one trips the rule: the refusal is now the block's.
local refusal = "Too many invalid recipients from 192.0.2.40"
rcpt_valid(conn, "<nobody3@example.org>")
expect_reply(conn, "unknown recipient 3", "421", "4.7.0", refusal)
expect_log_count(1, "event=block ", "detector=dha", "count=3")
rcpt_valid(conn, "<alice@example.org>")
expect_reply(conn, "listed recipient after the block", "421", "4.7.0",
    refusal)
mt.disconnect(conn)
