-- hold.lua - hold milter sessions open at a given stage.
--
--   miltertest -s hold.lua -D socket=unix:PATH -D ip=ADDRESS -D count=N
--       -D stage=connect|helo|mail|data -D ready=FILE -D release=FILE
--       [-D expect=continue|refuse]
--
-- Opens count sessions from ip, one after the other, and takes each to
-- stage (CONNECT; then HELO; then MAIL; then RCPT and DATA), checking
-- that every step is let through.  With expect=refuse the last session
-- must instead be refused at CONNECT.  Once all are open it creates
-- ready, then waits until release exists (at most 60 s) and closes them.
-- Exits 1 with what went wrong on stderr.

mt.set_timeout(10)

local function step(conn, what, err)
	if err ~= nil then
		error(what .. ": " .. err, 0)
	end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		error(what .. " was not let through", 0)
	end
end

local function exists(path)
	local f = io.open(path, "r")
	if f == nil then
		return false
	end
	f:close()
	return true
end

local function open(i)
	local what = string.format("%s session %d", ip, i)
	local conn = mt.connect(socket, 40, 0.05)
	if conn == nil then
		error("cannot connect to " .. socket, 0)
	end
	local err = mt.conninfo(conn, "client.example", ip)
	if expect == "refuse" and i == tonumber(count) then
		if err ~= nil then
			error(what .. ": conninfo: " .. err, 0)
		end
		if mt.getreply(conn) == SMFIR_CONTINUE then
			error(what .. ": CONNECT let through, expected a refusal", 0)
		end
		return conn
	end
	step(conn, what .. ", CONNECT", err)
	if stage == "connect" then
		return conn
	end
	step(conn, what .. ", HELO", mt.helo(conn, "client.example"))
	if stage == "helo" then
		return conn
	end
	step(conn, what .. ", MAIL", mt.mailfrom(conn, "<a@example.org>"))
	if stage == "mail" then
		return conn
	end
	step(conn, what .. ", RCPT", mt.rcptto(conn, "<b@example.net>"))
	step(conn, what .. ", DATA", mt.data(conn))
	return conn
end

local function run()
	local held = {}
	for i = 1, tonumber(count) do
		held[i] = open(i)
	end
	local f = assert(io.open(ready, "w"))
	f:close()
	for _ = 1, 600 do
		if exists(release) then
			break
		end
		os.execute("sleep 0.1")
	end
	for i = 1, #held do
		mt.disconnect(held[i])
	end
end

local ok, err = pcall(run)
if not ok then
	io.stderr:write("hold.lua: ", tostring(err), "\n")
	os.exit(1)
end
