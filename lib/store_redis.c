/*
 * store_redis.c - per-host state in Redis, shared by every node of a mail
 * array.  Exports store_redis_ops ("redis"), a plain backend: store_open()
 * puts store_fallback.c in front of it, which decides what the node does
 * while Redis fails.
 *
 * Layout: one hash per host, "<key_prefix>{<tag>}<host key text>", the
 * tag the host's /16 (IPv4) or /32 (IPv6) (redis_key()), and one per
 * network of a network rule, keyed the same way: a host's state has one
 * TTL, and a host and its networks share one hash tag (Redis Cluster).
 * The fields and the script that keeps them are in store_redis.lua:
 * record() and block() are one script call each, which runs the rules
 * (store_apply_event, over the host and its networks) inside Redis,
 * atomically, on Redis's clock: the times of events and blocks are
 * Redis's, the node's own only with the test setting redis.node_clock.
 * block() passes the block's length (until - now), so a node's clock off
 * by some seconds moves nothing.
 * lookup() is one HGETALL; list_blocks() is in store_redis_list.c, the
 * commands in store_redis_cmd.c.
 *
 * The node's record of blocks (store_known.h) is kept here, with its
 * listener (redis_notify.h, started by the first call in each process)
 * and the index of blocks (store_redis_sync.c): record() refuses at
 * CONNECT, without a round trip, a host the record knows is blocked, or
 * whose network is, by a non-sliding block (a network's block is
 * recorded, indexed and published under the network's key); a block that
 * starts (a tripped event, block()) goes into the record and, in one more
 * round trip, into the index and to the channel; unblock() is one
 * pipelined DEL, ZREM and PUBLISH.  A refusal Redis decided updates the
 * record, so a block tripped elsewhere before the node listened is
 * refused locally from its next connection on.  The record judges a
 * block's end (Redis's time) by the event's time: a node whose clock is
 * off refuses from it for that much less or longer.
 *
 * With redis.cluster, each call goes to the primary serving its host's
 * slot (redis_cluster.h, which also writes down how a block index per
 * slot group would spare list_blocks() its SCAN); list_blocks() scans
 * each primary in turn.
 *
 * With a concurrency limit, CONNECT also counts the host's live sessions
 * across the array in one more hash of the same slot, in the same
 * script call (store_redis_conc.c).
 *
 * A note lives in the host's hash beside its state ("n:at", "n:node",
 * "n:why"), so unblock's DEL and the key's TTL take it away too.
 *
 * Failures: every call waits at most timeout_ms and returns -1 when Redis
 * failed or answered an error; error() then says why (the store's last
 * error, copied to a per-thread buffer).  record() tells the two apart:
 * STORE_KEY_FAILED when Redis answered an error about the host's key (a
 * key of the wrong type) or an answer the store cannot read, -1 when the
 * node failed.  open() connects nothing.
 *
 * Bounds: key_prefix is at most REDIS_PREFIX_MAX bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "store_redis_impl.h"
#include "xalloc.h"

static int redis_result_parse(const redisReply *reply,
    const struct store_nets *n, struct store_result *result, char *err,
    size_t errlen)
{
	long long net;

	if (reply->type != REDIS_REPLY_ARRAY ||
	    (reply->elements != 6 && reply->elements != 8))
		goto bad;
	for (size_t i = 0; i < reply->elements; i++) {
		if (reply->element[i]->type != REDIS_REPLY_INTEGER)
			goto bad;
	}
	if (reply->element[0]->integer < RULE_ALLOWED ||
	    reply->element[0]->integer > RULE_TRIPPED ||
	    reply->element[1]->integer < 0 ||
	    reply->element[1]->integer >= DETECTOR_COUNT ||
	    (net = reply->element[5]->integer) < 0 || net > n->count)
		goto bad;
	result->outcome = (enum rule_outcome)reply->element[0]->integer;
	result->detector = (enum detector)reply->element[1]->integer;
	result->count = (uint32_t)reply->element[2]->integer;
	result->block_until = reply->element[3]->integer;
	result->level = reply->element[4]->integer < 0 ? 0 :
	    (uint32_t)reply->element[4]->integer;
	if (net > 0) {
		result->network = true;
		result->network_key = n->keys[net - 1];
	}
	if (reply->elements == 8) {
		/* The host's live sessions across the array (store_redis_conc.c). */
		result->sessions = reply->element[6]->integer < 0 ? 0 :
		    reply->element[6]->integer > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)reply->element[6]->integer;
		result->session_held = reply->element[7]->integer != 0;
	}
	return 0;
bad:
	snprintf(err, errlen, "unexpected reply from the script");
	return -1;
}

/* The time the script runs on: 0 for Redis's own, unless a test set one. */
static int64_t redis_time_arg(const struct redis_store *s, int64_t now)
{
	return s->node_clock ? now : 0;
}

/*
 * The rules' arguments, ten per rule (as the script's rule() reads one),
 * for the detectors' rules and then their network rules, formatted once
 * per thread and again only when the rules differ from those formatted
 * (a reload).
 */
#define REDIS_RULE_ARGS	10

struct redis_rule_args {
	bool set;
	struct rule rules[2][DETECTOR_COUNT];	/* a copy of those formatted */
	char buf[2 * DETECTOR_COUNT * REDIS_RULE_ARGS * 12];
	const char *argv[2][DETECTOR_COUNT][REDIS_RULE_ARGS];
	size_t argvlen[2][DETECTOR_COUNT][REDIS_RULE_ARGS];
};

static __thread struct redis_rule_args redis_rules_formatted;

static const struct redis_rule_args *redis_rule_args(const struct rule *rules,
    const struct rule *net_rules)
{
	static const struct rule none[DETECTOR_COUNT];
	struct redis_rule_args *c = &redis_rules_formatted;
	size_t used = 0;

	if (net_rules == NULL)
		net_rules = none;
	if (c->set && memcmp(c->rules[0], rules, sizeof(c->rules[0])) == 0 &&
	    memcmp(c->rules[1], net_rules, sizeof(c->rules[1])) == 0)
		return c;
	memcpy(c->rules[0], rules, sizeof(c->rules[0]));
	memcpy(c->rules[1], net_rules, sizeof(c->rules[1]));
	for (unsigned set = 0; set < 2; set++) {
		for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
			const struct rule *r = &c->rules[set][d];
			const unsigned long long v[REDIS_RULE_ARGS] = {
			    r->enabled, r->sliding, r->max, r->period, r->block,
			    r->min_ratio, r->sliding_max, r->escalate_factor,
			    r->escalate_max, r->escalate_forget };

			for (unsigned i = 0; i < REDIS_RULE_ARGS; i++) {
				int len = snprintf(c->buf + used,
				    sizeof(c->buf) - used, "%llu", v[i]);

				c->argv[set][d][i] = c->buf + used;
				c->argvlen[set][d][i] = (size_t)len;
				used += (size_t)len + 1;
			}
		}
	}
	c->set = true;
	return c;
}

/* Rule d of set (0: the detectors', 1: the networks') into a. */
static void redis_rule_arg(const struct redis_rule_args *c, unsigned set,
    unsigned d, struct redis_args *a)
{
	for (unsigned i = 0; i < REDIS_RULE_ARGS; i++)
		redis_arg(a, c->argv[set][d][i], c->argvlen[set][d][i]);
}

/*
 * The script's "e" keys: the host's, its networks', the sessions' with
 * sessions_max; keys holds 2 + DETECTOR_COUNT buffers.
 */
static void redis_event_keys(const struct redis_store *s,
    const struct store_event *event, const struct store_nets *n,
    char (*keys)[REDIS_KEY_MAX], struct redis_args *a)
{
	a->argc = 2;
	a->used = 0;
	redis_arg_int(a, 1 + n->count + (event->sessions_max > 0));
	redis_arg(a, keys[0], redis_key(s, &event->key, keys[0]));
	for (unsigned i = 0; i < n->count; i++)
		redis_arg(a, keys[1 + i], redis_key(s, &n->keys[i], keys[1 + i]));
	if (event->sessions_max > 0)
		redis_arg(a, keys[1 + n->count], redis_conc_key(s, &event->key,
		    keys[1 + n->count]));
}

/*
 * The script's "e" arguments: time, counted, connect, valid, node, rules,
 * then the networks: their count, each detector's (1-based, 0: none) and
 * the network rules of the detectors that have one.
 */
static void redis_event_args(const struct redis_store *s,
    const struct store_event *event, const struct store_nets *n,
    struct redis_args *a)
{
	const struct redis_rule_args *rules = redis_rule_args(event->rules,
	    event->net_rules);

	redis_arg(a, "e", 1);
	redis_arg_int(a, redis_time_arg(s, event->now));
	redis_arg_int(a, event->counted);
	redis_arg_int(a, event->connect != 0);
	redis_arg_int(a, event->valid != 0);
	redis_arg(a, s->node, strlen(s->node));
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		redis_rule_arg(rules, 0, d, a);
	redis_arg_int(a, n->count);
	if (n->count == 0)
		return;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		redis_arg_int(a, n->of[d] + 1);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (n->of[d] >= 0)
			redis_rule_arg(rules, 1, d, a);
	}
}

/*
 * The CONNECT fast path: refused from the record, by a block of the host
 * or of one of its networks, with no round trip.
 */
static bool redis_known_refuses(struct redis_store *s,
    const struct store_event *event, const struct store_nets *n,
    struct store_result *result)
{
	return event->connect && store_known_refuses_event(s->known, event, n,
	    result);
}

/*
 * What the script decided, into the record (and the array, when new),
 * under the key whose block it is: the host's or a network's.
 */
static void redis_known_update(struct redis_store *s,
    const struct store_event *event, const struct store_result *result)
{
	const struct host_key *key = store_result_key(event, result);

	if (result->outcome == RULE_TRIPPED)
		redis_sync_started(s, key, result->detector,
		    result->block_until, event->now, result->count);
	else if (result->outcome == RULE_REFUSED)
		store_known_set(s->known, key, result->detector,
		    result->block_until, 0, result->count);
	if (result->outcome != RULE_ALLOWED)
		store_known_set_level(s->known, key, result->detector,
		    result->level);
}

static int redis_record(struct store *base, const struct store_event *event,
    struct store_result *result)
{
	struct redis_store *s = redis_of(base);
	char keys[2 + DETECTOR_COUNT][REDIS_KEY_MAX], err[REDIS_ERROR_MAX];
	struct store_nets n;
	struct redis_args a;
	redisReply *reply;
	bool node_failed;
	int rc;

	redis_notify_run(s->notify);
	redis_clock(s, event->now);
	store_event_nets(event, &n);
	if (redis_known_refuses(s, event, &n, result))
		return 0;
	redis_event_keys(s, event, &n, keys, &a);
	redis_event_args(s, event, &n, &a);
	if (event->sessions_max > 0)
		redis_conc_event_args(s, event, &a);
	reply = redis_script_key(s, &a, &node_failed, err, sizeof(err));
	if (reply == NULL) {
		redis_set_error(s, err);
		return node_failed ? -1 : STORE_KEY_FAILED;
	}
	memset(result, 0, sizeof(*result));
	rc = redis_result_parse(reply, &n, result, err, sizeof(err));
	freeReplyObject(reply);
	if (rc < 0) {
		redis_set_error(s, err);
		return STORE_KEY_FAILED;
	}
	redis_known_update(s, event, result);
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
	case 'l':
		state->block_length = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)v;
		break;
	case 'v':
		state->valid = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		break;
	case 'e':
		state->level = v < 0 ? 0 : v > RULE_LEVEL_MAX ? RULE_LEVEL_MAX :
		    (uint32_t)v;
		break;
	case 't':
		state->threshold = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)v;
		break;
	case 'p':
		state->period = v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)v;
		break;
	case 'w':
		state->window_start = v;
		break;
	case 'b':
		state->block_until = v;
		break;
	}
}

int redis_host_parse(const redisReply *reply, struct store_host *out)
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

int redis_block_write(struct redis_store *s, const struct host_key *key,
    enum detector detector, int64_t until, int64_t now)
{
	char keybuf[REDIS_KEY_MAX], err[REDIS_ERROR_MAX];
	struct redis_args a;
	redisReply *reply;

	redis_script_args(s, key, keybuf, &a);
	redis_arg(&a, "b", 1);
	redis_arg_int(&a, redis_time_arg(s, now));
	redis_arg_int(&a, detector);
	redis_arg_int(&a, until - now);
	if ((reply = redis_script(s, &a, err, sizeof(err))) == NULL) {
		redis_set_error(s, err);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}

static int redis_block(struct store *base, const struct host_key *key,
    enum detector detector, int64_t until, int64_t now)
{
	struct redis_store *s = redis_of(base);

	redis_notify_run(s->notify);
	redis_clock(s, now);
	if (redis_block_write(s, key, detector, until, now) < 0)
		return -1;
	redis_sync_started(s, key, detector, until, now, 0);
	return 0;
}

static int redis_unblock(struct store *base, const struct host_key *key)
{
	struct redis_store *s = redis_of(base);

	redis_notify_run(s->notify);
	return redis_sync_unblock(s, key);
}

static struct store_known *redis_known(struct store *base)
{
	return redis_of(base)->known;
}

/*
 * NX gives the key a TTL only when it has none (the note came first), so
 * a longer one is never cut.
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

static int redis_get_node(struct store *base, const struct host_key *key,
    enum detector detector, char *node, size_t len)
{
	struct redis_store *s = redis_of(base);
	char keybuf[REDIS_KEY_MAX], err[REDIS_ERROR_MAX], field[16];
	const char *argv[] = { "HGET", keybuf, field };
	size_t argvlen[] = { 4, redis_key(s, key, keybuf),
	    (size_t)snprintf(field, sizeof(field), "o:%s",
	    detector_name(detector)) };
	redisReply *reply = redis_command(s, 3, argv, argvlen, err, sizeof(err));
	int found;

	if (reply == NULL) {
		redis_set_error(s, err);
		return -1;
	}
	found = reply->type == REDIS_REPLY_STRING;
	if (found)
		redis_note_field(reply, node, len);
	freeReplyObject(reply);
	return found;
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

static struct store *redis_open(const struct config *cfg, char *err,
    size_t errlen)
{
	const struct redis_config *rc = &cfg->redis;
	struct redis_cluster *cluster = NULL;
	struct redis_pool *pool = NULL;
	char channel[REDIS_KEY_MAX];
	struct redis_store *s;

	if (rc->key_prefix == NULL || strlen(rc->key_prefix) > REDIS_PREFIX_MAX) {
		snprintf(err, errlen, "redis key_prefix must be at most %d bytes",
		    REDIS_PREFIX_MAX);
		return NULL;
	}
	if (rc->cluster_count > 0 ?
	    (cluster = redis_cluster_open(rc, err, errlen)) == NULL :
	    (pool = redis_pool_open(rc, err, errlen)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->base.ops = &store_redis_ops;
	s->pool = pool;
	s->cluster = cluster;
	s->timeout_ms = rc->timeout_ms;
	s->node_clock = rc->node_clock;
	s->prefix_len = strlen(rc->key_prefix);
	memcpy(s->prefix, rc->key_prefix, s->prefix_len + 1);
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->error, sizeof(s->error), "no error");
	s->known = store_known_new(cfg->memory_max_hosts);
	snprintf(channel, sizeof(channel), "%sevents", rc->key_prefix);
	s->notify = redis_notify_new(s->known, channel, rc->timeout_ms,
	    redis_sync_pool, redis_sync_synced, redis_sync_tick, s);
	redis_notify_run(s->notify);
	redis_conc_init(s);
	/* The node named in bulwark.conf, else the host name. */
	if (cfg->node != NULL && cfg->node[0] != '\0')
		snprintf(s->node, sizeof(s->node), "%s", cfg->node);
	else if (gethostname(s->node, sizeof(s->node)) < 0)
		snprintf(s->node, sizeof(s->node), "unknown");
	s->node[sizeof(s->node) - 1] = '\0';
	return &s->base;
}

static void redis_close(struct store *base)
{
	struct redis_store *s = redis_of(base);

	redis_notify_free(s->notify);
	store_known_free(s->known);
	redis_conc_destroy(s);
	redis_pool_close(s->pool);
	redis_cluster_close(s->cluster);
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
	.set_note = redis_set_note,
	.get_note = redis_get_note,
	.known = redis_known,
	.session_release = redis_session_release,
	.set_sessions_source = redis_set_sessions_source,
	.list_nodes = redis_list_nodes,
	.get_node = redis_get_node,
};
