-- traffic.lua - the SMTP traffic t/run-metrics.sh counts, run through
-- t/milter/harness.lua with the configuration run-metrics.sh writes
-- (dos max 3 tempfail, dha max 2 reject, attack max_commands 2 tempfail
-- with max_flagged 1, 203.0.113.0/24 on the blocked list).  Every reply
-- is checked here, so the counts expected there follow from it:
-- 13 connections, 11 dos, 3 dha and 2 attack events, refusals dos
-- tempfail 2, dha reject 2, attack tempfail 3, blocked-list reject 1.

local function refused_at_connect(ip, code, xcode, text)
	local conn = connect_from(ip)
	expect_reply(conn, "CONNECT from " .. ip, code, xcode, text)
	mt.disconnect(conn)
end

local function accepted(ip)
	local conn = connect_from(ip)
	expect_continue(conn, "CONNECT from " .. ip)
	mt.disconnect(conn)
end

-- DoS: three connections pass, the fourth trips, the fifth is refused.
for i = 1, 3 do
	accepted("192.0.2.10")
end
for i = 4, 5 do
	refused_at_connect("192.0.2.10", "421", "4.7.0",
	    "Too many connections from 192.0.2.10, try again later")
end

-- The blocked list, and an excluded host (counted, never recorded).
refused_at_connect("203.0.113.5", "554", "5.7.1",
    "Connection refused for 203.0.113.5")
accepted("127.0.0.1")

-- DHA: the third unknown recipient trips the rule; the next command
-- replays the refusal; the next connection is refused at CONNECT.
local harvest = "Too many invalid recipients from 192.0.2.20"
local conn = connect_from("192.0.2.20")
expect_continue(conn, "CONNECT")
helo_ok(conn, "harvester.example")
mail_ok(conn, "<probe@example.net>")
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
refused_at_connect("192.0.2.20", "554", "5.7.1", harvest)

-- Attack: two flagged connections; the second trips max_flagged, and
-- the host's next connection is refused at CONNECT.
local attack = "Possible SMTP attack from 192.0.2.60"
for n = 1, 2 do
	conn = connect_from("192.0.2.60")
	expect_continue(conn, "connection " .. n)
	for i = 1, 2 do
		check("unknown", mt.unknown(conn, "JUNK"))
		expect_continue(conn, "unknown command " .. i)
	end
	check("unknown", mt.unknown(conn, "JUNK"))
	expect_reply(conn, "unknown command 3", "421", "4.7.0", attack)
	mt.disconnect(conn)
end
refused_at_connect("192.0.2.60", "421", "4.7.0", attack)

-- A clean transaction.
conn = connect_from("192.0.2.99")
expect_continue(conn, "clean CONNECT")
helo_ok(conn, "client.example")
mail_ok(conn, "<sender@example.org>")
rcpt_valid(conn, "<user@example.org>")
expect_continue(conn, "RCPT")
check("data", mt.data(conn))
expect_continue(conn, "DATA")
check("eom", mt.eom(conn))
mt.disconnect(conn)
