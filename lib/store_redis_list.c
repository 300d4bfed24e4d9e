/*
 * store_redis_list.c - the Redis store's list_blocks(): the index of
 * blocks ("<prefix>blocks", store_redis_sync.c) read a page of members
 * at a time (ZRANGE by rank), each page's hashes read with pipelined
 * HGETALLs, fn called with no connection held.  The hashes are the
 * truth: a member whose hash holds no active block is skipped (the
 * ticks prune it).  The cost is in proportion to the blocks, never to
 * the keyspace.  On a cluster, where the index and the hashes live on
 * different primaries, each command goes to its key's primary, one at a
 * time.  See store_redis_impl.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_host.h"
#include "store_redis_impl.h"
#include "xalloc.h"

#define REDIS_PAGE_SIZE		256

/* One page of list_blocks(). */
struct redis_blocked {
	struct host_key key;
	struct store_host host;
};

struct redis_page {
	struct redis_blocked *items;
	size_t count;
	size_t members;			/* index members read */
};

/* HGETALL every member of a page, pipelined; keep the blocked hosts. */
static int redis_page_read(struct redis_store *s, struct redis_conn *conn,
    int64_t deadline, const redisReply *members, int64_t now,
    struct redis_page *page, char *err, size_t errlen)
{
	struct host_key *keys = xcalloc(members->elements + 1, sizeof(*keys));
	bool *ours = xcalloc(members->elements + 1, sizeof(*ours));
	size_t sent = 0;
	int rc = 0;

	page->items = xcalloc(members->elements + 1, sizeof(*page->items));
	for (size_t i = 0; i < members->elements && rc == 0; i++) {
		const redisReply *m = members->element[i];
		char hash[REDIS_KEY_MAX];
		const char *argv[] = { "HGETALL", hash };
		size_t argvlen[2] = { 7, 0 };

		if (m->type != REDIS_REPLY_STRING ||
		    redis_notify_key_parse(m->str, m->len, &keys[i]) < 0)
			continue;
		argvlen[1] = redis_key(s, &keys[i], hash);
		ours[i] = true;
		rc = redis_conn_append(conn, 2, argv, argvlen, err, errlen);
		sent += rc == 0;
	}
	for (size_t i = 0; i < members->elements && sent > 0; i++) {
		struct redis_blocked *b = &page->items[page->count];
		redisReply *reply;

		if (!ours[i])
			continue;
		sent--;
		reply = redis_reply_ok(redis_conn_reply(conn, deadline, err,
		    errlen), err, errlen);
		if (reply == NULL) {
			rc = -1;
			break;
		}
		b->key = keys[i];
		if (redis_host_parse(reply, &b->host) == 0 &&
		    rule_host_blocked(b->host.state, now, NULL))
			page->count++;
		freeReplyObject(reply);
	}
	free(keys);
	free(ours);
	return rc;
}

/* A cluster's page: each HGETALL to its key's primary. */
static int redis_page_read_cluster(struct redis_store *s,
    const redisReply *members, int64_t now, struct redis_page *page,
    char *err, size_t errlen)
{
	page->items = xcalloc(members->elements + 1, sizeof(*page->items));
	for (size_t i = 0; i < members->elements; i++) {
		const redisReply *m = members->element[i];
		struct redis_blocked *b = &page->items[page->count];
		char hash[REDIS_KEY_MAX];
		const char *argv[] = { "HGETALL", hash };
		size_t argvlen[2] = { 7, 0 };
		redisReply *reply;

		if (m->type != REDIS_REPLY_STRING ||
		    redis_notify_key_parse(m->str, m->len, &b->key) < 0)
			continue;
		argvlen[1] = redis_key(s, &b->key, hash);
		if ((reply = redis_command(s, 2, argv, argvlen, err,
		    errlen)) == NULL)
			return -1;
		if (redis_host_parse(reply, &b->host) == 0 &&
		    rule_host_blocked(b->host.state, now, NULL))
			page->count++;
		freeReplyObject(reply);
	}
	return 0;
}

/* The members of ranks [first, first + REDIS_PAGE_SIZE) and their hosts. */
static int redis_index_page(struct redis_store *s, int64_t now, size_t first,
    struct redis_page *page, char *err, size_t errlen)
{
	char idx[REDIS_KEY_MAX], from[24], to[24];
	const char *argv[] = { "ZRANGE", idx, from, to };
	size_t argvlen[] = { 6, redis_index_key(s, idx), (size_t)snprintf(from,
	    sizeof(from), "%zu", first), (size_t)snprintf(to, sizeof(to), "%zu",
	    first + REDIS_PAGE_SIZE - 1) };
	int64_t deadline = redis_deadline(s->timeout_ms);
	struct redis_conn *conn;
	redisReply *reply;
	int rc = -1;

	if (s->cluster != NULL) {
		if ((reply = redis_command(s, 4, argv, argvlen, err,
		    errlen)) == NULL)
			return -1;
		page->members = reply->type == REDIS_REPLY_ARRAY ?
		    reply->elements : 0;
		rc = reply->type == REDIS_REPLY_ARRAY ?
		    redis_page_read_cluster(s, reply, now, page, err, errlen) : 0;
		freeReplyObject(reply);
		return rc;
	}
	if (redis_pool_get(s->pool, deadline, &conn, err, errlen) < 0)
		return -1;
	reply = redis_reply_ok(redis_conn_command(conn, deadline, 4, argv,
	    argvlen, err, errlen), err, errlen);
	if (reply != NULL && reply->type != REDIS_REPLY_ARRAY)
		snprintf(err, errlen, "ZRANGE: unexpected reply");
	else if (reply != NULL) {
		page->members = reply->elements;
		rc = redis_page_read(s, conn, deadline, reply, now, page, err,
		    errlen);
	}
	freeReplyObject(reply);
	redis_pool_put(s->pool, conn, rc == 0);
	return rc;
}

int redis_list_blocks(struct store *base, int64_t now, store_block_fn fn,
    void *arg)
{
	struct redis_store *s = redis_of(base);
	struct redis_page page = { 0 };
	char err[REDIS_ERROR_MAX];
	size_t first = 0;
	int stop = 0;

	redis_notify_run(s->notify);
	do {
		page.count = page.members = 0;
		if (redis_index_page(s, now, first, &page, err,
		    sizeof(err)) < 0) {
			free(page.items);
			redis_set_error(s, err);
			return -1;
		}
		for (size_t i = 0; i < page.count && !stop; i++)
			stop = fn(&page.items[i].key, &page.items[i].host, arg);
		free(page.items);
		page.items = NULL;
		first += page.members;
	} while (!stop && page.members == REDIS_PAGE_SIZE);
	return 0;
}
