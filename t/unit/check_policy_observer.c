/*
 * check_policy_observer.c - the observer of the policy engine: told of
 * every store operation, so of every block a rule starts and every
 * refusal by a block in force, with the key, the detector and the block's
 * end; never of excluded or listed hosts, which the store never sees;
 * silent once removed.
 */
#include <check.h>
#include <stdlib.h>

#include "hostlist.h"
#include "log.h"
#include "policy_fixture.h"

struct seen {
	unsigned events;		/* every call */
	unsigned calls;			/* calls with a block */
	struct host_key key;
	enum detector detector;
	int64_t until;
};

static struct seen seen;

static void observe(const struct store_event *event,
    const struct store_result *result, void *arg)
{
	ck_assert_ptr_eq(arg, &seen);
	seen.events++;
	if (result->outcome == RULE_ALLOWED)
		return;
	seen.calls++;
	seen.key = event->key;
	seen.detector = result->detector;
	seen.until = result->block_until;
}

static void connect_from(const char *text, int64_t now)
{
	struct host_addr addr;
	struct verdict v;

	ck_assert_int_eq(addr_parse(text, &addr), 0);
	policy_close(policy_connect(policy, &addr, now, &v));
}

START_TEST(told_of_trips_and_refusals)
{
	char key_text[ADDR_TEXT_MAX];

	fixture_start();
	seen = (struct seen){ 0 };
	policy_set_observer(policy, observe, &seen);
	for (int i = 0; i < 3; i++)
		connect_from("2001:db8:1::7", T0);
	ck_assert_uint_eq(seen.events, 3);
	ck_assert_uint_eq(seen.calls, 0);
	connect_from("2001:db8:1::8", T0 + 1);
	ck_assert_uint_eq(seen.calls, 1);
	host_key_format(&seen.key, key_text, sizeof(key_text));
	ck_assert_str_eq(key_text, "2001:db8:1::/64");
	ck_assert_int_eq(seen.detector, DETECTOR_DOS);
	ck_assert_int_eq(seen.until, T0 + 1 + 600);
	connect_from("2001:db8:1::9", T0 + 2);
	ck_assert_uint_eq(seen.calls, 2);
	ck_assert_int_eq(seen.until, T0 + 1 + 600);
	policy_set_observer(policy, NULL, NULL);
	connect_from("2001:db8:1::9", T0 + 3);
	ck_assert_uint_eq(seen.events, 5);
	ck_assert_uint_eq(seen.calls, 2);
}
END_TEST

START_TEST(excluded_and_listed_hosts_not_told)
{
	char err[256];

	ck_assert_int_eq(hostlist_add(cfg->blocked, "198.51.100.0/24", err,
	    sizeof(err)), 0);
	fixture_start();
	seen = (struct seen){ 0 };
	policy_set_observer(policy, observe, &seen);
	for (int i = 0; i < 10; i++) {
		connect_from("127.0.0.1", T0);
		connect_from("198.51.100.1", T0);
	}
	ck_assert_uint_eq(seen.events, 0);
}
END_TEST

static Suite *policy_observer_suite(void)
{
	Suite *suite = suite_create("policy_observer");
	TCase *tc = tcase_create("policy_observer");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, told_of_trips_and_refusals);
	tcase_add_test(tc, excluded_and_listed_hosts_not_told);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(policy_observer_suite());
	int failed;

	log_set_level(LOG_LEVEL_ERROR);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
