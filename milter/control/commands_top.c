/*
 * commands_top.c - the top command: this node's live sessions and what
 * the store says of the hosts behind them, for bulwarkctl top.  See
 * commands.h for the answer.
 *
 * Cost: one copy of the live sessions table (in proportion to the live
 * sessions), one store lookup for each of the TOP_ROWS hosts with most
 * live sessions (the hosts whose counts are shown against each
 * threshold: the store is never scanned for counts), and one walk of
 * the blocks in force, as list does.  Notes are read only for the blocks
 * shown.
 *
 * A block's start is its end less the running block period; a block by
 * hand has no such start and comes after the detectors' blocks.
 *
 * Nodes: with a store that shares node summaries (Redis), one row per
 * node of the array whose summary has not expired (one store call);
 * otherwise, or when the store fails, this node's own row alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "commands_impl.h"
#include "metrics.h"
#include "policy.h"
#include "sessions.h"
#include "xalloc.h"

#define TOP_ROWS		10
#define TOP_RATE_SECONDS	10

static int top_by_sessions(const void *pa, const void *pb)
{
	const struct sessions_host *a = pa, *b = pb;

	if (a->sessions != b->sessions)
		return a->sessions > b->sessions ? -1 : 1;
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

static int top_by_age(const void *pa, const void *pb)
{
	const struct sessions_entry *a = pa, *b = pb;

	if (a->since != b->since)
		return a->since < b->since ? -1 : 1;
	return a->handle < b->handle ? -1 : a->handle > b->handle;
}

/* The live sessions, oldest first; the caller frees *out. */
static size_t top_sessions(struct command_ctx *c, struct sessions_entry **out,
    struct sessions_stats *stats)
{
	struct sessions *table = policy_sessions(c->rt->policy);
	size_t n;

	sessions_stats(table, stats);
	*out = xcalloc(stats->capacity, sizeof(**out));
	n = sessions_snapshot(table, *out, stats->capacity);
	if (n > 0)
		qsort(*out, n, sizeof(**out), top_by_age);
	return n;
}

static json_t *top_stages(const struct sessions_entry *e, size_t n)
{
	json_int_t count[SESSIONS_STAGES] = { 0 };
	json_t *stages = json_object();

	for (size_t i = 0; i < n; i++)
		count[e[i].stage]++;
	for (unsigned s = 0; s < SESSIONS_STAGES; s++)
		json_object_set_new(stages, sessions_stage_name(s),
		    json_integer(count[s]));
	return stages;
}

static json_t *top_oldest(struct command_ctx *c, const struct sessions_entry *e,
    size_t n)
{
	json_t *oldest = json_array();
	char key_text[ADDR_TEXT_MAX];

	for (size_t i = 0; i < n && i < TOP_ROWS; i++) {
		host_key_format(&e[i].key, key_text, sizeof(key_text));
		json_array_append_new(oldest, json_pack("{s:o, s:s, s:I, s:I}",
		    "host", control_json_text(key_text),
		    "stage", sessions_stage_name(e[i].stage),
		    "since", (json_int_t)e[i].since,
		    "age", (json_int_t)(c->now - e[i].since)));
	}
	return oldest;
}

/* The hosts with most live sessions, most first; the caller frees *out. */
static size_t top_hosts(struct command_ctx *c, struct sessions_host **out,
    unsigned capacity)
{
	size_t n;

	*out = xcalloc(capacity, sizeof(**out));
	n = sessions_hosts(policy_sessions(c->rt->policy), *out, capacity);
	if (n > 0)
		qsort(*out, n, sizeof(**out), top_by_sessions);
	return n;
}

static json_t *top_hosts_json(const struct sessions_host *h, size_t n)
{
	json_t *hosts = json_array();
	char key_text[ADDR_TEXT_MAX];

	for (size_t i = 0; i < n && i < TOP_ROWS; i++) {
		host_key_format(&h[i].key, key_text, sizeof(key_text));
		json_array_append_new(hosts, json_pack("{s:o, s:I}",
		    "host", control_json_text(key_text),
		    "sessions", (json_int_t)h[i].sessions));
	}
	return hosts;
}

/* A host's count in detector d's open window, as show judges it. */
struct top_near {
	size_t host;			/* in the hosts array */
	uint32_t count;
	int64_t window_ends;
	int64_t block_until;		/* 0 unless blocked */
};

static int top_by_count(const void *pa, const void *pb)
{
	const struct top_near *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->host < b->host ? -1 : a->host > b->host;
}

static bool top_window(const struct rule *rule, const struct rule_state *st,
    int64_t now, struct top_near *near)
{
	near->block_until = rule_blocked(st, now) ? st->block_until : 0;
	if (st->window_start <= 0 || now >= st->window_start + rule->period ||
	    (st->block_until > st->window_start && st->block_until <= now))
		return near->block_until > 0;
	near->count = st->count;
	near->window_ends = st->window_start + rule->period;
	return true;
}

static json_t *top_detector(struct command_ctx *c, enum detector d,
    const struct sessions_host *h, const struct store_host *state, size_t n)
{
	const struct rule *rule = &c->cfg->rules[d];
	struct top_near near[TOP_ROWS];
	size_t found = 0;
	char key_text[ADDR_TEXT_MAX];
	json_t *hosts = json_array();

	for (size_t i = 0; i < n; i++) {
		near[found] = (struct top_near){ .host = i };
		if (top_window(rule, &state[i].state[d], c->now, &near[found]))
			found++;
	}
	if (found > 0)
		qsort(near, found, sizeof(near[0]), top_by_count);
	for (size_t i = 0; i < found; i++) {
		host_key_format(&h[near[i].host].key, key_text, sizeof(key_text));
		json_array_append_new(hosts, json_pack("{s:o, s:I, s:o, s:o}",
		    "host", control_json_text(key_text),
		    "count", (json_int_t)near[i].count,
		    "window_ends", control_json_time(near[i].window_ends),
		    "blocked_until", control_json_time(near[i].block_until)));
	}
	return json_pack("{s:s, s:b, s:I, s:I, s:o}",
	    "detector", detector_name(d),
	    "enabled", rule->enabled,
	    "max", (json_int_t)rule->max,
	    "period", (json_int_t)rule->period,
	    "hosts", hosts);
}

/* Each detector's count for the hosts with most live sessions. */
static json_t *top_thresholds(struct command_ctx *c,
    const struct sessions_host *h, size_t n, json_t **error)
{
	struct store_host state[TOP_ROWS];
	json_t *thresholds = json_array();

	*error = NULL;
	if (n > TOP_ROWS)
		n = TOP_ROWS;
	for (size_t i = 0; i < n; i++) {
		if (store_lookup(c->rt->store, &h[i].key, &state[i]) == 0)
			continue;
		*error = control_json_text(store_error(c->rt->store));
		return thresholds;
	}
	for (unsigned d = 0; d < DETECTOR_MANUAL; d++)
		json_array_append_new(thresholds, top_detector(c,
		    (enum detector)d, h, state, n));
	return thresholds;
}

struct top_block {
	struct host_key key;
	enum detector detector;
	struct rule_state state;
	int64_t started;		/* 0 for a block by hand */
};

struct top_walk {
	const struct config *cfg;
	int64_t now;
	size_t total;
	struct top_block best[TOP_ROWS];
	size_t kept;
};

static bool top_newer(const struct top_block *a, const struct top_block *b)
{
	if (a->started != b->started)
		return a->started > b->started;
	return a->state.block_until > b->state.block_until;
}

/* Keep the TOP_ROWS newest blocks, newest first, by insertion. */
static void top_keep(struct top_walk *w, const struct top_block *b)
{
	size_t at = w->kept < TOP_ROWS ? w->kept++ : TOP_ROWS;

	while (at > 0 && top_newer(b, &w->best[at - 1])) {
		if (at < TOP_ROWS)
			w->best[at] = w->best[at - 1];
		at--;
	}
	if (at < TOP_ROWS)
		w->best[at] = *b;
}

static int top_collect(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct top_walk *w = arg;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		struct top_block b = { *key, (enum detector)d, host->state[d],
		    0 };

		if (!rule_blocked(&host->state[d], w->now))
			continue;
		w->total++;
		if (d != DETECTOR_MANUAL)
			b.started = b.state.block_until - w->cfg->rules[d].block;
		top_keep(w, &b);
	}
	return 0;
}

static json_t *top_blocks(struct command_ctx *c, json_int_t *total,
    json_t **error)
{
	struct top_walk w = { .cfg = c->cfg, .now = c->now };
	char key_text[ADDR_TEXT_MAX];
	json_t *blocks = json_array();

	*error = NULL;
	if (store_list_blocks(c->rt->store, c->now, top_collect, &w) < 0)
		*error = control_json_text(store_error(c->rt->store));
	for (size_t i = 0; i < w.kept; i++) {
		host_key_format(&w.best[i].key, key_text, sizeof(key_text));
		json_array_append_new(blocks, commands_block(c, &w.best[i].key,
		    key_text, w.best[i].detector, &w.best[i].state));
	}
	*total = (json_int_t)w.total;
	return blocks;
}

static json_t *top_refusals(struct command_ctx *c)
{
	struct metrics_counts m;
	json_int_t total = 0;

	metrics_read(&m);
	for (unsigned r = 0; r < METRICS_REFUSERS; r++) {
		for (unsigned a = 0; a < METRICS_ACTIONS; a++)
			total += (json_int_t)m.refusals[r][a];
	}
	return json_pack("{s:I, s:f, s:I}",
	    "total", total,
	    "per_second", (double)metrics_refusals_recent(c->now,
	    TOP_RATE_SECONDS) / TOP_RATE_SECONDS,
	    "over", (json_int_t)TOP_RATE_SECONDS);
}

static json_t *top_stage_counts(const uint64_t *count)
{
	json_t *stages = json_object();

	for (unsigned s = 0; s < SESSIONS_STAGES; s++)
		json_object_set_new(stages, sessions_stage_name(s),
		    json_integer((json_int_t)count[s]));
	return stages;
}

static json_t *top_node_json(const struct store_node *node)
{
	return json_pack("{s:o, s:I, s:o, s:f, s:o}",
	    "node", control_json_text(node->name),
	    "sessions", (json_int_t)node->sessions,
	    "stages", top_stage_counts(node->stages),
	    "refusals_per_second", node->refusals_per_second,
	    "expires", control_json_time(node->expires));
}

static void top_node_add(const struct store_node *node, void *arg)
{
	json_array_append_new(arg, top_node_json(node));
}

static int top_by_name(const void *pa, const void *pb)
{
	const char *a = json_string_value(json_object_get(*(json_t *const *)pa,
	    "node"));
	const char *b = json_string_value(json_object_get(*(json_t *const *)pb,
	    "node"));

	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* Every node of the array, by name; this node alone without them. */
static json_t *top_nodes(struct command_ctx *c,
    const struct sessions_stats *stats)
{
	json_t *nodes = json_array(), *sorted = json_array();
	struct store_node self = { .expires = 0 };
	json_t **rows;
	size_t n;

	if (store_list_nodes(c->rt->store, top_node_add, nodes) < 0 ||
	    json_array_size(nodes) == 0) {
		json_array_clear(nodes);
		snprintf(self.name, sizeof(self.name), "%s", c->rt->node);
		self.sessions = stats->live;
		for (unsigned s = 0; s < SESSIONS_STAGES; s++)
			self.stages[s] = stats->stages[s];
		self.refusals_per_second = (double)metrics_refusals_recent(
		    c->now, TOP_RATE_SECONDS) / TOP_RATE_SECONDS;
		json_array_append_new(nodes, top_node_json(&self));
		json_decref(sorted);
		return nodes;
	}
	n = json_array_size(nodes);
	rows = xcalloc(n, sizeof(*rows));
	for (size_t i = 0; i < n; i++)
		rows[i] = json_array_get(nodes, i);
	qsort(rows, n, sizeof(*rows), top_by_name);
	for (size_t i = 0; i < n; i++)
		json_array_append(sorted, rows[i]);
	free(rows);
	json_decref(nodes);
	return sorted;
}

int commands_top(struct command_ctx *c)
{
	struct sessions_stats stats;
	struct sessions_entry *live;
	struct sessions_host *hosts;
	json_t *thresholds, *blocks, *lookup_error, *walk_error;
	json_int_t blocks_total;
	size_t n = top_sessions(c, &live, &stats);
	size_t nhosts = top_hosts(c, &hosts, stats.capacity);

	thresholds = top_thresholds(c, hosts, nhosts, &lookup_error);
	blocks = top_blocks(c, &blocks_total, &walk_error);
	commands_members(c, json_pack("{s:I, s:o, s:I, s:I, s:I, s:o, s:o, "
	    "s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o}",
	    "now", (json_int_t)c->now,
	    "node", control_json_text(c->rt->node),
	    "sessions", (json_int_t)n,
	    "capacity", (json_int_t)stats.capacity,
	    "untracked", (json_int_t)stats.untracked,
	    "stages", top_stages(live, n),
	    "hosts", top_hosts_json(hosts, nhosts),
	    "oldest", top_oldest(c, live, n),
	    "thresholds", thresholds,
	    "blocks", blocks,
	    "blocks_total", blocks_total,
	    "refusals", top_refusals(c),
	    "store", commands_store_health(c),
	    "nodes", top_nodes(c, &stats),
	    "store_error", lookup_error != NULL ? lookup_error :
	    walk_error != NULL ? walk_error : json_null()));
	if (lookup_error != NULL && walk_error != NULL)
		json_decref(walk_error);
	free(live);
	free(hosts);
	return 0;
}
