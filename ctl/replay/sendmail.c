/*
 * sendmail.c - Sendmail's lines (program "sendmail" or Debian's
 * "sm-mta") to replay_events.  See replay.h.
 *
 * Sendmail forks one process per connection but logs no connect line,
 * and names the client only on some lines, often after the recipients
 * (the from= line comes at the end of a transaction).  So a session (log
 * host and pid) keeps its events until a line names its client; then its
 * CONNECT is replayed at the time of its first line, and what it kept
 * after it.  Lines read, "QID: " first:
 *   [ADDR] did not issue MAIL/EXPN/VRFY/ETRN ...   client, end
 *   lost input channel from NAME [ADDR] to ...     client, end
 *   Milter: connect: host=NAME, addr=ADDR, ...     client
 *   from=<..>, size=S, ..., nrcpts=N, ..., relay=NAME [ADDR]
 *                                                  client; a message
 *                                                  delivered when S, N > 0
 *   ruleset=check_rcpt, arg1=<R>, relay=NAME [ADDR], reject=550 5.7.1 ...
 *                                                  client, RCPT_REJECTED
 *   <R>... User unknown                            RCPT_REJECTED 5.1.1
 *   Milter: to=<R>, reject=...                     RCPT (accepted by the
 *                                                  MTA, refused by a milter)
 * A session ends at its end line, or once idle SENDMAIL_IDLE seconds
 * (sendmail_expire()), when its DISCONNECT is replayed.  Sendmail does
 * not log HELO or unknown commands: the attack rule cannot be replayed.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "xalloc.h"

#define SENDMAIL_BUCKETS 4096
#define SENDMAIL_PENDING_MAX 1000	/* events kept before the client is known */

struct sm_session {
	uint64_t id;
	struct sm_session *next;
	bool known;			/* its CONNECT was replayed */
	int64_t first;
	int64_t last;
	struct replay_event *pending;
	size_t npending;
	size_t size;
	unsigned rcpt_ok;
	unsigned delivered;
};

struct sendmail {
	struct sm_session *buckets[SENDMAIL_BUCKETS];
};

/* What one line says. */
struct sm_line {
	bool has_client;
	bool client_addr;		/* the client has an IP address */
	struct host_addr addr;
	bool end;
	bool event;			/* ev below is an event of the session */
	struct replay_event ev;
	unsigned rcpt_ok;
	unsigned delivered;
};

bool sendmail_is_mta(const char *prog)
{
	return strcmp(prog, "sendmail") == 0 || strcmp(prog, "sm-mta") == 0;
}

struct sendmail *sendmail_new(void)
{
	return xcalloc(1, sizeof(struct sendmail));
}

static void sendmail_drop(struct sm_session *s)
{
	free(s->pending);
	free(s);
}

void sendmail_free(struct sendmail *sm)
{
	if (sm == NULL)
		return;
	for (size_t i = 0; i < SENDMAIL_BUCKETS; i++) {
		while (sm->buckets[i] != NULL) {
			struct sm_session *s = sm->buckets[i];

			sm->buckets[i] = s->next;
			sendmail_drop(s);
		}
	}
	free(sm);
}

/* "[ADDR]" at or after p (before the end of its field): the client. */
static bool sendmail_client(const char *p, struct sm_line *l)
{
	const char *open = strchr(p, '['), *close;
	char text[ADDR_TEXT_MAX];
	size_t len;

	if (open == NULL || (close = strchr(open, ']')) == NULL)
		return false;
	/* With its brackets: addr_parse() takes "[IPv6:2001:db8::1]". */
	len = (size_t)(close - open + 1);
	if (len == 2 || len >= sizeof(text))
		return false;
	memcpy(text, open, len);
	text[len] = '\0';
	l->client_addr = addr_parse(text, &l->addr) == 0;
	l->has_client = true;
	return true;
}

/* The value of ", name=" in a from= line, as a number. */
static unsigned long sendmail_field(const char *p, const char *name)
{
	const char *f = strstr(p, name);

	return f != NULL ? strtoul(f + strlen(name), NULL, 10) : 0;
}

static enum parse_result sendmail_rcpt(const char *p, struct sm_line *l)
{
	const char *relay = strstr(p, ", relay="), *reject = strstr(p, ", reject=");

	if (relay == NULL || reject == NULL || !sendmail_client(relay, l))
		return PARSE_BAD;
	l->event = true;
	l->ev.kind = REPLAY_RCPT_REJECTED;
	engine_reply_status(reject + 9, l->ev.status, sizeof(l->ev.status));
	return PARSE_EVENT;
}

static enum parse_result sendmail_milter_to(const char *p, struct sm_line *l)
{
	size_t n = strcspn(p, ",");

	if (p[n] != ',' || n >= sizeof(l->ev.rcpt))
		return PARSE_BAD;
	memcpy(l->ev.rcpt, p, n);
	l->ev.rcpt[n] = '\0';
	l->event = true;
	l->ev.kind = REPLAY_RCPT;
	return PARSE_EVENT;
}

static enum parse_result sendmail_from(const char *p, struct sm_line *l)
{
	const char *relay = strstr(p, ", relay=");
	unsigned long size = sendmail_field(p, ", size=");
	unsigned long nrcpts = sendmail_field(p, ", nrcpts=");

	if (relay == NULL)
		return PARSE_IGNORED;
	sendmail_client(relay, l);
	l->rcpt_ok = nrcpts > 100000 ? 100000 : (unsigned)nrcpts;
	l->delivered = size > 0 && nrcpts > 0;
	return PARSE_EVENT;
}

static enum parse_result sendmail_milter_connect(const char *p,
    struct sm_line *l)
{
	const char *addr = strstr(p, ", addr=");
	char text[ADDR_TEXT_MAX];
	size_t n;

	if (addr == NULL)
		return PARSE_BAD;
	addr += 7;
	n = strcspn(addr, ",");
	if (n == 0 || n >= sizeof(text))
		return PARSE_BAD;
	memcpy(text, addr, n);
	text[n] = '\0';
	l->has_client = true;
	l->client_addr = addr_parse(text, &l->addr) == 0;
	return PARSE_EVENT;
}

static enum parse_result sendmail_read(const char *p, struct sm_line *l)
{
	const char *q;

	if (strncmp(p, "Milter: connect: ", 17) == 0)
		return sendmail_milter_connect(p, l);
	if (strncmp(p, "Milter: to=", 11) == 0)
		return sendmail_milter_to(p + 11, l);
	if (strncmp(p, "from=", 5) == 0)
		return sendmail_from(p, l);
	if (strncmp(p, "ruleset=check_rcpt, ", 20) == 0)
		return sendmail_rcpt(p, l);
	if (strncmp(p, "lost input channel from ", 24) == 0 ||
	    strstr(p, " did not issue MAIL/EXPN/VRFY/ETRN") != NULL) {
		l->end = true;
		return sendmail_client(p, l) ? PARSE_EVENT : PARSE_BAD;
	}
	q = strstr(p, ">... User unknown");
	if (p[0] == '<' && q != NULL && q[17] == '\0') {
		l->event = true;
		l->ev.kind = REPLAY_RCPT_REJECTED;
		memcpy(l->ev.status, "5.1.1", 6);
		return PARSE_EVENT;
	}
	return PARSE_IGNORED;
}

/* Sessions. */

static struct sm_session **sendmail_slot(struct sendmail *sm, uint64_t id)
{
	struct sm_session **p = &sm->buckets[(id ^ (id >> 32)) %
	    SENDMAIL_BUCKETS];

	while (*p != NULL && (*p)->id != id)
		p = &(*p)->next;
	return p;
}

static void sendmail_keep(struct sm_session *s, const struct replay_event *ev)
{
	if (s->npending == SENDMAIL_PENDING_MAX)
		return;
	if (s->npending == s->size) {
		s->size = s->size ? s->size * 2 : 8;
		s->pending = xrealloc(s->pending, s->size, sizeof(*s->pending));
	}
	s->pending[s->npending++] = *ev;
}

/* The client is known: replay the CONNECT, then what was kept. */
static void sendmail_connect(struct sm_session *s, const struct sm_line *l,
    replay_emit_fn emit, void *arg)
{
	struct replay_event ev = { .kind = REPLAY_CONNECT, .now = s->first,
	    .session = s->id, .has_addr = l->client_addr, .addr = l->addr };

	s->known = true;
	emit(&ev, arg);
	for (size_t i = 0; i < s->npending; i++)
		emit(&s->pending[i], arg);
	free(s->pending);
	s->pending = NULL;
	s->npending = s->size = 0;
}

/* Replay the end of a session and forget it. */
static void sendmail_end(struct sendmail *sm, struct sm_session *s,
    int64_t now, replay_emit_fn emit, void *arg)
{
	struct replay_event ev = { .kind = REPLAY_DISCONNECT, .now = now,
	    .session = s->id };

	*sendmail_slot(sm, s->id) = s->next;
	if (s->known) {
		ev.summary.rcpt_ok = s->rcpt_ok;
		ev.summary.delivered = s->delivered;
		emit(&ev, arg);
	}
	sendmail_drop(s);
}

static struct sm_session *sendmail_session(struct sendmail *sm, uint64_t id,
    int64_t now)
{
	struct sm_session **p = sendmail_slot(sm, id), *s = *p;

	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->id = id;
		s->first = now;
		*p = s;
	}
	s->last = now;
	return s;
}

enum parse_result sendmail_line(struct sendmail *sm,
    const struct log_line *line, uint64_t session, replay_emit_fn emit,
    void *arg)
{
	const char *p = line->msg;
	size_t qid = strspn(p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz");
	struct sm_line l = { .has_client = false };
	struct sm_session *s;
	enum parse_result rc;

	if (qid == 0 || p[qid] != ':' || p[qid + 1] != ' ')
		return PARSE_IGNORED;
	l.ev.now = line->time;
	l.ev.session = session;
	if ((rc = sendmail_read(p + qid + 2, &l)) != PARSE_EVENT)
		return rc;
	s = sendmail_session(sm, session, line->time);
	if (l.has_client && !s->known)
		sendmail_connect(s, &l, emit, arg);
	if (l.event) {
		if (s->known)
			emit(&l.ev, arg);
		else
			sendmail_keep(s, &l.ev);
	}
	s->rcpt_ok += l.rcpt_ok;
	s->delivered += l.delivered;
	if (l.end)
		sendmail_end(sm, s, line->time, emit, arg);
	return PARSE_EVENT;
}

void sendmail_expire(struct sendmail *sm, int64_t now, replay_emit_fn emit,
    void *arg)
{
	for (size_t i = 0; i < SENDMAIL_BUCKETS; i++) {
		struct sm_session *s = sm->buckets[i], *next;

		for (; s != NULL; s = next) {
			next = s->next;
			if (now == INT64_MAX || s->last < now - SENDMAIL_IDLE)
				sendmail_end(sm, s, s->last, emit, arg);
		}
	}
}
