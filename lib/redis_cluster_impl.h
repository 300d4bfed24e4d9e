/*
 * redis_cluster_impl.h - what the two files of the cluster client share;
 * included by redis_cluster*.c only.
 *
 * redis_cluster.c: the hash slot, open and close, routing a command.
 * redis_cluster_map.c: the node table (redis_cluster_node_add() finds or
 *   adds a node by endpoint, redis_cluster_node_at() by the address a
 *   reply named), the slot map read with CLUSTER SLOTS by the cluster's
 *   thread (redis_cluster_start(), _stop(), _soon() asks for a read
 *   soon), the fork handlers' registry, and the last map error.
 */
#ifndef BULWARK_REDIS_CLUSTER_IMPL_H
#define BULWARK_REDIS_CLUSTER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "redis_cluster.h"

#define REDIS_CLUSTER_ERROR_MAX	512	/* endpoint text and a reason */

struct redis_cluster_node {
	struct redis_endpoint ep;
	struct redis_pool *pool;
	uint16_t index;			/* in nodes[] */
};

struct redis_cluster {
	struct redis_config pool_rc;	/* what each node's pool is opened with */
	unsigned timeout_ms;
	size_t seed_count;		/* nodes[0 .. seed_count) */

	pthread_mutex_t lock;		/* node adds, map writes, what follows */
	pthread_cond_t wake;		/* the thread: a read is wanted */
	pthread_cond_t mapped;		/* commands: a map was applied */
	bool soon;
	bool stopping;
	char error[REDIS_CLUSTER_ERROR_MAX];

	struct redis_cluster_node *nodes[REDIS_CLUSTER_NODES_MAX];
	atomic_size_t node_count;
	_Atomic uint16_t slots[REDIS_CLUSTER_SLOTS];	/* node index + 1, 0: none */

	pthread_mutex_t busy;		/* held by the thread while it works */
	pthread_mutex_t start_lock;
	pthread_t thread;
	atomic_bool running;		/* a thread runs in this process */
	size_t first;			/* the node that answered last */
	uint16_t *scratch;		/* a map being read */

	atomic_uint_fast64_t stat_moved, stat_asked, stat_retried;
	atomic_uint_fast64_t stat_map_reads;

	struct redis_cluster *next;	/* in the fork registry */
};

void redis_cluster_register(struct redis_cluster *c);
void redis_cluster_unregister(struct redis_cluster *c);
struct redis_cluster_node *redis_cluster_node_add(struct redis_cluster *c,
    const struct redis_endpoint *ep);
struct redis_cluster_node *redis_cluster_node_at(struct redis_cluster *c,
    const struct redis_cluster_node *near, const char *host, size_t len,
    long long port, char *err, size_t errlen);
void redis_cluster_set_error(struct redis_cluster *c, const char *text);
void redis_cluster_soon(struct redis_cluster *c);
int redis_cluster_wait(pthread_cond_t *cond, pthread_mutex_t *lock,
    int64_t deadline);
int redis_cluster_start(struct redis_cluster *c, char *err, size_t errlen);
void redis_cluster_stop(struct redis_cluster *c);

#endif
