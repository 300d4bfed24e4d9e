/*
 * store_redis_impl.h - what the files of the Redis store share; included
 * by store_redis*.c only.  See store_redis.c for the store itself.
 *
 * store_redis_cmd.c: commands on pooled connections, each bounded by
 *   timeout_ms; with a cluster, sent to the primary of the slot of
 *   their key (argv[1], or the script's first key: its keys share one
 *   hash tag, redis_key()) by redis_cluster.h.
 *   redis_command() returns the reply, NULL when the
 *   connection failed or Redis answered an error (err says which);
 *   redis_script() runs the script (FCALL, after FUNCTION LOAD when
 *   Redis does not have it) with the arguments started by
 *   redis_script_args();
 *   redis_script_key() also says, when it returns NULL, whether the
 *   node failed (no connection, no reply, an error reply of a node that
 *   cannot serve now: redis_conn_failed()) or Redis answered an error
 *   about the command or its key.  Only a failure of the node closes the
 *   connection.
 *   redis_set_error() keeps a reason for error(), made safe to quote.
 * store_redis_conc.c: the live sessions of each host across the array
 *   (the concurrency limit): the event's last key and arguments,
 *   session_release(), set_sessions_source() and its refresh thread.
 * store_redis_nodes.c: the node summaries, published by the refresh
 *   thread of store_redis_conc.c, and list_nodes().
 * store_redis_list.c: list_blocks(), from the index of blocks.
 * store_redis_upgrade.c: the move of the blocks an older version kept
 *   under older key names, once, when the listener has subscribed.
 * store_redis_sync.c: what keeps every node's record of blocks, the
 *   channel and the index right (see its head): redis_sync_started()
 *   after a block started or was set, redis_sync_unblock() for unblock,
 *   and the listener's callbacks.
 * store_redis.c: the rest, and the ops table; redis_host_parse() reads
 *   a host's hash (HGETALL) into its states.
 */
#ifndef BULWARK_STORE_REDIS_IMPL_H
#define BULWARK_STORE_REDIS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "redis_cluster.h"
#include "redis_notify.h"
#include "redis_pool.h"
#include "store.h"
#include "store_known.h"

#define REDIS_PREFIX_MAX	200
/* "<prefix>conc:{<tag>}<key text>" (redis_key_named()) */
#define REDIS_KEY_MAX		(REDIS_PREFIX_MAX + 2 * ADDR_TEXT_MAX + 8)
#define REDIS_ERROR_MAX		256
/* The bits of a key's hash tag (redis_key()): a network's shortest. */
#define REDIS_TAG_IPV4		CONFIG_NETWORK_IPV4_MIN
#define REDIS_TAG_IPV6		CONFIG_NETWORK_IPV6_MIN
/*
 * FCALL function numkeys, the host's key and one per network, op time
 * counted connect valid node, ten per rule, the networks' count, each
 * detector's network and ten per network rule; with the sessions, one
 * more key and five more arguments.
 */
#define REDIS_ARGS_MAX		(16 + 2 * DETECTOR_COUNT + 20 * DETECTOR_COUNT)
#define REDIS_NODE_MAX		96
#define REDIS_MARKER_LEN	32

/* store_redis_conc.c: this node's name and its refresh thread. */
struct redis_conc {
	char node[REDIS_NODE_MAX];	/* "<host name>/<pid>" */
	size_t node_len;
	pthread_mutex_t lock;		/* guards what follows */
	pthread_cond_t wake;		/* stop */
	pthread_t thread;
	bool running;
	bool stop;
	store_sessions_fn fn;		/* called with the lock held */
	void *arg;
};

struct redis_store {
	struct store base;
	struct redis_pool *pool;	/* one server or Sentinel, or NULL */
	struct redis_cluster *cluster;	/* redis.cluster, or NULL */
	unsigned timeout_ms;
	bool node_clock;		/* the script uses the node's times */
	char prefix[REDIS_PREFIX_MAX + 1];
	size_t prefix_len;
	char node[STORE_NOTE_NODE_MAX];	/* this host's name, for "o:" fields */

	pthread_mutex_t lock;		/* guards what follows */
	char error[REDIS_ERROR_MAX];

	struct store_known *known;	/* the node's record of blocks */
	struct redis_notify *notify;	/* its listener on the channel */
	char marker[REDIS_MARKER_LEN + 1];	/* listener's thread only */
	bool upgraded;			/* the same: old keys moved */
	atomic_llong clock;		/* the latest event's now, 0: none yet */
	atomic_uint next_primary;	/* the listener's next one, in a cluster */
	struct redis_conc conc;
};

/* One command's arguments, numbers formatted into buf. */
struct redis_args {
	const char *argv[REDIS_ARGS_MAX];
	size_t argvlen[REDIS_ARGS_MAX];
	int argc;
	char buf[REDIS_ARGS_MAX * 24];
	size_t used;
};

static inline struct redis_store *redis_of(struct store *store)
{
	return (struct redis_store *)store;
}

/*
 * The time for what the store does on its own (the record's upkeep):
 * the clock its callers pass, as the latest event said, so the record
 * never judges a block by another clock than the events'.
 */
static inline int64_t redis_now(const struct redis_store *s)
{
	long long now = atomic_load_explicit(&s->clock, memory_order_relaxed);

	return now != 0 ? now : (int64_t)time(NULL);
}

static inline void redis_clock(struct redis_store *s, int64_t now)
{
	if (atomic_load_explicit(&s->clock, memory_order_relaxed) != now)
		atomic_store_explicit(&s->clock, now, memory_order_relaxed);
}

/* store_redis_cmd.c */
void redis_set_error(struct redis_store *s, const char *text);
void redis_arg(struct redis_args *a, const char *str, size_t len);
void redis_arg_int(struct redis_args *a, long long v);
size_t redis_key(const struct redis_store *s, const struct host_key *key,
    char *buf);
size_t redis_key_named(const struct redis_store *s, const char *name,
    const struct host_key *key, char *buf);
redisReply *redis_reply_ok(redisReply *reply, char *err, size_t errlen);
void redis_script_args(const struct redis_store *s,
    const struct host_key *key, char *keybuf, struct redis_args *a);
redisReply *redis_script(struct redis_store *s, struct redis_args *a,
    char *err, size_t errlen);
redisReply *redis_script_key(struct redis_store *s, struct redis_args *a,
    bool *node_failed, char *err, size_t errlen);
redisReply *redis_command(struct redis_store *s, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen);
int redis_command_done(struct redis_store *s, int argc, const char **argv,
    const size_t *argvlen);

/* store_redis.c; redis_block_write(): the script's block, nothing else. */
int redis_host_parse(const redisReply *reply, struct store_host *out);
int redis_block_write(struct redis_store *s, const struct host_key *key,
    enum detector detector, int64_t until, int64_t now);

/* store_redis_sync.c; redis_sync_pool(): where the listener connects. */
size_t redis_index_key(const struct redis_store *s, char *buf);
void redis_sync_started(struct redis_store *s, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count);
int redis_sync_unblock(struct redis_store *s, const struct host_key *key);
struct redis_pool *redis_sync_pool(void *arg);
void redis_sync_synced(void *arg);
void redis_sync_tick(void *arg);

/* store_redis_conc.c */
void redis_conc_init(struct redis_store *s);
void redis_conc_destroy(struct redis_store *s);
size_t redis_conc_key(const struct redis_store *s, const struct host_key *key,
    char *buf);
void redis_conc_event_args(const struct redis_store *s,
    const struct store_event *event, struct redis_args *a);
int redis_session_release(struct store *base, const struct host_key *key,
    unsigned lease);
void redis_set_sessions_source(struct store *base, store_sessions_fn fn,
    void *arg);

/* store_redis_nodes.c */
int redis_nodes_publish(struct redis_store *s, const struct store_node *self);
int redis_list_nodes(struct store *base, store_node_fn fn, void *arg);

/* store_redis_upgrade.c: true once a pass went through. */
bool redis_upgrade_keys(struct redis_store *s);

/* store_redis_list.c */
int redis_list_blocks(struct store *base, int64_t now, store_block_fn fn,
    void *arg);

#endif
