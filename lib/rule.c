/*
 * rule.c - the detection rule of DESIGN.md, on one state, with the time
 * passed in.  See rule.h for the contract.
 */
#include "rule.h"

bool rule_blocked(const struct rule_state *state, int64_t now)
{
	return state->block_until > now;
}

enum rule_outcome rule_check_block(const struct rule *rule,
    struct rule_state *state, int64_t now)
{
	if (!rule->enabled || !rule_blocked(state, now))
		return RULE_ALLOWED;
	if (rule->sliding)
		state->block_until = now + rule->block;
	return RULE_REFUSED;
}

static bool rule_window_over(const struct rule *rule,
    const struct rule_state *state, int64_t now)
{
	if (state->window_start == 0)
		return true;
	if (now >= state->window_start + (int64_t)rule->period)
		return true;
	/* A block that ended since the window opened starts afresh. */
	return state->block_until > state->window_start &&
	    state->block_until <= now;
}

enum rule_outcome rule_count(const struct rule *rule, struct rule_state *state,
    int64_t now)
{
	if (!rule->enabled)
		return RULE_ALLOWED;
	if (rule_check_block(rule, state, now) == RULE_REFUSED)
		return RULE_REFUSED;
	if (rule_window_over(rule, state, now)) {
		state->window_start = now;
		state->count = 0;
	}
	if (state->count < UINT32_MAX)
		state->count++;
	if (state->count <= rule->max)
		return RULE_ALLOWED;
	state->block_until = now + rule->block;
	return RULE_TRIPPED;
}

int64_t rule_state_expiry(const struct rule *rule,
    const struct rule_state *state)
{
	int64_t window_end = state->window_start == 0 ? 0 :
	    state->window_start + (int64_t)rule->period;

	return window_end > state->block_until ? window_end : state->block_until;
}

const char *rule_outcome_name(enum rule_outcome outcome)
{
	switch (outcome) {
	case RULE_ALLOWED:
		return "allowed";
	case RULE_REFUSED:
		return "refused";
	case RULE_TRIPPED:
		return "tripped";
	}
	return "?";
}
