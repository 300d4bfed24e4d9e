/*
 * store.c - backend selection and the event logic every backend shares.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "store.h"

static const struct store_ops *const store_backends[] = {
	&store_memory_ops,
	&store_redis_ops,
};

struct store *store_open(const struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(store_backends) / sizeof(store_backends[0]); i++) {
		if (strcmp(store_backends[i]->name, cfg->store) == 0)
			return store_backends[i]->open(cfg, err, errlen);
	}
	snprintf(err, errlen, "unknown store \"%s\"", cfg->store);
	return NULL;
}

void store_close(struct store *store)
{
	if (store != NULL)
		store->ops->close(store);
}

static void store_check_blocks(const struct store_event *event,
    struct store_host *host, struct store_result *result)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		struct rule_state *state = &host->state[d];

		if (rule_check_block(&event->rules[d], state, event->now) != RULE_REFUSED)
			continue;
		if (result->outcome != RULE_REFUSED ||
		    state->block_until > result->block_until) {
			result->outcome = RULE_REFUSED;
			result->detector = (enum detector)d;
			result->count = state->count;
			result->block_until = state->block_until;
		}
	}
}

void store_apply_event(const struct store_event *event,
    struct store_host *host, struct store_result *result)
{
	struct rule_state *state = &host->state[event->counted];

	memset(result, 0, sizeof(*result));
	result->outcome = RULE_ALLOWED;
	result->detector = event->counted;
	if (event->connect) {
		store_check_blocks(event, host, result);
		if (result->outcome == RULE_REFUSED)
			return;
	}
	result->outcome = rule_count(&event->rules[event->counted], state,
	    event->now);
	result->count = state->count;
	if (result->outcome != RULE_ALLOWED)
		result->block_until = state->block_until;
}

int64_t store_host_expiry(const struct store_host *host,
    const struct rule *rules)
{
	int64_t expiry = 0;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		int64_t e = rule_state_expiry(&rules[d], &host->state[d]);

		if (e > expiry)
			expiry = e;
	}
	return expiry;
}
