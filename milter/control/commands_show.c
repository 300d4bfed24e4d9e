/*
 * commands_show.c - show: what is known of one host, or of one network
 * a network rule counts.  See commands.h for the answer.
 *
 * A host's status and explanation weigh its own blocks and those of its
 * networks (one per detector group with a network group, under the
 * running configuration): any of them refuses it at connect.  Its own
 * block, when it has one, is the one explained (the store checks it
 * first), else the network block that ends last.
 *
 * A prefix shorter than a host names a network when a network group of
 * the running configuration counts networks of that length, or when the
 * store holds a block of it (left by an earlier configuration): it is
 * shown as an entry of its own, judged by the network rules, and is
 * never excluded nor on the blocked list (those lists hold hosts).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "commands_impl.h"
#include "hostlist.h"
#include "isotime.h"

#define SHOW_WHY_MAX	1024
#define SHOW_RULE_MAX	640	/* one block's part of the explanation */

static const char *const show_events[DETECTOR_COUNT] = {
	[DETECTOR_DOS] = "connections",
	[DETECTOR_DHA] = "invalid recipients",
	[DETECTOR_ATTACK] = "flagged connections",
	[DETECTOR_MANUAL] = "",
};

/* One entry of the store: a host's or a network's states. */
struct show_entry {
	struct host_key key;
	char key_text[ADDR_TEXT_MAX];
	struct store_host states;
	int latest;			/* detector whose block ends last, or -1 */
	int64_t until;			/* the end of that block */
};

struct show_target {
	struct host_addr addr;
	struct show_entry self;
	bool network;			/* self is a network, not a host */
	const struct rule *rules;	/* what judges self: rules or net_rules */
	bool excluded;
	bool listed;
	struct show_entry nets[DETECTOR_COUNT];	/* a host's networks */
	unsigned net_count;
	int blocking_net;		/* the network block explained, or -1 */
};

static int show_load(struct command_ctx *c, struct show_entry *e)
{
	struct rule_block block;

	host_key_format(&e->key, e->key_text, sizeof(e->key_text));
	if (store_lookup(c->rt->store, &e->key, &e->states) < 0)
		return commands_fail(c, "the store failed: %s",
		    store_error(c->rt->store));
	e->latest = -1;
	e->until = 0;
	if (rule_host_blocked(e->states.state, c->now, &block)) {
		e->latest = (int)block.detector;
		e->until = block.until;
	}
	return 0;
}

/* The host's networks, each once, and the one whose block ends last. */
static int show_load_networks(struct command_ctx *c, struct show_target *s)
{
	const struct config *cfg = c->cfg;
	struct show_entry *e;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		bool seen = false;

		if (!cfg->net_rules[d].enabled)
			continue;
		e = &s->nets[s->net_count];
		addr_key(&s->addr, cfg->networks[d].ipv4_prefix,
		    cfg->networks[d].ipv6_prefix, &e->key);
		for (unsigned i = 0; i < s->net_count; i++)
			seen = seen || host_key_equal(&s->nets[i].key, &e->key);
		if (seen)
			continue;
		if (show_load(c, e) < 0)
			return -1;
		if (e->latest >= 0 && (s->blocking_net < 0 ||
		    e->until > s->nets[s->blocking_net].until))
			s->blocking_net = (int)s->net_count;
		s->net_count++;
	}
	return 0;
}

/* Whether a prefix shorter than a host names a network (see above). */
static bool show_is_network(const struct command_ctx *c,
    const struct command_target *t, const struct show_entry *e)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		const struct config_network *net = &c->cfg->networks[d];

		if (c->cfg->net_rules[d].enabled && t->prefix ==
		    (t->addr.family == 4 ? net->ipv4_prefix : net->ipv6_prefix))
			return true;
	}
	return e->latest >= 0;
}

/* Whether the detector counts anything: attack also flags alone. */
static bool show_enabled(const struct command_ctx *c,
    const struct show_target *s, enum detector d)
{
	if (s->network)
		return s->rules[d].enabled;
	return d == DETECTOR_ATTACK ? c->cfg->attack_enabled :
	    s->rules[d].enabled;
}

static json_t *show_detector(struct command_ctx *c,
    const struct show_target *s, enum detector d)
{
	const struct rule *rule = &s->rules[d];
	const struct rule_state *st = &s->self.states.state[d];
	bool counted = d != DETECTOR_MANUAL && (!s->network || rule->enabled);
	bool open = counted && rule_window_open(rule, st, c->now);
	bool blocked = rule_blocked(st, c->now);
	json_t *entry = json_pack("{s:s, s:b, s:b, s:I, s:o, s:o, s:o, s:o, "
	    "s:b, s:o, s:b}",
	    "detector", detector_name(d),
	    "enabled", show_enabled(c, s, d),
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

/* Whether some detector counts the entry in an open evaluation period. */
static bool show_counted(const struct command_ctx *c,
    const struct show_target *s)
{
	const struct rule_state *st = s->self.states.state;

	for (unsigned d = 0; d < DETECTOR_MANUAL; d++) {
		if (st[d].count > 0 && rule_window_open(&s->rules[d], &st[d],
		    c->now))
			return true;
	}
	return false;
}

static const char *show_status(const struct command_ctx *c,
    const struct show_target *s)
{
	if (s->listed)
		return "blocked-list";
	if (s->excluded)
		return "excluded";
	if (s->self.latest >= 0 || s->blocking_net >= 0)
		return "blocked";
	return show_counted(c, s) ? "counted" : "unseen";
}

/* Where the block of a rule started: its node, or "" when unknown. */
static void show_block_node(struct command_ctx *c, const struct show_entry *e,
    enum detector d, char *node, size_t len)
{
	const char *own = commands_known_node(c, d, NULL);

	node[0] = '\0';
	if (own != NULL)
		snprintf(node, len, "%s", own);
	else if (store_get_node(c->rt->store, &e->key, d, node, len) != 1)
		node[0] = '\0';
}

/*
 * The explanation of a rule's block: what was counted against which
 * threshold, since when, at what level, on which node.  The threshold
 * and period recorded when it started win over the configuration in
 * force.
 */
static void show_why_rule(struct command_ctx *c, const struct show_entry *e,
    enum detector d, bool network, char *why, size_t len)
{
	const struct rule_state *st = &e->states.state[d];
	const struct rule *rule = network ? &c->cfg->net_rules[d] :
	    &c->cfg->rules[d];
	char start[ISOTIME_MAX] = "an unknown time", until[ISOTIME_MAX];
	char node[STORE_NOTE_NODE_MAX], level[64] = "";
	int64_t started = rule_block_start(st);

	isotime_format(st->block_until, until, sizeof(until));
	if (started != 0)
		isotime_format(started, start, sizeof(start));
	if (st->level > 0)
		snprintf(level, sizeof(level), ", escalation level %u",
		    st->level);
	show_block_node(c, e, d, node, sizeof(node));
	snprintf(why, len, "blocked by %s (%s rule) from %s until %s: %u %s%s "
	    "within %u s, more than the threshold of %u%s; started by node "
	    "%s", detector_name(d), network ? "network" : "host", start, until,
	    st->count, show_events[d], network ? " from the network" : "",
	    st->period != 0 ? st->period : rule->period,
	    st->period != 0 ? st->threshold : rule->max, level,
	    node[0] != '\0' ? node : "unknown");
}

static void show_why_blocked(struct command_ctx *c, const struct show_entry *e,
    bool network, char *why, size_t len)
{
	enum detector d = (enum detector)e->latest;
	char until[ISOTIME_MAX];
	struct store_note note;

	isotime_format(e->until, until, sizeof(until));
	if (d != DETECTOR_MANUAL)
		show_why_rule(c, e, d, network, why, len);
	else if (commands_manual_note(c, &e->key, d, &note) &&
	    note.reason[0] != '\0')
		snprintf(why, len, "blocked by hand until %s: %s", until,
		    note.reason);
	else
		snprintf(why, len, "blocked by hand until %s", until);
}

/* A host's explanation when it is blocked, by itself or its network. */
static void show_why_host_blocked(struct command_ctx *c,
    const struct show_target *s, char *why, size_t len)
{
	const struct show_entry *net = s->blocking_net >= 0 ?
	    &s->nets[s->blocking_net] : NULL;
	char text[SHOW_RULE_MAX];

	if (s->self.latest < 0) {
		show_why_blocked(c, net, true, text, sizeof(text));
		snprintf(why, len, "refused with its network %s, %s",
		    net->key_text, text);
		return;
	}
	show_why_blocked(c, &s->self, false, text, sizeof(text));
	if (net == NULL)
		snprintf(why, len, "%s", text);
	else
		snprintf(why, len, "%s; its network %s is blocked as well",
		    text, net->key_text);
}

static void show_why(struct command_ctx *c, const struct show_target *s,
    char *why, size_t len)
{
	char text[SHOW_RULE_MAX];

	if (s->listed)
		snprintf(why, len, "on the blocked list (blocked, blocked_file):"
		    " refused at every connection (%s)",
		    action_name(c->cfg->blocked_action));
	else if (s->excluded)
		snprintf(why, len, "on the exclude list (exclude, exclude_file):"
		    " never counted nor blocked%s", s->self.latest >= 0 ||
		    s->blocking_net >= 0 ? "; its blocks and its network's "
		    "are not enforced" : "");
	else if (s->network && s->self.latest >= 0) {
		show_why_blocked(c, &s->self, true, text, sizeof(text));
		snprintf(why, len, "network %s %s; every host in it is refused "
		    "except excluded ones", s->self.key_text, text);
	} else if (s->self.latest >= 0 || s->blocking_net >= 0)
		show_why_host_blocked(c, s, why, len);
	else if (show_counted(c, s))
		snprintf(why, len, "not blocked; counted in an open evaluation "
		    "period (see COUNT)");
	else
		snprintf(why, len, "not blocked; nothing is known of it: "
		    "no event counted in an open evaluation period");
}

/* The blocks of one entry, appended to blocks. */
static void show_entry_blocks(struct command_ctx *c, const struct show_entry *e,
    json_t *blocks)
{
	char node[STORE_NOTE_NODE_MAX];
	json_t *block;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (!rule_blocked(&e->states.state[d], c->now))
			continue;
		block = commands_block(c, &e->key, e->key_text,
		    (enum detector)d, &e->states.state[d]);
		/* One entry: its blocks' nodes are worth a look-up each. */
		if (d != DETECTOR_MANUAL) {
			show_block_node(c, e, (enum detector)d, node,
			    sizeof(node));
			json_object_set_new(block, "node", control_json_text(
			    node[0] != '\0' ? node : NULL));
		}
		json_array_append_new(blocks, block);
	}
}

/* The host's own blocks, then its networks'. */
static json_t *show_blocks(struct command_ctx *c, const struct show_target *s)
{
	json_t *blocks = json_array();

	show_entry_blocks(c, &s->self, blocks);
	for (unsigned i = 0; i < s->net_count; i++)
		show_entry_blocks(c, &s->nets[i], blocks);
	return blocks;
}

static json_t *show_networks(const struct show_target *s)
{
	json_t *nets = json_array();

	for (unsigned i = 0; i < s->net_count; i++)
		json_array_append_new(nets,
		    control_json_text(s->nets[i].key_text));
	return nets;
}

/* Read what t names into s: a host and its networks, or a network. */
static int show_target_load(struct command_ctx *c,
    const struct command_target *t, struct show_target *s)
{
	memset(s, 0, sizeof(*s));
	s->addr = t->addr;
	s->blocking_net = -1;
	s->network = !t->one_host;
	s->rules = s->network ? c->cfg->net_rules : c->cfg->rules;
	if (s->network)
		addr_key(&t->addr, t->prefix, t->prefix, &s->self.key);
	else
		s->self.key = t->key;
	if (show_load(c, &s->self) < 0)
		return -1;
	if (s->network) {
		if (!show_is_network(c, t, &s->self))
			return commands_fail(c, "%s holds more than one host "
			    "(%s_prefix = %u) and no network group counts "
			    "networks of /%u: show one of its addresses, or "
			    "list", t->text, t->addr.family == 4 ? "ipv4" :
			    "ipv6", t->host_prefix, t->prefix);
		return 0;
	}
	s->excluded = hostlist_match(c->cfg->exclude, &s->addr);
	s->listed = hostlist_match(c->cfg->blocked, &s->addr);
	return show_load_networks(c, s);
}

int commands_show(struct command_ctx *c)
{
	struct command_target t;
	struct show_target s;
	char addr_text[ADDR_TEXT_MAX], why[SHOW_WHY_MAX];
	json_t *detectors;

	if (commands_target(c, c->argv[0], &t) < 0 ||
	    show_target_load(c, &t, &s) < 0)
		return -1;
	addr_format(&s.addr, addr_text, sizeof(addr_text));
	show_why(c, &s, why, sizeof(why));
	detectors = json_array();
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		json_array_append_new(detectors, show_detector(c, &s,
		    (enum detector)d));
	commands_members(c, json_pack("{s:o, s:o, s:b, s:o, s:b, s:b, s:s, "
	    "s:o, s:o, s:o}",
	    "address", control_json_text(t.is_prefix ? t.text : addr_text),
	    "host", control_json_text(s.self.key_text),
	    "network", s.network,
	    "networks", show_networks(&s),
	    "excluded", s.excluded,
	    "blocked_list", s.listed,
	    "status", show_status(c, &s),
	    "why", control_json_text(why),
	    "detectors", detectors,
	    "blocks", show_blocks(c, &s)));
	return 0;
}
