/*
 * store_redis.c - per-host state in Redis, shared by every node of a mail
 * array.  Exports store_redis_ops ("redis").
 *
 * Layout: one hash per host, "<key_prefix>{<host key text>}", so all of
 * a host's state shares one hash tag (Redis Cluster) and one TTL.  The
 * fields and the script that keeps them are in store_redis_script.h:
 * record() and block() are one EVALSHA each, which runs the memory
 * store's logic (store_apply_event) inside Redis, atomically, with the
 * node's clock.  When Redis answers NOSCRIPT (its script cache was
 * flushed: restart, failover) the same call is sent again with EVAL.
 * lookup() is one HGETALL, unblock() one DEL; list_blocks() walks the
 * keys with SCAN MATCH (the prefix escaped) and reads each page of hosts
 * with pipelined HGETALLs, calling fn with no connection held.
 *
 * Failures: every call waits at most timeout_ms (pool wait included).
 * After record() fails, Redis is skipped for a back-off (100 ms, doubled
 * by each failed probe up to 2 s) and one event at a time probes it; the
 * change of state is logged once each way.  Meanwhile, with
 * on_error=local, events are decided by an embedded memory store, which
 * has been told of every block Redis reported (and of blocks set here by
 * hand), so known blocks stay enforced until they end; otherwise record()
 * returns -1 and the caller applies on_error.  The other calls always ask
 * Redis and return -1 when it fails.
 *
 * Bounds: key_prefix is at most REDIS_PREFIX_MAX bytes.  error() returns
 * the store's last error, copied to a per-thread buffer.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "escape.h"
#include "log.h"
#include "redis_pool.h"
#include "store.h"
#include "store_redis_script.h"
#include "xalloc.h"

#define REDIS_PREFIX_MAX	200
#define REDIS_KEY_MAX		(REDIS_PREFIX_MAX + ADDR_TEXT_MAX + 3)
#define REDIS_ERROR_MAX		256
#define REDIS_BACKOFF_MIN_MS	100
#define REDIS_BACKOFF_MAX_MS	2000
#define REDIS_SCAN_COUNT	"256"
/* EVALSHA sha 1 key op now counted connect, then five per rule. */
#define REDIS_ARGS_MAX		(8 + 5 * DETECTOR_COUNT)
#define REDIS_SHA_LEN		40

struct redis_store {
	struct store base;
	struct redis_pool *pool;
	struct store *local;		/* on_error=local: decides meanwhile */
	enum redis_on_error on_error;
	unsigned timeout_ms;
	char prefix[REDIS_PREFIX_MAX + 1];
	size_t prefix_len;

	atomic_bool degraded;		/* written under lock */
	atomic_bool sha_known;		/* sha is set and never changes */
	pthread_mutex_t lock;		/* guards what follows */
	bool probing;			/* an event is testing Redis */
	int64_t retry_at;		/* monotonic ns: next probe */
	unsigned backoff_ms;
	char sha[REDIS_SHA_LEN + 1];
	char error[REDIS_ERROR_MAX];
};

/* One command's arguments, numbers formatted into buf. */
struct redis_args {
	const char *argv[REDIS_ARGS_MAX];
	size_t argvlen[REDIS_ARGS_MAX];
	int argc;
	char buf[REDIS_ARGS_MAX * 24];
	size_t used;
};

/* One page of list_blocks(). */
struct redis_blocked {
	struct host_key key;
	struct store_host host;
};

struct redis_page {
	struct redis_blocked *items;
	size_t count;
	char cursor[32];
};

static inline struct redis_store *redis_of(struct store *store)
{
	return (struct redis_store *)store;
}

/* Keep a reason for error(). */
static void redis_set_error(struct redis_store *s, const char *text)
{
	pthread_mutex_lock(&s->lock);
	escape(text, ESCAPE_QUOTED, s->error, sizeof(s->error));
	pthread_mutex_unlock(&s->lock);
}

static void redis_arg(struct redis_args *a, const char *s, size_t len)
{
	a->argv[a->argc] = s;
	a->argvlen[a->argc++] = len;
}

static void redis_arg_int(struct redis_args *a, long long v)
{
	char *p = a->buf + a->used;
	int n = snprintf(p, sizeof(a->buf) - a->used, "%lld", v);

	a->used += (size_t)n + 1;
	redis_arg(a, p, (size_t)n);
}

/* "<prefix>{<host key text>}" into buf (REDIS_KEY_MAX bytes). */
static size_t redis_key(const struct redis_store *s,
    const struct host_key *key, char *buf)
{
	char text[ADDR_TEXT_MAX];

	host_key_format(key, text, sizeof(text));
	return (size_t)snprintf(buf, REDIS_KEY_MAX, "%s{%s}", s->prefix, text);
}

/* The host key a hash name stands for; -1 when it is not one of ours. */
static int redis_key_parse(const struct redis_store *s, const char *name,
    size_t len, struct host_key *out)
{
	char text[ADDR_TEXT_MAX], check[ADDR_TEXT_MAX], *slash;
	struct host_addr addr;
	unsigned long prefix = 128;
	size_t tlen;

	if (len < s->prefix_len + 3 || memcmp(name, s->prefix, s->prefix_len) != 0 ||
	    name[s->prefix_len] != '{' || name[len - 1] != '}')
		return -1;
	if ((tlen = len - s->prefix_len - 2) >= sizeof(text))
		return -1;
	memcpy(text, name + s->prefix_len + 1, tlen);
	text[tlen] = '\0';
	if ((slash = strchr(text, '/')) != NULL) {
		*slash = '\0';
		prefix = strtoul(slash + 1, NULL, 10);
	}
	if (addr_parse(text, &addr) < 0)
		return -1;
	addr_key(&addr, (unsigned)prefix, (unsigned)prefix, out);
	host_key_format(out, check, sizeof(check));
	if (slash != NULL)
		*slash = '/';
	/* Only the canonical spelling of a key is one we wrote. */
	return strcmp(check, text) == 0 ? 0 : -1;
}

/* A reply that is not an error; error replies are freed and reported. */
static redisReply *redis_reply_ok(redisReply *reply, char *err, size_t errlen)
{
	if (reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return reply;
	snprintf(err, errlen, "%s", reply->str);
	freeReplyObject(reply);
	return NULL;
}

static int redis_sha(struct redis_store *s, struct redis_conn *conn,
    int64_t deadline, char *err, size_t errlen)
{
	const char *argv[] = { "SCRIPT", "LOAD", store_redis_script };
	redisReply *reply;
	int rc = -1;

	if (atomic_load_explicit(&s->sha_known, memory_order_acquire))
		return 0;
	reply = redis_reply_ok(redis_conn_command(conn, deadline, 3, argv, NULL,
	    err, errlen), err, errlen);
	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_STRING && reply->len == REDIS_SHA_LEN) {
		/* Written once: readers use it without the lock. */
		pthread_mutex_lock(&s->lock);
		if (!atomic_load_explicit(&s->sha_known, memory_order_relaxed)) {
			memcpy(s->sha, reply->str, REDIS_SHA_LEN);
			atomic_store_explicit(&s->sha_known, true,
			    memory_order_release);
		}
		pthread_mutex_unlock(&s->lock);
		rc = 0;
	} else {
		snprintf(err, errlen, "SCRIPT LOAD: unexpected reply");
	}
	freeReplyObject(reply);
	return rc;
}

static bool redis_noscript(const redisReply *reply)
{
	return reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/* EVALSHA, or EVAL when Redis no longer has the script. */
static redisReply *redis_script_on(struct redis_store *s,
    struct redis_conn *conn, int64_t deadline, struct redis_args *a,
    char *err, size_t errlen)
{
	redisReply *reply;

	if (redis_sha(s, conn, deadline, err, errlen) < 0)
		return NULL;
	a->argv[0] = "EVALSHA";
	a->argvlen[0] = 7;
	a->argv[1] = s->sha;
	a->argvlen[1] = REDIS_SHA_LEN;
	reply = redis_conn_command(conn, deadline, a->argc, a->argv,
	    a->argvlen, err, errlen);
	if (redis_noscript(reply)) {
		freeReplyObject(reply);
		a->argv[0] = "EVAL";
		a->argvlen[0] = 4;
		a->argv[1] = store_redis_script;
		a->argvlen[1] = sizeof(store_redis_script) - 1;
		reply = redis_conn_command(conn, deadline, a->argc, a->argv,
		    a->argvlen, err, errlen);
	}
	return redis_reply_ok(reply, err, errlen);
}

/*
 * Start the arguments of a script call on key.  Slots 0 and 1, the
 * command and the script or its digest, are filled when it is sent.
 */
static void redis_script_args(const struct redis_store *s,
    const struct host_key *key, char *keybuf, struct redis_args *a)
{
	a->argc = 2;
	a->used = 0;
	redis_arg(a, "1", 1);
	redis_arg(a, keybuf, redis_key(s, key, keybuf));
}

static redisReply *redis_script(struct redis_store *s, struct redis_args *a,
    char *err, size_t errlen)
{
	int64_t deadline = redis_deadline(s->timeout_ms);
	struct redis_conn *conn;
	redisReply *reply;

	if (redis_pool_get(s->pool, deadline, &conn, err, errlen) < 0)
		return NULL;
	reply = redis_script_on(s, conn, deadline, a, err, errlen);
	redis_pool_put(s->pool, conn, reply != NULL);
	return reply;
}

/* One command on a pooled connection; error replies fail. */
static redisReply *redis_command(struct redis_store *s, int argc,
    const char **argv, const size_t *argvlen, char *err, size_t errlen)
{
	int64_t deadline = redis_deadline(s->timeout_ms);
	struct redis_conn *conn;
	redisReply *reply;

	if (redis_pool_get(s->pool, deadline, &conn, err, errlen) < 0)
		return NULL;
	reply = redis_reply_ok(redis_conn_command(conn, deadline, argc, argv,
	    argvlen, err, errlen), err, errlen);
	redis_pool_put(s->pool, conn, reply != NULL);
	return reply;
}

static int redis_result_parse(const redisReply *reply,
    struct store_result *result, char *err, size_t errlen)
{
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4)
		goto bad;
	for (size_t i = 0; i < 4; i++) {
		if (reply->element[i]->type != REDIS_REPLY_INTEGER)
			goto bad;
	}
	if (reply->element[0]->integer < RULE_ALLOWED ||
	    reply->element[0]->integer > RULE_TRIPPED ||
	    reply->element[1]->integer < 0 ||
	    reply->element[1]->integer >= DETECTOR_COUNT)
		goto bad;
	result->outcome = (enum rule_outcome)reply->element[0]->integer;
	result->detector = (enum detector)reply->element[1]->integer;
	result->count = (uint32_t)reply->element[2]->integer;
	result->block_until = reply->element[3]->integer;
	return 0;
bad:
	snprintf(err, errlen, "unexpected reply from the script");
	return -1;
}

static int redis_remote_record(struct redis_store *s,
    const struct store_event *event, struct store_result *result,
    char *err, size_t errlen)
{
	char keybuf[REDIS_KEY_MAX];
	struct redis_args a;
	redisReply *reply;
	int rc;

	redis_script_args(s, &event->key, keybuf, &a);
	redis_arg(&a, "e", 1);
	redis_arg_int(&a, event->now);
	redis_arg_int(&a, event->counted);
	redis_arg_int(&a, event->connect != 0);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		const struct rule *r = &event->rules[d];

		redis_arg_int(&a, r->enabled);
		redis_arg_int(&a, r->sliding);
		redis_arg_int(&a, r->max);
		redis_arg_int(&a, r->period);
		redis_arg_int(&a, r->block);
	}
	if ((reply = redis_script(s, &a, err, errlen)) == NULL)
		return -1;
	memset(result, 0, sizeof(*result));
	rc = redis_result_parse(reply, result, err, errlen);
	freeReplyObject(reply);
	return rc;
}

static const char *redis_on_error_name(enum redis_on_error on_error)
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

/* Whether this event asks Redis; *probe: it tests whether Redis is back. */
static bool redis_health_enter(struct redis_store *s, bool *probe)
{
	int64_t now;
	bool ask;

	*probe = false;
	if (!atomic_load_explicit(&s->degraded, memory_order_acquire))
		return true;
	now = redis_monotonic_ns();
	pthread_mutex_lock(&s->lock);
	if (s->degraded && !s->probing && now >= s->retry_at)
		*probe = s->probing = true;
	ask = !s->degraded || *probe;
	pthread_mutex_unlock(&s->lock);
	return ask;
}

static void redis_health_ok(struct redis_store *s)
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
		log_notice("event=store-recovered store=redis");
}

static void redis_health_failed(struct redis_store *s, bool probe,
    const char *why)
{
	char reason[REDIS_ERROR_MAX];
	bool entered = false;

	pthread_mutex_lock(&s->lock);
	if (!s->degraded) {
		atomic_store_explicit(&s->degraded, true, memory_order_release);
		s->backoff_ms = REDIS_BACKOFF_MIN_MS;
		s->retry_at = redis_monotonic_ns() +
		    (int64_t)s->backoff_ms * 1000000;
		entered = true;
	} else if (probe) {
		s->backoff_ms = s->backoff_ms * 2 > REDIS_BACKOFF_MAX_MS ?
		    REDIS_BACKOFF_MAX_MS : s->backoff_ms * 2;
		s->retry_at = redis_monotonic_ns() +
		    (int64_t)s->backoff_ms * 1000000;
	}
	if (probe)
		s->probing = false;
	escape(why, ESCAPE_QUOTED, s->error, sizeof(s->error));
	pthread_mutex_unlock(&s->lock);
	if (!entered)
		return;
	escape(why, ESCAPE_QUOTED, reason, sizeof(reason));
	log_warning("event=store-degraded store=redis reason=\"%s\" on_error=%s",
	    reason, redis_on_error_name(s->on_error));
}

/* Without Redis: decide locally, or let the caller apply on_error. */
static int redis_fallback(struct redis_store *s, const struct store_event *event,
    struct store_result *result)
{
	if (s->on_error == REDIS_ON_ERROR_LOCAL)
		return store_record(s->local, event, result);
	return -1;
}

static int redis_record(struct store *base, const struct store_event *event,
    struct store_result *result)
{
	struct redis_store *s = redis_of(base);
	char err[REDIS_ERROR_MAX];
	bool probe;

	if (!redis_health_enter(s, &probe))
		return redis_fallback(s, event, result);
	if (redis_remote_record(s, event, result, err, sizeof(err)) < 0) {
		redis_health_failed(s, probe, err);
		return redis_fallback(s, event, result);
	}
	redis_health_ok(s);
	/* Keep what Redis knows of blocks for a later outage. */
	if (s->on_error == REDIS_ON_ERROR_LOCAL && result->outcome != RULE_ALLOWED)
		store_block(s->local, &event->key, result->detector,
		    result->block_until, event->now);
	return 0;
}

static void redis_field_parse(const redisReply *name, const redisReply *value,
    struct store_host *out)
{
	struct rule_state *state;
	enum detector d;
	long long v;

	if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING ||
	    name->len < 3 || name->str[1] != ':' ||
	    detector_from_name(name->str + 2, &d) < 0)
		return;
	state = &out->state[d];
	v = strtoll(value->str, NULL, 10);
	switch (name->str[0]) {
	case 'c':
		state->count = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		break;
	case 'w':
		state->window_start = v;
		break;
	case 'b':
		state->block_until = v;
		break;
	}
}

static int redis_host_parse(const redisReply *reply, struct store_host *out)
{
	memset(out, 0, sizeof(*out));
	if (reply->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t i = 0; i + 1 < reply->elements; i += 2)
		redis_field_parse(reply->element[i], reply->element[i + 1], out);
	return 0;
}

static int redis_lookup(struct store *base, const struct host_key *key,
    struct store_host *out)
{
	struct redis_store *s = redis_of(base);
	char keybuf[REDIS_KEY_MAX], err[REDIS_ERROR_MAX];
	const char *argv[] = { "HGETALL", keybuf };
	size_t argvlen[] = { 7, redis_key(s, key, keybuf) };
	redisReply *reply = redis_command(s, 2, argv, argvlen, err, sizeof(err));
	int rc;

	if (reply == NULL) {
		redis_set_error(s, err);
		return -1;
	}
	if ((rc = redis_host_parse(reply, out)) < 0)
		redis_set_error(s, "HGETALL: unexpected reply");
	freeReplyObject(reply);
	return rc;
}

static int redis_block(struct store *base, const struct host_key *key,
    enum detector detector, int64_t until, int64_t now)
{
	struct redis_store *s = redis_of(base);
	char keybuf[REDIS_KEY_MAX], err[REDIS_ERROR_MAX];
	struct redis_args a;
	redisReply *reply;

	/* Enforced here too should Redis be out of reach later. */
	if (s->on_error == REDIS_ON_ERROR_LOCAL)
		store_block(s->local, key, detector, until, now);
	redis_script_args(s, key, keybuf, &a);
	redis_arg(&a, "b", 1);
	redis_arg_int(&a, now);
	redis_arg_int(&a, detector);
	redis_arg_int(&a, until);
	if ((reply = redis_script(s, &a, err, sizeof(err))) == NULL) {
		redis_set_error(s, err);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}


static int redis_degraded(struct store *base)
{
	return atomic_load_explicit(&redis_of(base)->degraded,
	    memory_order_acquire);
}

/* Run one command; 0, or -1 with the store's error set. */
static int redis_command_done(struct redis_store *s, int argc,
    const char **argv, const size_t *argvlen)
{
	char err[REDIS_ERROR_MAX];
	redisReply *reply = redis_command(s, argc, argv, argvlen, err,
	    sizeof(err));

	if (reply == NULL) {
		redis_set_error(s, err);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}

static int redis_unblock(struct store *base, const struct host_key *key)
{
	struct redis_store *s = redis_of(base);
	char keybuf[REDIS_KEY_MAX];
	const char *argv[] = { "DEL", keybuf };
	size_t argvlen[] = { 3, redis_key(s, key, keybuf) };

	store_unblock(s->local, key);
	return redis_command_done(s, 2, argv, argvlen);
}

/*
 * A note lives in the host's hash beside its state ("n:at", "n:node",
 * "n:why"), so unblock's DEL and the key's TTL take it away too.  NX
 * gives the key a TTL only when it has none (the note came first), so a
 * longer one is never cut.
 */
static int redis_set_note(struct store *base, const struct host_key *key,
    const struct store_note *note, int64_t until, int64_t now)
{
	struct redis_store *s = redis_of(base);
	char keybuf[REDIS_KEY_MAX], at[24], ttl[24];
	size_t keylen = redis_key(s, key, keybuf);
	const char *hset[] = { "HSET", keybuf, "n:at", at, "n:node", note->node,
	    "n:why", note->reason };
	size_t hsetlen[] = { 4, keylen, 4, (size_t)snprintf(at, sizeof(at),
	    "%lld", (long long)note->set_at), 6, strlen(note->node), 5,
	    strlen(note->reason) };
	const char *expire[] = { "EXPIRE", keybuf, ttl, "NX" };
	size_t expirelen[] = { 6, keylen, (size_t)snprintf(ttl, sizeof(ttl),
	    "%lld", (long long)(until > now ? until - now : 1) + 10), 2 };

	if (redis_command_done(s, 8, hset, hsetlen) < 0)
		return -1;
	return redis_command_done(s, 4, expire, expirelen);
}

static void redis_note_field(const redisReply *value, char *buf, size_t len)
{
	if (value->type == REDIS_REPLY_STRING)
		snprintf(buf, len, "%.*s", (int)value->len, value->str);
}

static int redis_get_note(struct store *base, const struct host_key *key,
    struct store_note *out)
{
	struct redis_store *s = redis_of(base);
	char keybuf[REDIS_KEY_MAX], err[REDIS_ERROR_MAX], at[24] = "";
	const char *argv[] = { "HMGET", keybuf, "n:at", "n:node", "n:why" };
	size_t argvlen[] = { 5, redis_key(s, key, keybuf), 4, 6, 5 };
	redisReply *reply = redis_command(s, 5, argv, argvlen, err, sizeof(err));
	int found;

	if (reply == NULL) {
		redis_set_error(s, err);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	found = reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
	    reply->element[0]->type == REDIS_REPLY_STRING;
	if (found) {
		redis_note_field(reply->element[0], at, sizeof(at));
		out->set_at = strtoll(at, NULL, 10);
		redis_note_field(reply->element[1], out->node, sizeof(out->node));
		redis_note_field(reply->element[2], out->reason,
		    sizeof(out->reason));
	}
	freeReplyObject(reply);
	return found;
}

static bool redis_host_blocked(const struct store_host *host, int64_t now)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (rule_blocked(&host->state[d], now))
			return true;
	}
	return false;
}

/* SCAN's pattern for our keys: the prefix with glob characters escaped. */
static size_t redis_pattern(const struct redis_store *s, char *buf)
{
	size_t n = 0;

	for (size_t i = 0; i < s->prefix_len; i++) {
		if (strchr("*?[]\\", s->prefix[i]) != NULL)
			buf[n++] = '\\';
		buf[n++] = s->prefix[i];
	}
	memcpy(buf + n, "{*", 3);
	return n + 2;
}

/* HGETALL every key of a SCAN page, pipelined; keep the blocked hosts. */
static int redis_page_read(struct redis_store *s, struct redis_conn *conn,
    int64_t deadline, const redisReply *keys, int64_t now,
    struct redis_page *page, char *err, size_t errlen)
{
	page->items = xcalloc(keys->elements + 1, sizeof(*page->items));
	for (size_t i = 0; i < keys->elements; i++) {
		const char *argv[] = { "HGETALL", keys->element[i]->str };
		size_t argvlen[] = { 7, keys->element[i]->len };

		if (redis_conn_append(conn, 2, argv, argvlen, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		struct redis_blocked *b = &page->items[page->count];
		redisReply *reply = redis_reply_ok(redis_conn_reply(conn,
		    deadline, err, errlen), err, errlen);

		if (reply == NULL)
			return -1;
		if (redis_key_parse(s, k->str, k->len, &b->key) == 0 &&
		    redis_host_parse(reply, &b->host) == 0 &&
		    redis_host_blocked(&b->host, now))
			page->count++;
		freeReplyObject(reply);
	}
	return 0;
}

static int redis_scan_reply_ok(const redisReply *reply)
{
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[0]->len >= sizeof(((struct redis_page *)0)->cursor) ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t i = 0; i < reply->element[1]->elements; i++) {
		if (reply->element[1]->element[i]->type != REDIS_REPLY_STRING)
			return -1;
	}
	return 0;
}

static int redis_scan_page(struct redis_store *s, int64_t now,
    struct redis_page *page, char *err, size_t errlen)
{
	char pattern[REDIS_PREFIX_MAX * 2 + 3];
	const char *argv[] = { "SCAN", page->cursor, "MATCH", pattern, "COUNT",
	    REDIS_SCAN_COUNT };
	size_t argvlen[] = { 4, strlen(page->cursor), 5, redis_pattern(s, pattern),
	    5, strlen(REDIS_SCAN_COUNT) };
	int64_t deadline = redis_deadline(s->timeout_ms);
	struct redis_conn *conn;
	redisReply *reply;
	int rc = -1;

	if (redis_pool_get(s->pool, deadline, &conn, err, errlen) < 0)
		return -1;
	reply = redis_reply_ok(redis_conn_command(conn, deadline, 6, argv,
	    argvlen, err, errlen), err, errlen);
	if (reply != NULL && redis_scan_reply_ok(reply) < 0)
		snprintf(err, errlen, "SCAN: unexpected reply");
	else if (reply != NULL)
		rc = redis_page_read(s, conn, deadline, reply->element[1], now,
		    page, err, errlen);
	if (rc == 0)
		memcpy(page->cursor, reply->element[0]->str,
		    reply->element[0]->len + 1);
	freeReplyObject(reply);
	redis_pool_put(s->pool, conn, rc == 0);
	return rc;
}

static int redis_list_blocks(struct store *base, int64_t now,
    store_block_fn fn, void *arg)
{
	struct redis_store *s = redis_of(base);
	struct redis_page page = { .cursor = "0" };
	char err[REDIS_ERROR_MAX];
	int stop = 0;

	do {
		page.count = 0;
		if (redis_scan_page(s, now, &page, err, sizeof(err)) < 0) {
			free(page.items);
			redis_set_error(s, err);
			return -1;
		}
		for (size_t i = 0; i < page.count && !stop; i++)
			stop = fn(&page.items[i].key, &page.items[i].host, arg);
		free(page.items);
		page.items = NULL;
	} while (!stop && strcmp(page.cursor, "0") != 0);
	return 0;
}

static const char *redis_error(struct store *base)
{
	static __thread char copy[REDIS_ERROR_MAX];
	struct redis_store *s = redis_of(base);

	pthread_mutex_lock(&s->lock);
	memcpy(copy, s->error, sizeof(copy));
	pthread_mutex_unlock(&s->lock);
	return copy;
}

/* A first PING, so a bad address or password is logged at start. */
static void redis_greet(struct redis_store *s)
{
	const char *argv[] = { "PING" };
	char err[REDIS_ERROR_MAX];
	redisReply *reply = redis_command(s, 1, argv, NULL, err, sizeof(err));

	if (reply == NULL)
		redis_health_failed(s, false, err);
	freeReplyObject(reply);
}

static struct store *redis_open(const struct config *cfg, char *err,
    size_t errlen)
{
	const struct redis_config *rc = &cfg->redis;
	struct redis_store *s;
	struct redis_pool *pool;
	struct store *local;

	if (rc->key_prefix == NULL || strlen(rc->key_prefix) > REDIS_PREFIX_MAX) {
		snprintf(err, errlen, "redis key_prefix must be at most %d bytes",
		    REDIS_PREFIX_MAX);
		return NULL;
	}
	if ((pool = redis_pool_open(rc, err, errlen)) == NULL)
		return NULL;
	if ((local = store_memory_ops.open(cfg, err, errlen)) == NULL) {
		redis_pool_close(pool);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->base.ops = &store_redis_ops;
	s->pool = pool;
	s->local = local;
	s->on_error = rc->on_error;
	s->timeout_ms = rc->timeout_ms;
	s->prefix_len = strlen(rc->key_prefix);
	memcpy(s->prefix, rc->key_prefix, s->prefix_len + 1);
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->error, sizeof(s->error), "no error");
	redis_greet(s);
	return &s->base;
}

static void redis_close(struct store *base)
{
	struct redis_store *s = redis_of(base);

	redis_pool_close(s->pool);
	store_close(s->local);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const struct store_ops store_redis_ops = {
	.name = "redis",
	.open = redis_open,
	.record = redis_record,
	.lookup = redis_lookup,
	.block = redis_block,
	.unblock = redis_unblock,
	.list_blocks = redis_list_blocks,
	.error = redis_error,
	.close = redis_close,
	.degraded = redis_degraded,
	.set_note = redis_set_note,
	.get_note = redis_get_note,
};
