/*
 * rule.h - the detection rule: threshold, evaluation period, blocking period.
 *
 * One rule_state per (host key, detector).  On an event at time now:
 *  1. blocked (block_until > now): refused; with sliding the block is
 *     moved to now + block.  Nothing is counted.
 *  2. otherwise a new evaluation period starts when there is none, when
 *     now >= window_start + period, or when a block ended since the window
 *     opened: window_start = now, count = 0.
 *  3. count += 1 (saturating); when count > max the block starts
 *     (block_until = now + block) and this event is the one refused.
 *
 * rule_count() runs steps 1-3; rule_check_block() only step 1 (used at
 * CONNECT for the detectors that do not count connections).  Both return
 * what happened to the event.  A disabled rule allows everything and
 * leaves the state untouched.
 * rule_state_expiry() is the time after which the state carries nothing:
 * its window has closed and its block has ended.
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
};

struct rule_state {
	uint32_t count;
	int64_t window_start;	/* 0: no window open */
	int64_t block_until;	/* 0: never blocked */
};

enum rule_outcome {
	RULE_ALLOWED,
	RULE_REFUSED,		/* the host was already blocked */
	RULE_TRIPPED		/* this event started a block */
};

bool rule_blocked(const struct rule_state *state, int64_t now);
enum rule_outcome rule_check_block(const struct rule *rule,
    struct rule_state *state, int64_t now);
enum rule_outcome rule_count(const struct rule *rule, struct rule_state *state,
    int64_t now);
int64_t rule_state_expiry(const struct rule *rule,
    const struct rule_state *state);
const char *rule_outcome_name(enum rule_outcome outcome);

#endif
