/*
 * commands_view.c - the commands that read the store: list and show.
 * See commands.h for their answers.
 *
 * What a block is known by: its start, end and count come from the
 * store, judged by the rule module (rule.h, rule_host.h); when and where
 * it started and why come from the note a block by hand carries, when
 * the store keeps notes.  A block of the memory store always started on
 * this node.  Anything else is unknown (null).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "commands_impl.h"
#include "hostlist.h"
#include "isotime.h"
#include "xalloc.h"

/* A host's block found while walking the store. */
struct view_block {
	struct host_key key;
	enum detector detector;
	struct rule_state state;
};

struct view_walk {
	struct view_block *items;
	size_t count;
	size_t size;
	size_t total;
	int only;			/* a detector, or -1 for all */
	int64_t now;
};

static const char *const view_events[DETECTOR_COUNT] = {
	[DETECTOR_DOS] = "connections",
	[DETECTOR_DHA] = "invalid recipients",
	[DETECTOR_ATTACK] = "flagged connections",
	[DETECTOR_MANUAL] = "",
};

static void view_add(struct view_walk *walk, const struct host_key *key,
    enum detector d, const struct rule_state *st)
{
	walk->total++;
	if (walk->count == COMMANDS_LIST_MAX)
		return;
	if (walk->count == walk->size) {
		walk->size = walk->size ? walk->size * 2 : 64;
		walk->items = xrealloc(walk->items, walk->size,
		    sizeof(*walk->items));
	}
	walk->items[walk->count++] = (struct view_block){ *key, d, *st };
}

static int view_collect(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct view_walk *walk = arg;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if ((walk->only < 0 || (unsigned)walk->only == d) &&
		    rule_blocked(&host->state[d], walk->now))
			view_add(walk, key, (enum detector)d, &host->state[d]);
	}
	return 0;
}

/* Ending first; ties by detector, then by key bytes. */
static int view_order(const void *pa, const void *pb)
{
	const struct view_block *a = pa, *b = pb;

	if (a->state.block_until != b->state.block_until)
		return a->state.block_until < b->state.block_until ? -1 : 1;
	if (a->detector != b->detector)
		return a->detector < b->detector ? -1 : 1;
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

/* The note of a block by hand; false when none is known. */
static bool view_note(struct command_ctx *c, const struct host_key *key,
    enum detector d, struct store_note *note)
{
	return d == DETECTOR_MANUAL &&
	    store_get_note(c->rt->store, key, note) == 1;
}

static int64_t view_started(const struct rule_state *st,
    const struct store_note *note)
{
	return note != NULL ? note->set_at : rule_block_start(st);
}

static const char *view_node(const struct command_ctx *c, enum detector d,
    const struct store_note *note)
{
	if (note != NULL)
		return note->node;
	if (d != DETECTOR_MANUAL &&
	    strcmp(c->rt->store->ops->name, "memory") == 0)
		return c->rt->node;
	return NULL;
}

/* What the rule recorded when it started the block: null when unknown. */
static json_t *view_recorded(enum detector d, uint32_t value)
{
	return d == DETECTOR_MANUAL || value == 0 ? json_null() :
	    json_integer(value);
}

/*
 * The explanation of a block: the keys of bulwarkctl(8)'s "show" (rule is
 * always "host": every rule counts one host key).  start and end repeat
 * started and ends under the names of the explanation.
 */
static json_t *view_explain(const struct rule_state *st, enum detector d,
    int64_t started)
{
	return json_pack("{s:s, s:o, s:o, s:I, s:o, s:I}",
	    "rule", d == DETECTOR_MANUAL ? "manual" : "host",
	    "threshold", view_recorded(d, st->threshold),
	    "period", view_recorded(d, st->period),
	    "level", (json_int_t)st->level,
	    "start", control_json_time(started),
	    "end", (json_int_t)st->block_until);
}

json_t *commands_block(struct command_ctx *c, const struct host_key *key,
    const char *key_text, enum detector d, const struct rule_state *st)
{
	struct store_note note;
	const struct store_note *known = view_note(c, key, d, &note) ?
	    &note : NULL;
	json_t *block = json_pack("{s:o, s:s, s:o, s:o, s:I, s:b, s:o, s:o}",
	    "host", control_json_text(key_text),
	    "detector", detector_name(d),
	    "count", d == DETECTOR_MANUAL ? json_null() :
	    json_integer(st->count),
	    "started", control_json_time(view_started(st, known)),
	    "ends", (json_int_t)st->block_until,
	    "sliding", d != DETECTOR_MANUAL && c->cfg->rules[d].sliding,
	    "node", control_json_text(view_node(c, d, known)),
	    "reason", control_json_text(known != NULL &&
	    known->reason[0] != '\0' ? known->reason : NULL));

	json_object_update_new(block, view_explain(st, d,
	    view_started(st, known)));
	return block;
}

static int view_only(struct command_ctx *c, int *only)
{
	enum detector d;

	*only = -1;
	if (c->argc == 0)
		return 0;
	if (detector_from_name(c->argv[0], &d) < 0)
		return commands_fail(c, "\"%.32s\" is not a detector (expected "
		    "dos, dha, attack or manual)", c->argv[0]);
	*only = (int)d;
	return 0;
}

int commands_list(struct command_ctx *c)
{
	struct view_walk walk = { .now = c->now };
	char key_text[ADDR_TEXT_MAX];
	json_t *blocks;

	if (view_only(c, &walk.only) < 0)
		return -1;
	if (store_list_blocks(c->rt->store, c->now, view_collect, &walk) < 0) {
		free(walk.items);
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	}
	/* qsort() must not be given the NULL of an empty walk. */
	if (walk.count > 0)
		qsort(walk.items, walk.count, sizeof(*walk.items), view_order);
	blocks = json_array();
	for (size_t i = 0; i < walk.count; i++) {
		host_key_format(&walk.items[i].key, key_text, sizeof(key_text));
		json_array_append_new(blocks, commands_block(c,
		    &walk.items[i].key, key_text, walk.items[i].detector,
		    &walk.items[i].state));
	}
	free(walk.items);
	commands_members(c, json_pack("{s:I, s:I, s:b, s:o}",
	    "now", (json_int_t)c->now,
	    "total", (json_int_t)walk.total,
	    "truncated", walk.total > walk.count,
	    "blocks", blocks));
	return 0;
}

/* show */

struct view_host {
	struct host_addr addr;
	struct host_key key;
	char key_text[ADDR_TEXT_MAX];
	struct store_host host;
	bool excluded;
	bool listed;
	int latest;			/* detector whose block ends last, or -1 */
};

/* Whether the detector counts anything: attack also flags alone. */
static bool view_enabled(const struct config *cfg, enum detector d)
{
	return d == DETECTOR_ATTACK ? cfg->attack_enabled :
	    cfg->rules[d].enabled;
}

static json_t *view_detector(struct command_ctx *c, enum detector d,
    const struct rule_state *st)
{
	const struct rule *rule = &c->cfg->rules[d];
	bool counted = d != DETECTOR_MANUAL;
	bool open = counted && rule_window_open(rule, st, c->now);
	bool blocked = rule_blocked(st, c->now);
	json_t *entry = json_pack("{s:s, s:b, s:b, s:I, s:o, s:o, s:o, s:o, "
	    "s:b, s:o, s:b}",
	    "detector", detector_name(d),
	    "enabled", view_enabled(c->cfg, d),
	    "blocks", rule->enabled,
	    "count", (json_int_t)(open ? st->count : 0),
	    "max", counted ? json_integer(rule->max) : json_null(),
	    "period", counted ? json_integer(rule->period) : json_null(),
	    "window_start", control_json_time(open ? st->window_start : 0),
	    "window_ends", control_json_time(open ?
	    st->window_start + rule->period : 0),
	    "blocked", blocked,
	    "block_until", control_json_time(blocked ? st->block_until : 0),
	    "sliding", counted && rule->sliding);

	if (d == DETECTOR_ATTACK)
		json_object_update_new(entry, json_pack("{s:I, s:s}",
		    "max_commands", (json_int_t)c->cfg->attack_max_commands,
		    "flag_action", action_name(c->cfg->attack_action)));
	return entry;
}

/* Whether some detector counts the host in an open evaluation period. */
static bool view_counted(const struct command_ctx *c,
    const struct view_host *h)
{
	for (unsigned d = 0; d < DETECTOR_MANUAL; d++) {
		if (h->host.state[d].count > 0 && rule_window_open(
		    &c->cfg->rules[d], &h->host.state[d], c->now))
			return true;
	}
	return false;
}

static const char *view_status(const struct command_ctx *c,
    const struct view_host *h)
{
	if (h->listed)
		return "blocked-list";
	if (h->excluded)
		return "excluded";
	if (h->latest >= 0)
		return "blocked";
	return view_counted(c, h) ? "counted" : "unseen";
}

/* Where the block of a rule started: its node, or "" when unknown. */
static void view_block_node(struct command_ctx *c, const struct view_host *h,
    enum detector d, char *node, size_t len)
{
	const char *own = view_node(c, d, NULL);

	node[0] = '\0';
	if (own != NULL)
		snprintf(node, len, "%s", own);
	else if (store_get_node(c->rt->store, &h->key, d, node, len) != 1)
		node[0] = '\0';
}

/*
 * The explanation of a rule's block, one paragraph: what was counted
 * against which threshold, since when, at what level, on which node.
 * The threshold and period recorded when it started win over the
 * configuration in force.
 */
static void view_why_rule(struct command_ctx *c, const struct view_host *h,
    enum detector d, char *why, size_t len)
{
	const struct rule_state *st = &h->host.state[d];
	const struct rule *rule = &c->cfg->rules[d];
	char start[ISOTIME_MAX] = "an unknown time", until[ISOTIME_MAX];
	char node[STORE_NOTE_NODE_MAX], level[64] = "";
	int64_t started = rule_block_start(st);

	isotime_format(st->block_until, until, sizeof(until));
	if (started != 0)
		isotime_format(started, start, sizeof(start));
	if (st->level > 0)
		snprintf(level, sizeof(level), ", escalation level %u",
		    st->level);
	view_block_node(c, h, d, node, sizeof(node));
	snprintf(why, len, "blocked by %s (host rule) from %s until %s: %u %s "
	    "within %u s, more than the threshold of %u%s; started by node "
	    "%s", detector_name(d), start, until, st->count, view_events[d],
	    st->period != 0 ? st->period : rule->period,
	    st->period != 0 ? st->threshold : rule->max, level,
	    node[0] != '\0' ? node : "unknown");
}

static void view_why_blocked(struct command_ctx *c, const struct view_host *h,
    char *why, size_t len)
{
	enum detector d = (enum detector)h->latest;
	const struct rule_state *st = &h->host.state[d];
	char until[ISOTIME_MAX];
	struct store_note note;

	isotime_format(st->block_until, until, sizeof(until));
	if (d != DETECTOR_MANUAL)
		view_why_rule(c, h, d, why, len);
	else if (view_note(c, &h->key, d, &note) && note.reason[0] != '\0')
		snprintf(why, len, "blocked by hand until %s: %s", until,
		    note.reason);
	else
		snprintf(why, len, "blocked by hand until %s", until);
}

static void view_why(struct command_ctx *c, const struct view_host *h,
    char *why, size_t len)
{
	if (h->listed)
		snprintf(why, len, "on the blocked list (blocked, blocked_file):"
		    " refused at every connection (%s)",
		    action_name(c->cfg->blocked_action));
	else if (h->excluded)
		snprintf(why, len, "on the exclude list (exclude, exclude_file):"
		    " never counted nor blocked%s", h->latest >= 0 ?
		    "; its blocks are not enforced" : "");
	else if (h->latest >= 0)
		view_why_blocked(c, h, why, len);
	else if (view_counted(c, h))
		snprintf(why, len, "not blocked; counted in an open evaluation "
		    "period (see COUNT)");
	else
		snprintf(why, len, "not blocked; nothing is known of it: "
		    "no event counted in an open evaluation period");
}

static int view_latest(const struct store_host *host, int64_t now)
{
	struct rule_block block;

	return rule_host_blocked(host->state, now, &block) ?
	    (int)block.detector : -1;
}

static json_t *view_blocks(struct command_ctx *c, const struct view_host *h)
{
	json_t *blocks = json_array();

	char node[STORE_NOTE_NODE_MAX];
	json_t *block;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (!rule_blocked(&h->host.state[d], c->now))
			continue;
		block = commands_block(c, &h->key, h->key_text,
		    (enum detector)d, &h->host.state[d]);
		/* One host: its blocks' nodes are worth a look-up each. */
		if (d != DETECTOR_MANUAL) {
			view_block_node(c, h, (enum detector)d, node,
			    sizeof(node));
			json_object_set_new(block, "node", control_json_text(
			    node[0] != '\0' ? node : NULL));
		}
		json_array_append_new(blocks, block);
	}
	return blocks;
}

int commands_show(struct command_ctx *c)
{
	struct command_target t;
	struct view_host h;
	char addr_text[ADDR_TEXT_MAX], why[STORE_NOTE_REASON_MAX + 128];
	json_t *detectors;

	if (commands_target(c, c->argv[0], &t) < 0)
		return -1;
	if (!t.one_host)
		return commands_fail(c, "%s holds more than one host (%s_prefix "
		    "= %u): show one of its addresses, or list", t.text,
		    t.addr.family == 4 ? "ipv4" : "ipv6", t.host_prefix);
	h.addr = t.addr;
	h.key = t.key;
	memcpy(h.key_text, t.key_text, sizeof(h.key_text));
	if (store_lookup(c->rt->store, &h.key, &h.host) < 0)
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	h.excluded = hostlist_match(c->cfg->exclude, &h.addr);
	h.listed = hostlist_match(c->cfg->blocked, &h.addr);
	h.latest = view_latest(&h.host, c->now);
	addr_format(&h.addr, addr_text, sizeof(addr_text));
	view_why(c, &h, why, sizeof(why));
	detectors = json_array();
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		json_array_append_new(detectors, view_detector(c,
		    (enum detector)d, &h.host.state[d]));
	commands_members(c, json_pack("{s:o, s:o, s:b, s:b, s:s, s:o, s:o, "
	    "s:o}",
	    "address", control_json_text(t.is_prefix ? t.text : addr_text),
	    "host", control_json_text(h.key_text),
	    "excluded", h.excluded,
	    "blocked_list", h.listed,
	    "status", view_status(c, &h),
	    "why", control_json_text(why),
	    "detectors", detectors,
	    "blocks", view_blocks(c, &h)));
	return 0;
}
