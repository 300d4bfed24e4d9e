-- connect.lua - connections from one address, each one's answer checked.
--
--   miltertest -s connect.lua -D socket=unix:PATH -D ip=ADDRESS
--       -D expect=continue|refuse [-D count=N]
--
-- Opens count connections (default 1) in turn, sends CONNECT from ip and
-- checks the filter's answer: continue, or a refusal (a reply code set
-- with tempfail or reject).  Exits 1 with the first mismatch on stderr.

mt.set_timeout(5)

local function answer(conn)
	local reply = mt.getreply(conn)
	if reply == SMFIR_CONTINUE then
		return "continue"
	elseif reply == SMFIR_REPLYCODE or reply == SMFIR_TEMPFAIL or
	    reply == SMFIR_REJECT then
		return "refuse"
	end
	return string.format("reply %q", string.char(reply))
end

local function run()
	for i = 1, tonumber(count or "1") do
		local conn = mt.connect(socket, 40, 0.05)
		if conn == nil then
			error("cannot connect to " .. socket, 0)
		end
		local err = mt.conninfo(conn, "client.example", ip)
		if err ~= nil then
			error("conninfo: " .. err, 0)
		end
		local got = answer(conn)
		mt.disconnect(conn)
		if got ~= expect then
			error(string.format("%s, connection %d: %s, expected %s",
			    ip, i, got, expect), 0)
		end
	end
end

local ok, err = pcall(run)
if not ok then
	io.stderr:write("connect.lua: ", tostring(err), "\n")
	os.exit(1)
end
