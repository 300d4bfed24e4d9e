/*
 * rule.c - the detection rule of DESIGN.md, on one state, with the time
 * passed in.  See rule.h for the contract.
 */
#include "rule.h"

bool rule_blocked(const struct rule_state *state, int64_t now)
{
	return state->block_until > now;
}

bool rule_window_open(const struct rule *rule, const struct rule_state *state,
    int64_t now)
{
	/* A clock stepped back before the window opened opens a new one. */
	if (state->window_start == 0 || now < state->window_start)
		return false;
	if (now >= state->window_start + (int64_t)rule->period)
		return false;
	/* A block that ended since the window opened starts afresh. */
	return !(state->block_until > state->window_start &&
	    state->block_until <= now);
}

int64_t rule_block_start(const struct rule_state *state)
{
	return state->block_length == 0 ? 0 :
	    state->block_until - (int64_t)state->block_length;
}

void rule_set_block(struct rule_state *state, int64_t start, int64_t until)
{
	int64_t length = until - start;

	state->block_until = until;
	state->block_length = length <= 0 ? 0 : length > UINT32_MAX ?
	    UINT32_MAX : (uint32_t)length;
}

/*
 * A sliding block moves its end later and keeps its start, when known;
 * never earlier (a clock stepped back, a shorter block since a reload).
 */
static void rule_slide(const struct rule *rule, struct rule_state *state,
    int64_t now)
{
	int64_t start = rule_block_start(state);

	if (now + (int64_t)rule->block <= state->block_until)
		return;
	state->block_until = now + rule->block;
	if (start != 0)
		rule_set_block(state, start, state->block_until);
}

enum rule_outcome rule_check_block(const struct rule *rule,
    struct rule_state *state, int64_t now)
{
	if (!rule->enabled || !rule_blocked(state, now))
		return RULE_ALLOWED;
	if (rule->sliding)
		rule_slide(rule, state, now);
	return RULE_REFUSED;
}

enum rule_outcome rule_count(const struct rule *rule, struct rule_state *state,
    int64_t now)
{
	if (!rule->enabled)
		return RULE_ALLOWED;
	if (rule_check_block(rule, state, now) == RULE_REFUSED)
		return RULE_REFUSED;
	if (!rule_window_open(rule, state, now)) {
		state->window_start = now;
		state->count = 0;
	}
	if (state->count < UINT32_MAX)
		state->count++;
	if (state->count <= rule->max)
		return RULE_ALLOWED;
	rule_set_block(state, now, now + rule->block);
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
