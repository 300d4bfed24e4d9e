/*
 * store.c - backend selection and the event logic every backend shares.
 *
 * A shared backend is opened behind store_fallback.c with a memory store
 * of the same configuration as the node's local one.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "rule_host.h"
#include "store.h"
#include "store_fallback.h"

static const struct {
	const struct store_ops *ops;
	bool shared;		/* may fail: opened behind the fallback */
} store_backends[] = {
	{ &store_memory_ops, false },
	{ &store_redis_ops, true },
};

static struct store *store_open_shared(const struct store_ops *ops,
    const struct config *cfg, char *err, size_t errlen)
{
	struct store *primary, *local;

	if ((primary = ops->open(cfg, err, errlen)) == NULL)
		return NULL;
	if ((local = store_memory_ops.open(cfg, err, errlen)) == NULL) {
		store_close(primary);
		return NULL;
	}
	return store_fallback_new(primary, local, cfg->redis.on_error);
}

struct store *store_open(const struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(store_backends) / sizeof(store_backends[0]); i++) {
		const struct store_ops *ops = store_backends[i].ops;

		if (strcmp(ops->name, cfg->store) != 0)
			continue;
		if (store_backends[i].shared)
			return store_open_shared(ops, cfg, err, errlen);
		return ops->open(cfg, err, errlen);
	}
	snprintf(err, errlen, "unknown store \"%s\"", cfg->store);
	return NULL;
}

void store_close(struct store *store)
{
	if (store != NULL)
		store->ops->close(store);
}

void store_event_nets(const struct store_event *event, struct store_nets *out)
{
	out->count = 0;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		unsigned i;

		out->of[d] = -1;
		if (event->net_rules == NULL || !event->net_rules[d].enabled)
			continue;
		for (i = 0; i < out->count; i++) {
			if (host_key_equal(&out->keys[i], &event->nets[d]))
				break;
		}
		if (i == out->count) {
			out->keys[i] = event->nets[d];
			memset(out->rules[i], 0, sizeof(out->rules[i]));
			out->count++;
		}
		out->of[d] = (int)i;
		out->rules[i][d] = event->net_rules[d];
	}
}

/* Name block as the result's refusal when it ends after the one named. */
static void store_result_refused(struct store_result *result,
    const struct rule_block *block, const struct host_key *network)
{
	if (result->outcome == RULE_REFUSED &&
	    block->until <= result->block_until)
		return;
	result->outcome = RULE_REFUSED;
	result->detector = block->detector;
	result->count = block->count;
	result->block_until = block->until;
	result->level = block->level;
	result->network = network != NULL;
	if (network != NULL)
		result->network_key = *network;
}

/* Step 1 of store_apply_event(): true when a block refused the event. */
static bool store_check_blocks(const struct store_event *event,
    struct store_host *host, struct store_host *nets,
    const struct store_nets *n, struct store_result *result)
{
	struct rule_block block;
	int only = n->of[event->counted];

	if (event->connect) {
		if (rule_host_check_blocks(event->rules, host->state, event->now,
		    &block))
			store_result_refused(result, &block, NULL);
		for (unsigned i = 0; i < n->count; i++) {
			if (rule_host_check_blocks(n->rules[i], nets[i].state,
			    event->now, &block))
				store_result_refused(result, &block, &n->keys[i]);
		}
	} else if (only >= 0 && rule_check_block(&n->rules[only][event->counted],
	    &nets[only].state[event->counted], event->now) == RULE_REFUSED) {
		struct rule_state *st = &nets[only].state[event->counted];

		block.detector = event->counted;
		block.count = st->count;
		block.level = st->level;
		block.until = st->block_until;
		store_result_refused(result, &block, &n->keys[only]);
	}
	return result->outcome == RULE_REFUSED;
}

/* The counted detector's rule on one state. */
static enum rule_outcome store_count(const struct store_event *event,
    const struct rule *rule, struct rule_state *state)
{
	return event->valid ? rule_count_valid(rule, state, event->now) :
	    rule_count(rule, state, event->now);
}

void store_apply_event(const struct store_event *event,
    const struct store_nets *n, struct store_host *host,
    struct store_host *nets, struct store_result *result)
{
	_Static_assert(DETECTOR_COUNT == 4, "none.of lists every detector");
	static const struct store_nets none = { .of = { -1, -1, -1, -1 } };
	enum detector d = event->counted;
	struct rule_state *state = &host->state[d];
	int i;

	memset(result, 0, sizeof(*result));
	result->outcome = RULE_ALLOWED;
	result->detector = d;
	if (n == NULL)
		n = &none;
	if (store_check_blocks(event, host, nets, n, result))
		return;
	result->outcome = store_count(event, &event->rules[d], state);
	result->count = state->count;
	if (result->outcome != RULE_ALLOWED) {
		result->block_until = state->block_until;
		result->level = state->level;
	}
	if (result->outcome == RULE_REFUSED || (i = n->of[d]) < 0)
		return;
	state = &nets[i].state[d];
	if (store_count(event, &n->rules[i][d], state) != RULE_TRIPPED)
		return;
	result->outcome = RULE_TRIPPED;
	result->count = state->count;
	result->block_until = state->block_until;
	result->level = state->level;
	result->network = true;
	result->network_key = n->keys[i];
}

const char *store_decider_name(enum store_decider decider)
{
	switch (decider) {
	case STORE_DECIDED_STORE:
		return "store";
	case STORE_DECIDED_LOCAL:
		return "local";
	case STORE_DECIDED_ACCEPT:
		return "accept";
	case STORE_DECIDED_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}
