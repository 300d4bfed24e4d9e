-- 05-attack-log: more than max_commands unexpected commands flag the
-- connection; with action "log" it is only logged, once.
local conn = connect_ok("192.0.2.50", "CONNECT")
for i = 1, 3 do
	unknown_ok(conn, "XYZZY " .. i, "unknown command " .. i)
end
expect_log_count(0, "event=flag ")
for i = 4, 6 do
	unknown_ok(conn, "XYZZY " .. i, "unknown command " .. i)
end
expect_log_count(1, "event=flag ", "addr=192.0.2.50", "unknown=4",
    "max_commands=3", "last=unknown", 'text="XYZZY\\x204"', "action=log")
mt.disconnect(conn)

-- Repeated HELOs count too; the first one, and the one after STARTTLS,
-- are expected.
conn = connect_from("192.0.2.51")
expect_continue(conn, "CONNECT")
helo_ok(conn, "client.example")
check("macro", mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3"))
helo_ok(conn, "client.example")
for i = 1, 3 do
	check("macro", mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3"))
	helo_ok(conn, "again" .. i .. ".example")
end
expect_log_count(0, "event=flag ", "addr=192.0.2.51")
check("macro", mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3"))
helo_ok(conn, "again4.example")
expect_log_count(1, "event=flag ", "addr=192.0.2.51", "helo=4", "last=helo",
    'text="again4.example"')
mt.disconnect(conn)
