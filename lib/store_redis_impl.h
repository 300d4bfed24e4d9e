/*
 * store_redis_impl.h - what the files of the Redis store share; included
 * by store_redis*.c only.  See store_redis.c for the store itself.
 *
 * store_redis_cmd.c: commands on pooled connections, each bounded by
 *   timeout_ms; with a cluster, sent to the primary of the slot of
 *   their key (argv[1], or the script's one key) by redis_cluster.h.
 *   redis_command() returns the reply, NULL when the
 *   connection failed or Redis answered an error (err says which);
 *   redis_script() runs the script (EVALSHA, EVAL when Redis no longer
 *   has it) with the arguments started by redis_script_args();
 *   redis_script_key() also says, when it returns NULL, whether the
 *   node failed (no connection, no reply, an error reply of a node that
 *   cannot serve now: redis_conn_failed()) or Redis answered an error
 *   about the command or its key.  Only a failure of the node closes the
 *   connection.
 *   redis_set_error() keeps a reason for error(), made safe to quote.
 * store_redis_conc.c: the live sessions of each host across the array
 *   (the concurrency limit): the event's second key and last arguments,
 *   session_release(), set_sessions_source() and its refresh thread.
 * store_redis_nodes.c: the node summaries, published by the refresh
 *   thread of store_redis_conc.c, and list_nodes().
 * store_redis_list.c: list_blocks() (SCAN, on each primary of a cluster),
 *   and the host key a hash name stands for.
 * store_redis.c: the rest, and the ops table; redis_host_parse() reads
 *   a host's hash (HGETALL) into its states.
 */
#ifndef BULWARK_STORE_REDIS_IMPL_H
#define BULWARK_STORE_REDIS_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "redis_cluster.h"
#include "redis_pool.h"
#include "store.h"

#define REDIS_PREFIX_MAX	200
#define REDIS_KEY_MAX		(REDIS_PREFIX_MAX + ADDR_TEXT_MAX + 3)
#define REDIS_ERROR_MAX		256
/*
 * EVALSHA sha 1 key op time counted connect valid node, ten per rule; with
 * the sessions, one more key and five more arguments.
 */
#define REDIS_ARGS_MAX		(16 + 10 * DETECTOR_COUNT)
#define REDIS_NODE_MAX		96
#define REDIS_SHA_LEN		40

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

	atomic_bool sha_known;		/* sha is set and never changes */
	pthread_mutex_t lock;		/* guards what follows */
	char sha[REDIS_SHA_LEN + 1];
	char error[REDIS_ERROR_MAX];
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

/* store_redis_cmd.c */
void redis_set_error(struct redis_store *s, const char *text);
void redis_arg(struct redis_args *a, const char *str, size_t len);
void redis_arg_int(struct redis_args *a, long long v);
size_t redis_key(const struct redis_store *s, const struct host_key *key,
    char *buf);
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

/* store_redis.c */
int redis_host_parse(const redisReply *reply, struct store_host *out);

/* store_redis_conc.c */
void redis_conc_init(struct redis_store *s);
void redis_conc_destroy(struct redis_store *s);
void redis_conc_script_args(const struct redis_store *s,
    const struct host_key *key, char *keybuf, char *ckeybuf,
    struct redis_args *a);
void redis_conc_event_args(const struct redis_store *s,
    const struct store_event *event, struct redis_args *a);
int redis_session_release(struct store *base, const struct host_key *key,
    unsigned lease);
void redis_set_sessions_source(struct store *base, store_sessions_fn fn,
    void *arg);

/* store_redis_nodes.c */
int redis_nodes_publish(struct redis_store *s, const struct store_node *self);
int redis_list_nodes(struct store *base, store_node_fn fn, void *arg);

/* store_redis_list.c */
int redis_list_blocks(struct store *base, int64_t now, store_block_fn fn,
    void *arg);

#endif
