-- 09-hostile: client text with control characters, binary bytes, format
-- directives or great length is taken in without harm and logged escaped.
local nasty = "evil\1\2\27[31m\r\nMAIL FROM:<x>\127\128\255%s%n%x\"=\\"
local nasty_logged = 'text="evil\\x01\\x02\\x1b[31m\\x0d\\x0aMAIL\\x20FROM:<x>' ..
    '\\x7f\\x80\\xff%s%n%x\\x22\\x3d\\x5c"'

local conn = connect_from("192.0.2.90")
expect_continue(conn, "CONNECT")
helo_ok(conn, "client.example")
helo_ok(conn, string.rep("A", 1000))
helo_ok(conn, nasty)
expect_log_count(1, "event=flag ", "last=helo", nasty_logged)
mt.disconnect(conn)

-- Escaped text is cut after 128 bytes of input.
conn = connect_from("192.0.2.91")
expect_continue(conn, "CONNECT")
check("unknown", mt.unknown(conn, nasty))
expect_continue(conn, "nasty unknown command")
check("unknown", mt.unknown(conn, string.rep("B", 1000)))
expect_continue(conn, "long unknown command")
expect_log_count(1, "event=flag ", "last=unknown",
    'text="' .. string.rep("B", 128) .. '..."')
expect_log_count(0, string.rep("B", 129))
mt.disconnect(conn)

if log_text():gsub("\n", ""):find("[%z\1-\31\127-\255]") then
	fail("raw control or non-ASCII bytes in the log")
end

-- Connections without an IP address are never counted, so never refused.
for i = 1, 3 do
	conn = mt.connect(socket)
	check("conninfo", mt.conninfo(conn, "localhost", "unspec"))
	expect_continue(conn, "connection without an address " .. i)
	helo_ok(conn, nasty)
	mt.disconnect(conn)
end

-- A client that skips CONNECT is answered, not crashed on.
local client = io.popen("perl " .. scenario:match("^.*/") .. "no-connect.pl " ..
    socket:gsub("^unix:", ""))
local answer = client:read("l")
client:close()
if answer ~= "c" then
	fail("HELO without CONNECT: answer %s, expected c", tostring(answer))
end

-- The daemon is still serving.
conn = connect_from("192.0.2.92")
expect_continue(conn, "a new host afterwards")
helo_ok(conn, "client.example")
mt.disconnect(conn)
