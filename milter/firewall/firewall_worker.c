/*
 * firewall_worker.c - see firewall_worker.h.
 *
 * The table mirrors what the sets hold, so that a block already pushed is
 * not pushed again (every refused connection of a blocked host reports
 * its block), a prefix inside a pushed one is left out (nftables refuses
 * overlapping intervals), and a prefix holding pushed ones replaces them
 * in the same transaction.  A renewed element is deleted and added again
 * in one transaction, so its timeout is the new one on every kernel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "firewall_stats.h"
#include "firewall_worker.h"
#include "log.h"
#include "xalloc.h"

#define WORKER_ERROR_MAX	256
#define WORKER_CHUNK		1000	/* elements per add command of a sync */

bool firewall_pushes(const struct config *cfg, enum detector detector)
{
	return !cfg->monitor_only && cfg->firewall.detectors[detector] &&
	    cfg->rules[detector].enabled &&
	    cfg->actions[detector] != ACTION_LOG;
}

static void worker_ok(struct firewall_worker *w)
{
	if (w->failing)
		log_notice("event=firewall-recovered table=\"%s %s\"",
		    w->cfg->firewall.family, w->cfg->firewall.table);
	w->failing = false;
	firewall_stats_set_state(FIREWALL_OK);
}

static void worker_failed(struct firewall_worker *w, const char *what,
    const char *why)
{
	char quoted[ESCAPE_SIZE(WORKER_ERROR_MAX)];

	firewall_stats_count(FIREWALL_ERRORS, 1);
	firewall_stats_set_state(FIREWALL_FAILING);
	if (w->failing)
		return;
	w->failing = true;
	escape(why, ESCAPE_QUOTED, quoted, sizeof(quoted));
	log_error("event=firewall-error op=%s table=\"%s %s\" reason=\"%s\"",
	    what, w->cfg->firewall.family, w->cfg->firewall.table, quoted);
}

static int worker_run(struct firewall_worker *w, const struct firewall_cmd *c,
    char *err, size_t errlen)
{
	return firewall_nft_run(w->nft, c->text, err, errlen);
}

/* Room for one more element; logs once when the sets are full. */
static bool worker_room(struct firewall_worker *w, int64_t now)
{
	if (w->table.count < w->cfg->firewall.max_elements ||
	    firewall_table_purge(&w->table, now) <
	    w->cfg->firewall.max_elements) {
		w->full = false;
		return true;
	}
	firewall_stats_count(FIREWALL_DROPPED, 1);
	if (!w->full)
		log_warning("event=firewall-full max_elements=%u reason=\"the "
		    "milter alone refuses further blocked hosts\"",
		    w->cfg->firewall.max_elements);
	w->full = true;
	return false;
}

static bool worker_guarded(struct firewall_worker *w,
    const struct host_key *key)
{
	const char *why = firewall_guard_refuses(&w->guard, w->cfg->exclude, key);
	char text[ADDR_TEXT_MAX];

	if (why == NULL)
		return false;
	firewall_stats_count(FIREWALL_SKIPPED, 1);
	host_key_format(key, text, sizeof(text));
	log_info("event=firewall-skip host=%s reason=%s", text, why);
	return true;
}

struct worker_inside {
	const struct host_key *key;
	int64_t now;
	struct host_key *found;
	size_t count;
};

static void worker_collect(const struct firewall_entry *e, void *arg)
{
	struct worker_inside *in = arg;

	if ((e->until == 0 || e->until > in->now) &&
	    e->key.prefix > in->key->prefix &&
	    firewall_keys_overlap(&e->key, in->key))
		in->found[in->count++] = e->key;
}

/* The alive elements of longer prefixes inside key (caller frees). */
static struct host_key *worker_inside(struct firewall_worker *w,
    const struct host_key *key, int64_t now, size_t *count)
{
	struct worker_inside in = { key, now, NULL, 0 };

	if (firewall_table_has_longer(&w->table, key)) {
		in.found = xcalloc(w->table.count + 1, sizeof(*in.found));
		firewall_table_walk(&w->table, worker_collect, &in);
	}
	*count = in.count;
	return in.found;
}

/* "delete" for old (may be NULL) and inside, then "add" for key. */
static void worker_add_cmd(struct firewall_worker *w, struct firewall_cmd *c,
    const struct host_key *key, int64_t timeout,
    const struct firewall_entry *old, const struct host_key *inside,
    size_t ninside)
{
	if (old != NULL || ninside > 0) {
		firewall_cmd_elements(c, w->nft, "delete", key->family);
		if (old != NULL)
			firewall_cmd_element(c, key, 0);
		for (size_t i = 0; i < ninside; i++)
			firewall_cmd_element(c, &inside[i], 0);
		firewall_cmd_end(c);
	}
	firewall_cmd_elements(c, w->nft, "add", key->family);
	firewall_cmd_element(c, key, timeout);
	firewall_cmd_end(c);
}

/*
 * Push key; when the deletes fail (an element the kernel has just
 * expired, or one taken out by hand), push it alone.
 */
static int worker_push(struct firewall_worker *w, const struct host_key *key,
    int64_t until, int64_t now, char *err, size_t errlen)
{
	const struct firewall_entry *old = firewall_table_find(&w->table, key,
	    now);
	struct firewall_cmd c;
	struct host_key *inside;
	size_t ninside;
	int rc;

	inside = worker_inside(w, key, now, &ninside);
	firewall_cmd_init(&c);
	worker_add_cmd(w, &c, key, until == 0 ? 0 : until - now, old, inside,
	    ninside);
	if ((rc = worker_run(w, &c, err, errlen)) < 0 &&
	    (old != NULL || ninside > 0)) {
		c.len = 0;
		worker_add_cmd(w, &c, key, until == 0 ? 0 : until - now, NULL,
		    NULL, 0);
		rc = worker_run(w, &c, err, errlen);
	}
	firewall_cmd_free(&c);
	for (size_t i = 0; rc == 0 && i < ninside; i++)
		firewall_table_del(&w->table, &inside[i]);
	free(inside);
	return rc;
}

/* Push key now, replacing what it must. */
static void worker_add_now(struct firewall_worker *w,
    const struct host_key *key, int64_t until, int64_t now)
{
	char err[WORKER_ERROR_MAX];

	if (worker_push(w, key, until, now, err, sizeof(err)) < 0) {
		worker_failed(w, "add", err);
		return;
	}
	firewall_table_put(&w->table, key, until);
	firewall_stats_count(FIREWALL_PUSHED, 1);
	worker_ok(w);
}

static void worker_pend(struct firewall_worker *w, const struct host_key *key,
    int64_t until)
{
	if (w->npending == w->pending_size) {
		w->pending_size = w->pending_size ? w->pending_size * 2 : 64;
		w->pending = xrealloc(w->pending, w->pending_size,
		    sizeof(*w->pending));
	}
	w->pending[w->npending++] = (struct firewall_entry){ *key, until };
	firewall_table_put(&w->table, key, until);
}

void firewall_worker_add(struct firewall_worker *w, const struct host_key *key,
    int64_t until, int64_t now)
{
	const struct firewall_entry *e = firewall_table_find(&w->table, key, now);

	if (until != 0 && until <= now)
		return;
	/* Pushed already (or about to be), for as long or longer. */
	if (e != NULL && (e->until == 0 || (until != 0 && e->until >= until)))
		return;
	if (firewall_table_covering(&w->table, key, now) != NULL ||
	    worker_guarded(w, key) || (e == NULL && !worker_room(w, now)))
		return;
	if (e == NULL && !firewall_table_has_longer(&w->table, key)) {
		worker_pend(w, key, until);
		return;
	}
	firewall_worker_flush(w, now);
	worker_add_now(w, key, until, now);
}

static void flush_family(struct firewall_worker *w, struct firewall_cmd *c,
    uint8_t family, int64_t now)
{
	c->in_list = 0;
	for (size_t i = 0; i < w->npending; i++) {
		const struct firewall_entry *e = &w->pending[i];

		if (e->key.family != family)
			continue;
		if (c->in_list == 0)
			firewall_cmd_elements(c, w->nft, "add", family);
		firewall_cmd_element(c, &e->key, e->until == 0 ? 0 :
		    e->until - now);
	}
	if (c->in_list > 0)
		firewall_cmd_end(c);
}

void firewall_worker_flush(struct firewall_worker *w, int64_t now)
{
	struct firewall_cmd c;
	char err[WORKER_ERROR_MAX];
	size_t n = w->npending;

	if (n == 0)
		return;
	firewall_cmd_init(&c);
	flush_family(w, &c, 4, now);
	flush_family(w, &c, 6, now);
	w->npending = 0;
	if (worker_run(w, &c, err, sizeof(err)) == 0) {
		firewall_stats_count(FIREWALL_PUSHED, n);
		worker_ok(w);
	} else {
		/* One bad element spoils the batch: push them one by one. */
		for (size_t i = 0; i < n; i++)
			firewall_table_del(&w->table, &w->pending[i].key);
		for (size_t i = 0; i < n; i++)
			worker_add_now(w, &w->pending[i].key,
			    w->pending[i].until, now);
	}
	firewall_cmd_free(&c);
}

void firewall_worker_remove(struct firewall_worker *w,
    const struct host_key *key, int64_t now)
{
	struct firewall_cmd c;
	char err[WORKER_ERROR_MAX];
	int rc;

	firewall_worker_flush(w, now);
	if (firewall_table_find(&w->table, key, now) == NULL)
		return;
	firewall_cmd_init(&c);
	firewall_cmd_elements(&c, w->nft, "delete", key->family);
	firewall_cmd_element(&c, key, 0);
	firewall_cmd_end(&c);
	rc = worker_run(w, &c, err, sizeof(err));
	firewall_cmd_free(&c);
	firewall_table_del(&w->table, key);
	if (rc < 0) {
		worker_failed(w, "delete", err);
		return;
	}
	firewall_stats_count(FIREWALL_REMOVED, 1);
	worker_ok(w);
}

void firewall_worker_tick(struct firewall_worker *w, int64_t now)
{
	firewall_worker_flush(w, now);
	firewall_stats_set_elements(firewall_table_purge(&w->table, now));
}

/* Sync: every element to load goes into the table first. */

/* Put key into the table to load, as firewall_worker_add() would push it. */
static void sync_put(struct firewall_worker *w, const struct host_key *key,
    int64_t until, int64_t now)
{
	const struct firewall_entry *e = firewall_table_find(&w->table, key, now);
	struct host_key *inside;
	size_t ninside;

	if (e != NULL && (e->until == 0 || (until != 0 && e->until >= until)))
		return;
	if (firewall_table_covering(&w->table, key, now) != NULL ||
	    worker_guarded(w, key) || (e == NULL && !worker_room(w, now)))
		return;
	inside = worker_inside(w, key, now, &ninside);
	for (size_t i = 0; i < ninside; i++)
		firewall_table_del(&w->table, &inside[i]);
	free(inside);
	firewall_table_put(&w->table, key, until);
}

struct sync_store {
	struct firewall_worker *w;
	int64_t now;
};

static int sync_blocked_entry(const struct host_key *entry, void *arg)
{
	struct sync_store *s = arg;

	sync_put(s->w, entry, 0, s->now);
	return 0;
}

static int sync_store_host(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct sync_store *s = arg;
	int64_t until = 0;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (firewall_pushes(s->w->cfg, d) &&
		    rule_blocked(&host->state[d], s->now) &&
		    host->state[d].block_until > until)
			until = host->state[d].block_until;
	}
	if (until > 0)
		sync_put(s->w, key, until, s->now);
	return 0;
}

struct sync_cmd {
	struct firewall_worker *w;
	struct firewall_cmd *cmd;
	uint8_t family;
	int64_t now;
};

static void sync_element(const struct firewall_entry *e, void *arg)
{
	struct sync_cmd *s = arg;

	if (e->key.family != s->family)
		return;
	if (s->cmd->in_list == WORKER_CHUNK) {
		firewall_cmd_end(s->cmd);
		firewall_cmd_elements(s->cmd, s->w->nft, "add", s->family);
	}
	firewall_cmd_element(s->cmd, &e->key, e->until == 0 ? 0 :
	    e->until - s->now);
}

static void sync_family(struct firewall_worker *w, struct firewall_cmd *c,
    uint8_t family, int64_t now)
{
	struct sync_cmd s = { w, c, family, now };
	size_t start = c->len;

	firewall_cmd_elements(c, w->nft, "add", family);
	firewall_table_walk(&w->table, sync_element, &s);
	if (c->in_list == 0) {
		c->len = start;
		c->text[start] = '\0';
	} else {
		firewall_cmd_end(c);
	}
}

static void sync_copy(const struct firewall_entry *e, void *arg)
{
	struct firewall_entry **next = arg;

	*(*next)++ = *e;
}

/* The one transaction failed: empty the sets, then push one by one. */
static void sync_one_by_one(struct firewall_worker *w, int64_t now)
{
	struct firewall_entry *all = xcalloc(w->table.count + 1, sizeof(*all));
	struct firewall_entry *next = all;
	struct firewall_cmd c;
	char err[WORKER_ERROR_MAX];

	firewall_table_walk(&w->table, sync_copy, &next);
	firewall_table_clear(&w->table);
	firewall_cmd_init(&c);
	firewall_cmd_flush(&c, w->nft);
	if (worker_run(w, &c, err, sizeof(err)) < 0)
		worker_failed(w, "flush", err);
	firewall_cmd_free(&c);
	for (struct firewall_entry *e = all; e < next; e++)
		firewall_worker_add(w, &e->key, e->until, now);
	free(all);
}

static void sync_load(struct firewall_worker *w, int64_t now)
{
	struct sync_store s = { w, now };
	char quoted[ESCAPE_SIZE(WORKER_ERROR_MAX)];

	if (w->cfg->firewall.blocked_list && !w->cfg->monitor_only)
		hostlist_walk(w->cfg->blocked, sync_blocked_entry, &s);
	if (store_list_blocks(w->store, now, sync_store_host, &s) < 0) {
		escape(store_error(w->store), ESCAPE_QUOTED, quoted,
		    sizeof(quoted));
		log_warning("event=firewall-load store=%s reason=\"%s\"",
		    w->store->ops->name, quoted);
	}
}

void firewall_worker_sync(struct firewall_worker *w, int64_t now)
{
	struct firewall_cmd c;
	char err[WORKER_ERROR_MAX], quoted[ESCAPE_SIZE(WORKER_ERROR_MAX)];

	if (firewall_guard_load(&w->guard, err, sizeof(err)) < 0) {
		escape(err, ESCAPE_QUOTED, quoted, sizeof(quoted));
		log_warning("event=firewall-addresses reason=\"%s\"", quoted);
	}
	firewall_table_clear(&w->table);
	w->npending = 0;
	w->full = false;
	sync_load(w, now);
	firewall_cmd_init(&c);
	firewall_cmd_flush(&c, w->nft);
	sync_family(w, &c, 4, now);
	sync_family(w, &c, 6, now);
	if (worker_run(w, &c, err, sizeof(err)) == 0) {
		firewall_stats_count(FIREWALL_PUSHED, w->table.count);
		worker_ok(w);
		log_info("event=firewall-load elements=%zu", w->table.count);
	} else {
		worker_failed(w, "load", err);
		sync_one_by_one(w, now);
	}
	firewall_cmd_free(&c);
	firewall_stats_set_elements(w->table.count);
}
