/*
 * check_rule.c - the detection rule (rule.c), every detector's rule on
 * one host (rule_host.c) and the event logic every store shares
 * (store_apply_event in store.c), driven by an injected clock.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"
#include "rule_host.h"
#include "store.h"

#define T0 1700000000

static struct rule make_rule(uint32_t max, uint32_t period, uint32_t block,
    bool sliding)
{
	struct rule rule = { .enabled = true, .sliding = sliding, .max = max,
	    .period = period, .block = block };

	return rule;
}

static struct rule_state zero_state(void)
{
	struct rule_state state;

	memset(&state, 0, sizeof(state));

	return state;
}

static void assert_state(const struct rule_state *state, uint32_t count,
    int64_t window_start, int64_t block_until)
{
	ck_assert_uint_eq(state->count, count);
	ck_assert_int_eq(state->window_start, window_start);
	ck_assert_int_eq(state->block_until, block_until);
}

/* Run events at now until (and including) the one that trips the rule. */
static void trip(const struct rule *rule, struct rule_state *state,
    int64_t now)
{
	for (uint32_t i = 0; i < rule->max; i++)
		ck_assert_int_eq(rule_count(rule, state, now), RULE_ALLOWED);
	ck_assert_int_eq(rule_count(rule, state, now), RULE_TRIPPED);
}

START_TEST(test_threshold_edges)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state();

	for (uint32_t i = 1; i <= 3; i++) {
		ck_assert_int_eq(rule_count(&rule, &state, T0 + i), RULE_ALLOWED);
		assert_state(&state, i, T0 + 1, 0);
	}
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 4), RULE_TRIPPED);
	assert_state(&state, 4, T0 + 1, T0 + 4 + 600);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 5), RULE_REFUSED);
	assert_state(&state, 4, T0 + 1, T0 + 4 + 600);
}
END_TEST

/* A clock stepped back: a new window, and no block end moves earlier. */
START_TEST(test_clock_back)
{
	struct rule rule = make_rule(3, 60, 600, true);
	struct rule_state state = zero_state();

	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1000), RULE_ALLOWED);
	for (int64_t t = T0; t < T0 + 1000; t += 300) {
		ck_assert_int_eq(rule_count(&rule, &state, t), RULE_ALLOWED);
		assert_state(&state, 1, t, 0);
		ck_assert(!rule_window_open(&rule, &state, t - 1));
	}
	state = zero_state();
	trip(&rule, &state, T0 + 1000);
	ck_assert_int_eq(rule_count(&rule, &state, T0), RULE_REFUSED);
	assert_state(&state, 4, T0 + 1000, T0 + 1600);
	ck_assert_int_eq(rule_block_start(&state), T0 + 1000);
	/* A shorter block since a reload does not cut the block either. */
	rule.block = 10;
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 1001),
	    RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 1600);
}
END_TEST

START_TEST(test_max_zero_trips_first)
{
	struct rule rule = make_rule(0, 60, 10, false);
	struct rule_state state = zero_state();

	ck_assert_int_eq(rule_count(&rule, &state, T0), RULE_TRIPPED);
	assert_state(&state, 1, T0, T0 + 10);
}
END_TEST

START_TEST(test_fixed_block)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state();

	trip(&rule, &state, T0);
	for (int64_t t = T0 + 1; t < T0 + 600; t += 97) {
		ck_assert_int_eq(rule_count(&rule, &state, t), RULE_REFUSED);
		ck_assert_int_eq(state.block_until, T0 + 600);
	}
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 599), RULE_REFUSED);
	assert_state(&state, 4, T0, T0 + 600);
}
END_TEST

START_TEST(test_sliding_block)
{
	struct rule rule = make_rule(3, 60, 600, true);
	struct rule_state state = zero_state();

	trip(&rule, &state, T0);
	ck_assert_int_eq(state.block_until, T0 + 600);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 10), RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 610);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 605), RULE_REFUSED);
	assert_state(&state, 4, T0, T0 + 1205);
	/* Without retries the block ends where the last retry put it. */
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1205), RULE_ALLOWED);
	ck_assert_uint_eq(state.count, 1);
}
END_TEST

START_TEST(test_block_end_starts_new_window)
{
	/* The period outlasts the block: only the block's end resets. */
	struct rule rule = make_rule(3, 3600, 600, false);
	struct rule_state state = zero_state();

	trip(&rule, &state, T0);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 599), RULE_REFUSED);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 600), RULE_ALLOWED);
	ck_assert_uint_eq(state.count, 1);
	ck_assert_int_eq(state.window_start, T0 + 600);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 601), RULE_ALLOWED);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 602), RULE_ALLOWED);
	ck_assert_uint_eq(state.count, 3);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 603), RULE_TRIPPED);
	ck_assert_int_eq(state.block_until, T0 + 603 + 600);
}
END_TEST

START_TEST(test_window_expiry)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state();

	ck_assert_int_eq(rule_count(&rule, &state, T0), RULE_ALLOWED);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 30), RULE_ALLOWED);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 59), RULE_ALLOWED);
	assert_state(&state, 3, T0, 0);
	/* t = window_start + period is already a new window. */
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 60), RULE_ALLOWED);
	assert_state(&state, 1, T0 + 60, 0);
}
END_TEST

START_TEST(test_disabled_rule)
{
	struct rule rule = make_rule(0, 60, 600, true);
	struct rule_state state = { .count = 7, .window_start = T0,
	    .block_until = T0 + 100 };

	rule.enabled = false;
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1), RULE_ALLOWED);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 1), RULE_ALLOWED);
	assert_state(&state, 7, T0, T0 + 100);
}
END_TEST

START_TEST(test_count_saturates)
{
	struct rule rule = make_rule(UINT32_MAX, 60, 600, false);
	struct rule_state state = { .count = UINT32_MAX - 1,
	    .window_start = T0 };

	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1), RULE_ALLOWED);
	ck_assert_uint_eq(state.count, UINT32_MAX);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 2), RULE_ALLOWED);
	ck_assert_uint_eq(state.count, UINT32_MAX);
	ck_assert_int_eq(state.window_start, T0);

	rule.max = UINT32_MAX - 1;
	state.count = UINT32_MAX - 1;
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 3), RULE_TRIPPED);
	ck_assert_uint_eq(state.count, UINT32_MAX);
}
END_TEST

START_TEST(test_check_block)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = { .count = 2, .window_start = T0 };

	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 1), RULE_ALLOWED);
	ck_assert_uint_eq(state.count, 2);
	state.block_until = T0 + 50;
	ck_assert(rule_blocked(&state, T0 + 49));
	ck_assert(!rule_blocked(&state, T0 + 50));
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 10), RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 50);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 50), RULE_ALLOWED);
	rule.sliding = true;
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 20), RULE_REFUSED);
	assert_state(&state, 2, T0, T0 + 620);
}
END_TEST

START_TEST(test_state_expiry)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state();

	ck_assert_int_eq(rule_state_expiry(&rule, &state), 0);
	state.window_start = T0;
	state.count = 1;
	ck_assert_int_eq(rule_state_expiry(&rule, &state), T0 + 60);
	state.block_until = T0 + 30;
	ck_assert_int_eq(rule_state_expiry(&rule, &state), T0 + 60);
	state.block_until = T0 + 600;
	ck_assert_int_eq(rule_state_expiry(&rule, &state), T0 + 600);
	state.window_start = 0;
	ck_assert_int_eq(rule_state_expiry(&rule, &state), T0 + 600);
}
END_TEST

START_TEST(test_window_open)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state();

	ck_assert(!rule_window_open(&rule, &state, T0));
	state.window_start = T0;
	ck_assert(rule_window_open(&rule, &state, T0));
	ck_assert(rule_window_open(&rule, &state, T0 + 59));
	ck_assert(!rule_window_open(&rule, &state, T0 + 60));
	/* A block in force keeps the window; one that ended closes it. */
	state.block_until = T0 + 30;
	ck_assert(rule_window_open(&rule, &state, T0 + 29));
	ck_assert(!rule_window_open(&rule, &state, T0 + 30));
	/* A block that ended before the window opened does not. */
	state.block_until = T0 - 5;
	ck_assert(rule_window_open(&rule, &state, T0 + 10));
	/* The answer follows the rule's period in force. */
	rule.period = 5;
	ck_assert(!rule_window_open(&rule, &state, T0 + 10));
}
END_TEST

START_TEST(test_block_start_kept)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state();

	trip(&rule, &state, T0);
	ck_assert_int_eq(rule_block_start(&state), T0);
	ck_assert_uint_eq(state.block_length, 600);
	/* A reload shortens the blocking period: the block stays as it was. */
	rule.block = 60;
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 100), RULE_REFUSED);
	ck_assert_int_eq(rule_block_start(&state), T0);
	ck_assert_int_eq(state.block_until, T0 + 600);
	/* A sliding block moves its end and keeps its start. */
	rule.sliding = true;
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 580), RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 640);
	ck_assert_int_eq(rule_block_start(&state), T0);
	ck_assert_uint_eq(state.block_length, 640);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 600), RULE_REFUSED);
	ck_assert_int_eq(rule_block_start(&state), T0);
	ck_assert_int_eq(state.block_until, T0 + 660);
}
END_TEST

START_TEST(test_block_start_unknown)
{
	struct rule rule = make_rule(3, 60, 600, true);
	struct rule_state state = { .count = 4, .window_start = T0,
	    .block_until = T0 + 600 };

	/* State from before blocks kept their length: the start is unknown. */
	ck_assert_int_eq(rule_block_start(&state), 0);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 10), RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 610);
	ck_assert_int_eq(rule_block_start(&state), 0);
	ck_assert_uint_eq(state.block_length, 0);
}
END_TEST

START_TEST(test_set_block)
{
	struct rule_state state = zero_state();

	rule_set_block(&state, T0, T0 + 100);
	ck_assert_int_eq(state.block_until, T0 + 100);
	ck_assert_int_eq(rule_block_start(&state), T0);
	ck_assert(rule_blocked(&state, T0 + 99));
	ck_assert(!rule_blocked(&state, T0 + 100));
	/* A block already over has no length. */
	rule_set_block(&state, T0, T0 - 1);
	ck_assert_int_eq(state.block_until, T0 - 1);
	ck_assert_uint_eq(state.block_length, 0);
	/* A length past 32 bits saturates. */
	rule_set_block(&state, 1, (int64_t)UINT32_MAX + 10);
	ck_assert_uint_eq(state.block_length, UINT32_MAX);
}
END_TEST

START_TEST(test_outcome_names)
{
	ck_assert_str_eq(rule_outcome_name(RULE_ALLOWED), "allowed");
	ck_assert_str_eq(rule_outcome_name(RULE_REFUSED), "refused");
	ck_assert_str_eq(rule_outcome_name(RULE_TRIPPED), "tripped");
	ck_assert_str_eq(rule_outcome_name((enum rule_outcome)42), "?");
}
END_TEST

/*
 * store_apply_event: the rules of four detectors on one host, which each
 * test starts with empty (a checked fixture).
 */

static struct rule rules[DETECTOR_COUNT];
static struct store_host host;
static struct store_result result;

static void event_setup(void)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		rules[d] = make_rule(3, 60, 600, false);
	rules[DETECTOR_MANUAL] = make_rule(UINT32_MAX, 1, 0, false);
	memset(&host, 0, sizeof(host));
	memset(&result, 0, sizeof(result));
}

/* One event of host, counted for detector counted; its result in result. */
static void apply(enum detector counted, int connect, int64_t now)
{
	struct store_event event;

	memset(&event, 0, sizeof(event));
	event.key.family = 4;
	event.key.prefix = 32;
	event.key.bytes[0] = 192;
	event.key.bytes[3] = 1;
	event.now = now;
	event.counted = counted;
	event.connect = connect;
	event.rules = rules;
	store_apply_event(&event, NULL, &host, NULL, &result);
}

static void assert_result(enum rule_outcome outcome, enum detector detector,
    uint32_t count, int64_t block_until)
{
	ck_assert_int_eq(result.outcome, outcome);
	ck_assert_int_eq(result.detector, detector);
	ck_assert_uint_eq(result.count, count);
	ck_assert_int_eq(result.block_until, block_until);
}

START_TEST(test_connect_counts_dos)
{
	for (uint32_t i = 1; i <= 3; i++) {
		apply(DETECTOR_DOS, 1, T0);
		assert_result(RULE_ALLOWED, DETECTOR_DOS, i, 0);
	}
	apply(DETECTOR_DOS, 1, T0 + 1);
	assert_result(RULE_TRIPPED, DETECTOR_DOS, 4, T0 + 601);
	apply(DETECTOR_DOS, 1, T0 + 2);
	assert_result(RULE_REFUSED, DETECTOR_DOS, 4, T0 + 601);
}
END_TEST

static const enum detector other_blockers[] = {
	DETECTOR_DHA, DETECTOR_ATTACK, DETECTOR_MANUAL
};

START_TEST(test_connect_refused_by_other_block)
{
	enum detector blocker = other_blockers[_i];

	host.state[blocker].count = 5;
	host.state[blocker].block_until = T0 + 100;
	apply(DETECTOR_DOS, 1, T0);
	assert_result(RULE_REFUSED, blocker, 5, T0 + 100);
	/* Refused connections are not counted for DoS. */
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 0);
	ck_assert_int_eq(host.state[DETECTOR_DOS].window_start, 0);
}
END_TEST

START_TEST(test_connect_ignores_disabled_block)
{
	host.state[DETECTOR_DHA].block_until = T0 + 100;
	rules[DETECTOR_DHA].enabled = false;
	apply(DETECTOR_DOS, 1, T0);
	assert_result(RULE_ALLOWED, DETECTOR_DOS, 1, 0);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 1);
}
END_TEST

START_TEST(test_connect_slides_per_detector)
{
	rules[DETECTOR_DHA].sliding = true;
	host.state[DETECTOR_DHA].block_until = T0 + 100;
	host.state[DETECTOR_ATTACK].block_until = T0 + 300;
	apply(DETECTOR_DOS, 1, T0 + 50);
	ck_assert_int_eq(host.state[DETECTOR_DHA].block_until, T0 + 650);
	ck_assert_int_eq(host.state[DETECTOR_ATTACK].block_until, T0 + 300);
	/* After sliding, DHA's block is the one that ends last. */
	assert_result(RULE_REFUSED, DETECTOR_DHA, 0, T0 + 650);
}
END_TEST

START_TEST(test_connect_names_last_block)
{
	host.state[DETECTOR_DOS].block_until = T0 + 200;
	host.state[DETECTOR_DHA].block_until = T0 + 100;
	host.state[DETECTOR_ATTACK].count = 9;
	host.state[DETECTOR_ATTACK].block_until = T0 + 500;
	host.state[DETECTOR_MANUAL].block_until = T0 + 300;
	apply(DETECTOR_DOS, 1, T0);
	assert_result(RULE_REFUSED, DETECTOR_ATTACK, 9, T0 + 500);

	host.state[DETECTOR_MANUAL].block_until = T0 + 900;
	apply(DETECTOR_DOS, 1, T0);
	assert_result(RULE_REFUSED, DETECTOR_MANUAL, 0, T0 + 900);
}
END_TEST

START_TEST(test_other_events_check_own_detector)
{
	host.state[DETECTOR_DOS].block_until = T0 + 100;
	host.state[DETECTOR_MANUAL].block_until = T0 + 100;
	apply(DETECTOR_DHA, 0, T0);
	assert_result(RULE_ALLOWED, DETECTOR_DHA, 1, 0);

	host.state[DETECTOR_DHA].block_until = T0 + 200;
	apply(DETECTOR_DHA, 0, T0 + 1);
	assert_result(RULE_REFUSED, DETECTOR_DHA, 1, T0 + 200);
	ck_assert_uint_eq(host.state[DETECTOR_DHA].count, 1);
}
END_TEST

START_TEST(test_other_event_trips)
{
	for (int i = 0; i < 3; i++)
		apply(DETECTOR_ATTACK, 0, T0);
	apply(DETECTOR_ATTACK, 0, T0 + 5);
	assert_result(RULE_TRIPPED, DETECTOR_ATTACK, 4, T0 + 605);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 0);
	/* The next connection is refused by the attack block. */
	apply(DETECTOR_DOS, 1, T0 + 6);
	assert_result(RULE_REFUSED, DETECTOR_ATTACK, 4, T0 + 605);
}
END_TEST

START_TEST(test_host_blocked)
{
	struct rule_block block;

	ck_assert_int_eq(rule_host_blocked(host.state, T0, &block), 0);
	ck_assert_int_eq(rule_host_blocked(host.state, T0, NULL), 0);
	rule_set_block(&host.state[DETECTOR_DHA], T0 - 10, T0 + 100);
	host.state[DETECTOR_DHA].count = 3;
	host.state[DETECTOR_MANUAL].block_until = T0 + 300;
	host.state[DETECTOR_ATTACK].block_until = T0 - 1;
	ck_assert_int_eq(rule_host_blocked(host.state, T0, &block), 1);
	ck_assert_int_eq(block.detector, DETECTOR_MANUAL);
	ck_assert_int_eq(block.until, T0 + 300);
	ck_assert_int_eq(block.start, 0);
	ck_assert_int_eq(rule_host_blocked(host.state, T0 + 300, NULL), 0);
	/* Disabled rules do not matter: the state says blocked. */
	host.state[DETECTOR_MANUAL].block_until = 0;
	rules[DETECTOR_DHA].enabled = false;
	ck_assert_int_eq(rule_host_blocked(host.state, T0 + 99, &block), 1);
	ck_assert_int_eq(block.detector, DETECTOR_DHA);
	ck_assert_uint_eq(block.count, 3);
	ck_assert_int_eq(block.start, T0 - 10);
	ck_assert_int_eq(block.until, T0 + 100);
	/* At CONNECT a disabled detector's block does not refuse. */
	ck_assert_int_eq(rule_host_check_blocks(rules, host.state, T0, &block), 0);
	/* Ties: the lower detector names the block. */
	host.state[DETECTOR_DOS].block_until = T0 + 100;
	ck_assert_int_eq(rule_host_blocked(host.state, T0, &block), 1);
	ck_assert_int_eq(block.detector, DETECTOR_DOS);
}
END_TEST

START_TEST(test_host_set_block)
{
	struct rule_block block;

	host.state[DETECTOR_DOS].count = 2;
	host.state[DETECTOR_DOS].window_start = T0 - 5;
	rule_host_set_block(host.state, DETECTOR_DOS, T0 + 50, T0);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 2);
	ck_assert_int_eq(host.state[DETECTOR_DOS].window_start, T0 - 5);
	ck_assert_int_eq(rule_host_blocked(host.state, T0 + 1, &block), 1);
	ck_assert_int_eq(block.start, T0);
	ck_assert_int_eq(block.until, T0 + 50);
}
END_TEST

START_TEST(test_host_expiry)
{
	ck_assert_int_eq(rule_host_expiry(rules, host.state), 0);
	host.state[DETECTOR_DOS].window_start = T0;
	ck_assert_int_eq(rule_host_expiry(rules, host.state), T0 + 60);
	rules[DETECTOR_DHA].period = 3600;
	host.state[DETECTOR_DHA].window_start = T0 - 10;
	ck_assert_int_eq(rule_host_expiry(rules, host.state), T0 + 3590);
	host.state[DETECTOR_MANUAL].block_until = T0 + 86400;
	ck_assert_int_eq(rule_host_expiry(rules, host.state), T0 + 86400);
}
END_TEST

/* Invalid events, then valid ones, at now. */
static void ratio_events(const struct rule *rule, struct rule_state *state,
    uint32_t valid, int64_t now)
{
	for (uint32_t i = 0; i < valid; i++)
		ck_assert_int_eq(rule_count_valid(rule, state, now), RULE_ALLOWED);
}

START_TEST(test_ratio_exact_edge)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state();

	rule.min_ratio = RULE_RATIO_ONE / 2;
	/* 4 valid, then 3 invalid: the 4th invalid is 4 of 8, exactly 0.5. */
	ratio_events(&rule, &state, 4, T0);
	ck_assert_uint_eq(state.valid, 4);
	ck_assert_int_eq(state.window_start, T0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rule_count(&rule, &state, T0 + 1), RULE_ALLOWED);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1), RULE_TRIPPED);
	ck_assert_int_eq(state.block_until, T0 + 1 + 600);

	/* 5 valid: 4 of 9 is under 0.5, the 5th invalid (5 of 10) trips. */
	state = zero_state();
	ratio_events(&rule, &state, 5, T0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(rule_count(&rule, &state, T0 + 1), RULE_ALLOWED);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1), RULE_TRIPPED);
	ck_assert_uint_eq(state.count, 5);
}
END_TEST

START_TEST(test_ratio_window_and_block)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state();

	rule.min_ratio = RULE_RATIO_ONE / 2;
	ratio_events(&rule, &state, 100, T0);
	/* A new window forgets the valid events. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rule_count(&rule, &state, T0 + 60), RULE_ALLOWED);
	ck_assert_uint_eq(state.valid, 0);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 60), RULE_TRIPPED);
	/* Valid events of a blocked host are not counted, nor refused. */
	ck_assert_int_eq(rule_count_valid(&rule, &state, T0 + 61), RULE_ALLOWED);
	ck_assert_uint_eq(state.valid, 0);
	/* Without min_ratio valid events change nothing of the verdict. */
	rule.min_ratio = 0;
	state = zero_state();
	ratio_events(&rule, &state, 100, T0);
	trip(&rule, &state, T0);
	/* min_ratio 1: a single valid event in the window spares the host. */
	rule.min_ratio = RULE_RATIO_ONE;
	state = zero_state();
	ratio_events(&rule, &state, 1, T0);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(rule_count(&rule, &state, T0), RULE_ALLOWED);
}
END_TEST

static struct rule escalating_rule(void)
{
	struct rule rule = make_rule(0, 60, 100, false);

	rule.escalate_factor = 2;
	rule.escalate_max = 700;
	rule.escalate_forget = 1000;
	return rule;
}

START_TEST(test_escalation_levels_and_cap)
{
	struct rule rule = escalating_rule();
	struct rule_state state = zero_state();
	int64_t t = T0;
	const int64_t lengths[] = { 100, 200, 400, 700, 700 };

	for (unsigned i = 0; i < 5; i++) {
		ck_assert_int_eq(rule_count(&rule, &state, t), RULE_TRIPPED);
		ck_assert_uint_eq(state.level, i);
		ck_assert_int_eq(state.block_until, t + lengths[i]);
		ck_assert_int_eq(rule_block_start(&state), t);
		/* Back 999 s after the block's end: still remembered. */
		t = state.block_until + 999;
	}
	ck_assert_int_eq(rule_state_expiry(&rule, &state),
	    state.block_until + 1000);
}
END_TEST

START_TEST(test_escalation_decays)
{
	struct rule rule = escalating_rule();
	struct rule_state state = zero_state();

	ck_assert_int_eq(rule_count(&rule, &state, T0), RULE_TRIPPED);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 100 + 10), RULE_TRIPPED);
	ck_assert_uint_eq(state.level, 1);
	ck_assert_int_eq(state.block_until, T0 + 110 + 200);
	/* Exactly forget after the end: the level falls back to 0. */
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 310 + 1000),
	    RULE_TRIPPED);
	ck_assert_uint_eq(state.level, 0);
	ck_assert_int_eq(state.block_until, T0 + 1310 + 100);
	/* Without escalate, every block has the same length. */
	rule.escalate_factor = 0;
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1410), RULE_TRIPPED);
	ck_assert_uint_eq(state.level, 0);
	ck_assert_int_eq(state.block_until, T0 + 1410 + 100);
	ck_assert_int_eq(rule_state_expiry(&rule, &state), T0 + 1510);
}
END_TEST

START_TEST(test_block_records_why)
{
	struct rule rule = make_rule(3, 60, 600, false);
	struct rule_state state = zero_state(), states[DETECTOR_COUNT];
	struct rule_block block;

	trip(&rule, &state, T0);
	ck_assert_uint_eq(state.threshold, 3);
	ck_assert_uint_eq(state.period, 60);
	/* A reload does not change what the block recorded. */
	rule.max = 50;
	rule.period = 3600;
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1), RULE_REFUSED);
	ck_assert_uint_eq(state.threshold, 3);
	memset(states, 0, sizeof(states));
	states[DETECTOR_DHA] = state;
	ck_assert_int_eq(rule_host_blocked(states, T0 + 1, &block), 1);
	ck_assert_int_eq(block.detector, DETECTOR_DHA);
	ck_assert_uint_eq(block.count, 4);
	ck_assert_uint_eq(block.threshold, 3);
	ck_assert_uint_eq(block.period, 60);
	ck_assert_uint_eq(block.level, 0);
}
END_TEST

START_TEST(test_sliding_max)
{
	struct rule rule = make_rule(0, 60, 100, true);
	struct rule_state state = zero_state();

	rule.sliding_max = 250;
	ck_assert_int_eq(rule_count(&rule, &state, T0), RULE_TRIPPED);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 90), RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 190);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 180), RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 250);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 249), RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 250);
	ck_assert_int_eq(rule_block_start(&state), T0);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 250), RULE_ALLOWED);
	/* A block longer than sliding_max by itself keeps its end. */
	rule.sliding_max = 50;
	state = zero_state();
	ck_assert_int_eq(rule_count(&rule, &state, T0), RULE_TRIPPED);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 10), RULE_REFUSED);
	ck_assert_int_eq(state.block_until, T0 + 100);
}
END_TEST

static Suite *rule_suite(void)
{
	Suite *suite = suite_create("rule");
	TCase *tc = tcase_create("rule");
	TCase *ev = tcase_create("store_apply_event");

	tcase_add_test(tc, test_threshold_edges);
	tcase_add_test(tc, test_max_zero_trips_first);
	tcase_add_test(tc, test_clock_back);
	tcase_add_test(tc, test_fixed_block);
	tcase_add_test(tc, test_sliding_block);
	tcase_add_test(tc, test_block_end_starts_new_window);
	tcase_add_test(tc, test_window_expiry);
	tcase_add_test(tc, test_disabled_rule);
	tcase_add_test(tc, test_count_saturates);
	tcase_add_test(tc, test_check_block);
	tcase_add_test(tc, test_state_expiry);
	tcase_add_test(tc, test_outcome_names);
	tcase_add_test(tc, test_window_open);
	tcase_add_test(tc, test_block_start_kept);
	tcase_add_test(tc, test_block_start_unknown);
	tcase_add_test(tc, test_set_block);
	tcase_add_test(tc, test_ratio_exact_edge);
	tcase_add_test(tc, test_ratio_window_and_block);
	tcase_add_test(tc, test_escalation_levels_and_cap);
	tcase_add_test(tc, test_escalation_decays);
	tcase_add_test(tc, test_sliding_max);
	tcase_add_test(tc, test_block_records_why);
	suite_add_tcase(suite, tc);

	tcase_add_checked_fixture(ev, event_setup, NULL);
	tcase_add_test(ev, test_connect_counts_dos);
	tcase_add_loop_test(ev, test_connect_refused_by_other_block, 0,
	    (int)(sizeof(other_blockers) / sizeof(other_blockers[0])));
	tcase_add_test(ev, test_connect_ignores_disabled_block);
	tcase_add_test(ev, test_connect_slides_per_detector);
	tcase_add_test(ev, test_connect_names_last_block);
	tcase_add_test(ev, test_other_events_check_own_detector);
	tcase_add_test(ev, test_other_event_trips);
	tcase_add_test(ev, test_host_expiry);
	tcase_add_test(ev, test_host_blocked);
	tcase_add_test(ev, test_host_set_block);
	suite_add_tcase(suite, ev);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(rule_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
