/*
 * redis_conn.c - one connection to Redis: commands bounded by a deadline,
 * pipelines, ASKING, and the judgement of what a failure means.  See
 * redis_pool.h for the contract, redis_conn_impl.h for what the pool
 * shares.
 *
 * hiredis 0.14 keeps the connect timeout for connecting only, so every
 * command re-arms the socket timeout to the time left until its deadline
 * (skipped when the timeout armed already is within a millisecond of it,
 * which is the common case: a syscall saved per command).
 *
 * A connection is condemned (redis_conn_failed()) by no reply at all or
 * by an error reply that says the node cannot serve any key now; any
 * other error reply is about its command or key.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_conn_impl.h"
#include "redis_endpoint.h"
#include "redis_pool.h"

#define REDIS_REARM_SLACK_NS	1000000

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

void redis_conn_free(struct redis_conn *conn)
{
	redisFree(conn->ctx);
	free(conn);
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
int redis_conn_expect_ok(struct redis_conn *conn, int64_t deadline,
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

int redis_conn_check_master(struct redis_conn *conn, int64_t deadline,
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
