/*
 * redis_notify.h - the array's channel of blocks: what every node
 * publishes when a block starts or is lifted, and the thread of each node
 * that listens and keeps the node's record (store_known.h) up to date.
 *
 * Messages, short text on the channel "<key_prefix>events":
 *   "b <detector> <until> <start> <count> <host key>"  a block started
 *       (or was set by hand): detector's name, its end and start in Unix
 *       seconds (start 0: unknown), the count that tripped it (0: none,
 *       a block by hand), the host key as host_key_format() writes it
 *       (a network's block: the network's, "198.51.100.0/24");
 *   "u <host key>"  every block of the host (or network) was lifted.
 * redis_notify_block() / redis_notify_unblock() format one into buf
 * (REDIS_NOTIFY_MAX bytes) and return its length; redis_notify_apply()
 * applies a received one to the record (store_known_learn() or
 * store_known_forget(), so the record's hook sees it): 0, or -1 when it
 * is not a well-formed message (ignored).
 * redis_notify_key_parse(): the host key of its canonical text ("addr"
 * or "addr/prefix" as host_key_format() writes it); -1 for any other.
 *
 * redis_notify_new() prepares the listener of channel; it connects
 * nothing.  pool_fn(arg) names the pool to connect through each time the
 * listener (re)connects (a server's, the master's, or a cluster node's:
 * a message published on any node of a cluster reaches every node).  redis_notify_run() starts its thread unless one runs
 * in this process already (after fork() the child starts its own), and
 * costs two atomic loads when it does.  The thread:
 *  - keeps a connection of its own (redis_pool_connect_own(): the server,
 *    or the master the sentinels name, followed across failovers),
 *    subscribed to channel; after each (re)subscription it calls
 *    synced(arg), which reloads the record from the index of blocks, so
 *    nothing published while it was away is missed for long;
 *  - applies every message to the record as it arrives;
 *  - calls tick(arg) about every REDIS_NOTIFY_TICK_MS, connected or not
 *    (the store's upkeep: lost-state check, index pruning, the record's
 *    sweep).
 * Every wait is bounded by timeout_ms; the thread runs with every signal
 * blocked.  redis_notify_subscribed() is true while it is subscribed.
 * redis_notify_free() stops the thread and closes its connection.
 */
#ifndef BULWARK_REDIS_NOTIFY_H
#define BULWARK_REDIS_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "detector.h"
#include "redis_pool.h"
#include "store_known.h"

#define REDIS_NOTIFY_MAX	(ADDR_TEXT_MAX + 80)
#define REDIS_NOTIFY_TICK_MS	1000

struct redis_notify;

typedef void redis_notify_fn(void *arg);
typedef struct redis_pool *redis_notify_pool_fn(void *arg);

size_t redis_notify_block(char *buf, const struct host_key *key,
    enum detector detector, int64_t until, int64_t start, uint32_t count);
size_t redis_notify_unblock(char *buf, const struct host_key *key);
int redis_notify_apply(struct store_known *known, const char *msg,
    size_t len);
int redis_notify_key_parse(const char *text, size_t len,
    struct host_key *out);

struct redis_notify *redis_notify_new(struct store_known *known,
    const char *channel, unsigned timeout_ms, redis_notify_pool_fn *pool_fn,
    redis_notify_fn *synced, redis_notify_fn *tick, void *arg);
void redis_notify_run(struct redis_notify *n);
bool redis_notify_subscribed(struct redis_notify *n);
void redis_notify_free(struct redis_notify *n);

#endif
