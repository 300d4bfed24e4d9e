-- traffic.lua - the SMTP traffic t/run-metrics.sh counts, run through
-- t/milter/harness.lua with the configuration run-metrics.sh writes
-- (dos max 3 tempfail, dha max 2 reject, attack max_commands 2 tempfail
-- with max_flagged 1, 203.0.113.0/24 on the blocked list).  Every reply
-- is checked here, so the counts expected there follow from it:
-- 13 connections, 11 dos, 3 dha and 2 attack events, refusals dos
-- tempfail 2, dha reject 2, attack tempfail 3, blocked-list reject 1.

-- DoS: three connections pass, the fourth trips, the fifth is refused.
for i = 1, 3 do
	mt.disconnect(connect_ok("192.0.2.10"))
end
for i = 4, 5 do
	connect_refused("192.0.2.10", "connection " .. i, "421", "4.7.0",
	    "Too many connections from 192.0.2.10, try again later")
end

-- The blocked list, and an excluded host (counted, never recorded).
connect_refused("203.0.113.5", "blocked-list host", "554", "5.7.1",
    "Connection refused for 203.0.113.5")
mt.disconnect(connect_ok("127.0.0.1"))

-- DHA: the third unknown recipient trips the rule; the next command
-- replays the refusal; the next connection is refused at CONNECT.
local harvest = "Too many invalid recipients from 192.0.2.20"
local conn = mail_session("192.0.2.20", "harvester.example",
    "<probe@example.net>")
for i = 1, 2 do
	rcpt_rejected(conn, "<guess" .. i .. "@example.org>", "5.1.1")
	expect_continue(conn, "unknown recipient " .. i)
end
rcpt_rejected(conn, "<guess3@example.org>", "5.1.1")
expect_reply(conn, "unknown recipient 3", "550", "5.7.1", harvest)
rcpt_valid(conn, "<postmaster@example.org>")
expect_reply(conn, "valid recipient after the block", "550", "5.7.1",
    harvest)
mt.disconnect(conn)
connect_refused("192.0.2.20", "harvester's next connection", "554", "5.7.1",
    harvest)

-- Attack: two flagged connections; the second trips max_flagged, and
-- the host's next connection is refused at CONNECT.
local attack = "Possible SMTP attack from 192.0.2.60"
for n = 1, 2 do
	conn = connect_ok("192.0.2.60", "connection " .. n)
	for i = 1, 2 do
		unknown_ok(conn, "JUNK", "unknown command " .. i)
	end
	check("unknown", mt.unknown(conn, "JUNK"))
	expect_reply(conn, "unknown command 3", "421", "4.7.0", attack)
	mt.disconnect(conn)
end
connect_refused("192.0.2.60", "attacker's next connection", "421", "4.7.0",
    attack)

-- A clean transaction.
conn = mail_session("192.0.2.99", "client.example", "<sender@example.org>")
message_ok(conn, "<user@example.org>")
mt.disconnect(conn)
