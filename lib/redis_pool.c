/*
 * redis_pool.c - connections to Redis shared by many threads.  See
 * redis_pool.h for the contract.
 *
 * The pool is a free list under one mutex, with a condition variable on
 * the monotonic clock for threads waiting for a connection.  Connections
 * are opened lazily, outside the lock.  When one fails, the idle ones are
 * closed too: they most likely share its fate (Redis restarted, failed
 * over), and probing them one by one would delay the recovery.
 *
 * hiredis 0.14 keeps the connect timeout for connecting only, so every
 * command re-arms the socket timeout to the time left until its deadline
 * (skipped when the timeout armed already is within a millisecond of it,
 * which is the common case: a syscall saved per command).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "config.h"
#include "redis_pool.h"
#include "xalloc.h"

#define REDIS_HOST_MAX		256
#define REDIS_MIN_WAIT_NS	1000000		/* less time left: timed out */
#define REDIS_REARM_SLACK_NS	1000000

struct redis_endpoint {
	char host[REDIS_HOST_MAX];	/* name, address, or socket path */
	int port;			/* 0: host is a unix socket path */
};

struct redis_conn {
	redisContext *ctx;
	int64_t armed_ns;		/* socket timeout in force, -1: none */
	struct redis_conn *next;	/* in the idle list */
};

struct redis_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct redis_conn *idle;
	unsigned open;			/* connections idle or in use */
	unsigned size;

	struct redis_endpoint server;
	struct redis_endpoint *sentinels;
	size_t sentinel_count;
	size_t sentinel_first;		/* the one that answered last */
	char *master_name;
	bool master_known;		/* master: the sentinels' answer */
	struct redis_endpoint master;

	char *username;
	char *password;
	unsigned database;
};

int64_t redis_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t redis_deadline(unsigned ms)
{
	return redis_monotonic_ns() + (int64_t)ms * 1000000;
}

/* Time left until deadline, or -1 when too little is left to wait. */
static int redis_time_left(int64_t deadline, int64_t *left, struct timeval *tv)
{
	*left = deadline - redis_monotonic_ns();
	if (*left < REDIS_MIN_WAIT_NS)
		return -1;
	tv->tv_sec = *left / 1000000000;
	tv->tv_usec = *left % 1000000000 / 1000;
	return 0;
}

static int redis_port_parse(const char *text, int *port)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || n < 1 || n > 65535)
		return -1;
	*port = (int)n;
	return 0;
}

static int redis_host_copy(struct redis_endpoint *ep, const char *host,
    size_t len)
{
	if (len == 0 || len >= sizeof(ep->host))
		return -1;
	memcpy(ep->host, host, len);
	ep->host[len] = '\0';
	return 0;
}

/* "unix:/path", "host:port" or "[v6 address]:port". */
static int redis_endpoint_parse(const char *text, bool unix_ok,
    struct redis_endpoint *ep)
{
	const char *colon;

	if (unix_ok && strncmp(text, "unix:", 5) == 0) {
		ep->port = 0;
		if (strlen(text + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return -1;
		return redis_host_copy(ep, text + 5, strlen(text + 5));
	}
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':' ||
		    redis_host_copy(ep, text + 1, (size_t)(close - text - 1)) < 0)
			return -1;
		return redis_port_parse(close + 2, &ep->port);
	}
	colon = strrchr(text, ':');
	if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL ||
	    redis_host_copy(ep, text, (size_t)(colon - text)) < 0)
		return -1;
	return redis_port_parse(colon + 1, &ep->port);
}

bool redis_endpoint_valid(const char *text, bool unix_ok)
{
	struct redis_endpoint ep;

	return redis_endpoint_parse(text, unix_ok, &ep) == 0;
}

static int redis_pool_check(const struct redis_config *rc,
    struct redis_pool *pool, char *err, size_t errlen)
{
	if (rc->pool_size == 0 || rc->timeout_ms == 0) {
		snprintf(err, errlen,
		    "redis pool_size and timeout_ms must be at least 1");
		return -1;
	}
	if (rc->sentinel_count == 0) {
		if (rc->server != NULL &&
		    redis_endpoint_parse(rc->server, true, &pool->server) == 0)
			return 0;
		snprintf(err, errlen,
		    "redis server \"%s\" is not host:port or unix:/path",
		    rc->server != NULL ? rc->server : "");
		return -1;
	}
	if (rc->master_name == NULL || rc->master_name[0] == '\0') {
		snprintf(err, errlen, "redis sentinels need a master_name");
		return -1;
	}
	pool->sentinels = xcalloc(rc->sentinel_count, sizeof(*pool->sentinels));
	pool->sentinel_count = rc->sentinel_count;
	for (size_t i = 0; i < rc->sentinel_count; i++) {
		if (redis_endpoint_parse(rc->sentinels[i], false,
		    &pool->sentinels[i]) < 0) {
			snprintf(err, errlen, "redis sentinel \"%s\" is not host:port",
			    rc->sentinels[i]);
			return -1;
		}
	}
	return 0;
}

static char *redis_strdup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

struct redis_pool *redis_pool_open(const struct redis_config *rc, char *err,
    size_t errlen)
{
	struct redis_pool *pool = xcalloc(1, sizeof(*pool));
	pthread_condattr_t attr;

	if (redis_pool_check(rc, pool, err, errlen) < 0) {
		free(pool->sentinels);
		free(pool);
		return NULL;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->freed, &attr);
	pthread_condattr_destroy(&attr);
	pool->size = rc->pool_size;
	pool->master_name = redis_strdup_or_empty(rc->master_name);
	pool->username = redis_strdup_or_empty(rc->username);
	pool->password = redis_strdup_or_empty(rc->password);
	pool->database = rc->database;
	return pool;
}

static void redis_conn_free(struct redis_conn *conn)
{
	redisFree(conn->ctx);
	free(conn);
}

void redis_pool_close(struct redis_pool *pool)
{
	if (pool == NULL)
		return;
	while (pool->idle != NULL) {
		struct redis_conn *conn = pool->idle;

		pool->idle = conn->next;
		redis_conn_free(conn);
	}
	pthread_cond_destroy(&pool->freed);
	pthread_mutex_destroy(&pool->lock);
	free(pool->sentinels);
	free(pool->master_name);
	free(pool->username);
	free(pool->password);
	free(pool);
}

/* Limit the socket waits of the next command to the time left. */
static int redis_conn_arm(struct redis_conn *conn, int64_t deadline,
    char *err, size_t errlen)
{
	struct timeval tv;
	int64_t left;

	if (redis_time_left(deadline, &left, &tv) < 0) {
		snprintf(err, errlen, "timed out");
		return -1;
	}
	if (llabs(left - conn->armed_ns) <= REDIS_REARM_SLACK_NS)
		return 0;
	if (redisSetTimeout(conn->ctx, tv) != REDIS_OK) {
		snprintf(err, errlen, "cannot set socket timeout: %s",
		    conn->ctx->errstr);
		return -1;
	}
	conn->armed_ns = left;
	return 0;
}

static void redis_conn_error(const struct redis_conn *conn, char *err,
    size_t errlen)
{
	const redisContext *c = conn->ctx;

	if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK))
		snprintf(err, errlen, "timed out");
	else
		snprintf(err, errlen, "%s", c->err ? c->errstr : "no reply");
}

redisReply *redis_conn_command(struct redis_conn *conn, int64_t deadline,
    int argc, const char **argv, const size_t *argvlen, char *err,
    size_t errlen)
{
	redisReply *reply;

	if (redis_conn_arm(conn, deadline, err, errlen) < 0)
		return NULL;
	reply = redisCommandArgv(conn->ctx, argc, argv, argvlen);
	if (reply == NULL)
		redis_conn_error(conn, err, errlen);
	return reply;
}

int redis_conn_append(struct redis_conn *conn, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen)
{
	if (redisAppendCommandArgv(conn->ctx, argc, argv, argvlen) == REDIS_OK)
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
	if (redisGetReply(conn->ctx, &reply) != REDIS_OK || reply == NULL) {
		redis_conn_error(conn, err, errlen);
		return NULL;
	}
	return reply;
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
	if (pool->sentinel_count > 0)
		return redis_conn_check_master(conn, deadline, err, errlen);
	return 0;
}

static struct redis_conn *redis_connect(const struct redis_endpoint *ep,
    int64_t deadline, char *err, size_t errlen)
{
	struct redis_conn *conn;
	redisContext *c;
	struct timeval tv;
	int64_t left;

	if (redis_time_left(deadline, &left, &tv) < 0) {
		snprintf(err, errlen, "timed out");
		return NULL;
	}
	c = ep->port == 0 ? redisConnectUnixWithTimeout(ep->host, tv) :
	    redisConnectWithTimeout(ep->host, ep->port, tv);
	if (c == NULL) {
		snprintf(err, errlen, "connect %s: out of memory", ep->host);
		return NULL;
	}
	if (c->err) {
		snprintf(err, errlen, "connect %s:%d: %s", ep->host, ep->port,
		    c->errstr);
		redisFree(c);
		return NULL;
	}
	conn = xcalloc(1, sizeof(*conn));
	conn->ctx = c;
	conn->armed_ns = -1;
	return conn;
}

static struct redis_conn *redis_connect_setup(const struct redis_pool *pool,
    const struct redis_endpoint *ep, int64_t deadline, char *err,
    size_t errlen)
{
	struct redis_conn *conn = redis_connect(ep, deadline, err, errlen);

	if (conn != NULL && redis_conn_setup(pool, conn, deadline, err,
	    errlen) < 0) {
		redis_conn_free(conn);
		return NULL;
	}
	return conn;
}

/* SENTINEL get-master-addr-by-name, asked of one sentinel. */
static int redis_sentinel_ask(const struct redis_pool *pool,
    const struct redis_endpoint *sentinel, int64_t deadline,
    struct redis_endpoint *master, char *err, size_t errlen)
{
	const char *argv[] = { "SENTINEL", "get-master-addr-by-name",
	    pool->master_name };
	struct redis_conn *conn = redis_connect(sentinel, deadline, err, errlen);
	redisReply *reply;
	int rc = -1;

	if (conn == NULL)
		return -1;
	reply = redis_conn_command(conn, deadline, 3, argv, NULL, err, errlen);
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    reply->element[1]->type == REDIS_REPLY_STRING &&
	    redis_host_copy(master, reply->element[0]->str,
	    reply->element[0]->len) == 0 &&
	    redis_port_parse(reply->element[1]->str, &master->port) == 0)
		rc = 0;
	else if (reply != NULL)
		snprintf(err, errlen, "sentinel %s:%d does not know master %s",
		    sentinel->host, sentinel->port, pool->master_name);
	freeReplyObject(reply);
	redis_conn_free(conn);
	return rc;
}

/* Ask the sentinels in turn, the last one that answered first. */
static struct redis_conn *redis_discover(struct redis_pool *pool,
    int64_t deadline, char *err, size_t errlen)
{
	struct redis_endpoint master;
	size_t first;

	pthread_mutex_lock(&pool->lock);
	first = pool->sentinel_first;
	pthread_mutex_unlock(&pool->lock);
	for (size_t i = 0; i < pool->sentinel_count; i++) {
		size_t s = (first + i) % pool->sentinel_count;
		struct redis_conn *conn;

		if (redis_sentinel_ask(pool, &pool->sentinels[s], deadline,
		    &master, err, errlen) < 0)
			continue;
		conn = redis_connect_setup(pool, &master, deadline, err, errlen);
		if (conn == NULL)
			continue;
		pthread_mutex_lock(&pool->lock);
		pool->sentinel_first = s;
		pool->master = master;
		pool->master_known = true;
		pthread_mutex_unlock(&pool->lock);
		return conn;
	}
	return NULL;
}

static struct redis_conn *redis_pool_connect(struct redis_pool *pool,
    int64_t deadline, char *err, size_t errlen)
{
	struct redis_endpoint master;
	struct redis_conn *conn;
	bool known;

	if (pool->sentinel_count == 0)
		return redis_connect_setup(pool, &pool->server, deadline, err,
		    errlen);
	pthread_mutex_lock(&pool->lock);
	known = pool->master_known;
	master = pool->master;
	pthread_mutex_unlock(&pool->lock);
	if (known) {
		conn = redis_connect_setup(pool, &master, deadline, err, errlen);
		if (conn != NULL)
			return conn;
	}
	return redis_discover(pool, deadline, err, errlen);
}

static int redis_pool_wait(struct redis_pool *pool, int64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000,
		.tv_nsec = deadline % 1000000000,
	};

	return pthread_cond_timedwait(&pool->freed, &pool->lock, &ts);
}

int redis_pool_get(struct redis_pool *pool, int64_t deadline,
    struct redis_conn **out, char *err, size_t errlen)
{
	pthread_mutex_lock(&pool->lock);
	while (pool->idle == NULL && pool->open >= pool->size) {
		if (redis_pool_wait(pool, deadline) == ETIMEDOUT) {
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

	pthread_mutex_lock(&pool->lock);
	if (ok) {
		conn->next = pool->idle;
		pool->idle = conn;
		pthread_cond_signal(&pool->freed);
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	stale = pool->idle;
	pool->idle = NULL;
	pool->open--;
	for (struct redis_conn *c = stale; c != NULL; c = c->next)
		pool->open--;
	pool->master_known = false;
	pthread_cond_broadcast(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
	redis_conn_free(conn);
	while (stale != NULL) {
		conn = stale;
		stale = conn->next;
		redis_conn_free(conn);
	}
}
