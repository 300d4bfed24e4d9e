/*
 * redis_cluster.c - commands routed to the primary that owns their key's
 * slot, following MOVED and ASK.  See redis_cluster.h for the contract;
 * the node table and the map are in redis_cluster_map.c.
 *
 * The steady state costs one atomic load (the slot's node) and the
 * pool's get and put on top of the command itself: no lock of the
 * cluster, no extra round trip.  Redirects and failures are rare and
 * take the slow paths below, all bounded by the caller's deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis_cluster_impl.h"
#include "xalloc.h"

#define REDIS_CLUSTER_PAUSE_NS	10000000	/* before TRYAGAIN's retry */

enum redis_cluster_verdict {
	REDIS_CLUSTER_DONE,		/* the caller's reply */
	REDIS_CLUSTER_FAILED,		/* no reply: the node failed */
	REDIS_CLUSTER_MOVED,
	REDIS_CLUSTER_ASK,
	REDIS_CLUSTER_AGAIN		/* TRYAGAIN, CLUSTERDOWN */
};

/* CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0. */
static uint16_t redis_cluster_crc16(const unsigned char *p, size_t len)
{
	uint16_t crc = 0;

	while (len-- > 0) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int bit = 0; bit < 8; bit++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 :
			    crc << 1);
	}
	return crc;
}

unsigned redis_cluster_slot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len), *close;

	if (open != NULL) {
		size_t rest = len - (size_t)(open - key) - 1;

		close = memchr(open + 1, '}', rest);
		if (close != NULL && close > open + 1) {
			key = open + 1;
			len = (size_t)(close - key);
		}
	}
	return redis_cluster_crc16((const unsigned char *)key, len) &
	    (REDIS_CLUSTER_SLOTS - 1);
}

static int redis_cluster_seeds(struct redis_cluster *c,
    const struct redis_config *rc, char *err, size_t errlen)
{
	char why[REDIS_CLUSTER_ERROR_MAX];
	struct redis_endpoint ep;

	for (size_t i = 0; i < rc->cluster_count; i++) {
		if (redis_endpoint_parse(rc->cluster[i], false, &ep) < 0) {
			snprintf(err, errlen, "redis cluster node \"%s\" is not "
			    "host:port", rc->cluster[i]);
			return -1;
		}
		if (redis_endpoint_resolve(&ep, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "redis cluster node \"%s\": %s",
			    rc->cluster[i], why);
			return -1;
		}
		if (redis_cluster_node_add(c, &ep) == NULL) {
			snprintf(err, errlen, "too many redis cluster nodes");
			return -1;
		}
	}
	c->seed_count = atomic_load(&c->node_count);
	return 0;
}

static void redis_cluster_free(struct redis_cluster *c)
{
	size_t n = atomic_load(&c->node_count);

	for (size_t i = 0; i < n; i++) {
		redis_pool_close(c->nodes[i]->pool);
		free(c->nodes[i]);
	}
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->mapped);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->busy);
	pthread_mutex_destroy(&c->start_lock);
	free(c->pool_rc.username);
	free(c->pool_rc.password);
	free(c->scratch);
	free(c);
}

struct redis_cluster *redis_cluster_open(const struct redis_config *rc,
    char *err, size_t errlen)
{
	struct redis_cluster *c;
	pthread_condattr_t attr;

	if (rc->cluster_count == 0 || rc->pool_size == 0 ||
	    rc->timeout_ms == 0) {
		snprintf(err, errlen, "redis cluster needs seed nodes, "
		    "pool_size and timeout_ms");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->busy, NULL);
	pthread_mutex_init(&c->start_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &attr);
	pthread_cond_init(&c->mapped, &attr);
	pthread_condattr_destroy(&attr);
	c->pool_rc.pool_size = rc->pool_size;
	c->pool_rc.username = xstrdup(rc->username != NULL ? rc->username : "");
	c->pool_rc.password = xstrdup(rc->password != NULL ? rc->password : "");
	c->timeout_ms = rc->timeout_ms;
	c->scratch = xcalloc(REDIS_CLUSTER_SLOTS, sizeof(*c->scratch));
	if (redis_cluster_seeds(c, rc, err, errlen) < 0) {
		redis_cluster_free(c);
		return NULL;
	}
	redis_cluster_register(c);
	return c;
}

void redis_cluster_close(struct redis_cluster *c)
{
	if (c == NULL)
		return;
	redis_cluster_stop(c);
	redis_cluster_unregister(c);
	redis_cluster_free(c);
}

static struct redis_cluster_node *redis_cluster_slot_node(
    struct redis_cluster *c, unsigned slot)
{
	uint16_t v = atomic_load_explicit(&c->slots[slot],
	    memory_order_acquire);

	return v == 0 ? NULL : c->nodes[v - 1];
}

/* The slot's primary, waiting for a map that names one until deadline. */
static struct redis_cluster_node *redis_cluster_owner(struct redis_cluster *c,
    unsigned slot, int64_t deadline, char *err, size_t errlen)
{
	struct redis_cluster_node *node = redis_cluster_slot_node(c, slot);

	if (node != NULL)
		return node;
	pthread_mutex_lock(&c->lock);
	c->soon = true;
	pthread_cond_signal(&c->wake);
	while ((node = redis_cluster_slot_node(c, slot)) == NULL) {
		if (redis_cluster_wait(&c->mapped, &c->lock, deadline) ==
		    ETIMEDOUT && redis_cluster_slot_node(c, slot) == NULL) {
			snprintf(err, errlen, "no cluster node known for slot "
			    "%u%s%s", slot, c->error[0] != '\0' ? ": " : "",
			    c->error);
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return node;
}

static bool redis_cluster_error_is(const redisReply *reply, const char *word)
{
	size_t len = strlen(word);

	return reply->type == REDIS_REPLY_ERROR && reply->len > len &&
	    strncmp(reply->str, word, len) == 0 && reply->str[len] == ' ';
}

static enum redis_cluster_verdict redis_cluster_judge(const redisReply *reply)
{
	if (reply == NULL)
		return REDIS_CLUSTER_FAILED;
	if (reply->type != REDIS_REPLY_ERROR)
		return REDIS_CLUSTER_DONE;
	if (redis_cluster_error_is(reply, "MOVED"))
		return REDIS_CLUSTER_MOVED;
	if (redis_cluster_error_is(reply, "ASK"))
		return REDIS_CLUSTER_ASK;
	if (redis_cluster_error_is(reply, "TRYAGAIN") ||
	    redis_cluster_error_is(reply, "CLUSTERDOWN"))
		return REDIS_CLUSTER_AGAIN;
	return REDIS_CLUSTER_DONE;
}

/*
 * The node a redirect ("MOVED 3999 127.0.0.1:6381", "ASK ...") names;
 * its slot to *slot.  An address with no host is from's host.
 */
static struct redis_cluster_node *redis_cluster_redirect(
    struct redis_cluster *c, const struct redis_cluster_node *from,
    const redisReply *reply, unsigned *slot, char *err, size_t errlen)
{
	const char *p = strchr(reply->str, ' '), *addr, *colon;
	char *end;
	long n, port;

	if (p == NULL)
		goto bad;
	n = strtol(p + 1, &end, 10);
	if (end == p + 1 || *end != ' ' || n < 0 || n >= REDIS_CLUSTER_SLOTS)
		goto bad;
	addr = end + 1;
	if ((colon = strrchr(addr, ':')) == NULL)
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end != '\0')
		goto bad;
	*slot = (unsigned)n;
	return redis_cluster_node_at(c, from, addr, (size_t)(colon - addr),
	    port, err, errlen);
bad:
	snprintf(err, errlen, "cannot read a redirect");
	return NULL;
}

/* Sleep a little, never past the deadline; false when no time is left. */
static bool redis_cluster_pause(int64_t deadline)
{
	int64_t left = deadline - redis_monotonic_ns();
	struct timespec ts = { 0, REDIS_CLUSTER_PAUSE_NS };

	if (left <= REDIS_CLUSTER_PAUSE_NS)
		return false;
	nanosleep(&ts, NULL);
	return true;
}

/* One try on node: fn's reply, the connection given back. */
static redisReply *redis_cluster_try(struct redis_cluster_node *node,
    bool asking, int64_t deadline, redis_cluster_fn *fn, void *arg,
    char *err, size_t errlen)
{
	struct redis_conn *conn;
	redisReply *reply;

	if (redis_pool_get(node->pool, deadline, &conn, err, errlen) < 0)
		return NULL;
	redis_conn_asking(conn, asking);
	reply = fn(conn, deadline, arg, err, errlen);
	redis_pool_put(node->pool, conn, reply != NULL);
	return reply;
}

redisReply *redis_cluster_run(struct redis_cluster *c, const char *key,
    size_t keylen, int64_t deadline, redis_cluster_fn *fn, void *arg,
    char *err, size_t errlen)
{
	unsigned slot = redis_cluster_slot(key, keylen), named;
	struct redis_cluster_node *node, *ask = NULL, *to;
	unsigned redirects = 0;
	redisReply *reply;

	if (redis_cluster_start(c, err, errlen) < 0)
		return NULL;
	for (;;) {
		node = ask;
		if (node == NULL && (node = redis_cluster_owner(c, slot,
		    deadline, err, errlen)) == NULL)
			return NULL;
		reply = redis_cluster_try(node, ask != NULL, deadline, fn, arg,
		    err, errlen);
		switch (redis_cluster_judge(reply)) {
		case REDIS_CLUSTER_DONE:
			return reply;
		case REDIS_CLUSTER_FAILED:
			redis_cluster_soon(c);
			/* Retried only when the map names another node now. */
			if (ask != NULL || redis_cluster_slot_node(c, slot) == node ||
			    redis_monotonic_ns() >= deadline)
				return NULL;
			atomic_fetch_add(&c->stat_retried, 1);
			continue;
		case REDIS_CLUSTER_AGAIN:
			snprintf(err, errlen, "%s", reply->str);
			if (strncmp(reply->str, "CLUSTERDOWN", 11) == 0)
				redis_cluster_soon(c);
			freeReplyObject(reply);
			if (!redis_cluster_pause(deadline))
				return NULL;
			atomic_fetch_add(&c->stat_retried, 1);
			continue;
		case REDIS_CLUSTER_MOVED:
		case REDIS_CLUSTER_ASK:
			break;
		}
		to = redis_cluster_redirect(c, node, reply, &named, err, errlen);
		if (to == NULL || named != slot || ++redirects >
		    REDIS_CLUSTER_REDIRECTS || (ask != NULL &&
		    redis_cluster_judge(reply) == REDIS_CLUSTER_ASK)) {
			if (to != NULL)
				snprintf(err, errlen, "%s", reply->str);
			freeReplyObject(reply);
			return NULL;
		}
		if (redis_cluster_judge(reply) == REDIS_CLUSTER_MOVED) {
			atomic_store_explicit(&c->slots[slot],
			    (uint16_t)(to->index + 1), memory_order_release);
			atomic_fetch_add(&c->stat_moved, 1);
			redis_cluster_soon(c);
			ask = NULL;
		} else {
			atomic_fetch_add(&c->stat_asked, 1);
			ask = to;
		}
		freeReplyObject(reply);
	}
}

struct redis_cluster_cmd {
	int argc;
	const char **argv;
	const size_t *argvlen;
};

static redisReply *redis_cluster_send(struct redis_conn *conn,
    int64_t deadline, void *arg, char *err, size_t errlen)
{
	const struct redis_cluster_cmd *cmd = arg;

	return redis_conn_command(conn, deadline, cmd->argc, cmd->argv,
	    cmd->argvlen, err, errlen);
}

redisReply *redis_cluster_command(struct redis_cluster *c, const char *key,
    size_t keylen, int64_t deadline, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen)
{
	struct redis_cluster_cmd cmd = { argc, argv, argvlen };

	return redis_cluster_run(c, key, keylen, deadline, redis_cluster_send,
	    &cmd, err, errlen);
}

/* Copy the distinct primaries of the map; how many there are. */
static size_t redis_cluster_copy_primaries(struct redis_cluster *c,
    struct redis_cluster_node_ref *out, size_t max)
{
	bool seen[REDIS_CLUSTER_NODES_MAX] = { false };
	size_t count = 0;

	for (unsigned s = 0; s < REDIS_CLUSTER_SLOTS; s++) {
		struct redis_cluster_node *node = redis_cluster_slot_node(c, s);

		if (node == NULL || seen[node->index])
			continue;
		seen[node->index] = true;
		if (count < max) {
			out[count].endpoint = node->ep;
			out[count].pool = node->pool;
		}
		count++;
	}
	return count < max ? count : max;
}

int redis_cluster_primaries(struct redis_cluster *c, int64_t deadline,
    struct redis_cluster_node_ref *out, size_t max, char *err, size_t errlen)
{
	size_t count;

	if (redis_cluster_start(c, err, errlen) < 0)
		return -1;
	pthread_mutex_lock(&c->lock);
	while ((count = redis_cluster_copy_primaries(c, out, max)) == 0) {
		c->soon = true;
		pthread_cond_signal(&c->wake);
		if (redis_cluster_wait(&c->mapped, &c->lock, deadline) ==
		    ETIMEDOUT && (count = redis_cluster_copy_primaries(c, out,
		    max)) == 0) {
			snprintf(err, errlen, "no cluster map yet%s%s",
			    c->error[0] != '\0' ? ": " : "", c->error);
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return count > 0 ? (int)count : -1;
}

void redis_cluster_stats(struct redis_cluster *c,
    struct redis_cluster_stats *out)
{
	out->moved = atomic_load(&c->stat_moved);
	out->asked = atomic_load(&c->stat_asked);
	out->retried = atomic_load(&c->stat_retried);
	out->map_reads = atomic_load(&c->stat_map_reads);
}
