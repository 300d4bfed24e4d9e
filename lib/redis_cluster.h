/*
 * redis_cluster.h - commands routed over a Redis Cluster: each to the
 * primary that owns its key's hash slot, following the cluster as it
 * changes, every command bounded by the caller's deadline.
 *
 * redis_cluster_slot() is the hash slot of a key: CRC16 (XMODEM) of the
 * key, or of its hash tag (what lies between the first "{" and the first
 * "}" after it, when that is not empty), modulo 16384.
 *
 * redis_cluster_open() reads rc->cluster (seed nodes "host:port") and
 * resolves their names, once, like redis_pool_open(); the addresses of
 * the other nodes come from the cluster itself and must be numeric (the
 * default cluster-preferred-endpoint-type ip), so nothing ever looks a
 * name up after open.  It connects nothing; NULL with a reason in err.
 * Each node gets a pool of its own (redis_pool_open_at(): pool_size
 * connections at most, with rc's credentials), kept until close.
 *
 * The slot map is read with CLUSTER SLOTS by a thread of the cluster:
 * at once, every REDIS_CLUSTER_CHECK_MS, and soon (at most every
 * REDIS_CLUSTER_SOON_MS) after a command saw a redirect, a failed
 * connection or CLUSTERDOWN.  It asks the node that answered last first,
 * then every other node it knows (seeds included) in turn.  The thread is started by
 * the first command in each process (a cluster opened before fork()
 * works in the child) and runs with every signal blocked.
 *
 * redis_cluster_run() calls fn with a connection to the primary of key's
 * slot, on which fn sends its commands (e.g. FCALL, then FUNCTION LOAD and
 * FCALL again when that primary lacks the function) and returns the last reply.  That reply is
 * judged here:
 *  - MOVED slot node: the slot now lives there; the map is corrected for
 *    that slot at once, read again soon, and fn called on the new node;
 *  - ASK slot node (a slot being migrated): fn is called once on that
 *    node, each of its commands preceded by ASKING (redis_conn_asking());
 *  - TRYAGAIN, CLUSTERDOWN: fn is called again after a short pause while
 *    time is left (CLUSTERDOWN also asks for the map soon);
 *  - no reply (the connection failed): the map is read soon; fn is called
 *    again only if the map names another node for the slot meanwhile;
 *  - any other reply, error replies included, is the caller's.
 * At most REDIS_CLUSTER_REDIRECTS redirects per call.  Returns NULL with
 * the reason in err when no reply could be had before the deadline.  A
 * command waits for the first map, up to the deadline.
 * redis_cluster_command() is redis_cluster_run() with one command.
 *
 * redis_cluster_primaries() copies (at most max) the endpoints and pools
 * of the primaries of the current map, for work that concerns every
 * primary rather than one key, and returns how many it copied; it waits
 * for the first map up to the deadline (-1 with the reason in err).  The
 * pools stay valid until close.
 * redis_cluster_stats() reports redirects followed and map reads, for
 * tests and metrics.
 *
 * Limits.  An event whose slot is migrating is answered by the source
 * while its key is there, by the target (ASK) once it moved; a key is
 * moved atomically (MIGRATE), so its count is never split.  A primary
 * that fails before it replicated a write loses it: its replica starts
 * from what it had (a few milliseconds of counts, since replication is
 * asynchronous); a block lost so is made again by the next events.
 * While a primary is down and not yet replaced (cluster-node-timeout,
 * then an election), commands for its slots fail, and with the default
 * cluster-require-full-coverage yes so do all others (CLUSTERDOWN): the
 * caller's fallback decides meanwhile.
 *
 * Keys that index every block (listing, counting, metrics).  A script may
 * only touch keys of the slot it runs on, and reading every node's
 * keyspace is a scan, so there is no single global index.  The store
 * gives each host a slot group instead: its keys carry the hash tag
 * "{g<n>}", n a hash of its host key (or of the network that host is
 * counted with, so both share a slot) modulo 1024, and each group keeps
 * an index of its blocks ("<prefix>{g<n>}blocks", a sorted set scored by
 * block end) that the host's script updates in the same call.  Listing or
 * counting reads the 1024 index keys, pipelined per primary
 * (redis_cluster_primaries(), then redis_cluster_slot() of each group's
 * key): cost in proportion to the groups and the blocks, never to the
 * hosts tracked, and no cross-slot script.  1024 groups spread the load
 * over primaries finely enough (a reshard moves whole groups).
 */
#ifndef BULWARK_REDIS_CLUSTER_H
#define BULWARK_REDIS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "redis_endpoint.h"
#include "redis_pool.h"

#define REDIS_CLUSTER_SLOTS		16384
#define REDIS_CLUSTER_NODES_MAX		256
#define REDIS_CLUSTER_REDIRECTS		5
#define REDIS_CLUSTER_CHECK_MS		1000
#define REDIS_CLUSTER_SOON_MS		100

struct redis_config;
struct redis_cluster;

typedef redisReply *redis_cluster_fn(struct redis_conn *conn,
    int64_t deadline, void *arg, char *err, size_t errlen);

struct redis_cluster_node_ref {
	struct redis_endpoint endpoint;
	struct redis_pool *pool;
};

struct redis_cluster_stats {
	uint64_t moved;			/* MOVED redirects followed */
	uint64_t asked;			/* ASK redirects followed */
	uint64_t retried;		/* TRYAGAIN, CLUSTERDOWN, new primary */
	uint64_t map_reads;		/* slot maps read and applied */
};

unsigned redis_cluster_slot(const char *key, size_t len);

struct redis_cluster *redis_cluster_open(const struct redis_config *rc,
    char *err, size_t errlen);
void redis_cluster_close(struct redis_cluster *c);

redisReply *redis_cluster_run(struct redis_cluster *c, const char *key,
    size_t keylen, int64_t deadline, redis_cluster_fn *fn, void *arg,
    char *err, size_t errlen);
redisReply *redis_cluster_command(struct redis_cluster *c, const char *key,
    size_t keylen, int64_t deadline, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen);

int redis_cluster_primaries(struct redis_cluster *c, int64_t deadline,
    struct redis_cluster_node_ref *out, size_t max, char *err,
    size_t errlen);
void redis_cluster_stats(struct redis_cluster *c,
    struct redis_cluster_stats *out);

#endif
