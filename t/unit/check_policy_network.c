/*
 * check_policy_network.c - network rules end to end on the memory store,
 * with an injected clock: a network spread over many hosts trips as a
 * network (the store's result names the rule and the prefix), exactly
 * network.max events are allowed and one more trips, its block refuses
 * every host of the network but no other, excluded hosts never count
 * towards it and are never refused by it, refused events count for
 * nothing, the event that trips a host's own block counts for its
 * network too, and IPv6 networks of ipv6_prefix.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "addr.h"
#include "config.h"
#include "hostlist.h"
#include "log.h"
#include "policy.h"
#include "policy_fixture.h"
#include "store.h"

/* The last block the store started or refused with. */
struct seen {
	unsigned trips;
	bool network;
	char network_text[ADDR_TEXT_MAX];
	char host_text[ADDR_TEXT_MAX];
	enum detector detector;
	uint32_t count;
	int64_t until;
};

static struct seen seen;

static void observe(const struct store_event *event,
    const struct store_result *result, void *arg)
{
	(void)arg;
	if (result->outcome != RULE_TRIPPED)
		return;
	seen.trips++;
	seen.network = result->network;
	seen.network_text[0] = '\0';
	if (result->network)
		host_key_format(&result->network_key, seen.network_text,
		    sizeof(seen.network_text));
	host_key_format(&event->key, seen.host_text, sizeof(seen.host_text));
	seen.detector = result->detector;
	seen.count = result->count;
	seen.until = result->block_until;
}

/* detector's network group: /v4, /v6, max events a period. */
static void network_rule(enum detector d, unsigned v4, unsigned v6,
    unsigned max)
{
	cfg->networks[d] = (struct config_network){ true, v4, v6, max };
	cfg->net_rules[d] = cfg->rules[d];
	cfg->net_rules[d].max = max;
}

static void start(void)
{
	fixture_start();
	seen = (struct seen){ 0 };
	policy_set_observer(policy, observe, NULL);
}

static enum verdict_kind connect_once(const char *ip, int64_t now)
{
	struct host_addr addr;
	struct verdict v;

	ck_assert_int_eq(addr_parse(ip, &addr), 0);
	policy_close(policy_connect(policy, &addr, now, &v));
	return v.kind;
}

/* One connection of 198.51.100.N at now. */
static enum verdict_kind connect_nth(unsigned n, int64_t now)
{
	char ip[32];

	snprintf(ip, sizeof(ip), "198.51.100.%u", n);
	return connect_once(ip, now);
}

START_TEST(network_trips_over_many_hosts)
{
	struct verdict v;
	struct host_addr addr;

	network_rule(DETECTOR_DOS, 24, 48, 10);
	start();
	/* 10 hosts, one connection each: exactly network.max, allowed. */
	for (unsigned n = 1; n <= 10; n++)
		ck_assert_int_eq(connect_nth(n, T0 + n), VERDICT_CONTINUE);
	ck_assert_uint_eq(seen.trips, 0);
	/* The 11th connection of the /24 trips it, from a fresh host. */
	ck_assert_int_eq(connect_nth(11, T0 + 11), VERDICT_TEMPFAIL);
	ck_assert_uint_eq(seen.trips, 1);
	ck_assert(seen.network);
	ck_assert_str_eq(seen.network_text, "198.51.100.0/24");
	ck_assert_str_eq(seen.host_text, "198.51.100.11");
	ck_assert_int_eq(seen.detector, DETECTOR_DOS);
	ck_assert_uint_eq(seen.count, 11);
	ck_assert_int_eq(seen.until, T0 + 11 + 600);
	/* Every host of the /24 is refused, with the detector's reply. */
	ck_assert_int_eq(addr_parse("198.51.100.250", &addr), 0);
	policy_close(policy_connect(policy, &addr, T0 + 12, &v));
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.text,
	    "Too many connections from 198.51.100.250, try again later");
	ck_assert_int_eq(connect_nth(1, T0 + 610), VERDICT_TEMPFAIL);
	/* Not a host of another /24. */
	ck_assert_int_eq(connect_once("198.51.101.1", T0 + 12),
	    VERDICT_CONTINUE);
	ck_assert_uint_eq(seen.trips, 1);
	/* The block ends with its period, as a host's does. */
	ck_assert_int_eq(connect_nth(2, T0 + 611), VERDICT_CONTINUE);
}
END_TEST

START_TEST(excluded_hosts_never_count_nor_are_refused)
{
	char err[128];

	ck_assert_int_eq(hostlist_add(cfg->exclude, "198.51.100.200", err,
	    sizeof(err)), 0);
	network_rule(DETECTOR_DOS, 24, 48, 10);
	start();
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(connect_nth(200, T0), VERDICT_CONTINUE);
	/* Had the excluded host counted, the /24 would have tripped. */
	for (unsigned n = 1; n <= 10; n++)
		ck_assert_int_eq(connect_nth(n, T0 + 1), VERDICT_CONTINUE);
	ck_assert_uint_eq(seen.trips, 0);
	ck_assert_int_eq(connect_nth(11, T0 + 2), VERDICT_TEMPFAIL);
	ck_assert(seen.network);
	ck_assert_uint_eq(seen.count, 11);
	/* The network's block never refuses the excluded host. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(connect_nth(200, T0 + 3), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_nth(12, T0 + 3), VERDICT_TEMPFAIL);
}
END_TEST

/*
 * A host's own block: the connection that trips it counts for the
 * network, its refused retries count for nothing.
 */
START_TEST(refused_events_count_for_nothing)
{
	network_rule(DETECTOR_DOS, 24, 48, 10);
	start();
	/* 4 connections of .1: the 4th trips its own block (max 3). */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_nth(1, T0), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_nth(1, T0), VERDICT_TEMPFAIL);
	ck_assert_uint_eq(seen.trips, 1);
	ck_assert(!seen.network);
	ck_assert_str_eq(seen.host_text, "198.51.100.1");
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(connect_nth(1, T0 + 1), VERDICT_TEMPFAIL);
	/* 4 counted so far: 6 more hosts make 10, allowed; then 11. */
	for (unsigned n = 2; n <= 7; n++)
		ck_assert_int_eq(connect_nth(n, T0 + 2), VERDICT_CONTINUE);
	ck_assert_uint_eq(seen.trips, 1);
	ck_assert_int_eq(connect_nth(8, T0 + 3), VERDICT_TEMPFAIL);
	ck_assert_uint_eq(seen.trips, 2);
	ck_assert(seen.network);
	ck_assert_uint_eq(seen.count, 11);
}
END_TEST

/* Invalid recipients of many hosts, each under max_invalid. */
START_TEST(dha_network_of_many_harvesters)
{
	struct policy_rcpt rcpt = { "<nobody@example.org>", true, "5.1.1" };
	struct policy_session *s;
	struct host_addr addr;
	struct verdict v;
	char ip[32];

	network_rule(DETECTOR_DHA, 24, 48, 9);
	start();
	/* 2 invalid recipients from each of 5 hosts: the 10th trips. */
	for (unsigned n = 1; n <= 5; n++) {
		snprintf(ip, sizeof(ip), "198.51.100.%u", n);
		ck_assert_int_eq(addr_parse(ip, &addr), 0);
		s = policy_connect(policy, &addr, T0, &v);
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
		policy_rcpt(s, &rcpt, T0, &v);
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
		policy_rcpt(s, &rcpt, T0, &v);
		ck_assert_int_eq(v.kind, n < 5 ? VERDICT_CONTINUE :
		    VERDICT_TEMPFAIL);
		policy_close(s);
	}
	ck_assert_uint_eq(seen.trips, 1);
	ck_assert(seen.network);
	ck_assert_str_eq(seen.network_text, "198.51.100.0/24");
	ck_assert_int_eq(seen.detector, DETECTOR_DHA);
	ck_assert_uint_eq(seen.count, 10);
	/* A new host of the /24 is refused at connect by the DHA block. */
	ck_assert_int_eq(addr_parse("198.51.100.77", &addr), 0);
	policy_close(policy_connect(policy, &addr, T0 + 1, &v));
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.text, "Too many invalid recipients from "
	    "198.51.100.77");
}
END_TEST

START_TEST(ipv6_network_of_ipv6_prefix)
{
	network_rule(DETECTOR_DOS, 24, 48, 3);
	start();
	/* Four /64 hosts of one /48: the 4th connection trips the /48. */
	ck_assert_int_eq(connect_once("2001:db8:1:1::1", T0), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("2001:db8:1:2::1", T0), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("2001:db8:1:3::1", T0), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("2001:db8:1:4::1", T0), VERDICT_TEMPFAIL);
	ck_assert(seen.network);
	ck_assert_str_eq(seen.network_text, "2001:db8:1::/48");
	ck_assert_str_eq(seen.host_text, "2001:db8:1:4::/64");
	ck_assert_int_eq(connect_once("2001:db8:1:ffff::9", T0 + 1),
	    VERDICT_TEMPFAIL);
	ck_assert_int_eq(connect_once("2001:db8:2::1", T0 + 1),
	    VERDICT_CONTINUE);
	/* The IPv4 side of the same rule is untouched. */
	ck_assert_int_eq(connect_nth(1, T0 + 1), VERDICT_CONTINUE);
}
END_TEST

/* Without a network group nothing is counted over networks. */
START_TEST(no_network_group_no_network_count)
{
	start();
	for (unsigned n = 1; n <= 200; n++)
		ck_assert_int_eq(connect_nth(n, T0), VERDICT_CONTINUE);
	ck_assert_uint_eq(seen.trips, 0);
}
END_TEST

static Suite *policy_network_suite(void)
{
	Suite *suite = suite_create("policy_network");
	TCase *tc = tcase_create("policy_network");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, network_trips_over_many_hosts);
	tcase_add_test(tc, excluded_hosts_never_count_nor_are_refused);
	tcase_add_test(tc, refused_events_count_for_nothing);
	tcase_add_test(tc, dha_network_of_many_harvesters);
	tcase_add_test(tc, ipv6_network_of_ipv6_prefix);
	tcase_add_test(tc, no_network_group_no_network_count);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(policy_network_suite());
	int failed;

	log_set_level(LOG_LEVEL_ERROR);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
