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
 * A sliding block moves its end later, up to sliding_max after its start,
 * and keeps its start, when known; never earlier (a clock stepped back, a
 * shorter block since a reload).
 */
static void rule_slide(const struct rule *rule, struct rule_state *state,
    int64_t now)
{
	int64_t start = rule_block_start(state);
	int64_t until = now + rule->block;

	if (start != 0 && rule->sliding_max > 0 &&
	    until > start + (int64_t)rule->sliding_max)
		until = start + (int64_t)rule->sliding_max;
	if (until <= state->block_until)
		return;
	state->block_until = until;
	if (start != 0)
		rule_set_block(state, start, until);
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

static void rule_open_window(const struct rule *rule,
    struct rule_state *state, int64_t now)
{
	if (rule_window_open(rule, state, now))
		return;
	state->window_start = now;
	state->count = 0;
	state->valid = 0;
}

static uint32_t rule_add(uint32_t n)
{
	return n < UINT32_MAX ? n + 1 : n;
}

/* The counted events make at least min_ratio of the window's events. */
static bool rule_ratio_met(const struct rule *rule,
    const struct rule_state *state)
{
	uint64_t all = (uint64_t)state->count + state->valid;

	return (uint64_t)state->count * RULE_RATIO_ONE >=
	    (uint64_t)rule->min_ratio * all;
}

/* The level of a block starting at now (the state's block has ended). */
static uint32_t rule_next_level(const struct rule *rule,
    const struct rule_state *state, int64_t now)
{
	if (rule->escalate_factor == 0 || state->block_until == 0 ||
	    now >= state->block_until + (int64_t)rule->escalate_forget)
		return 0;
	return state->level < RULE_LEVEL_MAX ? state->level + 1 : state->level;
}

/* block * escalate_factor^level, at most escalate_max, at least block. */
static int64_t rule_escalated(const struct rule *rule, uint32_t level)
{
	int64_t length = rule->block;

	for (uint32_t i = 0; i < level && length < rule->escalate_max; i++)
		length *= rule->escalate_factor;
	if (level > 0 && length > (int64_t)rule->escalate_max)
		length = rule->escalate_max;
	return length < (int64_t)rule->block ? rule->block : length;
}

enum rule_outcome rule_count(const struct rule *rule, struct rule_state *state,
    int64_t now)
{
	if (!rule->enabled)
		return RULE_ALLOWED;
	if (rule_check_block(rule, state, now) == RULE_REFUSED)
		return RULE_REFUSED;
	rule_open_window(rule, state, now);
	state->count = rule_add(state->count);
	if (state->count <= rule->max || !rule_ratio_met(rule, state))
		return RULE_ALLOWED;
	state->level = rule_next_level(rule, state, now);
	state->threshold = rule->max;
	state->period = rule->period;
	rule_set_block(state, now, now + rule_escalated(rule, state->level));
	return RULE_TRIPPED;
}

enum rule_outcome rule_count_valid(const struct rule *rule,
    struct rule_state *state, int64_t now)
{
	if (!rule->enabled || rule_blocked(state, now))
		return RULE_ALLOWED;
	rule_open_window(rule, state, now);
	state->valid = rule_add(state->valid);
	return RULE_ALLOWED;
}

int64_t rule_state_expiry(const struct rule *rule,
    const struct rule_state *state)
{
	int64_t window_end = state->window_start == 0 ? 0 :
	    state->window_start + (int64_t)rule->period;
	int64_t block_end = state->block_until;

	if (rule->escalate_factor > 0 && block_end > 0)
		block_end += rule->escalate_forget;
	return window_end > block_end ? window_end : block_end;
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
