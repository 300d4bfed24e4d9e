-- inflight.lua - a connection keeps the configuration it started with.
--
--   miltertest -s inflight.lua -D socket=unix:PATH -D reload="COMMAND"
--
-- The running configuration flags a connection after one unexpected
-- HELO (attack.max_commands = 1, action tempfail); the file on disk,
-- loaded by COMMAND, allows 50.  Connection A starts before the reload,
-- B after it; both then send three HELOs.  A must be refused at its
-- third, B never.  Exits 1 with what went wrong on stderr.

mt.set_timeout(5)

local function open(ip)
	local conn = mt.connect(socket, 40, 0.05)
	if conn == nil then
		error("cannot connect to " .. socket, 0)
	end
	if mt.conninfo(conn, "client.example", ip) ~= nil or
	    mt.getreply(conn) ~= SMFIR_CONTINUE then
		error(ip .. ": CONNECT was not let through", 0)
	end
	return conn
end

-- The answer to one more HELO: true when let through.
local function helo(conn, what)
	local err = mt.helo(conn, "client.example")
	if err ~= nil then
		error(what .. ": helo: " .. err, 0)
	end
	return mt.getreply(conn) == SMFIR_CONTINUE
end

local function run()
	local a = open("192.0.2.71")
	if not helo(a, "A, HELO 1") then
		error("A, HELO 1 refused before the reload", 0)
	end
	if not os.execute(reload) then
		error("the reload command failed: " .. reload, 0)
	end
	local b = open("192.0.2.72")
	for i = 1, 3 do
		if not helo(b, "B") then
			error(string.format("B (new configuration), HELO %d "
			    .. "refused", i), 0)
		end
	end
	if not helo(a, "A, HELO 2") then
		error("A, HELO 2 refused: one unexpected HELO is allowed", 0)
	end
	if helo(a, "A, HELO 3") then
		error("A (old configuration), HELO 3 let through", 0)
	end
	mt.disconnect(a)
	mt.disconnect(b)
end

local ok, err = pcall(run)
if not ok then
	io.stderr:write("inflight.lua: ", tostring(err), "\n")
	os.exit(1)
end
