/*
 * rule.h - the detection rule: threshold, evaluation period, blocking
 * period, on one (host key, detector) state.  rule_host.h applies the
 * rules of every detector to one host.  Together they are the one home
 * of window, block and expiry logic: nothing else judges a rule_state.
 *
 * On an event at time now:
 *  1. blocked (block_until > now): refused; with sliding the block's end
 *     is moved to now + block when that is later (never earlier).
 *     Nothing is counted.
 *  2. otherwise a new evaluation period starts unless one is open
 *     (rule_window_open): window_start = now, count = 0.  An event
 *     before the window's start (a clock stepped back) opens a new one.
 *  3. count += 1 (saturating); when count > max, and with min_ratio the
 *     counted events are at least that share of all the window's events
 *     (count * 10^6 >= min_ratio * (count + valid)), the block starts
 *     (block_until = now + its length) and this event is the one
 *     refused.
 *
 * rule_count() runs steps 1-3; rule_check_block() only step 1 (used at
 * CONNECT for the detectors that do not count connections).
 * rule_count_valid() records an event that only weighs in the ratio (a
 * valid recipient): unless blocked, step 2, then valid += 1 (saturating);
 * it never refuses and never slides a block.  All return what happened
 * to the event.  A disabled rule allows everything and leaves the state
 * untouched.
 *
 * Escalation (escalate_factor > 0): a block that starts less than
 * escalate_forget after the end of the state's previous block has the
 * previous level + 1, else level 0; its length is block *
 * escalate_factor^level, at most escalate_max (never less than block).
 * The state is kept until escalate_forget after its block's end, so the
 * level is remembered that long.
 *
 * Sliding: a retry moves the end to now + block, but never later than
 * sliding_max after the block's start (when that start is known and
 * sliding_max > 0), and never earlier than it was.
 *
 * A block started by the rule records why: the count that tripped it
 * stays in count, and threshold and period keep the rule's max and
 * period of that moment (0 for a block set with rule_set_block).
 *
 * A block records its own length (block_length: seconds from its start
 * to block_until), so its start stays what it was whatever `block` a
 * reload puts in force; a sliding block keeps its start and grows.
 * Length 0 means the start is unknown (state written before the length
 * was kept).  rule_set_block() starts a block from start to until (a
 * block set by hand).
 *
 * Questions, never changing the state:
 * rule_window_open(): an evaluation period is open at now (opened at
 *   or before now, not over by time, no block ended since it opened).
 * rule_blocked(): the state's block is in force at now.
 * rule_block_start(): when the block started, 0 when unknown.
 * rule_state_expiry(): the time after which the state carries nothing:
 *   its window has closed and its block has ended.
 */
#ifndef BULWARK_RULE_H
#define BULWARK_RULE_H

#include <stdbool.h>
#include <stdint.h>

struct rule {
	bool enabled;
	bool sliding;
	uint32_t max;		/* events allowed per period */
	uint32_t period;	/* evaluation period, seconds */
	uint32_t block;		/* blocking period, seconds */
	uint32_t min_ratio;	/* parts per million, 0: off */
	uint32_t sliding_max;	/* seconds, 0: no limit */
	uint32_t escalate_factor; /* 0: no escalation */
	uint32_t escalate_max;	/* seconds */
	uint32_t escalate_forget; /* seconds */
};

#define RULE_RATIO_ONE		1000000u	/* min_ratio of 1 */
#define RULE_LEVEL_MAX		64

struct rule_state {
	uint32_t count;
	uint32_t valid;		/* events counted only in the ratio */
	uint32_t level;		/* escalation level of the last block */
	uint32_t threshold;	/* the rule's max when its block started */
	uint32_t period;	/* the rule's period when its block started */
	uint32_t block_length;	/* block_until - the block's start; 0: unknown */
	int64_t window_start;	/* 0: no window open */
	int64_t block_until;	/* 0: never blocked */
};

enum rule_outcome {
	RULE_ALLOWED,
	RULE_REFUSED,		/* the host was already blocked */
	RULE_TRIPPED		/* this event started a block */
};

bool rule_blocked(const struct rule_state *state, int64_t now);
bool rule_window_open(const struct rule *rule, const struct rule_state *state,
    int64_t now);
int64_t rule_block_start(const struct rule_state *state);
void rule_set_block(struct rule_state *state, int64_t start, int64_t until);
enum rule_outcome rule_check_block(const struct rule *rule,
    struct rule_state *state, int64_t now);
enum rule_outcome rule_count(const struct rule *rule, struct rule_state *state,
    int64_t now);
enum rule_outcome rule_count_valid(const struct rule *rule,
    struct rule_state *state, int64_t now);
int64_t rule_state_expiry(const struct rule *rule,
    const struct rule_state *state);
const char *rule_outcome_name(enum rule_outcome outcome);

#endif
