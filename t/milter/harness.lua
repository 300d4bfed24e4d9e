-- harness.lua - runs one milter scenario with the helpers it uses.
--
-- run-milter.sh runs miltertest on this file, setting with -D:
--   scenario the scenario script to run
--   socket   the milter socket to connect to (through replytap.pl)
--   log      the daemon's log (its standard error)
--   replies  what replytap.pl recorded: reply texts, macro lists
-- A failed check raises an error naming the step that went wrong; it is
-- printed here (miltertest itself does not print it) and miltertest
-- exits 1.

mt.set_timeout(5)

function fail(fmt, ...)
	error(string.format(fmt, ...), 0)
end

local function read_file(path)
	local f = io.open(path, "rb")
	if f == nil then
		return ""
	end
	local text = f:read("a")
	f:close()
	return text
end

-- The lines replytap.pl recorded for one kind of packet, prefix removed.
local function tap_lines(kind)
	local lines = {}
	for line in read_file(replies):gmatch("([^\n]*)\n") do
		if line:sub(1, 2) == kind .. " " then
			lines[#lines + 1] = line:sub(3)
		end
	end
	return lines
end

local function reply_lines()
	return tap_lines("y")
end

-- The macro lists the filter asked for in the last negotiation.
function negotiated_macros()
	local lines = tap_lines("O")
	return lines[#lines]
end

local replies_seen = 0

local function kind(reply)
	if reply == SMFIR_CONTINUE then
		return "continue"
	elseif reply == SMFIR_REPLYCODE then
		return "reply code"
	elseif reply == SMFIR_TEMPFAIL then
		return "tempfail"
	elseif reply == SMFIR_REJECT then
		return "reject"
	end
	return string.format("%q", string.char(reply))
end

-- Call an mt function, failing on its error string.
function check(what, err)
	if err ~= nil then
		fail("%s: %s", what, err)
	end
end

-- A new connection from ip, its CONNECT already sent.
function connect_from(ip, host)
	local conn = mt.connect(socket, 40, 0.05)
	if conn == nil then
		fail("cannot connect to %s", socket)
	end
	check("conninfo " .. ip, mt.conninfo(conn, host or "client.example", ip))
	return conn
end

-- The last command was let through, with no reply text.
function expect_continue(conn, what)
	local reply = mt.getreply(conn)
	if reply ~= SMFIR_CONTINUE then
		local lines = reply_lines()
		fail("%s: expected continue, got %s (%s)", what, kind(reply),
		    lines[#lines] or "no text")
	end
	if #reply_lines() ~= replies_seen then
		fail("%s: continued, yet a reply text was sent", what)
	end
end

-- The last command was refused with exactly "code xcode text".
function expect_reply(conn, what, code, xcode, text)
	local reply = mt.getreply(conn)
	local want = code .. " " .. xcode .. " " .. text
	if reply ~= SMFIR_REPLYCODE then
		fail("%s: expected the reply \"%s\", got %s", what, want,
		    kind(reply))
	end
	local lines = reply_lines()
	if #lines ~= replies_seen + 1 then
		fail("%s: expected one new reply text, found %d", what,
		    #lines - replies_seen)
	end
	replies_seen = #lines
	if lines[#lines] ~= want then
		fail("%s: expected the reply \"%s\", got \"%s\"", what, want,
		    lines[#lines])
	end
end

-- A new connection from ip, let through at CONNECT; what names it.
function connect_ok(ip, what)
	local conn = connect_from(ip)
	expect_continue(conn, what or "CONNECT from " .. ip)
	return conn
end

-- A connection from ip refused at CONNECT with "code xcode text".
function connect_refused(ip, what, code, xcode, text)
	local conn = connect_from(ip)
	expect_reply(conn, what, code, xcode, text)
	mt.disconnect(conn)
end

-- SMTP commands, each expected to continue.
function helo_ok(conn, name)
	check("helo", mt.helo(conn, name))
	expect_continue(conn, "HELO " .. name)
end

function mail_ok(conn, sender)
	check("mail", mt.mailfrom(conn, sender))
	expect_continue(conn, "MAIL FROM " .. sender)
end

function unknown_ok(conn, command, what)
	check("unknown", mt.unknown(conn, command))
	expect_continue(conn, what)
end

-- A new connection from ip let through up to MAIL FROM sender.
function mail_session(ip, helo, sender)
	local conn = connect_ok(ip, "CONNECT")
	helo_ok(conn, helo)
	mail_ok(conn, sender)
	return conn
end

-- A recipient as the MTA reports it: macros first, then RCPT.
function rcpt(conn, address, mailer, host)
	check("macro", mt.macro(conn, SMFIC_RCPT, "{rcpt_mailer}", mailer,
	    "{rcpt_host}", host, "{rcpt_addr}", address))
	check("rcpt", mt.rcptto(conn, address))
end

-- A recipient the MTA rejected itself with status (e.g. "5.1.1").
function rcpt_rejected(conn, address, status)
	rcpt(conn, address, "error", status)
end

function rcpt_valid(conn, address)
	rcpt(conn, address, "smtp", "mx.example.org")
end

-- A valid recipient and a message, each let through.
function message_ok(conn, address)
	rcpt_valid(conn, address)
	expect_continue(conn, "RCPT")
	check("data", mt.data(conn))
	expect_continue(conn, "DATA")
	check("eom", mt.eom(conn))
end

function log_text()
	return read_file(log)
end

-- How many log lines contain every one of the given plain strings.
function log_count(...)
	local wanted, n = { ... }, 0
	for line in log_text():gmatch("[^\n]+") do
		local all = true
		for _, s in ipairs(wanted) do
			if not line:find(s, 1, true) then
				all = false
				break
			end
		end
		if all then
			n = n + 1
		end
	end
	return n
end

function expect_log_count(n, ...)
	local got = log_count(...)
	if got ~= n then
		fail("expected %d log line(s) with %s, found %d", n,
		    table.concat({ ... }, " + "), got)
	end
end

local ok, err = pcall(dofile, scenario)
if not ok then
	io.stderr:write(scenario:match("[^/]*$"), ": ", tostring(err), "\n")
	os.exit(1)
end
