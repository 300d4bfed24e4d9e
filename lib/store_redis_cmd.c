/*
 * store_redis_cmd.c - the Redis store's commands: arguments, keys, the
 * script and plain commands on pooled connections.  See
 * store_redis_impl.h.
 *
 * The script (store_redis.lua, built into store_redis_lua.h) is loaded
 * once with SCRIPT LOAD and run with EVALSHA; when Redis answers
 * NOSCRIPT (its script cache was flushed: restart, failover) the same
 * call is sent again with EVAL.  With a cluster, a call goes through
 * redis_cluster_run(), which follows MOVED and ASK; NOSCRIPT is then a
 * primary's own (a new one after a failover) and met the same way.
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

static int redis_sha(struct redis_store *s, struct redis_conn *conn,
    int64_t deadline, char *err, size_t errlen)
{
	const char *argv[] = { "SCRIPT", "LOAD", store_redis_script };
	redisReply *reply;
	int rc = -1;

	if (atomic_load_explicit(&s->sha_known, memory_order_acquire))
		return 0;
	reply = redis_reply_ok(redis_conn_command(conn, deadline, 3, argv, NULL,
	    err, errlen), err, errlen);
	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_STRING && reply->len == REDIS_SHA_LEN) {
		/* Written once: readers use it without the lock. */
		pthread_mutex_lock(&s->lock);
		if (!atomic_load_explicit(&s->sha_known, memory_order_relaxed)) {
			memcpy(s->sha, reply->str, REDIS_SHA_LEN);
			atomic_store_explicit(&s->sha_known, true,
			    memory_order_release);
		}
		pthread_mutex_unlock(&s->lock);
		rc = 0;
	} else {
		snprintf(err, errlen, "SCRIPT LOAD: unexpected reply");
	}
	freeReplyObject(reply);
	return rc;
}

static bool redis_noscript(const redisReply *reply)
{
	return reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/*
 * EVALSHA, or EVAL when Redis (or this primary of a cluster) no longer
 * has the script.  The reply as it came, error replies included: a
 * cluster's redirects are judged by redis_cluster_run().
 */
static redisReply *redis_script_on(struct redis_store *s,
    struct redis_conn *conn, int64_t deadline, struct redis_args *a,
    char *err, size_t errlen)
{
	redisReply *reply;

	if (redis_sha(s, conn, deadline, err, errlen) < 0)
		return NULL;
	a->argv[0] = "EVALSHA";
	a->argvlen[0] = 7;
	a->argv[1] = s->sha;
	a->argvlen[1] = REDIS_SHA_LEN;
	reply = redis_conn_command(conn, deadline, a->argc, a->argv,
	    a->argvlen, err, errlen);
	if (redis_noscript(reply)) {
		freeReplyObject(reply);
		a->argv[0] = "EVAL";
		a->argvlen[0] = 4;
		a->argv[1] = store_redis_script;
		a->argvlen[1] = sizeof(store_redis_script) - 1;
		reply = redis_conn_command(conn, deadline, a->argc, a->argv,
		    a->argvlen, err, errlen);
	}
	return reply;
}

struct redis_script_call {
	struct redis_store *s;
	struct redis_args *a;
};

static redisReply *redis_script_fn(struct redis_conn *conn, int64_t deadline,
    void *arg, char *err, size_t errlen)
{
	struct redis_script_call *call = arg;

	return redis_script_on(call->s, conn, deadline, call->a, err, errlen);
}

/*
 * Start the arguments of a script call on key.  Slots 0 and 1, the
 * command and the script or its digest, are filled when it is sent.
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
	struct redis_script_call call = { s, a };
	struct redis_conn *conn;
	redisReply *reply;

	if (s->cluster != NULL) {
		reply = redis_cluster_run(s->cluster, a->argv[3], a->argvlen[3],
		    deadline, redis_script_fn, &call, err, errlen);
		*node_failed = reply == NULL || redis_reply_node_error(reply);
		return redis_reply_ok(reply, err, errlen);
	}
	*node_failed = true;
	if (redis_pool_get(s->pool, deadline, &conn, err, errlen) < 0)
		return NULL;
	reply = redis_reply_ok(redis_script_on(s, conn, deadline, a, err,
	    errlen), err, errlen);
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
