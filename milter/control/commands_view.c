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

void commands_block(struct command_ctx *c, const struct host_key *key,
    const char *key_text, enum detector d, const struct rule_state *st)
{
	struct store_note note;
	const struct store_note *known = view_note(c, key, d, &note) ?
	    &note : NULL;

	json_object_begin(c->w, NULL);
	json_string(c->w, "host", key_text);
	json_string(c->w, "detector", detector_name(d));
	if (d == DETECTOR_MANUAL)
		json_null(c->w, "count");
	else
		json_int(c->w, "count", st->count);
	commands_time(c->w, "started", view_started(st, known));
	json_int(c->w, "ends", st->block_until);
	json_bool(c->w, "sliding", d != DETECTOR_MANUAL &&
	    c->cfg->rules[d].sliding);
	json_string(c->w, "node", view_node(c, d, known));
	json_string(c->w, "reason", known != NULL && known->reason[0] != '\0' ?
	    known->reason : NULL);
	json_object_end(c->w);
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
	json_int(c->w, "now", c->now);
	json_int(c->w, "total", (int64_t)walk.total);
	json_bool(c->w, "truncated", walk.total > walk.count);
	json_array_begin(c->w, "blocks");
	for (size_t i = 0; i < walk.count; i++) {
		host_key_format(&walk.items[i].key, key_text, sizeof(key_text));
		commands_block(c, &walk.items[i].key, key_text,
		    walk.items[i].detector, &walk.items[i].state);
	}
	json_array_end(c->w);
	free(walk.items);
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

static void view_detector(struct command_ctx *c, enum detector d,
    const struct rule_state *st)
{
	const struct rule *rule = &c->cfg->rules[d];
	bool counted = d != DETECTOR_MANUAL;
	bool open = counted && rule_window_open(rule, st, c->now);
	bool blocked = rule_blocked(st, c->now);

	json_object_begin(c->w, NULL);
	json_string(c->w, "detector", detector_name(d));
	json_bool(c->w, "enabled", rule->enabled);
	json_int(c->w, "count", open ? st->count : 0);
	if (counted) {
		json_int(c->w, "max", rule->max);
		json_int(c->w, "period", rule->period);
	} else {
		json_null(c->w, "max");
		json_null(c->w, "period");
	}
	commands_time(c->w, "window_start", open ? st->window_start : 0);
	commands_time(c->w, "window_ends", open ?
	    st->window_start + rule->period : 0);
	json_bool(c->w, "blocked", blocked);
	commands_time(c->w, "block_until", blocked ? st->block_until : 0);
	json_bool(c->w, "sliding", counted && rule->sliding);
	json_object_end(c->w);
}

static const char *view_status(const struct view_host *h)
{
	if (h->listed)
		return "blocked-list";
	if (h->excluded)
		return "excluded";
	return h->latest >= 0 ? "blocked" : "counted";
}

static void view_why_blocked(struct command_ctx *c, const struct view_host *h,
    char *why, size_t len)
{
	enum detector d = (enum detector)h->latest;
	const struct rule_state *st = &h->host.state[d];
	char until[32];
	struct store_note note;

	commands_format_time(st->block_until, until, sizeof(until));
	if (d != DETECTOR_MANUAL)
		snprintf(why, len, "blocked by %s until %s after %u %s "
		    "(max %u in %u s)", detector_name(d), until, st->count,
		    view_events[d], c->cfg->rules[d].max,
		    c->cfg->rules[d].period);
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
	else
		snprintf(why, len, "not blocked");
}

static int view_latest(const struct store_host *host, int64_t now)
{
	struct rule_block block;

	return rule_host_blocked(host->state, now, &block) ?
	    (int)block.detector : -1;
}

static void view_blocks(struct command_ctx *c, const struct view_host *h)
{
	json_array_begin(c->w, "blocks");
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (rule_blocked(&h->host.state[d], c->now))
			commands_block(c, &h->key, h->key_text, (enum detector)d,
			    &h->host.state[d]);
	}
	json_array_end(c->w);
}

int commands_show(struct command_ctx *c)
{
	struct view_host h;
	char addr_text[ADDR_TEXT_MAX], why[STORE_NOTE_REASON_MAX + 128];

	if (commands_host(c, c->argv[0], &h.addr, &h.key, h.key_text) < 0)
		return -1;
	if (store_lookup(c->rt->store, &h.key, &h.host) < 0)
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	h.excluded = hostlist_match(c->cfg->exclude, &h.addr);
	h.listed = hostlist_match(c->cfg->blocked, &h.addr);
	h.latest = view_latest(&h.host, c->now);
	addr_format(&h.addr, addr_text, sizeof(addr_text));
	view_why(c, &h, why, sizeof(why));
	json_string(c->w, "address", addr_text);
	json_string(c->w, "host", h.key_text);
	json_bool(c->w, "excluded", h.excluded);
	json_bool(c->w, "blocked_list", h.listed);
	json_string(c->w, "status", view_status(&h));
	json_string(c->w, "why", why);
	json_array_begin(c->w, "detectors");
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		view_detector(c, (enum detector)d, &h.host.state[d]);
	json_array_end(c->w);
	view_blocks(c, &h);
	return 0;
}
