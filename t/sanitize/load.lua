-- load.lua - one client of the sanitizer run: SMTP sessions as fast as
-- the filter answers, for a given time.
--
--   miltertest -s load.lua -D socket=unix:PATH -D net=N -D seconds=S
--
-- Every other session comes from one of 64 hosts, 10.N.0.1 to 10.N.0.64,
-- soon blocked; the rest from 16,000 others (10.N.1.1 on), rarely seen
-- twice, so most of their events are counted in the store.  Each sends
-- CONNECT; when let through, HELO, MAIL, two recipients the MTA rejected
-- as unknown (5.1.1), a valid one, and on every fourth session two
-- unknown commands and a second HELO; it stops at the first refusal.
-- Every answer must be continue or a refusal (a reply code, tempfail or
-- reject); anything else, or a command that fails, ends the run.  Prints
-- "sessions N refused R" and exits 0; on error exits 1 with the reason
-- on stderr.  The time is read from /proc/uptime (os.time counts whole
-- seconds, os.clock CPU time).

mt.set_timeout(30)

local function now()
	local f = assert(io.open("/proc/uptime", "r"))
	local up = f:read("n")
	f:close()
	return up
end

local function answer(conn, what)
	local reply = mt.getreply(conn)
	if reply == SMFIR_CONTINUE then
		return true
	elseif reply == SMFIR_REPLYCODE or reply == SMFIR_TEMPFAIL or
	    reply == SMFIR_REJECT then
		return false
	end
	error(string.format("%s: unexpected reply %q", what,
	    string.char(reply)), 0)
end

local function check(what, err)
	if err ~= nil then
		error(what .. ": " .. err, 0)
	end
end

local function rcpt(conn, address, mailer, host)
	check("macro", mt.macro(conn, SMFIC_RCPT, "{rcpt_mailer}", mailer,
	    "{rcpt_host}", host, "{rcpt_addr}", address))
	check("rcpt", mt.rcptto(conn, address))
	return answer(conn, "RCPT " .. address)
end

-- The commands of one session after CONNECT; false once refused.
local function commands(conn, n)
	check("helo", mt.helo(conn, "client" .. n .. ".example"))
	if not answer(conn, "HELO") then return false end
	check("mail", mt.mailfrom(conn, "<sender@example.org>"))
	if not answer(conn, "MAIL") then return false end
	for i = 1, 2 do
		if not rcpt(conn, "<guess" .. n .. "x" .. i .. "@example.org>",
		    "error", "5.1.1") then return false end
	end
	if not rcpt(conn, "<user@example.org>", "smtp", "mx.example.org") then
		return false
	end
	if n % 4 == 0 then
		for i = 1, 2 do
			check("unknown", mt.unknown(conn, "JUNK" .. i))
			if not answer(conn, "unknown") then return false end
		end
		check("helo", mt.helo(conn, "again.example"))
		if not answer(conn, "second HELO") then return false end
	end
	return true
end

local function session(n)
	local ip
	if n % 2 == 0 then
		ip = string.format("10.%d.0.%d", tonumber(net), n % 64 + 1)
	else
		local cold = n % 16000
		ip = string.format("10.%d.%d.%d", tonumber(net),
		    cold // 250 + 1, cold % 250 + 1)
	end
	local conn = mt.connect(socket, 40, 0.05)
	if conn == nil then
		error("cannot connect to " .. socket, 0)
	end
	check("conninfo " .. ip, mt.conninfo(conn, "client.example", ip))
	local passed = answer(conn, "CONNECT " .. ip) and commands(conn, n)
	mt.disconnect(conn)
	return passed
end

local function run()
	local deadline = now() + tonumber(seconds)
	local n, refused = 0, 0
	while now() < deadline do
		n = n + 1
		if not session(n) then
			refused = refused + 1
		end
	end
	print(string.format("sessions %d refused %d", n, refused))
end

local ok, err = pcall(run)
if not ok then
	-- miltertest prints its own errors and raises a non-string one.
	if type(err) ~= "string" then
		err = "miltertest failed (its message is above)"
	end
	io.stderr:write("load.lua: ", err, "\n")
	os.exit(1)
end
