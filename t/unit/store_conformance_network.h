/*
 * store_conformance_network.h - the network rules in the conformance
 * suite (store_conformance.h includes it): events counted over a host's
 * networks as well as the host, in the same store operation.
 *
 * Hosts are the suite's (conf_key(), conf_key6()); their networks,
 * 10.<test>.x.0/24 (or /20) and 2001:db8:<test>::/48, lie inside the
 * test's own space.  conf_setup() leaves every network rule disabled.
 */
#ifndef BULWARK_STORE_CONFORMANCE_NETWORK_H
#define BULWARK_STORE_CONFORMANCE_NETWORK_H

/* The network of key at prefix bits. */
static struct host_key conf_net(const struct host_key *key, unsigned prefix)
{
	struct host_addr addr = { .family = key->family };
	struct host_key net;

	memcpy(addr.bytes, key->bytes, sizeof(addr.bytes));
	addr_key(&addr, prefix, prefix, &net);
	return net;
}

/* Detector d counts over /prefix (IPv4) and /48 (IPv6), max events. */
static void conf_net_rule(enum detector d, uint32_t max)
{
	conf_net_rules[d] = conf_rules[d];
	conf_net_rules[d].max = max;
}

static void conf_net_event(const struct host_key *key, enum detector counted,
    int connect, int valid, unsigned prefix, int64_t now,
    struct store_result *result)
{
	struct store_event event;

	conf_event(&event, key, counted, connect, now);
	event.valid = valid;
	event.net_rules = conf_net_rules;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		event.nets[d] = conf_net(key, key->family == 4 ?
		    (d == DETECTOR_DHA ? prefix : 24) : 48);
	conf_apply(&event, result);
}

static enum rule_outcome conf_net_connect(const struct host_key *key,
    int64_t now, struct store_result *result)
{
	conf_net_event(key, DETECTOR_DOS, 1, 0, 24, now, result);
	return result->outcome;
}

/* More connections than network max from hosts each under its own max. */
START_TEST(conf_net_threshold)
{
	struct host_key sixth = conf_key(CONF_NET_THRESHOLD, 0x106);
	struct host_key unseen = conf_key(CONF_NET_THRESHOLD, 0x1c8);
	struct host_key other = conf_key(CONF_NET_THRESHOLD, 0x201);
	struct host_key net = conf_net(&sixth, 24);
	struct store_result r;
	struct store_host state;
	char text[ADDR_TEXT_MAX], want[ADDR_TEXT_MAX];
	int64_t t = conf_t0;

	conf_net_rule(DETECTOR_DOS, 5);
	for (unsigned i = 1; i <= 5; i++) {
		struct host_key host = conf_key(CONF_NET_THRESHOLD, 0x100 + i);

		ck_assert_int_eq(conf_net_connect(&host, t, &r), RULE_ALLOWED);
		ck_assert(!r.network);
	}
	ck_assert_int_eq(conf_net_connect(&sixth, t + 1, &r), RULE_TRIPPED);
	ck_assert(r.network);
	ck_assert(host_key_equal(&r.network_key, &net));
	host_key_format(&r.network_key, text, sizeof(text));
	snprintf(want, sizeof(want), "10.%u.1.0/24", CONF_NET_THRESHOLD);
	ck_assert_str_eq(text, want);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
	ck_assert_uint_eq(r.count, 6);
	ck_assert_int_eq(r.block_until, t + 1 + 600);
	/* Every host of the network is refused, one never seen included. */
	ck_assert_int_eq(conf_net_connect(&unseen, t + 2, &r), RULE_REFUSED);
	ck_assert(r.network);
	ck_assert_int_eq(r.block_until, t + 1 + 600);
	/* Not a host of another network. */
	ck_assert_int_eq(conf_net_connect(&other, t + 2, &r), RULE_ALLOWED);
	/* The block is the network's, with why it started. */
	conf_lookup(&net, &state);
	ck_assert_int_eq(state.state[DETECTOR_DOS].block_until, t + 1 + 600);
	ck_assert_uint_eq(state.state[DETECTOR_DOS].count, 6);
	ck_assert_uint_eq(state.state[DETECTOR_DOS].threshold, 5);
	ck_assert_uint_eq(state.state[DETECTOR_DOS].period, 60);
	conf_lookup(&sixth, &state);
	ck_assert_int_eq(state.state[DETECTOR_DOS].block_until, 0);
	ck_assert_uint_eq(state.state[DETECTOR_DOS].count, 1);
	/* Over when the block ends: a new period. */
	ck_assert_int_eq(conf_net_connect(&unseen, t + 1 + 600, &r),
	    RULE_ALLOWED);
}
END_TEST

/*
 * A host's own block comes first and names the host; the event that
 * started it counts for the network too, refused events do not.
 */
START_TEST(conf_net_host_first)
{
	struct host_key host = conf_key(CONF_NET_HOST_FIRST, 1);
	struct host_key net = conf_net(&host, 24);
	struct store_result r;
	struct store_host state;
	int64_t t = conf_t0;

	conf_net_rule(DETECTOR_DOS, 10);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(conf_net_connect(&host, t, &r), RULE_ALLOWED);
	ck_assert_int_eq(conf_net_connect(&host, t, &r), RULE_TRIPPED);
	ck_assert(!r.network);
	ck_assert_int_eq(conf_net_connect(&host, t + 1, &r), RULE_REFUSED);
	ck_assert(!r.network);
	conf_lookup(&net, &state);
	ck_assert_uint_eq(state.state[DETECTOR_DOS].count, 4);
	ck_assert_int_eq(state.state[DETECTOR_DOS].block_until, 0);
}
END_TEST

/* Listed, and unblocked, as the prefix. */
START_TEST(conf_net_list_unblock)
{
	struct host_key net = { .family = 4, .prefix = 24,
	    .bytes = { 10, CONF_NET_LIST, 3, 0 } };
	struct conf_listing list;
	struct store_result r;
	int64_t t = conf_t0;

	conf_net_rule(DETECTOR_DOS, 2);
	for (unsigned i = 1; i <= 3; i++)
		(void)conf_net_connect(&(struct host_key){ .family = 4,
		    .prefix = 32, .bytes = { 10, CONF_NET_LIST, 3, (uint8_t)i } },
		    t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert(r.network);
	conf_walk(CONF_NET_LIST, t + 1, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert(host_key_equal(&list.keys[0], &net));
	ck_assert_int_eq(list.hosts[0].state[DETECTOR_DOS].block_until, t + 600);
	ck_assert_int_eq(store_unblock(conf_store, &net), 0);
	conf_walk(CONF_NET_LIST, t + 1, 0, &list);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_int_eq(conf_net_connect(&(struct host_key){ .family = 4,
	    .prefix = 32, .bytes = { 10, CONF_NET_LIST, 3, 9 } }, t + 1, &r),
	    RULE_ALLOWED);
}
END_TEST

/*
 * DHA over a network: later events are refused by the network's block;
 * the ratio weighs the network's valid recipients, tripping exactly at
 * it.
 */
START_TEST(conf_net_dha_ratio)
{
	struct host_key a = conf_key(CONF_NET_DHA, 0x101);
	struct host_key b = conf_key(CONF_NET_DHA, 0x102);
	struct host_key c = conf_key(CONF_NET_DHA, 0x103);
	struct store_result r;
	int64_t t = conf_t0;

	conf_rules[DETECTOR_DHA].max = 100;
	conf_rules[DETECTOR_DHA].min_ratio = RULE_RATIO_ONE / 2;
	conf_net_rule(DETECTOR_DHA, 4);
	for (int i = 0; i < 10; i++) {
		conf_net_event(&a, DETECTOR_DHA, 0, 1, 24, t, &r);
		ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	}
	/* 9 invalid of 19 is below half; the 10th of 20 is exactly half. */
	for (int i = 0; i < 9; i++) {
		conf_net_event(&b, DETECTOR_DHA, 0, 0, 24, t, &r);
		ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	}
	conf_net_event(&b, DETECTOR_DHA, 0, 0, 24, t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert(r.network);
	ck_assert_uint_eq(r.count, 10);
	/* A recipient of another host of the network: refused by it. */
	conf_net_event(&c, DETECTOR_DHA, 0, 0, 24, t + 1, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert(r.network);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
	/* And its connection too: every block of a network refuses. */
	ck_assert_int_eq(conf_net_connect(&c, t + 1, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
}
END_TEST

/* Two detectors over networks of different prefixes: both checked. */
START_TEST(conf_net_two_prefixes)
{
	struct host_key a = { .family = 4, .prefix = 32,
	    .bytes = { 10, CONF_NET_PREFIXES, 0x11, 1 } };
	struct host_key b = { .family = 4, .prefix = 32,
	    .bytes = { 10, CONF_NET_PREFIXES, 0x12, 1 } };
	struct host_key wide = { .family = 4, .prefix = 20,
	    .bytes = { 10, CONF_NET_PREFIXES, 0x10, 0 } };
	struct store_result r;
	struct store_host state;
	int64_t t = conf_t0;

	conf_rules[DETECTOR_DHA].max = 100;
	conf_net_rule(DETECTOR_DOS, 100);
	conf_net_rule(DETECTOR_DHA, 2);
	conf_net_event(&a, DETECTOR_DHA, 0, 0, 20, t, &r);
	conf_net_event(&b, DETECTOR_DHA, 0, 0, 20, t, &r);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	conf_net_event(&a, DETECTOR_DHA, 0, 0, 20, t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert(host_key_equal(&r.network_key, &wide));
	/* b's /24 counts its connections; its /20 refuses them. */
	conf_net_event(&b, DETECTOR_DOS, 1, 0, 20, t + 1, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert(host_key_equal(&r.network_key, &wide));
	conf_lookup(&wide, &state);
	ck_assert_uint_eq(state.state[DETECTOR_DHA].count, 3);
	ck_assert_uint_eq(state.state[DETECTOR_DOS].count, 0);
}
END_TEST

/* IPv6: /64 hosts in a /48. */
START_TEST(conf_net_ipv6)
{
	struct store_result r;
	int64_t t = conf_t0;
	char text[ADDR_TEXT_MAX], want[ADDR_TEXT_MAX];

	conf_net_rule(DETECTOR_DOS, 3);
	for (unsigned i = 1; i <= 4; i++) {
		struct host_key host = conf_key6(CONF_NET_IPV6, i);

		(void)conf_net_connect(&host, t, &r);
	}
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	host_key_format(&r.network_key, text, sizeof(text));
	snprintf(want, sizeof(want), "2001:db8:%x::/48", CONF_NET_IPV6);
	ck_assert_str_eq(text, want);
}
END_TEST

static void conf_network_tests(TCase *tc)
{
	tcase_add_test(tc, conf_net_threshold);
	tcase_add_test(tc, conf_net_host_first);
	tcase_add_test(tc, conf_net_list_unblock);
	tcase_add_test(tc, conf_net_dha_ratio);
	tcase_add_test(tc, conf_net_two_prefixes);
	tcase_add_test(tc, conf_net_ipv6);
}

#endif
