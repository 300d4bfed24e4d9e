/*
 * check_rule.c - the detection rule (rule.c) and the event logic every
 * store shares (store_apply_event, store_host_expiry in store.c), driven
 * by an injected clock.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"
#include "store.h"

#define T0 1700000000

static struct rule make_rule(uint32_t max, uint32_t period, uint32_t block,
    bool sliding)
{
	struct rule rule = { true, sliding, max, period, block };

	return rule;
}

static struct rule_state zero_state(void)
{
	struct rule_state state = { 0, 0, 0 };

	return state;
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
		ck_assert_uint_eq(state.count, i);
		ck_assert_int_eq(state.block_until, 0);
	}
	ck_assert_int_eq(state.window_start, T0 + 1);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 4), RULE_TRIPPED);
	ck_assert_uint_eq(state.count, 4);
	ck_assert_int_eq(state.block_until, T0 + 4 + 600);
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 5), RULE_REFUSED);
	ck_assert_uint_eq(state.count, 4);
	ck_assert_int_eq(state.block_until, T0 + 4 + 600);
}
END_TEST

START_TEST(test_max_zero_trips_first)
{
	struct rule rule = make_rule(0, 60, 10, false);
	struct rule_state state = zero_state();

	ck_assert_int_eq(rule_count(&rule, &state, T0), RULE_TRIPPED);
	ck_assert_uint_eq(state.count, 1);
	ck_assert_int_eq(state.block_until, T0 + 10);
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
	ck_assert_int_eq(state.block_until, T0 + 600);
	ck_assert_uint_eq(state.count, 4);
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
	ck_assert_int_eq(state.block_until, T0 + 1205);
	ck_assert_uint_eq(state.count, 4);
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
	ck_assert_uint_eq(state.count, 3);
	ck_assert_int_eq(state.window_start, T0);
	/* t = window_start + period is already a new window. */
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 60), RULE_ALLOWED);
	ck_assert_uint_eq(state.count, 1);
	ck_assert_int_eq(state.window_start, T0 + 60);
	ck_assert_int_eq(state.block_until, 0);
}
END_TEST

START_TEST(test_disabled_rule)
{
	struct rule rule = make_rule(0, 60, 600, true);
	struct rule_state state = { 7, T0, T0 + 100 };

	rule.enabled = false;
	ck_assert_int_eq(rule_count(&rule, &state, T0 + 1), RULE_ALLOWED);
	ck_assert_int_eq(rule_check_block(&rule, &state, T0 + 1), RULE_ALLOWED);
	ck_assert_uint_eq(state.count, 7);
	ck_assert_int_eq(state.window_start, T0);
	ck_assert_int_eq(state.block_until, T0 + 100);
}
END_TEST

START_TEST(test_count_saturates)
{
	struct rule rule = make_rule(UINT32_MAX, 60, 600, false);
	struct rule_state state = { UINT32_MAX - 1, T0, 0 };

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
	struct rule_state state = { 2, T0, 0 };

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
	ck_assert_int_eq(state.block_until, T0 + 620);
	ck_assert_uint_eq(state.count, 2);
	ck_assert_int_eq(state.window_start, T0);
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

START_TEST(test_outcome_names)
{
	ck_assert_str_eq(rule_outcome_name(RULE_ALLOWED), "allowed");
	ck_assert_str_eq(rule_outcome_name(RULE_REFUSED), "refused");
	ck_assert_str_eq(rule_outcome_name(RULE_TRIPPED), "tripped");
	ck_assert_str_eq(rule_outcome_name((enum rule_outcome)42), "?");
}
END_TEST

/* store_apply_event: the rules of four detectors on one host. */

static struct rule rules[DETECTOR_COUNT];

static void rules_setup(void)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		rules[d] = make_rule(3, 60, 600, false);
	rules[DETECTOR_MANUAL] = make_rule(UINT32_MAX, 1, 0, false);
}

static struct store_event make_event(enum detector counted, int connect,
    int64_t now)
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
	return event;
}

static void apply(struct store_host *host, enum detector counted, int connect,
    int64_t now, struct store_result *result)
{
	struct store_event event = make_event(counted, connect, now);

	store_apply_event(&event, host, result);
}

START_TEST(test_connect_counts_dos)
{
	struct store_host host;
	struct store_result result;

	memset(&host, 0, sizeof(host));
	for (uint32_t i = 1; i <= 3; i++) {
		apply(&host, DETECTOR_DOS, 1, T0, &result);
		ck_assert_int_eq(result.outcome, RULE_ALLOWED);
		ck_assert_int_eq(result.detector, DETECTOR_DOS);
		ck_assert_uint_eq(result.count, i);
		ck_assert_int_eq(result.block_until, 0);
	}
	apply(&host, DETECTOR_DOS, 1, T0 + 1, &result);
	ck_assert_int_eq(result.outcome, RULE_TRIPPED);
	ck_assert_int_eq(result.detector, DETECTOR_DOS);
	ck_assert_uint_eq(result.count, 4);
	ck_assert_int_eq(result.block_until, T0 + 601);
	apply(&host, DETECTOR_DOS, 1, T0 + 2, &result);
	ck_assert_int_eq(result.outcome, RULE_REFUSED);
	ck_assert_int_eq(result.detector, DETECTOR_DOS);
	ck_assert_uint_eq(result.count, 4);
	ck_assert_int_eq(result.block_until, T0 + 601);
}
END_TEST

START_TEST(test_connect_refused_by_other_block)
{
	static const enum detector blockers[] = {
		DETECTOR_DHA, DETECTOR_ATTACK, DETECTOR_MANUAL
	};

	for (size_t i = 0; i < sizeof(blockers) / sizeof(blockers[0]); i++) {
		struct store_host host;
		struct store_result result;

		memset(&host, 0, sizeof(host));
		host.state[blockers[i]].count = 5;
		host.state[blockers[i]].block_until = T0 + 100;
		apply(&host, DETECTOR_DOS, 1, T0, &result);
		ck_assert_int_eq(result.outcome, RULE_REFUSED);
		ck_assert_int_eq(result.detector, blockers[i]);
		ck_assert_uint_eq(result.count, 5);
		ck_assert_int_eq(result.block_until, T0 + 100);
		/* Refused connections are not counted for DoS. */
		ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 0);
		ck_assert_int_eq(host.state[DETECTOR_DOS].window_start, 0);
	}
}
END_TEST

START_TEST(test_connect_ignores_disabled_block)
{
	struct store_host host;
	struct store_result result;

	memset(&host, 0, sizeof(host));
	host.state[DETECTOR_DHA].block_until = T0 + 100;
	rules[DETECTOR_DHA].enabled = false;
	apply(&host, DETECTOR_DOS, 1, T0, &result);
	ck_assert_int_eq(result.outcome, RULE_ALLOWED);
	ck_assert_int_eq(result.detector, DETECTOR_DOS);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 1);
}
END_TEST

START_TEST(test_connect_slides_per_detector)
{
	struct store_host host;
	struct store_result result;

	memset(&host, 0, sizeof(host));
	rules[DETECTOR_DHA].sliding = true;
	host.state[DETECTOR_DHA].block_until = T0 + 100;
	host.state[DETECTOR_ATTACK].block_until = T0 + 300;
	apply(&host, DETECTOR_DOS, 1, T0 + 50, &result);
	ck_assert_int_eq(result.outcome, RULE_REFUSED);
	ck_assert_int_eq(host.state[DETECTOR_DHA].block_until, T0 + 650);
	ck_assert_int_eq(host.state[DETECTOR_ATTACK].block_until, T0 + 300);
	/* After sliding, DHA's block is the one that ends last. */
	ck_assert_int_eq(result.detector, DETECTOR_DHA);
	ck_assert_int_eq(result.block_until, T0 + 650);
}
END_TEST

START_TEST(test_connect_names_last_block)
{
	struct store_host host;
	struct store_result result;

	memset(&host, 0, sizeof(host));
	host.state[DETECTOR_DOS].block_until = T0 + 200;
	host.state[DETECTOR_DHA].block_until = T0 + 100;
	host.state[DETECTOR_ATTACK].count = 9;
	host.state[DETECTOR_ATTACK].block_until = T0 + 500;
	host.state[DETECTOR_MANUAL].block_until = T0 + 300;
	apply(&host, DETECTOR_DOS, 1, T0, &result);
	ck_assert_int_eq(result.outcome, RULE_REFUSED);
	ck_assert_int_eq(result.detector, DETECTOR_ATTACK);
	ck_assert_int_eq(result.block_until, T0 + 500);
	ck_assert_uint_eq(result.count, 9);

	host.state[DETECTOR_MANUAL].block_until = T0 + 900;
	apply(&host, DETECTOR_DOS, 1, T0, &result);
	ck_assert_int_eq(result.detector, DETECTOR_MANUAL);
	ck_assert_int_eq(result.block_until, T0 + 900);
}
END_TEST

START_TEST(test_other_events_check_own_detector)
{
	struct store_host host;
	struct store_result result;

	memset(&host, 0, sizeof(host));
	host.state[DETECTOR_DOS].block_until = T0 + 100;
	host.state[DETECTOR_MANUAL].block_until = T0 + 100;
	apply(&host, DETECTOR_DHA, 0, T0, &result);
	ck_assert_int_eq(result.outcome, RULE_ALLOWED);
	ck_assert_int_eq(result.detector, DETECTOR_DHA);
	ck_assert_uint_eq(result.count, 1);

	host.state[DETECTOR_DHA].block_until = T0 + 200;
	apply(&host, DETECTOR_DHA, 0, T0 + 1, &result);
	ck_assert_int_eq(result.outcome, RULE_REFUSED);
	ck_assert_int_eq(result.detector, DETECTOR_DHA);
	ck_assert_int_eq(result.block_until, T0 + 200);
	ck_assert_uint_eq(host.state[DETECTOR_DHA].count, 1);
}
END_TEST

START_TEST(test_other_event_trips)
{
	struct store_host host;
	struct store_result result;

	memset(&host, 0, sizeof(host));
	for (int i = 0; i < 3; i++)
		apply(&host, DETECTOR_ATTACK, 0, T0, &result);
	apply(&host, DETECTOR_ATTACK, 0, T0 + 5, &result);
	ck_assert_int_eq(result.outcome, RULE_TRIPPED);
	ck_assert_int_eq(result.detector, DETECTOR_ATTACK);
	ck_assert_uint_eq(result.count, 4);
	ck_assert_int_eq(result.block_until, T0 + 605);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 0);
	/* The next connection is refused by the attack block. */
	apply(&host, DETECTOR_DOS, 1, T0 + 6, &result);
	ck_assert_int_eq(result.outcome, RULE_REFUSED);
	ck_assert_int_eq(result.detector, DETECTOR_ATTACK);
}
END_TEST

START_TEST(test_host_expiry)
{
	struct store_host host;

	memset(&host, 0, sizeof(host));
	ck_assert_int_eq(store_host_expiry(&host, rules), 0);
	host.state[DETECTOR_DOS].window_start = T0;
	ck_assert_int_eq(store_host_expiry(&host, rules), T0 + 60);
	rules[DETECTOR_DHA].period = 3600;
	host.state[DETECTOR_DHA].window_start = T0 - 10;
	ck_assert_int_eq(store_host_expiry(&host, rules), T0 + 3590);
	host.state[DETECTOR_MANUAL].block_until = T0 + 86400;
	ck_assert_int_eq(store_host_expiry(&host, rules), T0 + 86400);
}
END_TEST

static Suite *rule_suite(void)
{
	Suite *suite = suite_create("rule");
	TCase *tc = tcase_create("rule");
	TCase *ev = tcase_create("store_apply_event");

	tcase_add_test(tc, test_threshold_edges);
	tcase_add_test(tc, test_max_zero_trips_first);
	tcase_add_test(tc, test_fixed_block);
	tcase_add_test(tc, test_sliding_block);
	tcase_add_test(tc, test_block_end_starts_new_window);
	tcase_add_test(tc, test_window_expiry);
	tcase_add_test(tc, test_disabled_rule);
	tcase_add_test(tc, test_count_saturates);
	tcase_add_test(tc, test_check_block);
	tcase_add_test(tc, test_state_expiry);
	tcase_add_test(tc, test_outcome_names);
	suite_add_tcase(suite, tc);

	tcase_add_checked_fixture(ev, rules_setup, NULL);
	tcase_add_test(ev, test_connect_counts_dos);
	tcase_add_test(ev, test_connect_refused_by_other_block);
	tcase_add_test(ev, test_connect_ignores_disabled_block);
	tcase_add_test(ev, test_connect_slides_per_detector);
	tcase_add_test(ev, test_connect_names_last_block);
	tcase_add_test(ev, test_other_events_check_own_detector);
	tcase_add_test(ev, test_other_event_trips);
	tcase_add_test(ev, test_host_expiry);
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
