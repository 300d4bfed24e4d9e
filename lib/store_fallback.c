/*
 * store_fallback.c - a shared store with the node's own store behind it.
 * See store_fallback.h for the contract.
 *
 * The handle carries its own copy of the ops table, so the store answers
 * to the primary's name (logs, metrics and status name the backend) and
 * offers notes only when the primary keeps them.
 *
 * Health is one flag read without the lock on the common path (healthy:
 * every event asks the primary), and a small state machine under the
 * lock while degraded: who is probing, when the next probe may go, the
 * back-off.  fallback_failed() is the one place that judges a failure
 * of the primary: a failure of the node degrades, an error about one
 * host's key does not.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "log.h"
#include "store_fallback.h"
#include "store_known.h"
#include "xalloc.h"

#define FALLBACK_BACKOFF_MIN_MS	100
#define FALLBACK_BACKOFF_MAX_MS	2000

struct fallback_store {
	struct store base;
	struct store_ops ops;		/* store_fallback_ops, named as primary */
	struct store *primary;
	struct store *local;
	struct store_known *known;	/* the primary's record, or NULL */
	enum redis_on_error on_error;
	int64_t (*now_ns)(void);

	atomic_bool degraded;		/* written under lock */
	pthread_mutex_t lock;		/* guards what follows */
	bool probing;			/* an event is testing the primary */
	int64_t retry_at;		/* now_ns(): next probe */
	unsigned backoff_ms;
};

static inline struct fallback_store *fallback_of(struct store *store)
{
	return (struct fallback_store *)store;
}

static int64_t fallback_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *fallback_on_error_name(enum redis_on_error on_error)
{
	switch (on_error) {
	case REDIS_ON_ERROR_LOCAL:
		return "local";
	case REDIS_ON_ERROR_ACCEPT:
		return "accept";
	case REDIS_ON_ERROR_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}

/*
 * Whether the local store is told of blocks, to enforce them later: not
 * when the primary keeps a record of the array's blocks, which does.
 */
static bool fallback_remembers(const struct fallback_store *s)
{
	return s->on_error == REDIS_ON_ERROR_LOCAL && s->known == NULL;
}

/*
 * The local decision with the primary's record: every block the node
 * knows refuses at CONNECT (sliding ones slide on), and a block the local
 * store trips while the primary is away joins the record, to be enforced
 * and handed to the primary when it is back.
 */
static void fallback_local(struct fallback_store *s,
    const struct store_event *event, struct store_result *result)
{
	struct store_nets n;

	if (s->known != NULL && event->connect) {
		store_event_nets(event, &n);
		if (store_known_enforce_event(s->known, event, &n, result))
			return;
	}
	/* The memory store never fails. */
	store_record(s->local, event, result);
	/* Only while the primary is away: a key's error is that key's. */
	if (s->known != NULL && result->outcome == RULE_TRIPPED &&
	    atomic_load_explicit(&s->degraded, memory_order_acquire))
		store_known_hold(s->known, store_result_key(event, result),
		    result->detector, result->block_until, event->now,
		    result->count);
}

/* Whether this event asks the primary; *probe: it tests whether it is back. */
static bool fallback_ask(struct fallback_store *s, bool *probe)
{
	int64_t now;
	bool ask;

	*probe = false;
	if (!atomic_load_explicit(&s->degraded, memory_order_acquire))
		return true;
	now = s->now_ns();
	pthread_mutex_lock(&s->lock);
	if (s->degraded && !s->probing && now >= s->retry_at)
		*probe = s->probing = true;
	ask = !s->degraded || *probe;
	pthread_mutex_unlock(&s->lock);
	return ask;
}

static void fallback_ok(struct fallback_store *s)
{
	bool recovered = false;

	if (!atomic_load_explicit(&s->degraded, memory_order_acquire))
		return;
	pthread_mutex_lock(&s->lock);
	if (s->degraded) {
		atomic_store_explicit(&s->degraded, false, memory_order_release);
		s->probing = false;
		recovered = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (recovered)
		log_notice("event=store-recovered store=%s", s->ops.name);
}

/* A probe that did not reach the primary's backend: the next event probes. */
static void fallback_unprobe(struct fallback_store *s, bool probe)
{
	if (!probe)
		return;
	pthread_mutex_lock(&s->lock);
	s->probing = false;
	pthread_mutex_unlock(&s->lock);
}

/*
 * The primary failed an event (or the check at open) with rc.  An error
 * about the event's key is an answer: the primary works.
 */
static void fallback_failed(struct fallback_store *s, bool probe, int rc)
{
	char reason[ESCAPE_OUT_MAX];
	bool entered = false;

	if (rc == STORE_KEY_FAILED) {
		fallback_ok(s);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (!s->degraded) {
		atomic_store_explicit(&s->degraded, true, memory_order_release);
		s->backoff_ms = FALLBACK_BACKOFF_MIN_MS;
		s->retry_at = s->now_ns() + (int64_t)s->backoff_ms * 1000000;
		entered = true;
	} else if (probe) {
		s->backoff_ms = s->backoff_ms * 2 > FALLBACK_BACKOFF_MAX_MS ?
		    FALLBACK_BACKOFF_MAX_MS : s->backoff_ms * 2;
		s->retry_at = s->now_ns() + (int64_t)s->backoff_ms * 1000000;
	}
	if (probe)
		s->probing = false;
	pthread_mutex_unlock(&s->lock);
	if (!entered)
		return;
	log_warning("event=store-degraded store=%s reason=\"%s\" on_error=%s",
	    s->ops.name, escape(store_error(s->primary), ESCAPE_CLIENT,
	    reason, sizeof(reason)), fallback_on_error_name(s->on_error));
}

/*
 * What the node does with an event while the shared store fails: the one
 * answer, per redis.on_error.
 */
static int fallback_decide(struct fallback_store *s,
    const struct store_event *event, struct store_result *result)
{
	memset(result, 0, sizeof(*result));
	result->outcome = RULE_ALLOWED;
	result->detector = event->counted;
	switch (s->on_error) {
	case REDIS_ON_ERROR_LOCAL:
		fallback_local(s, event, result);
		result->decided = STORE_DECIDED_LOCAL;
		break;
	case REDIS_ON_ERROR_ACCEPT:
		result->decided = STORE_DECIDED_ACCEPT;
		break;
	case REDIS_ON_ERROR_TEMPFAIL:
		result->decided = STORE_DECIDED_TEMPFAIL;
		break;
	}
	return 0;
}

static int fallback_record(struct store *base, const struct store_event *event,
    struct store_result *result)
{
	struct fallback_store *s = fallback_of(base);
	bool probe;
	int rc;

	if (!fallback_ask(s, &probe))
		return fallback_decide(s, event, result);
	if ((rc = store_record(s->primary, event, result)) < 0) {
		fallback_failed(s, probe, rc);
		return fallback_decide(s, event, result);
	}
	/* Refused from the primary's record: its backend was not asked. */
	if (result->known)
		fallback_unprobe(s, probe);
	else
		fallback_ok(s);
	result->decided = STORE_DECIDED_STORE;
	/* Keep what the primary knows of blocks for a later outage. */
	if (fallback_remembers(s) && result->outcome != RULE_ALLOWED)
		store_block(s->local, &event->key, result->detector,
		    result->block_until, event->now);
	return 0;
}

static int fallback_lookup(struct store *base, const struct host_key *key,
    struct store_host *out)
{
	return store_lookup(fallback_of(base)->primary, key, out);
}

static int fallback_block(struct store *base, const struct host_key *key,
    enum detector detector, int64_t until, int64_t now)
{
	struct fallback_store *s = fallback_of(base);

	/* Enforced here too should the primary be out of reach later. */
	if (fallback_remembers(s))
		store_block(s->local, key, detector, until, now);
	return store_block(s->primary, key, detector, until, now);
}

static int fallback_unblock(struct store *base, const struct host_key *key)
{
	struct fallback_store *s = fallback_of(base);

	store_unblock(s->local, key);
	return store_unblock(s->primary, key);
}

static int fallback_list_blocks(struct store *base, int64_t now,
    store_block_fn fn, void *arg)
{
	return store_list_blocks(fallback_of(base)->primary, now, fn, arg);
}

static const char *fallback_error(struct store *base)
{
	return store_error(fallback_of(base)->primary);
}

static int fallback_degraded(struct store *base)
{
	return atomic_load_explicit(&fallback_of(base)->degraded,
	    memory_order_acquire);
}

static int fallback_set_note(struct store *base, const struct host_key *key,
    const struct store_note *note, int64_t until, int64_t now)
{
	return store_set_note(fallback_of(base)->primary, key, note, until, now);
}

static int fallback_get_note(struct store *base, const struct host_key *key,
    struct store_note *out)
{
	return store_get_note(fallback_of(base)->primary, key, out);
}

static struct store_known *fallback_known(struct store *base)
{
	return fallback_of(base)->known;
}

/* A release while degraded would wait on the primary: the lease ends it. */
static int fallback_session_release(struct store *base,
    const struct host_key *key, unsigned lease)
{
	struct fallback_store *s = fallback_of(base);

	if (atomic_load_explicit(&s->degraded, memory_order_acquire))
		return -1;
	return store_session_release(s->primary, key, lease);
}

static void fallback_set_sessions_source(struct store *base,
    store_sessions_fn fn, void *arg)
{
	store_set_sessions_source(fallback_of(base)->primary, fn, arg);
}

static int fallback_list_nodes(struct store *base, store_node_fn fn,
    void *arg)
{
	return store_list_nodes(fallback_of(base)->primary, fn, arg);
}

static int fallback_get_node(struct store *base, const struct host_key *key,
    enum detector detector, char *node, size_t len)
{
	return store_get_node(fallback_of(base)->primary, key, detector, node,
	    len);
}

/* The local store's upkeep (the primary keeps its own). */
static void fallback_tick(struct store *base, int64_t now)
{
	struct fallback_store *s = fallback_of(base);

	store_tick(s->primary, now);
	store_tick(s->local, now);
}

static void fallback_close(struct store *base)
{
	struct fallback_store *s = fallback_of(base);

	store_close(s->primary);
	store_close(s->local);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct store_ops store_fallback_ops = {
	.name = "fallback",
	.record = fallback_record,
	.lookup = fallback_lookup,
	.block = fallback_block,
	.unblock = fallback_unblock,
	.list_blocks = fallback_list_blocks,
	.error = fallback_error,
	.close = fallback_close,
	.degraded = fallback_degraded,
	.set_note = fallback_set_note,
	.get_note = fallback_get_note,
	.known = fallback_known,
	.session_release = fallback_session_release,
	.set_sessions_source = fallback_set_sessions_source,
	.list_nodes = fallback_list_nodes,
	.get_node = fallback_get_node,
	.tick = fallback_tick,
};

/* The check at open: a primary out of reach is logged now, not at the first event. */
static void fallback_check(struct fallback_store *s)
{
	struct host_key probe = { .family = 4 };
	struct store_host host;

	if (store_lookup(s->primary, &probe, &host) < 0)
		fallback_failed(s, false, -1);
}

struct store *store_fallback_new(struct store *primary, struct store *local,
    enum redis_on_error on_error)
{
	struct fallback_store *s = xcalloc(1, sizeof(*s));

	s->ops = store_fallback_ops;
	s->ops.name = primary->ops->name;
	if (primary->ops->set_note == NULL || primary->ops->get_note == NULL) {
		s->ops.set_note = NULL;
		s->ops.get_note = NULL;
	}
	if (primary->ops->session_release == NULL) {
		s->ops.session_release = NULL;
		s->ops.set_sessions_source = NULL;
		s->ops.list_nodes = NULL;
	}
	if (primary->ops->get_node == NULL)
		s->ops.get_node = NULL;
	s->base.ops = &s->ops;
	s->primary = primary;
	s->local = local;
	s->on_error = on_error;
	s->known = store_known(primary);
	s->now_ns = fallback_monotonic_ns;
	pthread_mutex_init(&s->lock, NULL);
	fallback_check(s);
	return &s->base;
}

void store_fallback_set_clock(struct store *fallback, int64_t (*now_ns)(void))
{
	fallback_of(fallback)->now_ns = now_ns;
}
