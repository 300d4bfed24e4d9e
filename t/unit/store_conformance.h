/*
 * store_conformance.h - what every store backend must do, as a check
 * suite that runs against whichever backend a configuration names.
 *
 * store_conformance_suite(backend, cfg) returns the suite "store-<backend>".
 * Each test opens a store from cfg with store_open() (so cfg->store must
 * name the backend; the test checks that it got that backend) and closes
 * it at the end.  cfg stays the caller's and must outlive the run.  A
 * backend's test program builds its configuration and runs this suite:
 *
 *	#include "store_conformance.h"
 *	...
 *	srunner_create(store_conformance_suite("memory", cfg));
 *
 * Each test works on hosts of its own (10.<test>.x.y and
 * 2001:db8:0:<test>::/64) with a clock starting at the current time, so a
 * shared backend holding other state (Redis) needs no cleaning between
 * tests, and list_blocks() results are filtered to the test's own hosts.
 * lookup() has no clock, so tests only read state that is still live.
 *
 * Header only, included by one test program: the Makefile rebuilds the
 * suites whenever it changes.
 */
#ifndef BULWARK_STORE_CONFORMANCE_H
#define BULWARK_STORE_CONFORMANCE_H

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "rule_host.h"
#include "store.h"

/* One id per test: the second byte of its hosts. */
enum conf_test {
	CONF_THRESHOLD = 1,
	CONF_FIXED,
	CONF_SLIDING,
	CONF_WINDOW,
	CONF_RESET,
	CONF_HOSTS,
	CONF_DETECTORS,
	CONF_CONNECT_ALL,
	CONF_CONNECT_SLIDING,
	CONF_LAST_BLOCK,
	CONF_BLOCK,
	CONF_BLOCK_DETECTOR,
	CONF_UNBLOCK,
	CONF_LIST,
	CONF_LIST_STOP,
	CONF_DISABLED,
	CONF_NOTE,
	CONF_RELOAD,
	CONF_CLOCK_BACK,
	CONF_RATIO,
	CONF_ESCALATE,
	CONF_SLIDING_MAX,
	CONF_NET_THRESHOLD,
	CONF_NET_HOST_FIRST,
	CONF_NET_LIST,
	CONF_NET_DHA,
	CONF_NET_PREFIXES,
	CONF_NET_IPV6
};

static struct config *conf_cfg;
static const char *conf_backend;
static struct store *conf_store;
static struct rule conf_rules[DETECTOR_COUNT];
static struct rule conf_net_rules[DETECTOR_COUNT];	/* network rules */
static int64_t conf_t0;

static void conf_setup(void)
{
	char err[256];

	conf_store = store_open(conf_cfg, err, sizeof(err));
	ck_assert_msg(conf_store != NULL, "store_open: %s", err);
	ck_assert_str_eq(conf_store->ops->name, conf_backend);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		struct rule rule = { .enabled = true, .max = 3, .period = 60,
		    .block = 600 };

		conf_rules[d] = rule;
	}
	conf_rules[DETECTOR_MANUAL].max = UINT32_MAX;
	conf_rules[DETECTOR_MANUAL].period = 1;
	conf_rules[DETECTOR_MANUAL].block = 0;
	memset(conf_net_rules, 0, sizeof(conf_net_rules));
	conf_t0 = (int64_t)time(NULL);
}

static void conf_teardown(void)
{
	store_close(conf_store);
	conf_store = NULL;
}

static struct host_key conf_key(enum conf_test test, unsigned n)
{
	struct host_key key;

	memset(&key, 0, sizeof(key));
	key.family = 4;
	key.prefix = 32;
	key.bytes[0] = 10;
	key.bytes[1] = (uint8_t)test;
	key.bytes[2] = (uint8_t)(n >> 8);
	key.bytes[3] = (uint8_t)n;
	return key;
}

static struct host_key conf_key6(enum conf_test test, unsigned n)
{
	static const uint8_t net[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct host_key key;

	memset(&key, 0, sizeof(key));
	key.family = 6;
	key.prefix = 64;
	memcpy(key.bytes, net, sizeof(net));
	key.bytes[5] = (uint8_t)test;
	key.bytes[6] = (uint8_t)(n >> 8);
	key.bytes[7] = (uint8_t)n;
	return key;
}

/* The test a key belongs to, or 0 for a host of nobody's. */
static enum conf_test conf_key_test(const struct host_key *key)
{
	if (key->family == 4 && key->bytes[0] == 10)
		return (enum conf_test)key->bytes[1];
	if (key->family == 6 && key->bytes[0] == 0x20 && key->bytes[1] == 0x01 &&
	    key->bytes[2] == 0x0d && key->bytes[3] == 0xb8 && key->bytes[4] == 0)
		return (enum conf_test)key->bytes[5];
	return 0;
}

/* An event of key under the test's rules. */
static void conf_event(struct store_event *event, const struct host_key *key,
    enum detector counted, int connect, int64_t now)
{
	memset(event, 0, sizeof(*event));
	event->key = *key;
	event->now = now;
	event->counted = counted;
	event->connect = connect;
	event->rules = conf_rules;
}

/* Record event; the store must decide it. */
static void conf_apply(const struct store_event *event,
    struct store_result *result)
{
	ck_assert_int_eq(store_record(conf_store, event, result), 0);
	ck_assert_msg(result->decided == STORE_DECIDED_STORE, "decided by %s: %s",
	    store_decider_name(result->decided), store_error(conf_store));
}

static void conf_record(const struct host_key *key, enum detector counted,
    int connect, int64_t now, struct store_result *result)
{
	struct store_event event;

	conf_event(&event, key, counted, connect, now);
	conf_apply(&event, result);
}

/* A CONNECT at now; return its outcome, result optional. */
static enum rule_outcome conf_connect(const struct host_key *key, int64_t now,
    struct store_result *result)
{
	struct store_result local;
	struct store_result *r = result != NULL ? result : &local;

	conf_record(key, DETECTOR_DOS, 1, now, r);
	return r->outcome;
}

static void conf_lookup(const struct host_key *key, struct store_host *host)
{
	memset(host, 0xa5, sizeof(*host));
	ck_assert_int_eq(store_lookup(conf_store, key, host), 0);
}

static void conf_assert_zero(const struct host_key *key)
{
	struct store_host host, zero;

	memset(&zero, 0, sizeof(zero));
	conf_lookup(key, &host);
	ck_assert(memcmp(&host, &zero, sizeof(host)) == 0);
}

static void conf_put_block(const struct host_key *key, enum detector detector,
    int64_t until, int64_t now)
{
	ck_assert_int_eq(store_block(conf_store, key, detector, until, now), 0);
}

/* Trip the DoS rule of the test's rules at now (max events, then one). */
static void conf_trip_dos(const struct host_key *key, int64_t now)
{
	for (uint32_t i = 0; i < conf_rules[DETECTOR_DOS].max; i++)
		ck_assert_int_eq(conf_connect(key, now, NULL), RULE_ALLOWED);
	ck_assert_int_eq(conf_connect(key, now, NULL), RULE_TRIPPED);
}

#define CONF_LIST_MAX 16

/* What list_blocks() showed of one test's hosts. */
struct conf_listing {
	enum conf_test test;
	unsigned calls;			/* for any host */
	unsigned stop_at;		/* own host number that stops: 1.. */
	unsigned count;
	struct host_key keys[CONF_LIST_MAX];
	struct store_host hosts[CONF_LIST_MAX];
};

static int conf_walk_fn(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	struct conf_listing *list = arg;

	list->calls++;
	if (conf_key_test(key) != list->test)
		return 0;
	ck_assert_uint_lt(list->count, CONF_LIST_MAX);
	list->keys[list->count] = *key;
	list->hosts[list->count] = *host;
	list->count++;
	return list->count == list->stop_at;
}

static void conf_walk(enum conf_test test, int64_t now, unsigned stop_at,
    struct conf_listing *list)
{
	memset(list, 0, sizeof(*list));
	list->test = test;
	list->stop_at = stop_at;
	ck_assert_int_eq(store_list_blocks(conf_store, now, conf_walk_fn, list), 0);
}

/* The listed state of key, or NULL when list does not show it. */
static const struct store_host *conf_listed(const struct conf_listing *list,
    const struct host_key *key)
{
	for (unsigned i = 0; i < list->count; i++) {
		if (host_key_equal(&list->keys[i], key))
			return &list->hosts[i];
	}
	return NULL;
}

START_TEST(conf_threshold)
{
	struct host_key key = conf_key(CONF_THRESHOLD, 1);
	struct store_result r;
	int64_t t = conf_t0;

	for (uint32_t i = 1; i <= 3; i++) {
		ck_assert_int_eq(conf_connect(&key, t + i, &r), RULE_ALLOWED);
		ck_assert_int_eq(r.detector, DETECTOR_DOS);
		ck_assert_uint_eq(r.count, i);
	}
	ck_assert_int_eq(conf_connect(&key, t + 4, &r), RULE_TRIPPED);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_int_eq(r.block_until, t + 4 + 600);
	ck_assert_int_eq(conf_connect(&key, t + 5, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_int_eq(r.block_until, t + 4 + 600);
}
END_TEST

START_TEST(conf_fixed)
{
	struct host_key key = conf_key(CONF_FIXED, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	conf_trip_dos(&key, t);
	ck_assert_int_eq(conf_connect(&key, t + 10, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 600);
	ck_assert_int_eq(conf_connect(&key, t + 599, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 600);
	conf_lookup(&key, &host);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, t + 600);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 4);
	ck_assert_int_eq(conf_connect(&key, t + 600, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
}
END_TEST

START_TEST(conf_sliding)
{
	struct host_key key = conf_key(CONF_SLIDING, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	conf_rules[DETECTOR_DOS].sliding = true;
	conf_trip_dos(&key, t);
	ck_assert_int_eq(conf_connect(&key, t + 10, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 610);
	conf_lookup(&key, &host);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, t + 610);
	ck_assert_int_eq(conf_connect(&key, t + 400, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 1000);
	ck_assert_int_eq(conf_connect(&key, t + 999, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 1599);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_int_eq(conf_connect(&key, t + 1599, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
}
END_TEST

START_TEST(conf_window)
{
	struct host_key key = conf_key(CONF_WINDOW, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(conf_connect(&key, t + 20 * i, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_int_eq(conf_connect(&key, t + 60, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
	conf_lookup(&key, &host);
	ck_assert_int_eq(host.state[DETECTOR_DOS].window_start, t + 60);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, 0);
	ck_assert_int_eq(conf_connect(&key, t + 61, NULL), RULE_ALLOWED);
	ck_assert_int_eq(conf_connect(&key, t + 62, NULL), RULE_ALLOWED);
	ck_assert_int_eq(conf_connect(&key, t + 63, &r), RULE_TRIPPED);
	ck_assert_int_eq(r.block_until, t + 663);
}
END_TEST

START_TEST(conf_reset)
{
	struct host_key key = conf_key(CONF_RESET, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	/* The period outlasts the block: only the block's end resets. */
	conf_rules[DETECTOR_DOS].period = 3600;
	conf_trip_dos(&key, t);
	ck_assert_int_eq(conf_connect(&key, t + 599, NULL), RULE_REFUSED);
	ck_assert_int_eq(conf_connect(&key, t + 600, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(r.block_until, 0);
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 1);
	ck_assert_int_eq(host.state[DETECTOR_DOS].window_start, t + 600);
}
END_TEST

START_TEST(conf_hosts)
{
	struct host_key a = conf_key(CONF_HOSTS, 1);
	struct host_key b = conf_key(CONF_HOSTS, 2);
	/* Same leading bytes as a, other family: another host. */
	struct host_key a6 = a;
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	a6.family = 6;
	a6.prefix = 64;
	conf_trip_dos(&a, t);
	ck_assert_int_eq(conf_connect(&b, t, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(conf_connect(&a6, t, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
	ck_assert_int_eq(conf_connect(&a, t + 1, NULL), RULE_REFUSED);
	conf_lookup(&a, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 4);
	conf_lookup(&b, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 1);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, 0);
	conf_lookup(&a6, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 1);
}
END_TEST

START_TEST(conf_detectors)
{
	struct host_key key = conf_key(CONF_DETECTORS, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	for (uint32_t i = 1; i <= 3; i++) {
		conf_record(&key, DETECTOR_DHA, 0, t, &r);
		ck_assert_int_eq(r.outcome, RULE_ALLOWED);
		ck_assert_int_eq(r.detector, DETECTOR_DHA);
		ck_assert_uint_eq(r.count, i);
	}
	conf_record(&key, DETECTOR_DHA, 0, t + 1, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
	ck_assert_int_eq(r.block_until, t + 601);
	/* Another detector's events only look at their own block. */
	conf_record(&key, DETECTOR_ATTACK, 0, t + 2, &r);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_int_eq(r.detector, DETECTOR_ATTACK);
	ck_assert_uint_eq(r.count, 1);
	conf_record(&key, DETECTOR_DHA, 0, t + 3, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DHA].count, 4);
	ck_assert_int_eq(host.state[DETECTOR_DHA].block_until, t + 601);
	ck_assert_uint_eq(host.state[DETECTOR_ATTACK].count, 1);
	ck_assert_int_eq(host.state[DETECTOR_ATTACK].block_until, 0);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 0);
	ck_assert_int_eq(host.state[DETECTOR_DOS].window_start, 0);
}
END_TEST

START_TEST(conf_connect_all)
{
	struct host_key key = conf_key(CONF_CONNECT_ALL, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	ck_assert_int_eq(conf_connect(&key, t, NULL), RULE_ALLOWED);
	for (int i = 0; i < 4; i++)
		conf_record(&key, DETECTOR_ATTACK, 0, t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert_int_eq(conf_connect(&key, t + 30, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_ATTACK);
	ck_assert_uint_eq(r.count, 4);
	ck_assert_int_eq(r.block_until, t + 600);
	/* Refused connections are not counted as connections. */
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 1);
	ck_assert_int_eq(host.state[DETECTOR_ATTACK].block_until, t + 600);
	ck_assert_int_eq(conf_connect(&key, t + 600, &r), RULE_ALLOWED);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
	ck_assert_uint_eq(r.count, 1);
}
END_TEST

START_TEST(conf_connect_sliding)
{
	struct host_key key = conf_key(CONF_CONNECT_SLIDING, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	conf_rules[DETECTOR_DHA].sliding = true;
	for (int i = 0; i < 4; i++)
		conf_record(&key, DETECTOR_DHA, 0, t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	conf_put_block(&key, DETECTOR_ATTACK, t + 650, t);
	/* Both refuse; only DHA slides, and then ends last. */
	ck_assert_int_eq(conf_connect(&key, t + 100, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
	ck_assert_int_eq(r.block_until, t + 700);
	conf_lookup(&key, &host);
	ck_assert_int_eq(host.state[DETECTOR_DHA].block_until, t + 700);
	ck_assert_int_eq(host.state[DETECTOR_ATTACK].block_until, t + 650);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 0);
}
END_TEST

START_TEST(conf_last_block)
{
	struct host_key key = conf_key(CONF_LAST_BLOCK, 1);
	struct store_result r;
	int64_t t = conf_t0;

	conf_put_block(&key, DETECTOR_DHA, t + 100, t);
	conf_put_block(&key, DETECTOR_MANUAL, t + 500, t);
	conf_put_block(&key, DETECTOR_ATTACK, t + 300, t);
	ck_assert_int_eq(conf_connect(&key, t + 1, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_MANUAL);
	ck_assert_int_eq(r.block_until, t + 500);
	ck_assert_int_eq(conf_connect(&key, t + 300, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_MANUAL);
	ck_assert_int_eq(conf_connect(&key, t + 500, &r), RULE_ALLOWED);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
}
END_TEST

START_TEST(conf_block)
{
	struct host_key key = conf_key(CONF_BLOCK, 1);
	struct host_key key6 = conf_key6(CONF_BLOCK, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	conf_assert_zero(&key);
	conf_put_block(&key, DETECTOR_MANUAL, t + 1000, t);
	conf_lookup(&key, &host);
	ck_assert_int_eq(host.state[DETECTOR_MANUAL].block_until, t + 1000);
	ck_assert_int_eq(rule_block_start(&host.state[DETECTOR_MANUAL]), t);
	for (unsigned d = 0; d < DETECTOR_MANUAL; d++) {
		ck_assert_int_eq(host.state[d].block_until, 0);
		ck_assert_uint_eq(host.state[d].count, 0);
	}
	conf_assert_zero(&key6);
	/* The block outlives the evaluation period of every rule. */
	ck_assert_int_eq(conf_connect(&key, t + 900, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_MANUAL);
	ck_assert_int_eq(r.block_until, t + 1000);
	ck_assert_int_eq(conf_connect(&key, t + 999, &r), RULE_REFUSED);
	conf_lookup(&key, &host);
	ck_assert_int_eq(host.state[DETECTOR_MANUAL].block_until, t + 1000);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 0);
	ck_assert_int_eq(conf_connect(&key, t + 1000, &r), RULE_ALLOWED);
}
END_TEST

START_TEST(conf_block_detector)
{
	struct host_key key = conf_key(CONF_BLOCK_DETECTOR, 1);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	ck_assert_int_eq(conf_connect(&key, t, NULL), RULE_ALLOWED);
	ck_assert_int_eq(conf_connect(&key, t + 1, NULL), RULE_ALLOWED);
	conf_put_block(&key, DETECTOR_DOS, t + 200, t + 2);
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 2);
	ck_assert_int_eq(host.state[DETECTOR_DOS].window_start, t);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, t + 200);
	ck_assert_int_eq(conf_connect(&key, t + 3, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
	ck_assert_int_eq(r.block_until, t + 200);

	conf_put_block(&key, DETECTOR_DHA, t + 100, t + 3);
	conf_record(&key, DETECTOR_DHA, 0, t + 4, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
	ck_assert_int_eq(r.block_until, t + 100);
	/* The block's end starts a fresh window. */
	ck_assert_int_eq(conf_connect(&key, t + 200, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
}
END_TEST

START_TEST(conf_unblock)
{
	struct host_key key = conf_key(CONF_UNBLOCK, 1);
	struct host_key other = conf_key(CONF_UNBLOCK, 2);
	struct host_key unknown = conf_key(CONF_UNBLOCK, 3);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	conf_trip_dos(&key, t);
	conf_put_block(&key, DETECTOR_MANUAL, t + 5000, t);
	conf_trip_dos(&other, t);
	ck_assert_int_eq(store_unblock(conf_store, &key), 0);
	conf_assert_zero(&key);
	ck_assert_int_eq(conf_connect(&key, t + 1, &r), RULE_ALLOWED);
	ck_assert_uint_eq(r.count, 1);
	conf_lookup(&other, &host);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, t + 600);
	ck_assert_int_eq(conf_connect(&other, t + 1, NULL), RULE_REFUSED);
	ck_assert_int_eq(store_unblock(conf_store, &unknown), 0);
	conf_assert_zero(&unknown);
}
END_TEST

START_TEST(conf_list)
{
	struct host_key manual = conf_key(CONF_LIST, 1);
	struct host_key tripped = conf_key(CONF_LIST, 2);
	struct host_key dha = conf_key6(CONF_LIST, 3);
	struct host_key counted = conf_key(CONF_LIST, 4);
	struct host_key ended = conf_key(CONF_LIST, 5);
	struct conf_listing list;
	const struct store_host *host;
	int64_t t = conf_t0;

	conf_put_block(&manual, DETECTOR_MANUAL, t + 100, t);
	conf_trip_dos(&tripped, t);
	conf_put_block(&dha, DETECTOR_DHA, t + 50, t);
	ck_assert_int_eq(conf_connect(&counted, t, NULL), RULE_ALLOWED);
	conf_put_block(&ended, DETECTOR_MANUAL, t, t);

	conf_walk(CONF_LIST, t, 0, &list);
	ck_assert_uint_eq(list.count, 3);
	host = conf_listed(&list, &manual);
	ck_assert_ptr_nonnull(host);
	ck_assert_int_eq(host->state[DETECTOR_MANUAL].block_until, t + 100);
	host = conf_listed(&list, &tripped);
	ck_assert_ptr_nonnull(host);
	ck_assert_uint_eq(host->state[DETECTOR_DOS].count, 4);
	ck_assert_int_eq(host->state[DETECTOR_DOS].block_until, t + 600);
	host = conf_listed(&list, &dha);
	ck_assert_ptr_nonnull(host);
	ck_assert_int_eq(host->state[DETECTOR_DHA].block_until, t + 50);

	/* A block ending at now is over. */
	conf_walk(CONF_LIST, t + 50, 0, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_ptr_null(conf_listed(&list, &dha));
	conf_walk(CONF_LIST, t + 600, 0, &list);
	ck_assert_uint_eq(list.count, 0);

	ck_assert_int_eq(store_unblock(conf_store, &manual), 0);
	conf_walk(CONF_LIST, t, 0, &list);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_ptr_null(conf_listed(&list, &manual));
}
END_TEST

static int conf_stop_fn(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	unsigned *calls = arg;

	(*calls)++;
	return -1;
}

START_TEST(conf_list_stop)
{
	struct conf_listing list;
	unsigned calls;
	int64_t t = conf_t0;

	for (unsigned n = 0; n < 6; n++) {
		struct host_key key = conf_key(CONF_LIST_STOP, n);

		conf_put_block(&key, DETECTOR_MANUAL, t + 100, t);
	}
	conf_walk(CONF_LIST_STOP, t, 0, &list);
	ck_assert_uint_eq(list.count, 6);
	/* fn returning non-zero on the second own host ends the walk. */
	conf_walk(CONF_LIST_STOP, t, 2, &list);
	ck_assert_uint_eq(list.count, 2);
	calls = 0;
	ck_assert_int_eq(store_list_blocks(conf_store, t, conf_stop_fn, &calls), 0);
	ck_assert_uint_eq(calls, 1);
}
END_TEST

START_TEST(conf_disabled)
{
	struct host_key key = conf_key(CONF_DISABLED, 1);
	struct store_result r;
	int64_t t = conf_t0;

	conf_rules[DETECTOR_DOS].enabled = false;
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(conf_connect(&key, t, &r), RULE_ALLOWED);
		ck_assert_int_eq(r.detector, DETECTOR_DOS);
		ck_assert_uint_eq(r.count, 0);
	}
	conf_assert_zero(&key);
	/* Other detectors' blocks still refuse the connection. */
	conf_put_block(&key, DETECTOR_MANUAL, t + 10, t);
	ck_assert_int_eq(conf_connect(&key, t + 1, &r), RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_MANUAL);
	ck_assert_ptr_nonnull(store_error(conf_store));
}
END_TEST

START_TEST(conf_note)
{
	struct host_key key = conf_key(CONF_NOTE, 1);
	struct host_key other = conf_key(CONF_NOTE, 2);
	struct store_note note = { conf_t0, "mx1.example.org", "" }, got;
	struct store_host host;
	int64_t t = conf_t0;

	/* Reasons come from an operator: any byte but NUL is kept. */
	snprintf(note.reason, sizeof(note.reason), "ticket \"4711\" {x}\x01");
	ck_assert_int_eq(store_get_note(conf_store, &key, &got), 0);
	conf_put_block(&key, DETECTOR_MANUAL, t + 5000, t);
	ck_assert_int_eq(store_set_note(conf_store, &key, &note, t + 5000, t), 0);
	ck_assert_int_eq(store_get_note(conf_store, &key, &got), 1);
	ck_assert_int_eq(got.set_at, t);
	ck_assert_str_eq(got.node, "mx1.example.org");
	ck_assert_str_eq(got.reason, note.reason);
	ck_assert_int_eq(store_get_note(conf_store, &other, &got), 0);
	/* The note sits beside the state without changing it. */
	conf_lookup(&key, &host);
	ck_assert_int_eq(host.state[DETECTOR_MANUAL].block_until, t + 5000);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].count, 0);
	ck_assert_int_eq(store_unblock(conf_store, &key), 0);
	ck_assert_int_eq(store_get_note(conf_store, &key, &got), 0);
}
END_TEST

/* A block keeps the start and end it was given, whatever a reload says. */
START_TEST(conf_reload)
{
	struct host_key key = conf_key(CONF_RELOAD, 1);
	struct store_result r;
	struct store_host host;
	struct conf_listing list;
	struct rule_block block;
	int64_t t = conf_t0;

	conf_trip_dos(&key, t);
	conf_lookup(&key, &host);
	ck_assert_int_eq(rule_block_start(&host.state[DETECTOR_DOS]), t);
	/* The reload: a block of 60 s instead of 600 s. */
	conf_rules[DETECTOR_DOS].block = 60;
	ck_assert_int_eq(conf_connect(&key, t + 100, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 600);
	conf_lookup(&key, &host);
	ck_assert_int_eq(rule_host_blocked(host.state, t + 100, &block), 1);
	ck_assert_int_eq(block.detector, DETECTOR_DOS);
	ck_assert_int_eq(block.start, t);
	ck_assert_int_eq(block.until, t + 600);
	conf_walk(CONF_RELOAD, t + 100, 0, &list);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_int_eq(rule_block_start(&list.hosts[0].state[DETECTOR_DOS]), t);
	/* Sliding from now on: the end moves by the new period, the start stays. */
	conf_rules[DETECTOR_DOS].sliding = true;
	ck_assert_int_eq(conf_connect(&key, t + 590, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 650);
	conf_lookup(&key, &host);
	ck_assert_int_eq(rule_block_start(&host.state[DETECTOR_DOS]), t);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, t + 650);
}
END_TEST

/*
 * The clock steps back (a node's clock set right after running ahead):
 * an event before its window's start opens a new window, so a host seen
 * once every 5 minutes is never counted into one; a block's end stays
 * where it was, sliding or not.
 */
START_TEST(conf_clock_back)
{
	struct host_key slow = conf_key(CONF_CLOCK_BACK, 1);
	struct host_key blocked = conf_key(CONF_CLOCK_BACK, 2);
	struct store_result r;
	struct store_host host;
	int64_t t = conf_t0;

	ck_assert_int_eq(conf_connect(&slow, t + 1000, &r), RULE_ALLOWED);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(conf_connect(&slow, t + 300 * i, &r),
		    RULE_ALLOWED);
		ck_assert_uint_eq(r.count, 1);
	}
	conf_lookup(&slow, &host);
	ck_assert_int_eq(host.state[DETECTOR_DOS].window_start, t + 900);
	conf_rules[DETECTOR_DOS].sliding = true;
	conf_trip_dos(&blocked, t + 1000);
	ck_assert_int_eq(conf_connect(&blocked, t, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 1600);
	conf_lookup(&blocked, &host);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, t + 1600);
	ck_assert_int_eq(rule_block_start(&host.state[DETECTOR_DOS]), t + 1000);
}
END_TEST

/* One DHA event at now, valid or invalid; its outcome. */
static enum rule_outcome conf_dha(const struct host_key *key, int valid,
    int64_t now)
{
	struct store_event event;
	struct store_result r;

	conf_event(&event, key, DETECTOR_DHA, 0, now);
	event.valid = valid;
	conf_apply(&event, &r);
	return r.outcome;
}

/* min_ratio: trips at exactly the ratio, not below it. */
START_TEST(conf_ratio)
{
	struct host_key key = conf_key(CONF_RATIO, 1);
	struct host_key other = conf_key(CONF_RATIO, 2);
	struct store_host host;
	int64_t t = conf_t0;

	conf_rules[DETECTOR_DHA].min_ratio = RULE_RATIO_ONE / 2;
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(conf_dha(&key, 1, t), RULE_ALLOWED);
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DHA].valid, 5);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(conf_dha(&key, 0, t + 1), RULE_ALLOWED);
	ck_assert_int_eq(conf_dha(&key, 0, t + 1), RULE_TRIPPED);
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DHA].count, 5);
	ck_assert_uint_eq(host.state[DETECTOR_DHA].valid, 5);
	ck_assert_int_eq(host.state[DETECTOR_DHA].block_until, t + 1 + 600);
	/* Below the ratio: 4 invalid of 9 stays allowed, 5 valid first. */
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(conf_dha(&other, 1, t), RULE_ALLOWED);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(conf_dha(&other, 0, t), RULE_ALLOWED);
	ck_assert_int_eq(conf_dha(&other, 0, t), RULE_TRIPPED);
}
END_TEST

/* Escalation: a second block within forget doubles, capped; decay. */
START_TEST(conf_escalate)
{
	struct host_key key = conf_key(CONF_ESCALATE, 1);
	struct rule *dos = &conf_rules[DETECTOR_DOS];
	struct store_host host;
	struct store_result r;
	int64_t t = conf_t0;

	dos->escalate_factor = 2;
	dos->escalate_max = 1000;
	dos->escalate_forget = 5000;
	conf_trip_dos(&key, t);
	conf_lookup(&key, &host);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, t + 600);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].level, 0);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].threshold, 3);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].period, 60);
	t += 700;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(conf_connect(&key, t, NULL), RULE_ALLOWED);
	ck_assert_int_eq(conf_connect(&key, t, &r), RULE_TRIPPED);
	ck_assert_int_eq(r.block_until, t + 1000);
	ck_assert_uint_eq(r.level, 1);
	ck_assert_int_eq(conf_connect(&key, t + 1, &r), RULE_REFUSED);
	ck_assert_uint_eq(r.level, 1);
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].level, 1);
	/* The state outlives its block by forget: the level is kept. */
	ck_assert_int_eq(conf_connect(&key, t + 1000 + 4999, NULL), RULE_ALLOWED);
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].level, 1);
	/* Forget after the end with no block: level 0 again. */
	t += 1000 + 5000 + 60;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(conf_connect(&key, t, NULL), RULE_ALLOWED);
	ck_assert_int_eq(conf_connect(&key, t, &r), RULE_TRIPPED);
	ck_assert_int_eq(r.block_until, t + 600);
	conf_lookup(&key, &host);
	ck_assert_uint_eq(host.state[DETECTOR_DOS].level, 0);
}
END_TEST

/* sliding_max: retries move the end up to sliding_max after the start. */
START_TEST(conf_sliding_max)
{
	struct host_key key = conf_key(CONF_SLIDING_MAX, 1);
	struct store_result r;
	int64_t t = conf_t0;

	conf_rules[DETECTOR_DOS].sliding = true;
	conf_rules[DETECTOR_DOS].sliding_max = 1000;
	conf_trip_dos(&key, t);
	ck_assert_int_eq(conf_connect(&key, t + 300, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 900);
	ck_assert_int_eq(conf_connect(&key, t + 800, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 1000);
	ck_assert_int_eq(conf_connect(&key, t + 999, &r), RULE_REFUSED);
	ck_assert_int_eq(r.block_until, t + 1000);
	ck_assert_int_eq(conf_connect(&key, t + 1000, &r), RULE_ALLOWED);
}
END_TEST

#include "store_conformance_network.h"

static Suite *store_conformance_suite(const char *backend, struct config *cfg)
{
	static char name[64];	/* check keeps the pointer */
	Suite *suite;
	TCase *tc = tcase_create("conformance");

	conf_backend = backend;
	conf_cfg = cfg;
	snprintf(name, sizeof(name), "store-%s", backend);
	suite = suite_create(name);
	tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
	tcase_add_test(tc, conf_threshold);
	tcase_add_test(tc, conf_fixed);
	tcase_add_test(tc, conf_sliding);
	tcase_add_test(tc, conf_window);
	tcase_add_test(tc, conf_reset);
	tcase_add_test(tc, conf_hosts);
	tcase_add_test(tc, conf_detectors);
	tcase_add_test(tc, conf_connect_all);
	tcase_add_test(tc, conf_connect_sliding);
	tcase_add_test(tc, conf_last_block);
	tcase_add_test(tc, conf_block);
	tcase_add_test(tc, conf_block_detector);
	tcase_add_test(tc, conf_unblock);
	tcase_add_test(tc, conf_list);
	tcase_add_test(tc, conf_list_stop);
	tcase_add_test(tc, conf_disabled);
	tcase_add_test(tc, conf_note);
	tcase_add_test(tc, conf_reload);
	tcase_add_test(tc, conf_clock_back);
	tcase_add_test(tc, conf_ratio);
	tcase_add_test(tc, conf_escalate);
	tcase_add_test(tc, conf_sliding_max);
	conf_network_tests(tc);
	suite_add_tcase(suite, tc);
	return suite;
}

#endif
