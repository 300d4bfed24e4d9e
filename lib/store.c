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

void store_apply_event(const struct store_event *event,
    struct store_host *host, struct store_result *result)
{
	struct rule_state *state = &host->state[event->counted];
	struct rule_block block;

	memset(result, 0, sizeof(*result));
	result->outcome = RULE_ALLOWED;
	result->detector = event->counted;
	if (event->connect &&
	    rule_host_check_blocks(event->rules, host->state, event->now, &block)) {
		result->outcome = RULE_REFUSED;
		result->detector = block.detector;
		result->count = block.count;
		result->block_until = block.until;
		result->level = block.level;
		return;
	}
	result->outcome = event->valid ?
	    rule_count_valid(&event->rules[event->counted], state, event->now) :
	    rule_count(&event->rules[event->counted], state, event->now);
	result->count = state->count;
	if (result->outcome != RULE_ALLOWED) {
		result->block_until = state->block_until;
		result->level = state->level;
	}
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
