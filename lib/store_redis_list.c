/*
 * store_redis_list.c - the Redis store's list_blocks(): the keys walked
 * with SCAN MATCH (the prefix escaped; on each primary of a cluster in
 * turn, as the map has them then), each page of hosts read with
 * pipelined HGETALLs, fn called with no connection held.  Only hashes
 * whose name is the canonical spelling of a host key under our prefix
 * are ours.  See store_redis_impl.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_host.h"
#include "store_redis_impl.h"
#include "xalloc.h"

#define REDIS_SCAN_COUNT	"256"

/* One page of list_blocks(). */
struct redis_blocked {
	struct host_key key;
	struct store_host host;
};

struct redis_page {
	struct redis_blocked *items;
	size_t count;
	char cursor[32];
};

/* The host key a hash name stands for; -1 when it is not one of ours. */
static int redis_key_parse(const struct redis_store *s, const char *name,
    size_t len, struct host_key *out)
{
	char text[ADDR_TEXT_MAX], check[ADDR_TEXT_MAX], *slash;
	struct host_addr addr;
	unsigned long prefix = 128;
	size_t tlen;

	if (len < s->prefix_len + 3 || memcmp(name, s->prefix, s->prefix_len) != 0 ||
	    name[s->prefix_len] != '{' || name[len - 1] != '}')
		return -1;
	if ((tlen = len - s->prefix_len - 2) >= sizeof(text))
		return -1;
	memcpy(text, name + s->prefix_len + 1, tlen);
	text[tlen] = '\0';
	if ((slash = strchr(text, '/')) != NULL) {
		*slash = '\0';
		prefix = strtoul(slash + 1, NULL, 10);
	}
	if (addr_parse(text, &addr) < 0)
		return -1;
	addr_key(&addr, (unsigned)prefix, (unsigned)prefix, out);
	host_key_format(out, check, sizeof(check));
	if (slash != NULL)
		*slash = '/';
	/* Only the canonical spelling of a key is one we wrote. */
	return strcmp(check, text) == 0 ? 0 : -1;
}

/* SCAN's pattern for our keys: the prefix with glob characters escaped. */
static size_t redis_pattern(const struct redis_store *s, char *buf)
{
	size_t n = 0;

	for (size_t i = 0; i < s->prefix_len; i++) {
		if (strchr("*?[]\\", s->prefix[i]) != NULL)
			buf[n++] = '\\';
		buf[n++] = s->prefix[i];
	}
	memcpy(buf + n, "{*", 3);
	return n + 2;
}

/* HGETALL every key of a SCAN page, pipelined; keep the blocked hosts. */
static int redis_page_read(struct redis_store *s, struct redis_conn *conn,
    int64_t deadline, const redisReply *keys, int64_t now,
    struct redis_page *page, char *err, size_t errlen)
{
	page->items = xcalloc(keys->elements + 1, sizeof(*page->items));
	for (size_t i = 0; i < keys->elements; i++) {
		const char *argv[] = { "HGETALL", keys->element[i]->str };
		size_t argvlen[] = { 7, keys->element[i]->len };

		if (redis_conn_append(conn, 2, argv, argvlen, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		struct redis_blocked *b = &page->items[page->count];
		redisReply *reply = redis_reply_ok(redis_conn_reply(conn,
		    deadline, err, errlen), err, errlen);

		if (reply == NULL)
			return -1;
		if (redis_key_parse(s, k->str, k->len, &b->key) == 0 &&
		    redis_host_parse(reply, &b->host) == 0 &&
		    rule_host_blocked(b->host.state, now, NULL))
			page->count++;
		freeReplyObject(reply);
	}
	return 0;
}

static int redis_scan_reply_ok(const redisReply *reply)
{
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[0]->len >= sizeof(((struct redis_page *)0)->cursor) ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	for (size_t i = 0; i < reply->element[1]->elements; i++) {
		if (reply->element[1]->element[i]->type != REDIS_REPLY_STRING)
			return -1;
	}
	return 0;
}

static int redis_scan_page(struct redis_store *s, struct redis_pool *pool,
    int64_t now, struct redis_page *page, char *err, size_t errlen)
{
	char pattern[REDIS_PREFIX_MAX * 2 + 3];
	const char *argv[] = { "SCAN", page->cursor, "MATCH", pattern, "COUNT",
	    REDIS_SCAN_COUNT };
	size_t argvlen[] = { 4, strlen(page->cursor), 5, redis_pattern(s, pattern),
	    5, strlen(REDIS_SCAN_COUNT) };
	int64_t deadline = redis_deadline(s->timeout_ms);
	struct redis_conn *conn;
	redisReply *reply;
	int rc = -1;

	if (redis_pool_get(pool, deadline, &conn, err, errlen) < 0)
		return -1;
	reply = redis_reply_ok(redis_conn_command(conn, deadline, 6, argv,
	    argvlen, err, errlen), err, errlen);
	if (reply != NULL && redis_scan_reply_ok(reply) < 0)
		snprintf(err, errlen, "SCAN: unexpected reply");
	else if (reply != NULL)
		rc = redis_page_read(s, conn, deadline, reply->element[1], now,
		    page, err, errlen);
	if (rc == 0)
		memcpy(page->cursor, reply->element[0]->str,
		    reply->element[0]->len + 1);
	freeReplyObject(reply);
	redis_pool_put(pool, conn, rc == 0);
	return rc;
}

/* Every page of one server's SCAN; 1 when fn asked to stop. */
static int redis_list_on(struct redis_store *s, struct redis_pool *pool,
    int64_t now, store_block_fn fn, void *arg)
{
	struct redis_page page = { .cursor = "0" };
	char err[REDIS_ERROR_MAX];
	int stop = 0;

	do {
		page.count = 0;
		if (redis_scan_page(s, pool, now, &page, err, sizeof(err)) < 0) {
			free(page.items);
			redis_set_error(s, err);
			return -1;
		}
		for (size_t i = 0; i < page.count && !stop; i++)
			stop = fn(&page.items[i].key, &page.items[i].host, arg);
		free(page.items);
		page.items = NULL;
	} while (!stop && strcmp(page.cursor, "0") != 0);
	return stop ? 1 : 0;
}

int redis_list_blocks(struct store *base, int64_t now, store_block_fn fn,
    void *arg)
{
	struct redis_store *s = redis_of(base);
	struct redis_cluster_node_ref prim[REDIS_CLUSTER_NODES_MAX];
	char err[REDIS_ERROR_MAX];
	int count, rc = 0;

	if (s->cluster == NULL)
		return redis_list_on(s, s->pool, now, fn, arg) < 0 ? -1 : 0;
	count = redis_cluster_primaries(s->cluster,
	    redis_deadline(s->timeout_ms), prim, REDIS_CLUSTER_NODES_MAX, err,
	    sizeof(err));
	if (count < 0) {
		redis_set_error(s, err);
		return -1;
	}
	for (int i = 0; i < count && rc == 0; i++)
		rc = redis_list_on(s, prim[i].pool, now, fn, arg);
	return rc < 0 ? -1 : 0;
}
