/*
 * engine.c - replay_events through the detection library.  See replay.h.
 *
 * One engine is one configuration: a policy (policy.h) over a private
 * memory store, driven with the log's clock.  Each SMTP session of the
 * log (log host and smtpd process) is one policy session, the way the
 * milter would have seen it:
 *   CONNECT         policy_connect_named() for the client's address and
 *                   the name the MTA verified (Postfix's NAME[ADDR]), for
 *                   exclude_verified_domains;
 *   a line naming another address, or a milter refusing XCLIENT, or a
 *   summary with XCLIENT: the MTA sent the milter a new CONNECT, so the
 *                   session starts again for the new address (then its
 *                   first HELO was the proxy's and is not counted again);
 *   RCPT_REJECTED   policy_rcpt() with the status the MTA gave;
 *   RCPT            policy_rcpt() of a recipient the MTA accepted (checked
 *                   against dha.recipients_file);
 *   MAIL            policy_mail() with the SASL user;
 *   DISCONNECT      the HELO/EHLO and unknown commands of the summary,
 *                   then policy_close().  The log does not say when
 *                   within the session they came: they count at its end.
 * Events of a session whose connect is not in the log are not replayed.
 *
 * A session is "refused" once a verdict refuses it: the connection would
 * have been dropped, so the recipients the MTA accepted in it and the
 * mail it delivered count as refused.  The blocks come from the policy's
 * observer: the event that trips a rule starts one; a refused event
 * extends it when the rule slides.  A network rule's block is the
 * network's: reported under its prefix.
 */
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "replay.h"
#include "store.h"
#include "xalloc.h"

#define ENGINE_BUCKETS 4096

struct rsession {
	uint64_t id;
	struct rsession *next;		/* in its bucket */
	struct policy_session *ps;
	bool has_addr;
	struct host_addr addr;
	struct host_stats *host;	/* NULL without an address */
	bool switched;			/* started again after XCLIENT */
	bool refused;
};

struct engine {
	struct config *cfg;
	struct store *store;
	struct policy *policy;
	struct host_table *hosts;
	struct replay_block *blocks;
	size_t nblocks;
	size_t blocks_size;
	struct rsession *buckets[ENGINE_BUCKETS];
	struct replay_chart *charts;
	size_t ncharts;
	struct replay_totals totals;
};

static struct host_stats *engine_host(struct engine *e,
    const struct host_key *key)
{
	return hosts_get(e->hosts, key);
}

static void engine_block_started(struct engine *e,
    const struct store_event *event, const struct store_result *result)
{
	const struct host_key *key = store_result_key(event, result);
	struct host_stats *h = engine_host(e, key);
	struct replay_block *b;

	if (e->nblocks == e->blocks_size) {
		e->blocks_size = e->blocks_size ? e->blocks_size * 2 : 64;
		e->blocks = xrealloc(e->blocks, e->blocks_size, sizeof(*e->blocks));
	}
	b = &e->blocks[e->nblocks];
	*b = (struct replay_block){ *key, result->detector, event->now,
	    result->block_until, result->count, event->connect ? 1 : 0 };
	h->current[result->detector] = (int32_t)e->nblocks++;
	h->blocks++;
}

static void engine_observe(const struct store_event *event,
    const struct store_result *result, void *arg)
{
	struct engine *e = arg;
	struct host_stats *h;
	struct replay_block *b;

	if (result->outcome == RULE_TRIPPED) {
		engine_block_started(e, event, result);
		return;
	}
	if (result->outcome != RULE_REFUSED ||
	    (h = hosts_find(e->hosts, store_result_key(event, result))) == NULL ||
	    h->current[result->detector] < 0)
		return;
	b = &e->blocks[h->current[result->detector]];
	if (result->block_until > b->end)
		b->end = result->block_until;
	if (event->connect)
		b->refused++;
}

void engine_reply_status(const char *reply, char *out, size_t outlen)
{
	const char *p = reply;
	size_t n;

	out[0] = '\0';
	if (strspn(p, "0123456789") != 3 || p[3] != ' ')
		return;
	p += 4;
	n = strspn(p, "0123456789.");
	if (n >= 5 && n < outlen && (p[n] == ' ' || p[n] == '\0') &&
	    (p[0] == '2' || p[0] == '4' || p[0] == '5') && p[1] == '.') {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

struct engine *engine_new(struct config *cfg, char *err, size_t errlen)
{
	struct engine *e;
	struct store *store = store_open(cfg, err, errlen);

	if (store == NULL) {
		config_unref(cfg);
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->cfg = config_ref(cfg);
	e->store = store;
	e->policy = policy_new(cfg, store);
	policy_set_observer(e->policy, engine_observe, e);
	e->hosts = hosts_new();
	return e;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	engine_finish(e);
	policy_free(e->policy);
	store_close(e->store);
	config_unref(e->cfg);
	hosts_free(e->hosts);
	free(e->blocks);
	free(e);
}

const struct config *engine_config(const struct engine *e)
{
	return e->cfg;
}

const struct replay_block *engine_blocks(const struct engine *e, size_t *n)
{
	*n = e->nblocks;
	return e->blocks;
}

struct host_table *engine_hosts(struct engine *e)
{
	return e->hosts;
}

const struct replay_totals *engine_totals(const struct engine *e)
{
	return &e->totals;
}

void engine_watch(struct engine *e, struct replay_chart *charts, size_t n)
{
	e->charts = charts;
	e->ncharts = n;
	for (size_t i = 0; i < n; i++)
		engine_host(e, &charts[i].key)->watch = (int32_t)i;
}

static void engine_chart(struct engine *e, const struct host_stats *h,
    int64_t now, bool connection)
{
	struct replay_chart *c;
	int64_t i;

	if (h->watch < 0)
		return;
	c = &e->charts[h->watch];
	i = (now - c->from) / c->width;
	if (now < c->from || i >= REPLAY_CHART_BUCKETS)
		return;
	if (connection)
		c->connections[i]++;
	else
		c->invalid[i]++;
}

/* Sessions, hashed by id. */

static struct rsession **engine_slot(struct engine *e, uint64_t id)
{
	struct rsession **p = &e->buckets[(id ^ (id >> 32)) % ENGINE_BUCKETS];

	while (*p != NULL && (*p)->id != id)
		p = &(*p)->next;
	return p;
}

static bool engine_refuses(const struct verdict *v)
{
	return v->kind != VERDICT_CONTINUE;
}

static void engine_connect(struct engine *e, struct rsession *s,
    const struct replay_event *ev)
{
	const struct host_addr *addr = ev->has_addr ? &ev->addr : NULL;
	struct host_key key;
	struct verdict v;

	s->ps = policy_connect_named(e->policy, addr,
	    ev->name[0] != '\0' ? ev->name : NULL, ev->now, &v);
	s->has_addr = ev->has_addr;
	s->addr = ev->addr;
	s->host = NULL;
	e->totals.connections++;
	if (addr != NULL) {
		addr_key(addr, e->cfg->ipv4_prefix, e->cfg->ipv6_prefix, &key);
		s->host = engine_host(e, &key);
		s->host->connections++;
		if (s->host->first_seen == 0)
			s->host->first_seen = ev->now;
		s->host->last_seen = ev->now;
		engine_chart(e, s->host, ev->now, true);
	}
	if (engine_refuses(&v)) {
		s->refused = true;
		e->totals.refused_connections++;
		if (s->host != NULL)
			s->host->refused_connections++;
	}
}

static void engine_close(struct engine *e, uint64_t id)
{
	struct rsession **p = engine_slot(e, id), *s = *p;

	if (s == NULL)
		return;
	*p = s->next;
	policy_close(s->ps);
	free(s);
}

/* The MTA sent the milter a new CONNECT (XCLIENT). */
static void engine_switch(struct engine *e, struct rsession *s,
    const struct replay_event *ev)
{
	policy_close(s->ps);
	s->switched = true;
	engine_connect(e, s, ev);
}

static bool engine_other_client(const struct rsession *s,
    const struct replay_event *ev)
{
	if (!ev->names_client)
		return false;
	if (!ev->has_addr)
		return s->has_addr;
	return !s->has_addr || memcmp(&s->addr, &ev->addr, sizeof(ev->addr)) != 0;
}

static void engine_verdict(struct rsession *s, const struct verdict *v)
{
	if (engine_refuses(v))
		s->refused = true;
}

static void engine_rcpt_rejected(struct engine *e, struct rsession *s,
    const struct replay_event *ev)
{
	struct policy_rcpt rcpt = { "", true,
	    ev->status[0] != '\0' ? ev->status : NULL };
	struct verdict v;

	if (s->host != NULL && rcpt.status != NULL &&
	    config_dha_status_counts(e->cfg, rcpt.status)) {
		s->host->invalid_recipients++;
		e->totals.invalid_recipients++;
		engine_chart(e, s->host, ev->now, false);
	}
	policy_rcpt(s->ps, &rcpt, ev->now, &v);
	engine_verdict(s, &v);
}

static void engine_disconnect(struct engine *e, struct rsession *s,
    const struct replay_event *ev)
{
	const struct replay_summary *sum = &ev->summary;
	unsigned helo = sum->helo;
	struct verdict v;

	if (s->switched && helo > 0)
		helo--;
	for (unsigned i = 0; i < helo; i++) {
		policy_helo(s->ps, "", sum->starttls && i + 1 == helo, ev->now, &v);
		engine_verdict(s, &v);
	}
	for (unsigned i = 0; i < sum->unknown; i++) {
		policy_unknown(s->ps, "", ev->now, &v);
		engine_verdict(s, &v);
	}
	e->totals.delivered += sum->delivered;
	if (s->host != NULL)
		s->host->delivered += sum->delivered;
	if (s->refused) {
		e->totals.refused_recipients += sum->rcpt_ok;
		if (s->host != NULL) {
			s->host->refused_recipients += sum->rcpt_ok;
			s->host->mail_refused += sum->delivered;
		}
	}
	engine_close(e, s->id);
}

static void engine_times(struct engine *e, int64_t now)
{
	if (e->totals.first == 0 || now < e->totals.first)
		e->totals.first = now;
	if (now > e->totals.last)
		e->totals.last = now;
}

void engine_event(struct engine *e, const struct replay_event *ev)
{
	struct rsession **p = engine_slot(e, ev->session), *s = *p;
	struct verdict v;

	engine_times(e, ev->now);
	if (ev->kind == REPLAY_CONNECT) {
		if (s != NULL)
			engine_close(e, ev->session);
		s = xcalloc(1, sizeof(*s));
		s->id = ev->session;
		s->next = e->buckets[(s->id ^ (s->id >> 32)) % ENGINE_BUCKETS];
		e->buckets[(s->id ^ (s->id >> 32)) % ENGINE_BUCKETS] = s;
		e->totals.sessions++;
		engine_connect(e, s, ev);
		return;
	}
	if (s == NULL)
		return;
	if (ev->kind == REPLAY_XCLIENT || engine_other_client(s, ev) ||
	    (ev->kind == REPLAY_DISCONNECT && ev->summary.xclient > 0 &&
	    !s->switched))
		engine_switch(e, s, ev);
	switch (ev->kind) {
	case REPLAY_RCPT_REJECTED:
		engine_rcpt_rejected(e, s, ev);
		break;
	case REPLAY_RCPT:
		policy_rcpt(s->ps, &(struct policy_rcpt){ ev->rcpt, false, NULL },
		    ev->now, &v);
		engine_verdict(s, &v);
		break;
	case REPLAY_MAIL:
		policy_mail(s->ps, ev->auth_user[0] != '\0' ? ev->auth_user :
		    NULL, ev->now, &v);
		engine_verdict(s, &v);
		break;
	case REPLAY_DISCONNECT:
		engine_disconnect(e, s, ev);
		break;
	default:
		break;
	}
}

void engine_finish(struct engine *e)
{
	for (size_t i = 0; i < ENGINE_BUCKETS; i++) {
		while (e->buckets[i] != NULL) {
			struct rsession *s = e->buckets[i];

			e->buckets[i] = s->next;
			policy_close(s->ps);
			free(s);
		}
	}
}
