/*
 * redis_pool.c - connections to Redis shared by many threads.  See
 * redis_pool.h for the contract.
 *
 * The pool is a free list under one mutex, with condition variables on
 * the monotonic clock for threads waiting for a connection or for the
 * first master.  Connections are opened lazily, outside the lock.  When
 * one fails, the idle ones are closed too: they most likely share its
 * fate (Redis restarted, failed over), and probing them one by one would
 * delay the recovery.
 *
 * With sentinels, the master is what the watcher (redis_sentinel.c) last
 * reported; each report bumps a generation, and a connection made for an
 * older generation is closed instead of being pooled again.  Event
 * threads never talk to the sentinels: discovery is the watcher's.
 *
 * One connection's commands, deadlines and failure judgement are in
 * redis_conn.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "redis_conn_impl.h"
#include "redis_endpoint.h"
#include "redis_pool.h"
#include "redis_sentinel.h"
#include "xalloc.h"

#define REDIS_ERROR_TEXT_MAX	1024

struct redis_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	pthread_cond_t master_found;
	struct redis_conn *idle;
	unsigned open;			/* connections idle or in use */
	unsigned size;

	struct redis_endpoint server;
	struct redis_sentinel *watch;	/* NULL without sentinels */
	bool master_known;
	struct redis_endpoint master;
	uint64_t generation;		/* bumped by each new master */

	char *username;
	char *password;
	unsigned database;
};

bool redis_endpoint_valid(const char *text, bool unix_ok)
{
	struct redis_endpoint ep;

	return redis_endpoint_parse(text, unix_ok, &ep) == 0;
}

/* Parse and resolve the sentinels into a new array. */
static struct redis_endpoint *redis_pool_sentinels(const struct redis_config *rc,
    char *err, size_t errlen)
{
	struct redis_endpoint *eps = xcalloc(rc->sentinel_count, sizeof(*eps));
	char why[REDIS_ERROR_TEXT_MAX];

	for (size_t i = 0; i < rc->sentinel_count; i++) {
		if (redis_endpoint_parse(rc->sentinels[i], false, &eps[i]) < 0) {
			snprintf(err, errlen, "redis sentinel \"%s\" is not host:port",
			    rc->sentinels[i]);
			break;
		}
		if (redis_endpoint_resolve(&eps[i], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "redis sentinel \"%s\": %s",
			    rc->sentinels[i], why);
			break;
		}
		if (i + 1 == rc->sentinel_count)
			return eps;
	}
	free(eps);
	return NULL;
}

static void redis_pool_found(void *arg, const struct redis_endpoint *master);

static int redis_pool_check(const struct redis_config *rc,
    struct redis_pool *pool, char *err, size_t errlen)
{
	struct redis_endpoint *eps;
	char why[REDIS_ERROR_TEXT_MAX];

	if (rc->pool_size == 0 || rc->timeout_ms == 0) {
		snprintf(err, errlen,
		    "redis pool_size and timeout_ms must be at least 1");
		return -1;
	}
	if (rc->cluster_count > 0) {
		snprintf(err, errlen, "redis cluster nodes are reached "
		    "through the cluster client, not one pool");
		return -1;
	}
	if (rc->sentinel_count == 0) {
		if (rc->server == NULL ||
		    redis_endpoint_parse(rc->server, true, &pool->server) < 0) {
			snprintf(err, errlen,
			    "redis server \"%s\" is not host:port or unix:/path",
			    rc->server != NULL ? rc->server : "");
			return -1;
		}
		if (redis_endpoint_resolve(&pool->server, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "redis server \"%s\": %s",
			    rc->server, why);
			return -1;
		}
		return 0;
	}
	if (rc->master_name == NULL || rc->master_name[0] == '\0') {
		snprintf(err, errlen, "redis sentinels need a master_name");
		return -1;
	}
	if ((eps = redis_pool_sentinels(rc, err, errlen)) == NULL)
		return -1;
	pool->watch = redis_sentinel_new(eps, rc->sentinel_count,
	    rc->master_name, rc->timeout_ms, redis_pool_found, pool);
	free(eps);
	return 0;
}

static char *redis_strdup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

/* The parts every pool has, its endpoint or watcher already set. */
static struct redis_pool *redis_pool_init(struct redis_pool *pool,
    const struct redis_config *rc)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->freed, &attr);
	pthread_cond_init(&pool->master_found, &attr);
	pthread_condattr_destroy(&attr);
	pool->size = rc->pool_size;
	pool->username = redis_strdup_or_empty(rc->username);
	pool->password = redis_strdup_or_empty(rc->password);
	pool->database = rc->database;
	return pool;
}

struct redis_pool *redis_pool_open(const struct redis_config *rc, char *err,
    size_t errlen)
{
	struct redis_pool *pool = xcalloc(1, sizeof(*pool));

	if (redis_pool_check(rc, pool, err, errlen) < 0) {
		free(pool);
		return NULL;
	}
	return redis_pool_init(pool, rc);
}

struct redis_pool *redis_pool_open_at(const struct redis_config *rc,
    const struct redis_endpoint *server)
{
	struct redis_pool *pool = xcalloc(1, sizeof(*pool));

	pool->server = *server;
	return redis_pool_init(pool, rc);
}

static void redis_conn_free_list(struct redis_conn *list)
{
	while (list != NULL) {
		struct redis_conn *conn = list;

		list = conn->next;
		redis_conn_free(conn);
	}
}

void redis_pool_close(struct redis_pool *pool)
{
	if (pool == NULL)
		return;
	/* First: the watcher calls back into the pool. */
	redis_sentinel_free(pool->watch);
	redis_conn_free_list(pool->idle);
	pthread_cond_destroy(&pool->freed);
	pthread_cond_destroy(&pool->master_found);
	pthread_mutex_destroy(&pool->lock);
	free(pool->username);
	free(pool->password);
	free(pool);
}

/* Take the idle list; the caller frees it outside the lock. */
static struct redis_conn *redis_pool_take_idle(struct redis_pool *pool)
{
	struct redis_conn *list = pool->idle;

	pool->idle = NULL;
	for (struct redis_conn *c = list; c != NULL; c = c->next)
		pool->open--;
	pthread_cond_broadcast(&pool->freed);
	return list;
}

/* From the watcher's thread: a new master; the old one's connections go. */
static void redis_pool_found(void *arg, const struct redis_endpoint *master)
{
	struct redis_pool *pool = arg;
	struct redis_conn *stale;

	pthread_mutex_lock(&pool->lock);
	pool->master = *master;
	pool->master_known = true;
	pool->generation++;
	stale = redis_pool_take_idle(pool);
	pthread_cond_broadcast(&pool->master_found);
	pthread_mutex_unlock(&pool->lock);
	redis_conn_free_list(stale);
}

/* AUTH, SELECT and, with sentinels, the ROLE check. */
static int redis_conn_setup(const struct redis_pool *pool,
    struct redis_conn *conn, int64_t deadline, char *err, size_t errlen)
{
	const char *argv[3] = { "AUTH" };
	int argc = 1;
	char db[16];

	if (pool->password[0] != '\0') {
		if (pool->username[0] != '\0')
			argv[argc++] = pool->username;
		argv[argc++] = pool->password;
		if (redis_conn_expect_ok(conn, deadline, argc, argv, err,
		    errlen) < 0)
			return -1;
	}
	if (pool->database != 0) {
		snprintf(db, sizeof(db), "%u", pool->database);
		argv[0] = "SELECT";
		argv[1] = db;
		if (redis_conn_expect_ok(conn, deadline, 2, argv, err,
		    errlen) < 0)
			return -1;
	}
	if (pool->watch != NULL)
		return redis_conn_check_master(conn, deadline, err, errlen);
	return 0;
}

static struct redis_conn *redis_connect_setup(const struct redis_pool *pool,
    const struct redis_endpoint *ep, int64_t deadline, char *err,
    size_t errlen)
{
	redisContext *c = redis_endpoint_connect(ep, deadline, err, errlen);
	struct redis_conn *conn;

	if (c == NULL)
		return NULL;
	conn = xcalloc(1, sizeof(*conn));
	conn->ctx = c;
	conn->armed_ns = -1;
	if (redis_conn_setup(pool, conn, deadline, err, errlen) < 0) {
		redis_conn_free(conn);
		return NULL;
	}
	return conn;
}

static int redis_pool_wait(pthread_cond_t *cond, pthread_mutex_t *lock,
    int64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000,
		.tv_nsec = deadline % 1000000000,
	};

	return pthread_cond_timedwait(cond, lock, &ts);
}

/* With the lock held: wait until the watcher names a master. */
static int redis_pool_await_master(struct redis_pool *pool, int64_t deadline,
    char *err, size_t errlen)
{
	char why[REDIS_ERROR_TEXT_MAX];

	while (!pool->master_known) {
		redis_sentinel_check_soon(pool->watch);
		if (redis_pool_wait(&pool->master_found, &pool->lock,
		    deadline) == ETIMEDOUT && !pool->master_known) {
			redis_sentinel_error(pool->watch, why, sizeof(why));
			snprintf(err, errlen, "no master known yet%s%s",
			    why[0] != '\0' ? ": " : "", why);
			return -1;
		}
	}
	return 0;
}

/* A new connection, to the server or to the master known now. */
static struct redis_conn *redis_pool_connect(struct redis_pool *pool,
    int64_t deadline, char *err, size_t errlen)
{
	struct redis_endpoint master;
	struct redis_conn *conn;
	uint64_t generation;

	if (pool->watch == NULL)
		return redis_connect_setup(pool, &pool->server, deadline, err,
		    errlen);
	pthread_mutex_lock(&pool->lock);
	if (redis_pool_await_master(pool, deadline, err, errlen) < 0) {
		pthread_mutex_unlock(&pool->lock);
		return NULL;
	}
	master = pool->master;
	generation = pool->generation;
	pthread_mutex_unlock(&pool->lock);
	if ((conn = redis_connect_setup(pool, &master, deadline, err,
	    errlen)) == NULL) {
		redis_sentinel_check_soon(pool->watch);
		return NULL;
	}
	conn->generation = generation;
	return conn;
}

int redis_pool_get(struct redis_pool *pool, int64_t deadline,
    struct redis_conn **out, char *err, size_t errlen)
{
	if (pool->watch != NULL && redis_sentinel_run(pool->watch, err,
	    errlen) < 0)
		return -1;
	pthread_mutex_lock(&pool->lock);
	while (pool->idle == NULL && pool->open >= pool->size) {
		if (redis_pool_wait(&pool->freed, &pool->lock,
		    deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&pool->lock);
			snprintf(err, errlen, "no free connection in time");
			return -1;
		}
	}
	if ((*out = pool->idle) != NULL) {
		pool->idle = (*out)->next;
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	pool->open++;
	pthread_mutex_unlock(&pool->lock);
	if ((*out = redis_pool_connect(pool, deadline, err, errlen)) != NULL)
		return 0;
	pthread_mutex_lock(&pool->lock);
	pool->open--;
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
	return -1;
}

void redis_pool_put(struct redis_pool *pool, struct redis_conn *conn, bool ok)
{
	struct redis_conn *stale = NULL;
	bool failed = !ok || conn->failed;

	conn->asking = false;
	pthread_mutex_lock(&pool->lock);
	if (!failed && conn->generation == pool->generation) {
		conn->next = pool->idle;
		pool->idle = conn;
		pthread_cond_signal(&pool->freed);
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pool->open--;
	if (failed)
		stale = redis_pool_take_idle(pool);
	else
		pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
	redis_conn_free(conn);
	redis_conn_free_list(stale);
	if (failed && pool->watch != NULL)
		redis_sentinel_check_soon(pool->watch);
}

int redis_pool_connect_own(struct redis_pool *pool, int64_t deadline,
    struct redis_conn **out, char *err, size_t errlen)
{
	if (pool->watch != NULL && redis_sentinel_run(pool->watch, err,
	    errlen) < 0)
		return -1;
	*out = redis_pool_connect(pool, deadline, err, errlen);
	return *out != NULL ? 0 : -1;
}

bool redis_pool_current(struct redis_pool *pool, const struct redis_conn *conn)
{
	bool current;

	if (conn->failed)
		return false;
	pthread_mutex_lock(&pool->lock);
	current = conn->generation == pool->generation;
	pthread_mutex_unlock(&pool->lock);
	return current;
}

