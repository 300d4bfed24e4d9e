/*
 * store_redis_sync.c - what keeps the blocks of the array known to every
 * node, listed without a scan, and kept across a Redis that lost them.
 * See store_redis_impl.h.
 *
 * Keys beside the hosts' hashes (none of them touched by the script,
 * which works on one event's hashes only):
 *   "<prefix>blocks"  the index of blocks: a sorted set, member the host
 *       key text (a network's: "198.51.100.0/24"), score a block end.
 *       The node that starts or sets a block adds it (ZADD, pipelined
 *       with the PUBLISH), an unblock removes it (pipelined with the
 *       DEL).  A score is a hint of when to look again, not the truth:
 *       a sliding block moves its end with every retry without touching
 *       the index.  So readers take the
 *       hashes as the truth, and each node's tick looks at the members
 *       whose score has passed: a hash that still holds an active block
 *       moves its member's score to that block's end (ZADD GT), one that
 *       does not has its member removed - only if the score has not moved
 *       meanwhile (a block started again), in a one-key script.  Listing
 *       costs one read per block (and per ended block not yet pruned,
 *       which the ticks keep to about a second's worth).
 *   "<prefix>events"  the channel (redis_notify.h).
 *   "<prefix>epoch"   a random marker with no TTL.  Each node remembers
 *       the marker it saw; when it is gone or another, Redis lost the
 *       state the node knew (a restart without persistence, a flush, a
 *       failover to an empty replica).  The node then writes back every
 *       active block of its record (the script's block operation, and
 *       the index), then sets a new marker if none is there, and
 *       remembers the marker in Redis.  Every node checks when its
 *       listener subscribes again and at each tick, so blocks that only
 *       some nodes knew come back too.
 *       Counts, windows and notes are not written back.
 *
 * Every call here is bounded by timeout_ms; a failure leaves things to
 * the next tick (lost-state check, pruning) or is the store's error
 * (unblock).  Publishing and indexing after a block started are best
 * effort: the block itself is in Redis already.
 *
 * BUGS: the message of a block that starts follows the script's reply,
 * so an unblock made by another node in that instant (between the two)
 * can be overtaken: the nodes' records then keep the block until its end
 * or the next reload, although Redis no longer holds it.  Blocks made
 * by a version without the index are not listed (they still refuse).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "store_redis_impl.h"

#define REDIS_PRUNE_MAX		"128"
#define REDIS_INDEX_MARGIN_S	10
#define REDIS_MARKER_TTL	"3600"	/* refreshed by every node's tick */

/* Removes member ARGV[2] unless its score moved past ARGV[1]. */
static const char redis_prune_script[] =
    "local s = redis.call('ZSCORE', KEYS[1], ARGV[2]) "
    "if s and tonumber(s) <= tonumber(ARGV[1]) then "
    "return redis.call('ZREM', KEYS[1], ARGV[2]) end return 0";

struct redis_cmd {
	int argc;
	const char *argv[6];
	size_t argvlen[6];
};

/* The text of an index entry: its key, member and score, its TTL. */
struct redis_entry {
	char idx[REDIS_KEY_MAX];
	char member[ADDR_TEXT_MAX];
	char score[24];
	char ttl[24];
};

static size_t redis_named(const struct redis_store *s, const char *name,
    char *buf)
{
	return (size_t)snprintf(buf, REDIS_KEY_MAX, "%s%s", s->prefix, name);
}

size_t redis_index_key(const struct redis_store *s, char *buf)
{
	return redis_named(s, "blocks", buf);
}

static void redis_cmd_arg(struct redis_cmd *c, const char *str, size_t len)
{
	c->argv[c->argc] = str;
	c->argvlen[c->argc++] = len;
}

/* A cluster's commands go one by one, each to its key's primary. */
static int redis_pipeline_cluster(struct redis_store *s,
    struct redis_cmd *cmds, size_t n, char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		redisReply *reply = redis_command(s, cmds[i].argc, cmds[i].argv,
		    cmds[i].argvlen, err, errlen);

		if (reply == NULL)
			rc = -1;
		freeReplyObject(reply);
	}
	return rc;
}

/*
 * Send cmds in one pipeline (one by one on a cluster, where their keys
 * live on different primaries); 0 when every reply came and none was an
 * error, else -1 with err set.
 */
static int redis_pipeline(struct redis_store *s, struct redis_cmd *cmds,
    size_t n, char *err, size_t errlen)
{
	int64_t deadline = redis_deadline(s->timeout_ms);
	struct redis_conn *conn;
	int rc = 0;
	size_t sent = 0;

	if (s->cluster != NULL)
		return redis_pipeline_cluster(s, cmds, n, err, errlen);
	if (redis_pool_get(s->pool, deadline, &conn, err, errlen) < 0)
		return -1;
	for (; sent < n; sent++) {
		if (redis_conn_append(conn, cmds[sent].argc, cmds[sent].argv,
		    cmds[sent].argvlen, err, errlen) < 0)
			break;
	}
	for (size_t i = 0; i < sent; i++) {
		redisReply *reply = redis_reply_ok(redis_conn_reply(conn,
		    deadline, err, errlen), err, errlen);

		if (reply == NULL) {
			rc = -1;
			if (redis_conn_failed(conn))
				break;
		}
		freeReplyObject(reply);
	}
	if (sent < n)
		rc = -1;
	redis_pool_put(s->pool, conn, rc == 0 || !redis_conn_failed(conn));
	return rc;
}

/*
 * The three commands that put member into the index with score until
 * (ZADD, or ZADD GT with gt), and keep the index's TTL past until: set
 * when it has none, lengthened when shorter.
 */
static void redis_index_add(const struct redis_store *s,
    const struct host_key *key, int64_t until, bool gt,
    struct redis_entry *e, struct redis_cmd *cmds)
{
	int64_t now = redis_now(s);
	size_t idxlen = redis_index_key(s, e->idx);
	size_t ttllen = (size_t)snprintf(e->ttl, sizeof(e->ttl), "%lld",
	    (long long)(until > now ? until - now : 1) + REDIS_INDEX_MARGIN_S);

	memset(cmds, 0, 3 * sizeof(*cmds));
	host_key_format(key, e->member, sizeof(e->member));
	redis_cmd_arg(&cmds[0], "ZADD", 4);
	redis_cmd_arg(&cmds[0], e->idx, idxlen);
	if (gt)
		redis_cmd_arg(&cmds[0], "GT", 2);
	redis_cmd_arg(&cmds[0], e->score, (size_t)snprintf(e->score,
	    sizeof(e->score), "%lld", (long long)until));
	redis_cmd_arg(&cmds[0], e->member, strlen(e->member));
	for (int i = 1; i <= 2; i++) {
		redis_cmd_arg(&cmds[i], "EXPIRE", 6);
		redis_cmd_arg(&cmds[i], e->idx, idxlen);
		redis_cmd_arg(&cmds[i], e->ttl, ttllen);
		redis_cmd_arg(&cmds[i], i == 1 ? "NX" : "GT", 2);
	}
}

void redis_sync_started(struct redis_store *s, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count)
{
	char chan[REDIS_KEY_MAX], msg[REDIS_NOTIFY_MAX], err[REDIS_ERROR_MAX];
	struct redis_cmd cmds[4];
	struct redis_entry e;

	store_known_set(s->known, key, detector, until, start, count);
	redis_index_add(s, key, until, false, &e, cmds);
	memset(&cmds[3], 0, sizeof(cmds[3]));
	redis_cmd_arg(&cmds[3], "PUBLISH", 7);
	redis_cmd_arg(&cmds[3], chan, redis_named(s, "events", chan));
	redis_cmd_arg(&cmds[3], msg, redis_notify_block(msg, key, detector,
	    until, start, count));
	redis_pipeline(s, cmds, 4, err, sizeof(err));
}

int redis_sync_unblock(struct redis_store *s, const struct host_key *key)
{
	char hash[REDIS_KEY_MAX], idx[REDIS_KEY_MAX], chan[REDIS_KEY_MAX];
	char member[ADDR_TEXT_MAX], msg[REDIS_NOTIFY_MAX], err[REDIS_ERROR_MAX];
	struct redis_cmd cmds[3];

	memset(cmds, 0, sizeof(cmds));
	store_known_clear(s->known, key);
	host_key_format(key, member, sizeof(member));
	redis_cmd_arg(&cmds[0], "DEL", 3);
	redis_cmd_arg(&cmds[0], hash, redis_key(s, key, hash));
	redis_cmd_arg(&cmds[1], "ZREM", 4);
	redis_cmd_arg(&cmds[1], idx, redis_index_key(s, idx));
	redis_cmd_arg(&cmds[1], member, strlen(member));
	redis_cmd_arg(&cmds[2], "PUBLISH", 7);
	redis_cmd_arg(&cmds[2], chan, redis_named(s, "events", chan));
	redis_cmd_arg(&cmds[2], msg, redis_notify_unblock(msg, key));
	if (redis_pipeline(s, cmds, 3, err, sizeof(err)) < 0) {
		redis_set_error(s, err);
		return -1;
	}
	return 0;
}

/* Every active block of a listed host into the record, as heard. */
static int redis_sync_learn(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct redis_store *s = arg;
	int64_t now = redis_now(s);

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		const struct rule_state *st = &host->state[d];

		if (st->block_until > now)
			store_known_learn(s->known, key, (enum detector)d,
			    st->block_until, st->block_length != 0 ?
			    st->block_until - st->block_length : 0, st->count);
	}
	return 0;
}

static bool redis_sync_check_lost(struct redis_store *s);
static int redis_sync_write_back(void *arg, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start);

/*
 * Subscribed again: Redis may have restarted (then write the record
 * back), the blocks an older version left under older key names are
 * moved (once), and blocks tripped while it was away are handed over; then
 * reload the record from the index, and forget what Redis no longer
 * holds (an unblock missed while away) - only when Redis is known to
 * hold what the node knew and the whole index was read.
 */
void redis_sync_synced(void *arg)
{
	struct redis_store *s = arg;
	uint64_t since;

	if (!redis_sync_check_lost(s))
		return;
	if (!s->upgraded)
		s->upgraded = redis_upgrade_keys(s);
	store_known_each_pending(s->known, redis_now(s), redis_sync_write_back,
	    s);
	since = store_known_sync_begin(s->known);
	if (redis_list_blocks(&s->base, redis_now(s), redis_sync_learn, s) == 0)
		store_known_sync_end(s->known, since);
}

/* A plain command's reply, or NULL (errors included). */
static redisReply *redis_sync_command(struct redis_store *s, int argc,
    const char **argv, const size_t *argvlen)
{
	char err[REDIS_ERROR_MAX];

	return redis_command(s, argc, argv, argvlen, err, sizeof(err));
}

/* Write one block of the record back: its hash, then the index. */
static int redis_sync_write_back(void *arg, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start)
{
	struct redis_store *s = arg;
	char err[REDIS_ERROR_MAX];
	struct redis_cmd cmds[3];
	struct redis_entry e;

	if (redis_block_write(s, key, detector, until, redis_now(s)) < 0)
		return 1;
	redis_index_add(s, key, until, true, &e, cmds);
	return redis_pipeline(s, cmds, 3, err, sizeof(err)) < 0;
}

/* The marker in Redis into buf ("" when none); -1 when Redis failed. */
static int redis_sync_marker_get(struct redis_store *s, char *buf)
{
	char key[REDIS_KEY_MAX];
	const char *argv[] = { "GETEX", key, "EX", REDIS_MARKER_TTL };
	size_t argvlen[] = { 5, redis_named(s, "epoch", key), 2,
	    strlen(REDIS_MARKER_TTL) };
	redisReply *reply = redis_sync_command(s, 4, argv, argvlen);

	if (reply == NULL)
		return -1;
	buf[0] = '\0';
	if (reply->type == REDIS_REPLY_STRING)
		snprintf(buf, REDIS_MARKER_LEN + 1, "%s", reply->str);
	freeReplyObject(reply);
	return 0;
}

/* A new marker, unless another node set one first. */
static void redis_sync_marker_set(struct redis_store *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[REDIS_MARKER_LEN / 2];
	char key[REDIS_KEY_MAX], value[REDIS_MARKER_LEN];
	const char *argv[] = { "SET", key, value, "NX", "EX", REDIS_MARKER_TTL };
	size_t argvlen[] = { 3, redis_named(s, "epoch", key), sizeof(value), 2,
	    2, strlen(REDIS_MARKER_TTL) };
	redisReply *reply;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return;
	for (size_t i = 0; i < sizeof(raw); i++) {
		value[2 * i] = hex[raw[i] >> 4];
		value[2 * i + 1] = hex[raw[i] & 15];
	}
	if ((reply = redis_sync_command(s, 6, argv, argvlen)) != NULL)
		freeReplyObject(reply);
}

/*
 * Has Redis lost what this node knew?  Then write the record back.  True
 * when Redis holds what the node knew (as far as the marker tells).
 */
static bool redis_sync_check_lost(struct redis_store *s)
{
	char seen[REDIS_MARKER_LEN + 1];
	int64_t started = redis_monotonic_ns();
	size_t blocks;

	if (redis_sync_marker_get(s, seen) < 0)
		return false;
	if (seen[0] != '\0' && strcmp(seen, s->marker) == 0)
		return true;
	if (s->marker[0] != '\0') {
		blocks = store_known_count(s->known);
		if (store_known_each(s->known, redis_now(s), redis_sync_write_back,
		    s) != 0)
			return false;
		log_notice("event=store-restored store=redis hosts=%zu ms=%lld",
		    blocks, (long long)((redis_monotonic_ns() - started) /
		    1000000));
	}
	if (seen[0] == '\0') {
		redis_sync_marker_set(s);
		if (redis_sync_marker_get(s, seen) < 0 || seen[0] == '\0')
			return false;
	}
	memcpy(s->marker, seen, sizeof(s->marker));
	return true;
}

/* The hash of an index member, read: the end of its last block, 0 for none. */
static int64_t redis_sync_block_end(struct redis_store *s,
    const redisReply *member, int64_t now)
{
	char hash[REDIS_KEY_MAX];
	struct host_key key;
	struct store_host host;
	const char *argv[] = { "HGETALL", hash };
	size_t argvlen[2] = { 7, 0 };
	redisReply *reply;
	int64_t end = 0;

	if (redis_notify_key_parse(member->str, member->len, &key) < 0)
		return 0;
	argvlen[1] = redis_key(s, &key, hash);
	if ((reply = redis_sync_command(s, 2, argv, argvlen)) == NULL)
		return -1;
	if (redis_host_parse(reply, &host) == 0) {
		for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
			if (host.state[d].block_until > end)
				end = host.state[d].block_until;
		}
	}
	freeReplyObject(reply);
	return end > now ? end : 0;
}

/* Move or remove one index member whose score has passed. */
static void redis_sync_prune_one(struct redis_store *s,
    const redisReply *member, int64_t now)
{
	char idx[REDIS_KEY_MAX], num[24];
	int64_t end = redis_sync_block_end(s, member, now);
	const char *eval[] = { "EVAL", redis_prune_script, "1", idx, num,
	    member->str };
	size_t evallen[] = { 4, sizeof(redis_prune_script) - 1, 1,
	    redis_index_key(s, idx), 0, member->len };
	redisReply *reply;

	struct redis_cmd cmds[3];
	struct redis_entry e;
	struct host_key key;

	if (end < 0)
		return;
	if (end > 0 && redis_notify_key_parse(member->str, member->len,
	    &key) == 0) {
		redis_index_add(s, &key, end, true, &e, cmds);
		redis_pipeline(s, cmds, 3, idx, sizeof(idx));
		return;
	}
	evallen[4] = (size_t)snprintf(num, sizeof(num), "%lld", (long long)now);
	if (s->cluster != NULL)
		reply = redis_reply_ok(redis_cluster_command(s->cluster, idx,
		    evallen[3], redis_deadline(s->timeout_ms), 6, eval, evallen,
		    num, sizeof(num)), num, sizeof(num));
	else
		reply = redis_sync_command(s, 6, eval, evallen);
	freeReplyObject(reply);
}

/* The index members whose score has passed: moved on or removed. */
static void redis_sync_prune(struct redis_store *s, int64_t now)
{
	char idx[REDIS_KEY_MAX], max[24];
	const char *argv[] = { "ZRANGEBYSCORE", idx, "-inf", max, "LIMIT", "0",
	    REDIS_PRUNE_MAX };
	size_t argvlen[] = { 13, redis_index_key(s, idx), 4, (size_t)snprintf(
	    max, sizeof(max), "%lld", (long long)now), 5, 1,
	    strlen(REDIS_PRUNE_MAX) };
	redisReply *reply = redis_sync_command(s, 7, argv, argvlen);

	if (reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < reply->elements; i++) {
			if (reply->element[i]->type == REDIS_REPLY_STRING)
				redis_sync_prune_one(s, reply->element[i], now);
		}
	}
	freeReplyObject(reply);
}

struct redis_pool *redis_sync_pool(void *arg)
{
	struct redis_store *s = arg;
	struct redis_cluster_node_ref nodes[REDIS_CLUSTER_NODES_MAX];
	char err[REDIS_ERROR_MAX];
	int n;

	if (s->cluster == NULL)
		return s->pool;
	n = redis_cluster_primaries(s->cluster, redis_deadline(s->timeout_ms),
	    nodes, REDIS_CLUSTER_NODES_MAX, err, sizeof(err));
	if (n <= 0)
		return NULL;
	/* Another primary after each lost connection. */
	return nodes[atomic_fetch_add(&s->next_primary, 1) % (unsigned)n].pool;
}

void redis_sync_tick(void *arg)
{
	struct redis_store *s = arg;
	int64_t now = redis_now(s);

	store_known_sweep(s->known, now);
	if (redis_sync_check_lost(s))
		store_known_each_pending(s->known, now, redis_sync_write_back, s);
	redis_sync_prune(s, now);
}
