-- timed.lua - connections in turn, each answer checked and timed.
--
--   miltertest -s timed.lua -D socket=unix:PATH -D plan="IP:WANT ..."
--       -D bound=MS [-D pause=MS]
--
-- For each IP:WANT of plan, in turn, opens a connection and sends
-- CONNECT from IP.  WANT is what the filter must answer: continue,
-- refuse (a reply code set with tempfail or reject), or session: CONNECT,
-- HELO, MAIL, a recipient the MTA rejected as unknown (5.1.1), then a
-- valid one, each let through.  Every answer must come within bound
-- milliseconds of its command; pause milliseconds (default 0) pass
-- between connections.  Prints "IP COMMAND ANSWER MS" per answer and
-- "slowest MS" last; exits 1 with the first mismatch on stderr.
--
-- The clock: os.clock is CPU time and os.time whole seconds, so the time
-- is read from Linux's /proc/uptime, a monotonic wall clock in hundredths of a
-- second that costs no process per reading (date(1) through io.popen
-- would add a fork to every measure).  Its 10 ms steps are small beside
-- a bound of hundreds of milliseconds.  Only the command and its answer
-- are timed, not miltertest starting or the negotiation.

mt.set_timeout(5)

local limit = tonumber(bound)
local gap = tonumber(pause or "0") / 1000
local slowest = 0

local function now_ms()
	local f = assert(io.open("/proc/uptime", "r"))
	local up = f:read("n")
	f:close()
	return up * 1000
end

local function answer(reply)
	if reply == SMFIR_CONTINUE then
		return "continue"
	elseif reply == SMFIR_REPLYCODE or reply == SMFIR_TEMPFAIL or
	    reply == SMFIR_REJECT then
		return "refuse"
	end
	return string.format("reply %q", string.char(reply))
end

-- Send one command (send returns nil or an error), check its answer.
local function step(conn, ip, what, want, send)
	local started = now_ms()
	local err = send()
	if err ~= nil then
		error(string.format("%s, %s: %s", ip, what, err), 0)
	end
	local got = answer(mt.getreply(conn))
	local took = now_ms() - started
	print(string.format("%s %s %s %.0f", ip, what, got, took))
	slowest = math.max(slowest, took)
	if got ~= want then
		error(string.format("%s, %s: %s, expected %s", ip, what, got,
		    want), 0)
	end
	if took >= limit then
		error(string.format("%s, %s: answered after %.0f ms, bound %d",
		    ip, what, took, limit), 0)
	end
end

local function rcpt(conn, address, mailer, host)
	local err = mt.macro(conn, SMFIC_RCPT, "{rcpt_mailer}", mailer,
	    "{rcpt_host}", host, "{rcpt_addr}", address)
	return err or mt.rcptto(conn, address)
end

local function session(conn, ip)
	step(conn, ip, "HELO", "continue", function()
		return mt.helo(conn, "client.example")
	end)
	step(conn, ip, "MAIL", "continue", function()
		return mt.mailfrom(conn, "<sender@example.com>")
	end)
	step(conn, ip, "RCPT-unknown", "continue", function()
		return rcpt(conn, "<nobody@example.org>", "error", "5.1.1")
	end)
	step(conn, ip, "RCPT-valid", "continue", function()
		return rcpt(conn, "<user@example.org>", "smtp", "mx.example.org")
	end)
end

local function one(ip, want)
	local conn = mt.connect(socket, 40, 0.05)
	if conn == nil then
		error("cannot connect to " .. socket, 0)
	end
	step(conn, ip, "CONNECT", want == "session" and "continue" or want,
	    function()
		return mt.conninfo(conn, "client.example", ip)
	end)
	if want == "session" then
		session(conn, ip)
	end
	mt.disconnect(conn)
end

local function run()
	local n = 0
	for ip, want in plan:gmatch("(%S+):(%a+)") do
		if n > 0 and gap > 0 then
			mt.sleep(gap)
		end
		one(ip, want)
		n = n + 1
	end
	if n == 0 then
		error("no IP:WANT in the plan \"" .. plan .. "\"", 0)
	end
end

local ok, err = pcall(run)
print(string.format("slowest %.0f", slowest))
if not ok then
	io.stderr:write("timed.lua: ", tostring(err), "\n")
	os.exit(1)
end
