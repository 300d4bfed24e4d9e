/*
 * rule_host.c - every detector's rule on one host.  See rule_host.h.
 */
#include <stddef.h>

#include "rule_host.h"

/* Of the detectors in mask (bit d), the one whose block ends last. */
static int rule_host_latest(const struct rule_state *states, unsigned mask,
    struct rule_block *out)
{
	int latest = -1;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if ((mask & 1u << d) != 0 && (latest < 0 ||
		    states[d].block_until > states[latest].block_until))
			latest = (int)d;
	}
	if (latest < 0)
		return 0;
	if (out != NULL) {
		out->detector = (enum detector)latest;
		out->count = states[latest].count;
		out->level = states[latest].level;
		out->threshold = states[latest].threshold;
		out->period = states[latest].period;
		out->start = rule_block_start(&states[latest]);
		out->until = states[latest].block_until;
	}
	return 1;
}

int rule_host_blocked(const struct rule_state *states, int64_t now,
    struct rule_block *out)
{
	unsigned mask = 0;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (rule_blocked(&states[d], now))
			mask |= 1u << d;
	}
	return rule_host_latest(states, mask, out);
}

int rule_host_check_blocks(const struct rule *rules, struct rule_state *states,
    int64_t now, struct rule_block *out)
{
	unsigned mask = 0;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (rule_check_block(&rules[d], &states[d], now) == RULE_REFUSED)
			mask |= 1u << d;
	}
	return rule_host_latest(states, mask, out);
}

void rule_host_set_block(struct rule_state *states, enum detector detector,
    int64_t until, int64_t now)
{
	rule_set_block(&states[detector], now, until);
	states[detector].threshold = 0;
	states[detector].period = 0;
}

int64_t rule_host_expiry(const struct rule *rules,
    const struct rule_state *states)
{
	int64_t expiry = 0;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		int64_t e = rule_state_expiry(&rules[d], &states[d]);

		if (e > expiry)
			expiry = e;
	}
	return expiry;
}
