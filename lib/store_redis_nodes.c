/*
 * store_redis_nodes.c - the Redis store's node summaries, for a view of
 * the whole array (bulwarkctl top): each node's live sessions, per
 * stage, and refusals a second.  See store.h for the contract and
 * store_redis.lua for the hash that holds them.
 *
 * One hash for the array, "<key_prefix>nodes:{array}", one field per
 * node ("<host name>/<pid>", store_redis_conc.c), each with its expiry;
 * the refresh thread of store_redis_conc.c publishes this node's every
 * STORE_NODE_PUBLISH seconds ("np"), list_nodes() reads the live ones
 * ("nl"): one script call each, in proportion to the nodes, never a
 * scan of the keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_redis_impl.h"

/* "<prefix>nodes:{array}" into buf (REDIS_KEY_MAX bytes). */
static size_t redis_nodes_key(const struct redis_store *s, char *buf)
{
	return (size_t)snprintf(buf, REDIS_KEY_MAX, "%snodes:{array}",
	    s->prefix);
}

static redisReply *redis_nodes_call(struct redis_store *s, const char *op,
    const struct store_node *self)
{
	char keybuf[REDIS_KEY_MAX], value[256], err[REDIS_ERROR_MAX];
	struct redis_args a;
	redisReply *reply;

	a.argc = 2;
	a.used = 0;
	redis_arg(&a, "1", 1);
	redis_arg(&a, keybuf, redis_nodes_key(s, keybuf));
	redis_arg(&a, op, strlen(op));
	/* The script's clock: Redis's, unless a test set the node's. */
	redis_arg_int(&a, s->node_clock ? (long long)time(NULL) : 0);
	if (self != NULL) {
		redis_arg(&a, s->conc.node, s->conc.node_len);
		redis_arg_int(&a, STORE_NODE_TTL);
		redis_arg(&a, value, (size_t)snprintf(value, sizeof(value),
		    "%llu %llu %llu %llu %llu %.3f",
		    (unsigned long long)self->sessions,
		    (unsigned long long)self->stages[0],
		    (unsigned long long)self->stages[1],
		    (unsigned long long)self->stages[2],
		    (unsigned long long)self->stages[3],
		    self->refusals_per_second));
	}
	if ((reply = redis_script(s, &a, err, sizeof(err))) == NULL)
		redis_set_error(s, err);
	return reply;
}

int redis_nodes_publish(struct redis_store *s, const struct store_node *self)
{
	redisReply *reply = redis_nodes_call(s, "np", self);

	if (reply == NULL)
		return -1;
	freeReplyObject(reply);
	return 0;
}

/* One field and value of the hash; -1 when it is not a summary. */
static int redis_node_parse(const redisReply *name, const redisReply *value,
    struct store_node *out)
{
	unsigned long long n[6];
	long long expires;
	double rate;
	char text[256];

	if (name->type != REDIS_REPLY_STRING ||
	    value->type != REDIS_REPLY_STRING || value->len >= sizeof(text))
		return -1;
	memcpy(text, value->str, value->len);
	text[value->len] = '\0';
	if (sscanf(text, "%lld %llu %llu %llu %llu %llu %lf", &expires, &n[0],
	    &n[1], &n[2], &n[3], &n[4], &rate) != 7)
		return -1;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%.*s", (int)name->len,
	    name->str);
	out->expires = expires;
	out->sessions = n[0];
	for (unsigned i = 0; i < STORE_NODE_STAGES; i++)
		out->stages[i] = n[i + 1];
	out->refusals_per_second = rate;
	return 0;
}

int redis_list_nodes(struct store *base, store_node_fn fn, void *arg)
{
	struct redis_store *s = redis_of(base);
	redisReply *reply = redis_nodes_call(s, "nl", NULL);
	struct store_node node;

	if (reply == NULL)
		return -1;
	if (reply->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(reply);
		redis_set_error(s, "nodes: unexpected reply");
		return -1;
	}
	for (size_t i = 0; i + 1 < reply->elements; i += 2) {
		if (redis_node_parse(reply->element[i], reply->element[i + 1],
		    &node) == 0)
			fn(&node, arg);
	}
	freeReplyObject(reply);
	return 0;
}
