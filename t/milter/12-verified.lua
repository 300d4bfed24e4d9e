-- 12-verified: exclude_verified_domains with the macros of each MTA.
-- Sendmail: {client_name} counts only with {client_resolve} OK.  Postfix
-- (no {client_resolve}): {client_name} counts unless it is "unknown".

-- A connection from ip with the given CONNECT macros (name, value, ...).
local function connect_named(ip, ...)
	local conn = mt.connect(socket, 40, 0.05)
	if conn == nil then
		fail("cannot connect to %s", socket)
	end
	check("macro " .. ip, mt.macro(conn, SMFIC_CONNECT, ...))
	check("conninfo " .. ip, mt.conninfo(conn, "client.example", ip))
	return conn
end

-- Three connections of ip with the macros; every one let through.
local function excluded(ip, ...)
	for i = 1, 3 do
		local conn = connect_named(ip, ...)
		expect_continue(conn, ip .. " connection " .. i)
		mt.disconnect(conn)
	end
	expect_log_count(3, "event=exclude ", "addr=" .. ip,
	    "reason=verified-domain")
end

-- The second connection of ip with the macros is refused.
local function counted(ip, ...)
	local conn = connect_named(ip, ...)
	expect_continue(conn, ip .. " connection 1")
	mt.disconnect(conn)
	conn = connect_named(ip, ...)
	expect_reply(conn, ip .. " connection 2", "421", "4.7.0",
	    "Too many connections from " .. ip .. ", try again later")
	mt.disconnect(conn)
	expect_log_count(0, "event=exclude ", "addr=" .. ip)
end

excluded("192.0.2.80", "{client_name}", "mx1.mail.google.com",
    "{client_resolve}", "OK")
excluded("192.0.2.81", "{client_name}", "google.com")
counted("192.0.2.82", "{client_name}", "mx1.mail.google.com",
    "{client_resolve}", "FORGED")
counted("192.0.2.83", "{client_name}", "unknown")
counted("192.0.2.84", "{client_name}", "mx.evilgoogle.com",
    "{client_resolve}", "OK")
