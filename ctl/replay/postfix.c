/*
 * postfix.c - the lines of Postfix's smtpd that bulwark's events can be
 * read from.  See replay.h.
 *
 *   connect from NAME[ADDR]                         CONNECT
 *   disconnect from NAME[ADDR] ehlo=2 rcpt=0/5 ...  DISCONNECT, summary
 *   QID: reject: RCPT from NAME[ADDR]: 550 5.1.1 .. RCPT_REJECTED, status
 *   QID: milter-reject: XCLIENT from NAME[ADDR]: .. XCLIENT (a milter refused
 *                                                   the new client)
 *   QID: client=NAME[ADDR][, sasl_username=USER]    MAIL (auth user)
 *   QID: (milter-)reject: CMD from NAME[ADDR]: ...  CLIENT
 *   lost connection / timeout / too many errors
 *       after CMD from NAME[ADDR]                   CLIENT
 * Any other smtpd line is ignored.  A CLIENT line only names the client:
 * after XCLIENT, Postfix names the new one in every line (engine.c
 * starts the new connection then).
 *
 * NAME[ADDR] may be followed by ":PORT" (smtpd_client_port_logging); an
 * ADDR of "unknown" is a client without an IP address.  In the summary
 * "name=N" counts N commands, all accepted; "name=OK/N" N, OK accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

bool postfix_is_smtpd(const char *prog)
{
	size_t n = strlen(prog);

	return n >= 5 && strcmp(prog + n - 5, "smtpd") == 0 &&
	    (n == 5 || prog[n - 6] == '/');
}

static bool postfix_prefix(const char **p, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(*p, prefix, n) != 0)
		return false;
	*p += n;
	return true;
}

/*
 * Read NAME[ADDR] (and ":PORT") at *p, moving past it; fill ev's address.
 * False when it is not there.
 */
static bool postfix_client(const char **p, struct replay_event *ev)
{
	const char *open = *p + strcspn(*p, "[ ");
	const char *close;
	char text[ADDR_TEXT_MAX];
	size_t len;

	if (*open != '[' || (close = strchr(open, ']')) == NULL)
		return false;
	len = (size_t)(close - open - 1);
	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, open + 1, len);
	text[len] = '\0';
	/* Postfix writes the verified name, or "unknown". */
	len = (size_t)(open - *p);
	ev->name[0] = '\0';
	if (len > 0 && len < sizeof(ev->name) &&
	    (len != 7 || strncmp(*p, "unknown", 7) != 0)) {
		memcpy(ev->name, *p, len);
		ev->name[len] = '\0';
	}
	ev->has_addr = false;
	if (strcmp(text, "unknown") != 0) {
		if (addr_parse(text, &ev->addr) < 0)
			return false;
		ev->has_addr = true;
	}
	*p = close + 1;
	if ((*p)[0] == ':' && (*p)[1] >= '0' && (*p)[1] <= '9')
		*p += 1 + strspn(*p + 1, "0123456789");
	return true;
}

/* Read "NAME=N" or "NAME=OK/N" at *p into *ok and *all. */
static bool postfix_count(const char **p, char *name, size_t namelen,
    unsigned long *ok, unsigned long *all)
{
	const char *eq = strchr(*p, '=');
	char *end;

	if (eq == NULL || eq == *p || (size_t)(eq - *p) >= namelen)
		return false;
	memcpy(name, *p, (size_t)(eq - *p));
	name[eq - *p] = '\0';
	*ok = *all = strtoul(eq + 1, &end, 10);
	if (end == eq + 1)
		return false;
	if (*end == '/') {
		const char *start = end + 1;

		*all = strtoul(start, &end, 10);
		if (end == start)
			return false;
	}
	if (*end != ' ' && *end != '\0')
		return false;
	*p = end + strspn(end, " ");
	return true;
}

static unsigned postfix_clamp(unsigned long n)
{
	return n > 100000 ? 100000 : (unsigned)n;
}

static bool postfix_summary(const char *p, struct replay_summary *s)
{
	char name[16];
	unsigned long ok, all, bdat = 0, mail = 0;

	memset(s, 0, sizeof(*s));
	while (*p != '\0') {
		if (!postfix_count(&p, name, sizeof(name), &ok, &all))
			return false;
		if (strcmp(name, "helo") == 0 || strcmp(name, "ehlo") == 0)
			s->helo += postfix_clamp(all);
		else if (strcmp(name, "unknown") == 0)
			s->unknown = postfix_clamp(all);
		else if (strcmp(name, "rcpt") == 0)
			s->rcpt_ok = postfix_clamp(ok);
		else if (strcmp(name, "data") == 0)
			s->delivered += postfix_clamp(ok);
		else if (strcmp(name, "bdat") == 0)
			bdat = ok;
		else if (strcmp(name, "mail") == 0)
			mail = ok;
		else if (strcmp(name, "xclient") == 0)
			s->xclient = postfix_clamp(all);
		else if (strcmp(name, "starttls") == 0)
			s->starttls = ok > 0;
	}
	/* A message sent with BDAT takes one or more BDAT commands. */
	s->delivered += postfix_clamp(bdat < mail ? bdat : mail);
	return true;
}

static bool postfix_sasl_user(const char *p, char *out, size_t outlen)
{
	const char *user = strstr(p, ", sasl_username=");
	size_t n;

	out[0] = '\0';
	if (user == NULL)
		return true;
	user += strlen(", sasl_username=");
	n = strcspn(user, ",");
	if (n == 0 || n >= outlen)
		return n == 0;
	memcpy(out, user, n);
	out[n] = '\0';
	return true;
}

/* "QID: reject: CMD from NAME[ADDR]: ..." and the like. */
static enum parse_result postfix_queued(const char *p,
    struct replay_event *ev)
{
	bool milter;
	const char *cmd;
	size_t cmdlen;

	if (postfix_prefix(&p, "client=")) {
		if (!postfix_client(&p, ev) ||
		    !postfix_sasl_user(p, ev->auth_user, sizeof(ev->auth_user)))
			return PARSE_BAD;
		ev->kind = REPLAY_MAIL;
		return PARSE_EVENT;
	}
	milter = postfix_prefix(&p, "milter-reject: ");
	if (!milter && !postfix_prefix(&p, "reject: "))
		return PARSE_IGNORED;
	cmd = p;
	cmdlen = strcspn(p, " ");
	p += cmdlen;
	if (!postfix_prefix(&p, " from ") || !postfix_client(&p, ev) ||
	    !postfix_prefix(&p, ": "))
		return PARSE_BAD;
	ev->kind = REPLAY_CLIENT;
	if (milter && cmdlen == 7 && strncmp(cmd, "XCLIENT", 7) == 0) {
		ev->kind = REPLAY_XCLIENT;
	} else if (!milter && cmdlen == 4 && strncmp(cmd, "RCPT", 4) == 0) {
		ev->kind = REPLAY_RCPT_REJECTED;
		engine_reply_status(p, ev->status, sizeof(ev->status));
	}
	return PARSE_EVENT;
}

/* "lost connection after CMD from NAME[ADDR]" and the like. */
static enum parse_result postfix_after(const char *p, struct replay_event *ev)
{
	const char *from = strstr(p, " from ");

	if (from == NULL)
		return PARSE_IGNORED;
	p = from + 6;
	if (!postfix_client(&p, ev))
		return PARSE_BAD;
	ev->kind = REPLAY_CLIENT;
	return PARSE_EVENT;
}

enum parse_result postfix_parse(const struct log_line *line,
    uint64_t session, struct replay_event *ev)
{
	const char *p = line->msg;
	size_t qid;

	ev->now = line->time;
	ev->session = session;
	ev->names_client = true;
	ev->has_addr = false;
	ev->name[0] = '\0';
	ev->status[0] = '\0';
	ev->auth_user[0] = '\0';
	if (postfix_prefix(&p, "connect from ")) {
		ev->kind = REPLAY_CONNECT;
		return postfix_client(&p, ev) && *p == '\0' ? PARSE_EVENT :
		    PARSE_BAD;
	}
	if (postfix_prefix(&p, "disconnect from ")) {
		ev->kind = REPLAY_DISCONNECT;
		if (!postfix_client(&p, ev) || (*p != ' ' && *p != '\0'))
			return PARSE_BAD;
		return postfix_summary(p + strspn(p, " "), &ev->summary) ?
		    PARSE_EVENT : PARSE_BAD;
	}
	if (postfix_prefix(&p, "lost connection after ") ||
	    postfix_prefix(&p, "timeout after ") ||
	    postfix_prefix(&p, "too many errors after "))
		return postfix_after(p, ev);
	qid = strspn(p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
	if (qid == 0 || p[qid] != ':' || p[qid + 1] != ' ')
		return PARSE_IGNORED;
	return postfix_queued(p + qid + 2, ev);
}
