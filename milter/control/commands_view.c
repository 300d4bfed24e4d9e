/*
 * commands_view.c - list, the blocks in force, and what list and show
 * share to describe a block.  See commands.h for their answers.
 *
 * What a block is known by: its start, end and count come from the
 * store, judged by the rule module (rule.h, rule_host.h); when and where
 * it started and why come from the note a block by hand carries, when
 * the store keeps notes.  A block of the memory store always started on
 * this node.  Anything else is unknown (null).
 *
 * A network rule's state is an entry of its own, keyed by the network's
 * prefix, shorter than a host's (commands_key_is_network()): list shows
 * it as the prefix with rule "network", and show explains it when given
 * that prefix.  show of a host looks up the host's networks of the
 * running configuration too, since their blocks refuse it as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "commands_impl.h"
#include "hostlist.h"
#include "isotime.h"
#include "xalloc.h"

/* A host's (or network's) block found while walking the store. */
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

bool commands_manual_note(struct command_ctx *c, const struct host_key *key,
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

const char *commands_known_node(const struct command_ctx *c,
    enum detector d, const struct store_note *note)
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

bool commands_key_is_network(const struct config *cfg,
    const struct host_key *key)
{
	return key->prefix < (key->family == 4 ? cfg->ipv4_prefix :
	    cfg->ipv6_prefix);
}

/* "manual", "network" or "host": what started a block. */
static const char *view_rule_name(const struct config *cfg,
    const struct host_key *key, enum detector d)
{
	if (d == DETECTOR_MANUAL)
		return "manual";
	return commands_key_is_network(cfg, key) ? "network" : "host";
}

/*
 * The explanation of a block: the keys of bulwarkctl(8)'s "show".  start
 * and end repeat started and ends under the names of the explanation.
 */
static json_t *view_explain(const char *rule, const struct rule_state *st,
    enum detector d, int64_t started)
{
	return json_pack("{s:s, s:o, s:o, s:I, s:o, s:I}",
	    "rule", rule,
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
	const struct store_note *known = commands_manual_note(c, key, d, &note) ?
	    &note : NULL;
	json_t *block = json_pack("{s:o, s:s, s:o, s:o, s:I, s:b, s:o, s:o}",
	    "host", control_json_text(key_text),
	    "detector", detector_name(d),
	    "count", d == DETECTOR_MANUAL ? json_null() :
	    json_integer(st->count),
	    "started", control_json_time(view_started(st, known)),
	    "ends", (json_int_t)st->block_until,
	    "sliding", d != DETECTOR_MANUAL && c->cfg->rules[d].sliding,
	    "node", control_json_text(commands_known_node(c, d, known)),
	    "reason", control_json_text(known != NULL &&
	    known->reason[0] != '\0' ? known->reason : NULL));

	json_object_update_new(block, view_explain(view_rule_name(c->cfg,
	    key, d), st, d, view_started(st, known)));
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

