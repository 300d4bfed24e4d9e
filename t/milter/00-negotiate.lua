-- 00-negotiate: what bulwark asks of the MTA in option negotiation.

-- An MTA offering everything: recipients it rejected, macro lists, and
-- the skipping of headers, end of headers and body.
local conn = mt.connect(socket)
check("negotiate", mt.negotiate(conn, nil, nil, nil))
for _, step in ipairs({ "SMFIP_RCPT_REJ", "SMFIP_NOHDRS", "SMFIP_NOEOH",
    "SMFIP_NOBODY" }) do
	if not mt.test_option(conn, _G[step]) then
		fail("%s not requested", step)
	end
end
-- Stages that may refuse must get an answer; nothing bulwark needs is skipped.
for _, step in ipairs({ "SMFIP_NR_CONN", "SMFIP_NR_HELO", "SMFIP_NR_MAIL",
    "SMFIP_NR_RCPT", "SMFIP_NR_DATA", "SMFIP_NR_UNKN", "SMFIP_NOCONNECT",
    "SMFIP_NOHELO", "SMFIP_NOMAIL", "SMFIP_NORCPT", "SMFIP_NODATA",
    "SMFIP_NOUNKNOWN" }) do
	if mt.test_option(conn, _G[step]) then
		fail("%s requested", step)
	end
end
if not mt.test_action(conn, SMFIF_SETSYMLIST) then
	fail("SMFIF_SETSYMLIST not requested")
end
-- Only the macros used, per stage (0 CONNECT, 1 HELO, 2 MAIL, 3 RCPT).
local macros = "0={client_name} {client_resolve};1={tls_version};2={auth_authen};3={rcpt_mailer} {rcpt_host}"
if negotiated_macros() ~= macros then
	fail("macro lists \"%s\", expected \"%s\"", negotiated_macros(), macros)
end
-- bulwark never changes a message.
for _, action in ipairs({ "SMFIF_ADDHDRS", "SMFIF_CHGBODY", "SMFIF_ADDRCPT",
    "SMFIF_DELRCPT", "SMFIF_CHGHDRS", "SMFIF_QUARANTINE", "SMFIF_CHGFROM" }) do
	if mt.test_action(conn, _G[action]) then
		fail("%s requested", action)
	end
end
check("conninfo", mt.conninfo(conn, "client.example", "192.0.2.1"))
expect_continue(conn, "CONNECT")
mt.disconnect(conn)

-- An MTA offering neither: bulwark asks for neither, and still works.
conn = mt.connect(socket)
check("negotiate", mt.negotiate(conn, 6, SMFIP_NOHDRS, SMFIF_ADDHDRS))
if mt.test_option(conn, SMFIP_RCPT_REJ) then
	fail("SMFIP_RCPT_REJ requested though not offered")
end
if mt.test_action(conn, SMFIF_SETSYMLIST) then
	fail("SMFIF_SETSYMLIST requested though not offered")
end
if negotiated_macros() ~= "" then
	fail("macro lists \"%s\" sent though not offered", negotiated_macros())
end
if not mt.test_option(conn, SMFIP_NOHDRS) then
	fail("SMFIP_NOHDRS not requested")
end
check("conninfo", mt.conninfo(conn, "client.example", "192.0.2.1"))
expect_continue(conn, "CONNECT")
helo_ok(conn, "client.example")
mail_ok(conn, "<sender@example.org>")
rcpt_valid(conn, "<user@example.org>")
expect_continue(conn, "RCPT")
mt.disconnect(conn)
