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
 * hiredis 0.14 keeps the connect timeout for connecting only, so every
 * command re-arms the socket timeout to the time left until its deadline
 * (skipped when the timeout armed already is within a millisecond of it,
 * which is the common case: a syscall saved per command).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "redis_endpoint.h"
#include "redis_pool.h"
#include "redis_sentinel.h"
#include "xalloc.h"

#define REDIS_REARM_SLACK_NS	1000000
#define REDIS_ERROR_TEXT_MAX	1024

struct redis_conn {
	redisContext *ctx;
	int64_t armed_ns;		/* socket timeout in force, -1: none */
	uint64_t generation;		/* the master it was made for */
	bool failed;			/* a connection-level failure seen */
	bool asking;			/* send ASKING before each command */
	struct redis_conn *next;	/* in the idle list */
};

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

/* Error replies that say the node cannot serve any key now. */
static const char *const redis_node_errors[] = {
	"READONLY", "LOADING", "MASTERDOWN", "BUSY", "NOAUTH", "WRONGPASS",
	"OOM", "MISCONF", "NOREPLICAS", "CLUSTERDOWN", "MASTER_DOWN", NULL
};

bool redis_reply_node_error(const redisReply *reply)
{
	if (reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return false;
	for (const char *const *e = redis_node_errors; *e != NULL; e++) {
		size_t len = strlen(*e);

		if (reply->len >= len && strncmp(reply->str, *e, len) == 0 &&
		    (reply->str[len] == ' ' || reply->str[len] == '\0'))
			return true;
	}
	return false;
}

bool redis_conn_failed(const struct redis_conn *conn)
{
	return conn->failed;
}

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

static void redis_conn_free(struct redis_conn *conn)
{
	redisFree(conn->ctx);
	free(conn);
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

/* Limit the socket waits of the next command to the time left. */
static int redis_conn_arm(struct redis_conn *conn, int64_t deadline,
    char *err, size_t errlen)
{
	struct timeval tv;
	int64_t left;

	if (redis_endpoint_time_left(deadline, &left, &tv) < 0) {
		snprintf(err, errlen, "timed out");
		conn->failed = true;
		return -1;
	}
	if (llabs(left - conn->armed_ns) <= REDIS_REARM_SLACK_NS)
		return 0;
	if (redisSetTimeout(conn->ctx, tv) != REDIS_OK) {
		snprintf(err, errlen, "cannot set socket timeout: %s",
		    conn->ctx->errstr);
		conn->failed = true;
		return -1;
	}
	conn->armed_ns = left;
	return 0;
}

static void redis_conn_error(struct redis_conn *conn, char *err,
    size_t errlen)
{
	const redisContext *c = conn->ctx;

	conn->failed = true;
	if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
		snprintf(err, errlen, "timed out");
	else
		snprintf(err, errlen, "%s", c->err ? c->errstr : "no reply");
}

/* Note a reply that condemns the connection; pass it on. */
static redisReply *redis_conn_judge(struct redis_conn *conn,
    redisReply *reply)
{
	if (redis_reply_node_error(reply))
		conn->failed = true;
	return reply;
}

void redis_conn_asking(struct redis_conn *conn, bool asking)
{
	conn->asking = asking;
}

/* ASKING's own reply, read before the command's: anything but +OK fails. */
static int redis_conn_asked(struct redis_conn *conn, char *err, size_t errlen)
{
	redisReply *reply = NULL;
	bool ok;

	if (redisGetReply(conn->ctx, (void **)&reply) != REDIS_OK ||
	    reply == NULL) {
		redis_conn_error(conn, err, errlen);
		return -1;
	}
	ok = reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "OK") == 0;
	if (!ok) {
		snprintf(err, errlen, "ASKING: %s",
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		conn->failed = true;
	}
	freeReplyObject(reply);
	return ok ? 0 : -1;
}

redisReply *redis_conn_command(struct redis_conn *conn, int64_t deadline,
    int argc, const char **argv, const size_t *argvlen, char *err,
    size_t errlen)
{
	if (redis_conn_arm(conn, deadline, err, errlen) < 0 ||
	    redis_conn_append(conn, argc, argv, argvlen, err, errlen) < 0)
		return NULL;
	return redis_conn_reply(conn, deadline, err, errlen);
}

int redis_conn_append(struct redis_conn *conn, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen)
{
	static const char *const asking[] = { "ASKING" };

	if ((!conn->asking || redisAppendCommandArgv(conn->ctx, 1,
	    (const char **)asking, NULL) == REDIS_OK) &&
	    redisAppendCommandArgv(conn->ctx, argc, argv, argvlen) == REDIS_OK)
		return 0;
	redis_conn_error(conn, err, errlen);
	return -1;
}

redisReply *redis_conn_reply(struct redis_conn *conn, int64_t deadline,
    char *err, size_t errlen)
{
	void *reply = NULL;

	if (redis_conn_arm(conn, deadline, err, errlen) < 0)
		return NULL;
	if (conn->asking && redis_conn_asked(conn, err, errlen) < 0)
		return NULL;
	if (redisGetReply(conn->ctx, &reply) != REDIS_OK || reply == NULL) {
		redis_conn_error(conn, err, errlen);
		return NULL;
	}
	return redis_conn_judge(conn, reply);
}

/* A command whose only good answer is +OK. */
static int redis_conn_expect_ok(struct redis_conn *conn, int64_t deadline,
    int argc, const char **argv, char *err, size_t errlen)
{
	redisReply *reply = redis_conn_command(conn, deadline, argc, argv, NULL,
	    err, errlen);
	int rc = -1;

	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "OK") == 0)
		rc = 0;
	else
		snprintf(err, errlen, "%s: %s", argv[0],
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
	freeReplyObject(reply);
	return rc;
}

static int redis_conn_check_master(struct redis_conn *conn, int64_t deadline,
    char *err, size_t errlen)
{
	const char *argv[] = { "ROLE" };
	redisReply *reply = redis_conn_command(conn, deadline, 1, argv, NULL,
	    err, errlen);
	int rc = -1;

	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(reply->element[0]->str, "master") == 0)
		rc = 0;
	else
		snprintf(err, errlen, "the server the sentinels named is not a master");
	freeReplyObject(reply);
	return rc;
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

void redis_conn_close(struct redis_conn *conn)
{
	if (conn != NULL)
		redis_conn_free(conn);
}

/* A reply already read, else poll() then read what came: no socket timeout. */
int redis_conn_wait(struct redis_conn *conn, unsigned timeout_ms,
    redisReply **out, char *err, size_t errlen)
{
	struct pollfd pfd = { .fd = conn->ctx->fd, .events = POLLIN };
	void *reply = NULL;
	int n;

	*out = NULL;
	if (redisGetReplyFromReader(conn->ctx, &reply) != REDIS_OK)
		goto failed;
	if (reply == NULL) {
		if ((n = poll(&pfd, 1, (int)timeout_ms)) < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			conn->failed = true;
			return -1;
		}
		if (n <= 0)
			return 0;
		if (redisBufferRead(conn->ctx) != REDIS_OK ||
		    redisGetReplyFromReader(conn->ctx, &reply) != REDIS_OK)
			goto failed;
		if (reply == NULL)
			return 0;
	}
	*out = redis_conn_judge(conn, reply);
	return 1;
failed:
	redis_conn_error(conn, err, errlen);
	return -1;
}
