/*
 * redis_cluster_map.c - the nodes of a Redis Cluster and which primary
 * owns each slot, read with CLUSTER SLOTS by a thread of the cluster.
 * See redis_cluster.h for the contract, redis_cluster_impl.h for what
 * the routing side may use.
 *
 * Nodes are only ever added (at most REDIS_CLUSTER_NODES_MAX), so a
 * command may hold a node without a reference count; each is published
 * before any slot names it.  The map is one atomic entry per slot, so
 * reading a slot's node takes no lock, and a map read is applied slot by
 * slot under the lock.
 *
 * The thread holds busy whenever it works, and waits without it: a fork
 * handler takes busy (and lock) of every cluster, so fork() never copies
 * a half-done map read or a pool lock held by the thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_cluster_impl.h"
#include "xalloc.h"

#define REDIS_NS_PER_MS		1000000

static pthread_mutex_t redis_cluster_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct redis_cluster *redis_cluster_registry;
static pthread_once_t redis_cluster_once = PTHREAD_ONCE_INIT;

static void redis_cluster_fork_prepare(void)
{
	pthread_mutex_lock(&redis_cluster_registry_lock);
	for (struct redis_cluster *c = redis_cluster_registry; c; c = c->next) {
		pthread_mutex_lock(&c->busy);
		pthread_mutex_lock(&c->lock);
	}
}

static void redis_cluster_fork_parent(void)
{
	for (struct redis_cluster *c = redis_cluster_registry; c; c = c->next) {
		pthread_mutex_unlock(&c->lock);
		pthread_mutex_unlock(&c->busy);
	}
	pthread_mutex_unlock(&redis_cluster_registry_lock);
}

static void redis_cluster_fork_child(void)
{
	for (struct redis_cluster *c = redis_cluster_registry; c; c = c->next) {
		pthread_mutex_unlock(&c->lock);
		pthread_mutex_unlock(&c->busy);
		atomic_store(&c->running, false);
	}
	pthread_mutex_unlock(&redis_cluster_registry_lock);
}

static void redis_cluster_atfork(void)
{
	pthread_atfork(redis_cluster_fork_prepare, redis_cluster_fork_parent,
	    redis_cluster_fork_child);
}

void redis_cluster_register(struct redis_cluster *c)
{
	pthread_once(&redis_cluster_once, redis_cluster_atfork);
	pthread_mutex_lock(&redis_cluster_registry_lock);
	c->next = redis_cluster_registry;
	redis_cluster_registry = c;
	pthread_mutex_unlock(&redis_cluster_registry_lock);
}

void redis_cluster_unregister(struct redis_cluster *c)
{
	struct redis_cluster **p;

	pthread_mutex_lock(&redis_cluster_registry_lock);
	for (p = &redis_cluster_registry; *p != c; p = &(*p)->next)
		;
	*p = c->next;
	pthread_mutex_unlock(&redis_cluster_registry_lock);
}

static bool redis_cluster_numeric(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

struct redis_cluster_node *redis_cluster_node_add(struct redis_cluster *c,
    const struct redis_endpoint *ep)
{
	struct redis_cluster_node *node = NULL;
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = atomic_load_explicit(&c->node_count, memory_order_relaxed);
	for (size_t i = 0; i < n && node == NULL; i++) {
		if (redis_endpoint_same(&c->nodes[i]->ep, ep))
			node = c->nodes[i];
	}
	if (node == NULL && n < REDIS_CLUSTER_NODES_MAX) {
		node = xcalloc(1, sizeof(*node));
		node->ep = *ep;
		node->index = (uint16_t)n;
		node->pool = redis_pool_open_at(&c->pool_rc, ep);
		c->nodes[n] = node;
		atomic_store_explicit(&c->node_count, n + 1,
		    memory_order_release);
	}
	pthread_mutex_unlock(&c->lock);
	return node;
}

struct redis_cluster_node *redis_cluster_node_at(struct redis_cluster *c,
    const struct redis_cluster_node *near, const char *host, size_t len,
    long long port, char *err, size_t errlen)
{
	struct redis_endpoint ep;
	struct redis_cluster_node *node;
	bool same_host = len == 0;

	memset(&ep, 0, sizeof(ep));
	if (same_host) {
		host = near->ep.host;
		len = strlen(host);
	}
	if (port < 1 || port > 65535 ||
	    redis_endpoint_host_set(&ep, host, len) < 0 ||
	    (!same_host && !redis_cluster_numeric(ep.host))) {
		snprintf(err, errlen, "cluster node address is not a numeric "
		    "address and port");
		return NULL;
	}
	ep.port = (int)port;
	if (same_host) {
		/* The addresses near was resolved to: never a lookup. */
		memcpy(ep.addrs, near->ep.addrs, sizeof(ep.addrs));
		ep.addr_count = near->ep.addr_count;
	} else {
		memcpy(ep.addrs[0], ep.host, len + 1);
		ep.addr_count = 1;
	}
	if ((node = redis_cluster_node_add(c, &ep)) == NULL)
		snprintf(err, errlen, "more than %d cluster nodes",
		    REDIS_CLUSTER_NODES_MAX);
	return node;
}

/* One range of CLUSTER SLOTS: start, end, [host, port, ...], replicas. */
static int redis_cluster_range(struct redis_cluster *c,
    const struct redis_cluster_node *asked, const redisReply *r,
    uint16_t *map, char *err, size_t errlen)
{
	const redisReply *primary;
	struct redis_cluster_node *node;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_INTEGER ||
	    r->element[0]->integer < 0 ||
	    r->element[0]->integer > r->element[1]->integer ||
	    r->element[1]->integer >= REDIS_CLUSTER_SLOTS)
		goto bad;
	primary = r->element[2];
	if (primary->type != REDIS_REPLY_ARRAY || primary->elements < 2 ||
	    primary->element[0]->type != REDIS_REPLY_STRING ||
	    primary->element[1]->type != REDIS_REPLY_INTEGER)
		goto bad;
	node = redis_cluster_node_at(c, asked, primary->element[0]->str,
	    primary->element[0]->len, primary->element[1]->integer, err,
	    errlen);
	if (node == NULL)
		return -1;
	for (long long s = r->element[0]->integer; s <= r->element[1]->integer;
	    s++)
		map[s] = (uint16_t)(node->index + 1);
	return 0;
bad:
	snprintf(err, errlen, "CLUSTER SLOTS: unexpected reply");
	return -1;
}

/* Apply a CLUSTER SLOTS reply from asked; -1 when it is unusable. */
static int redis_cluster_apply(struct redis_cluster *c,
    const struct redis_cluster_node *asked, const redisReply *reply,
    char *err, size_t errlen)
{
	uint16_t *map = c->scratch;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
		snprintf(err, errlen, "CLUSTER SLOTS: no slot served");
		return -1;
	}
	memset(map, 0, REDIS_CLUSTER_SLOTS * sizeof(*map));
	for (size_t i = 0; i < reply->elements; i++) {
		if (redis_cluster_range(c, asked, reply->element[i], map, err,
		    errlen) < 0)
			return -1;
	}
	pthread_mutex_lock(&c->lock);
	for (size_t s = 0; s < REDIS_CLUSTER_SLOTS; s++)
		atomic_store_explicit(&c->slots[s], map[s], memory_order_release);
	atomic_fetch_add(&c->stat_map_reads, 1);
	pthread_cond_broadcast(&c->mapped);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Ask node for the map and apply it. */
static int redis_cluster_ask(struct redis_cluster *c,
    struct redis_cluster_node *node, char *err, size_t errlen)
{
	static const char *const argv[] = { "CLUSTER", "SLOTS" };
	int64_t deadline = redis_deadline(c->timeout_ms);
	struct redis_conn *conn;
	redisReply *reply;
	int rc = -1;

	if (redis_pool_get(node->pool, deadline, &conn, err, errlen) < 0)
		return -1;
	reply = redis_conn_command(conn, deadline, 2, (const char **)argv,
	    NULL, err, errlen);
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		snprintf(err, errlen, "CLUSTER SLOTS: %s", reply->str);
	else if (reply != NULL)
		rc = redis_cluster_apply(c, node, reply, err, errlen);
	redis_pool_put(node->pool, conn, rc == 0);
	if (reply != NULL)
		freeReplyObject(reply);
	return rc;
}

/* Read the map from the first node that gives a usable one. */
static void redis_cluster_read(struct redis_cluster *c)
{
	size_t n = atomic_load_explicit(&c->node_count, memory_order_acquire);
	char err[200], text[REDIS_ENDPOINT_TEXT_MAX];

	for (size_t i = 0; i < n; i++) {
		size_t at = (c->first + i) % n;
		struct redis_cluster_node *node = c->nodes[at];

		if (redis_cluster_ask(c, node, err, sizeof(err)) == 0) {
			c->first = at;
			redis_cluster_set_error(c, "");
			return;
		}
		redis_endpoint_text(&node->ep, text, sizeof(text));
		pthread_mutex_lock(&c->lock);
		snprintf(c->error, sizeof(c->error), "%s: %s", text, err);
		pthread_mutex_unlock(&c->lock);
	}
}

void redis_cluster_set_error(struct redis_cluster *c, const char *text)
{
	pthread_mutex_lock(&c->lock);
	snprintf(c->error, sizeof(c->error), "%s", text);
	pthread_mutex_unlock(&c->lock);
}

void redis_cluster_soon(struct redis_cluster *c)
{
	pthread_mutex_lock(&c->lock);
	c->soon = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

int redis_cluster_wait(pthread_cond_t *cond, pthread_mutex_t *lock,
    int64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000,
		.tv_nsec = deadline % 1000000000,
	};

	return pthread_cond_timedwait(cond, lock, &ts);
}

/* With lock held: until the next map read is due, or stop. */
static void redis_cluster_idle(struct redis_cluster *c, int64_t last)
{
	for (;;) {
		int64_t due = last + (c->soon ? REDIS_CLUSTER_SOON_MS :
		    REDIS_CLUSTER_CHECK_MS) * (int64_t)REDIS_NS_PER_MS;

		if (c->stopping || redis_monotonic_ns() >= due)
			return;
		redis_cluster_wait(&c->wake, &c->lock, due);
	}
}

static void *redis_cluster_main(void *arg)
{
	struct redis_cluster *c = arg;

	pthread_mutex_lock(&c->busy);
	for (;;) {
		int64_t last = redis_monotonic_ns();

		pthread_mutex_lock(&c->lock);
		c->soon = false;
		pthread_mutex_unlock(&c->lock);
		redis_cluster_read(c);
		pthread_mutex_unlock(&c->busy);
		pthread_mutex_lock(&c->lock);
		redis_cluster_idle(c, last);
		if (c->stopping) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pthread_mutex_unlock(&c->lock);
		pthread_mutex_lock(&c->busy);
	}
}

int redis_cluster_start(struct redis_cluster *c, char *err, size_t errlen)
{
	sigset_t all, saved;
	int rc = 0;

	if (atomic_load(&c->running))
		return 0;
	pthread_mutex_lock(&c->start_lock);
	if (!atomic_load(&c->running)) {
		c->stopping = false;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &saved);
		rc = pthread_create(&c->thread, NULL, redis_cluster_main, c);
		pthread_sigmask(SIG_SETMASK, &saved, NULL);
		if (rc == 0)
			atomic_store(&c->running, true);
		else
			snprintf(err, errlen, "cluster thread: %s", strerror(rc));
	}
	pthread_mutex_unlock(&c->start_lock);
	return rc == 0 ? 0 : -1;
}

void redis_cluster_stop(struct redis_cluster *c)
{
	if (!atomic_load(&c->running))
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	atomic_store(&c->running, false);
}
