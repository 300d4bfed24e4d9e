/*
 * store_redis_cmd.c - the Redis store's commands: arguments, keys, the
 * script and plain commands on pooled connections.  See
 * store_redis_impl.h.
 *
 * The script (store_redis.lua, built into store_redis_lua.h) is a Redis
 * function library (Redis 7.0 or later), named after its own digest so
 * that two versions sharing a Redis never meet; it is run with FCALL.
 * When a node answers that it has no such function (a restart with no
 * data, a failover to a replica without it, a new primary of a Cluster
 * slot), the library is loaded there with FUNCTION LOAD and the call
 * sent once more on the same connection; "already exists" (another
 * connection was first) counts as loaded.  With a cluster, a call goes
 * through redis_cluster_run(), which follows MOVED and ASK; the missing
 * library is then a primary's own and met the same way.
 * Every call waits at most timeout_ms, waiting for a pooled connection
 * included.  A connection that failed, or whose node answered that it
 * cannot serve (redis_conn_failed()), is closed, not pooled again; an
 * error about one command or key (a key of the wrong type, say) leaves it
 * pooled.
 */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "store_redis_impl.h"
#include "store_redis_lua.h"

void redis_set_error(struct redis_store *s, const char *text)
{
	pthread_mutex_lock(&s->lock);
	escape(text, ESCAPE_QUOTED, s->error, sizeof(s->error));
	pthread_mutex_unlock(&s->lock);
}

void redis_arg(struct redis_args *a, const char *str, size_t len)
{
	a->argv[a->argc] = str;
	a->argvlen[a->argc++] = len;
}

void redis_arg_int(struct redis_args *a, long long v)
{
	char *p = a->buf + a->used;
	int n = snprintf(p, sizeof(a->buf) - a->used, "%lld", v);

	a->used += (size_t)n + 1;
	redis_arg(a, p, (size_t)n);
}

/*
 * The hash tag of key: the key reduced to REDIS_TAG_IPV4 (IPv4) or
 * REDIS_TAG_IPV6 bits, unless it is wider already.  Every network is at
 * least that long (CONFIG_NETWORK_IPV4_MIN, _IPV6_MIN), so a host and
 * each of its networks share one tag, one Redis Cluster slot.
 */
static void redis_key_tag(const struct host_key *key, char *buf, size_t len)
{
	unsigned bits = key->family == 4 ? REDIS_TAG_IPV4 : REDIS_TAG_IPV6;
	struct host_addr addr = { .family = key->family };
	struct host_key tag;

	memcpy(addr.bytes, key->bytes, sizeof(addr.bytes));
	if (key->prefix < bits)
		bits = key->prefix;
	addr_key(&addr, bits, bits, &tag);
	host_key_format(&tag, buf, len);
}

size_t redis_key_named(const struct redis_store *s, const char *name,
    const struct host_key *key, char *buf)
{
	char tag[ADDR_TEXT_MAX], text[ADDR_TEXT_MAX];

	redis_key_tag(key, tag, sizeof(tag));
	host_key_format(key, text, sizeof(text));
	return (size_t)snprintf(buf, REDIS_KEY_MAX, "%s%s{%s}%s", s->prefix,
	    name, tag, text);
}

/* "<prefix>{<tag>}<host key text>" into buf (REDIS_KEY_MAX bytes). */
size_t redis_key(const struct redis_store *s, const struct host_key *key,
    char *buf)
{
	return redis_key_named(s, "", key, buf);
}

/* A reply that is not an error; error replies are freed and reported. */
redisReply *redis_reply_ok(redisReply *reply, char *err, size_t errlen)
{
	if (reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return reply;
	snprintf(err, errlen, "%s", reply->str);
	freeReplyObject(reply);
	return NULL;
}

/* An error reply that starts with the words of prefix. */
static bool redis_error_is(const redisReply *reply, const char *prefix)
{
	return reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, prefix, strlen(prefix)) == 0;
}

/*
 * Load the library on conn's node: NULL when it is there now (loaded,
 * or loaded already by another connection) or when the connection
 * failed (err says why), else the error reply, to judge as the call's.
 */
static redisReply *redis_library_load(struct redis_conn *conn,
    int64_t deadline, char *err, size_t errlen)
{
	const char *argv[] = { "FUNCTION", "LOAD", store_redis_library };
	size_t argvlen[] = { 8, 4, sizeof(store_redis_library) - 1 };
	redisReply *reply = redis_conn_command(conn, deadline, 3, argv,
	    argvlen, err, errlen);

	if (reply == NULL)
		return NULL;
	if (reply->type == REDIS_REPLY_ERROR &&
	    strstr(reply->str, "already exists") == NULL)
		return reply;
	freeReplyObject(reply);
	return NULL;
}

/*
 * FCALL; when the node does not have the library (a restart, a promoted
 * replica, a new primary of the slot), FUNCTION LOAD and FCALL once
 * more.  The reply as it came, error replies included: a cluster's
 * redirects are judged by redis_cluster_run().
 */
static redisReply *redis_script_on(struct redis_conn *conn, int64_t deadline,
    struct redis_args *a, char *err, size_t errlen)
{
	redisReply *reply;

	a->argv[0] = "FCALL";
	a->argvlen[0] = 5;
	a->argv[1] = STORE_REDIS_FUNCTION;
	a->argvlen[1] = sizeof(STORE_REDIS_FUNCTION) - 1;
	reply = redis_conn_command(conn, deadline, a->argc, a->argv,
	    a->argvlen, err, errlen);
	if (!redis_error_is(reply, "ERR Function not found"))
		return reply;
	freeReplyObject(reply);
	if ((reply = redis_library_load(conn, deadline, err, errlen)) != NULL ||
	    redis_conn_failed(conn))
		return reply;
	return redis_conn_command(conn, deadline, a->argc, a->argv,
	    a->argvlen, err, errlen);
}

static redisReply *redis_script_fn(struct redis_conn *conn, int64_t deadline,
    void *arg, char *err, size_t errlen)
{
	return redis_script_on(conn, deadline, arg, err, errlen);
}

/*
 * Start the arguments of a script call on key.  Slots 0 and 1, the
 * command and the function's name, are filled when it is sent.
 */
void redis_script_args(const struct redis_store *s,
    const struct host_key *key, char *keybuf, struct redis_args *a)
{
	a->argc = 2;
	a->used = 0;
	redis_arg(a, "1", 1);
	redis_arg(a, keybuf, redis_key(s, key, keybuf));
}

redisReply *redis_script_key(struct redis_store *s, struct redis_args *a,
    bool *node_failed, char *err, size_t errlen)
{
	int64_t deadline = redis_deadline(s->timeout_ms);
	struct redis_conn *conn;
	redisReply *reply;

	if (s->cluster != NULL) {
		reply = redis_cluster_run(s->cluster, a->argv[3], a->argvlen[3],
		    deadline, redis_script_fn, a, err, errlen);
		*node_failed = reply == NULL || redis_reply_node_error(reply);
		return redis_reply_ok(reply, err, errlen);
	}
	*node_failed = true;
	if (redis_pool_get(s->pool, deadline, &conn, err, errlen) < 0)
		return NULL;
	reply = redis_reply_ok(redis_script_on(conn, deadline, a, err, errlen),
	    err, errlen);
	*node_failed = redis_conn_failed(conn);
	redis_pool_put(s->pool, conn, !*node_failed);
	return reply;
}

redisReply *redis_script(struct redis_store *s, struct redis_args *a,
    char *err, size_t errlen)
{
	bool node_failed;

	return redis_script_key(s, a, &node_failed, err, errlen);
}

redisReply *redis_command(struct redis_store *s, int argc, const char **argv,
    const size_t *argvlen, char *err, size_t errlen)
{
	int64_t deadline = redis_deadline(s->timeout_ms);
	struct redis_conn *conn;
	redisReply *reply;

	if (s->cluster != NULL)
		return redis_reply_ok(redis_cluster_command(s->cluster, argv[1],
		    argvlen[1], deadline, argc, argv, argvlen, err, errlen),
		    err, errlen);
	if (redis_pool_get(s->pool, deadline, &conn, err, errlen) < 0)
		return NULL;
	reply = redis_reply_ok(redis_conn_command(conn, deadline, argc, argv,
	    argvlen, err, errlen), err, errlen);
	redis_pool_put(s->pool, conn, !redis_conn_failed(conn));
	return reply;
}

/* Run one command; 0, or -1 with the store's error set. */
int redis_command_done(struct redis_store *s, int argc, const char **argv,
    const size_t *argvlen)
{
	char err[REDIS_ERROR_MAX];
	redisReply *reply = redis_command(s, argc, argv, argvlen, err,
	    sizeof(err));

	if (reply == NULL) {
		redis_set_error(s, err);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}
