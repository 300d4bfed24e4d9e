/*
 * store_redis_upgrade.c - the move of the blocks an older version left
 * under the key names it used, "<prefix>{<host key text>}", to the names
 * of now, "<prefix>{<tag>}<host key text>" (redis_key()), so that an
 * array upgraded node by node loses no block.  See store_redis_impl.h.
 *
 * redis_upgrade_keys() runs from the listener's thread each time it has
 * subscribed, until one pass went through: unless "<prefix>layout" says
 * "tagged" already, it reads the index of blocks ("<prefix>blocks", which
 * the older version kept the same way) a page at a time and moves each
 * member's old hash that still exists: DUMP, PTTL, RESTORE under the new
 * name with the same TTL, DEL the old one.  The two names live in
 * different Cluster slots, so each command goes to its own key's primary
 * and the move is not atomic: a node that moved the hash first, or an
 * event that made the new one first, wins (RESTORE without REPLACE
 * answers BUSYKEY); the old hash is deleted either way.  The pass then
 * sets "<prefix>layout" for REDIS_LAYOUT_TTL seconds (every key of the
 * store expires), so starts within that time cost one GET; a later one
 * makes a pass again, which finds nothing left to move.
 *
 * What is not moved: counts and windows of hosts that hold no block
 * (they start again), and the live sessions' hashes (every node rewrites
 * its counts with a lease every concurrency.lease / 3 seconds).  A block
 * the older version started after the pass is not moved either: upgrade
 * every node before relying on it.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_redis_impl.h"

#define REDIS_UPGRADE_PAGE	256
#define REDIS_LAYOUT		"tagged"
#define REDIS_LAYOUT_TTL	"86400"

static size_t redis_layout_key(const struct redis_store *s, char *buf)
{
	return (size_t)snprintf(buf, REDIS_KEY_MAX, "%slayout", s->prefix);
}

/* "<prefix>{<host key text>}": the name an older version used. */
static size_t redis_old_key(const struct redis_store *s, const char *text,
    size_t len, char *buf)
{
	return (size_t)snprintf(buf, REDIS_KEY_MAX, "%s{%.*s}", s->prefix,
	    (int)len, text);
}

/* A command's reply, NULL when it failed (its error kept). */
static redisReply *redis_upgrade_command(struct redis_store *s, int argc,
    const char **argv, const size_t *argvlen)
{
	char err[REDIS_ERROR_MAX];
	redisReply *reply = redis_command(s, argc, argv, argvlen, err,
	    sizeof(err));

	if (reply == NULL)
		redis_set_error(s, err);
	return reply;
}

/* Move one member's old hash; 1 when moved, 0 when none, -1 on failure. */
static int redis_upgrade_one(struct redis_store *s, const redisReply *member)
{
	char old[REDIS_KEY_MAX], new[REDIS_KEY_MAX], ttl[24], err[REDIS_ERROR_MAX];
	const char *dump[] = { "DUMP", old }, *pttl[] = { "PTTL", old };
	const char *del[] = { "DEL", old };
	size_t oldlen, dumplen[2], dellen[2], restorelen[4];
	struct host_key key;
	redisReply *value, *reply;
	long long ms;
	int rc = 1;

	if (member->type != REDIS_REPLY_STRING ||
	    redis_notify_key_parse(member->str, member->len, &key) < 0)
		return 0;
	oldlen = redis_old_key(s, member->str, member->len, old);
	dumplen[0] = 4;			/* DUMP and PTTL */
	dumplen[1] = dellen[1] = oldlen;
	dellen[0] = 3;
	if ((value = redis_upgrade_command(s, 2, dump, dumplen)) == NULL)
		return -1;
	if (value->type != REDIS_REPLY_STRING) {
		freeReplyObject(value);
		return 0;
	}
	if ((reply = redis_upgrade_command(s, 2, pttl, dumplen)) == NULL) {
		freeReplyObject(value);
		return -1;
	}
	ms = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -2;
	freeReplyObject(reply);
	if (ms == -2) {			/* expired meanwhile */
		freeReplyObject(value);
		return 0;
	}
	{
		const char *restore[] = { "RESTORE", new, ttl, value->str };

		restorelen[0] = 7;
		restorelen[1] = redis_key(s, &key, new);
		restorelen[2] = (size_t)snprintf(ttl, sizeof(ttl), "%lld",
		    ms < 0 ? 0 : ms);
		restorelen[3] = value->len;
		reply = redis_command(s, 4, restore, restorelen, err,
		    sizeof(err));
	}
	freeReplyObject(value);
	if (reply == NULL && strncmp(err, "BUSYKEY", 7) != 0) {
		redis_set_error(s, err);
		return -1;
	}
	if (reply == NULL)
		rc = 0;			/* the new hash was there first */
	freeReplyObject(reply);
	if ((reply = redis_upgrade_command(s, 2, del, dellen)) == NULL)
		return -1;
	freeReplyObject(reply);
	return rc;
}

/* One page of the index from rank first; its members, -1 on failure. */
static long redis_upgrade_page(struct redis_store *s, size_t first,
    size_t *moved)
{
	char idx[REDIS_KEY_MAX], from[24], to[24];
	const char *argv[] = { "ZRANGE", idx, from, to };
	size_t argvlen[] = { 6, redis_index_key(s, idx), (size_t)snprintf(from,
	    sizeof(from), "%zu", first), (size_t)snprintf(to, sizeof(to), "%zu",
	    first + REDIS_UPGRADE_PAGE - 1) };
	redisReply *reply = redis_upgrade_command(s, 4, argv, argvlen);
	long members;

	if (reply == NULL)
		return -1;
	if (reply->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(reply);
		return -1;
	}
	members = (long)reply->elements;
	for (size_t i = 0; i < reply->elements; i++) {
		int rc = redis_upgrade_one(s, reply->element[i]);

		if (rc < 0) {
			members = -1;
			break;
		}
		*moved += (size_t)rc;
	}
	freeReplyObject(reply);
	return members;
}

/* Has a pass been made already?  1 yes, 0 no, -1 when Redis failed. */
static int redis_upgrade_done(struct redis_store *s)
{
	char key[REDIS_KEY_MAX];
	const char *argv[] = { "GET", key };
	size_t argvlen[] = { 3, redis_layout_key(s, key) };
	redisReply *reply = redis_upgrade_command(s, 2, argv, argvlen);
	int done;

	if (reply == NULL)
		return -1;
	done = reply->type == REDIS_REPLY_STRING &&
	    strcmp(reply->str, REDIS_LAYOUT) == 0;
	freeReplyObject(reply);
	return done;
}

bool redis_upgrade_keys(struct redis_store *s)
{
	char key[REDIS_KEY_MAX];
	const char *argv[] = { "SET", key, REDIS_LAYOUT, "EX", REDIS_LAYOUT_TTL };
	size_t argvlen[] = { 3, redis_layout_key(s, key), strlen(REDIS_LAYOUT),
	    2, strlen(REDIS_LAYOUT_TTL) };
	size_t first = 0, moved = 0;
	long members;
	redisReply *reply;
	int done;

	if ((done = redis_upgrade_done(s)) != 0)
		return done > 0;
	/* A member moved is still a member: the ranks do not shift. */
	do {
		if ((members = redis_upgrade_page(s, first, &moved)) < 0)
			return false;
		first += (size_t)members;
	} while (members == REDIS_UPGRADE_PAGE);
	if ((reply = redis_upgrade_command(s, 5, argv, argvlen)) == NULL)
		return false;
	freeReplyObject(reply);
	if (moved > 0)
		log_notice("event=store-upgraded store=redis hosts=%zu", moved);
	return true;
}
