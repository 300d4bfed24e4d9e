/*
 * check_store_known.c - the node's record of known blocks (store_known.c),
 * the channel's messages (redis_notify.c), and the array over a real
 * redis-server: blocks and unblocks reaching the other node, blocks
 * written back after Redis lost them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "redis_notify.h"
#include "redis_servers.h"
#include "store.h"
#include "store_known.h"
#include "xalloc.h"

static struct rule rules[DETECTOR_COUNT];

static void rules_init(void)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		struct rule r = { .enabled = true, .max = 3, .period = 60,
		    .block = 600 };

		rules[d] = r;
	}
	rules[DETECTOR_MANUAL].max = UINT32_MAX;
	rules[DETECTOR_MANUAL].block = 0;
}

static struct host_key key_of(const char *text)
{
	struct host_addr a;
	struct host_key k;

	ck_assert_int_eq(addr_parse(text, &a), 0);
	addr_key(&a, 32, 64, &k);
	return k;
}

struct heard {
	unsigned blocks, unblocks;
	int64_t until;
};

static void hook(void *arg, const struct host_key *key, enum detector d,
    int64_t until)
{
	struct heard *h = arg;

	if (d == DETECTOR_COUNT)
		__atomic_add_fetch(&h->unblocks, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_add_fetch(&h->blocks, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&h->until, until, __ATOMIC_SEQ_CST);
}

static unsigned pending_seen;

static int pending_fn(void *arg, const struct host_key *key, enum detector d,
    int64_t until, int64_t start)
{
	ck_assert_int_eq(d, DETECTOR_DOS);
	ck_assert_int_eq(until, 750);
	pending_seen++;
	return 0;
}

START_TEST(record_refuses)
{
	struct store_known *k = store_known_new(2);
	struct host_key a = key_of("198.51.100.1"), b = key_of("198.51.100.2");
	struct host_key c = key_of("198.51.100.3");
	struct store_known_hit hit;

	rules_init();
	ck_assert(!store_known_refuses(k, &a, rules, 100, &hit));
	store_known_set(k, &a, DETECTOR_DOS, 700, 100, 4);
	ck_assert(store_known_refuses(k, &a, rules, 101, &hit));
	ck_assert_int_eq(hit.detector, DETECTOR_DOS);
	ck_assert_int_eq(hit.until, 700);
	ck_assert_uint_eq(hit.count, 4);
	/* Over, or its rule disabled: not refused. */
	ck_assert(!store_known_refuses(k, &a, rules, 700, &hit));
	rules[DETECTOR_DOS].enabled = false;
	ck_assert(!store_known_refuses(k, &a, rules, 101, &hit));
	rules[DETECTOR_DOS].enabled = true;
	/* A sliding block needs Redis (it moves); enforce slides it here. */
	store_known_set(k, &b, DETECTOR_DHA, 300, 100, 0);
	rules[DETECTOR_DHA].sliding = true;
	ck_assert(!store_known_refuses(k, &b, rules, 200, &hit));
	ck_assert(store_known_enforce(k, &b, rules, 200, &hit));
	ck_assert_int_eq(hit.until, 800);
	/* Bounded: a third host is not held. */
	store_known_set(k, &c, DETECTOR_DOS, 700, 100, 0);
	ck_assert_uint_eq(store_known_count(k), 2);
	ck_assert(!store_known_refuses(k, &c, rules, 101, &hit));
	store_known_clear(k, &a);
	ck_assert(!store_known_refuses(k, &a, rules, 101, &hit));
	ck_assert_uint_eq(store_known_count(k), 1);
	/* A block the shared store does not hold yet is handed over once. */
	pending_seen = 0;
	store_known_hold(k, &b, DETECTOR_DOS, 750, 100, 3);
	ck_assert_int_eq(store_known_each_pending(k, 200, pending_fn, NULL), 0);
	ck_assert_uint_eq(pending_seen, 1);
	ck_assert_int_eq(store_known_each_pending(k, 200, pending_fn, NULL), 0);
	ck_assert_uint_eq(pending_seen, 1);
	/* Reclaimed once every block is over. */
	store_known_sweep(k, 799);
	ck_assert_uint_eq(store_known_count(k), 1);
	store_known_sweep(k, 800);
	ck_assert_uint_eq(store_known_count(k), 0);
	store_known_free(k);
}
END_TEST

static struct rule net_rules[DETECTOR_COUNT];

/* A CONNECT of host text counted over network text by DoS and DHA. */
static struct store_event net_event(const char *host, const char *network,
    int64_t now)
{
	struct store_event ev = { .key = key_of(host), .now = now,
	    .counted = DETECTOR_DOS, .connect = 1, .rules = rules,
	    .net_rules = net_rules };
	struct host_addr a;
	char buf[ADDR_TEXT_MAX], *slash;

	snprintf(buf, sizeof(buf), "%s", network);
	slash = strchr(buf, '/');
	*slash = '\0';
	ck_assert_int_eq(addr_parse(buf, &a), 0);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		addr_key(&a, (unsigned)atoi(slash + 1),
		    (unsigned)atoi(slash + 1), &ev.nets[d]);
	return ev;
}

/*
 * The CONNECT fast path over an event's networks: a network's block
 * known refuses every host of it, under the network's rules, naming the
 * network; a sliding one needs the shared store (enforce slides it).
 */
START_TEST(record_network)
{
	struct store_known *k = store_known_new(10);
	struct store_event ev = net_event("198.51.100.7", "198.51.100.0/24", 100);
	struct store_event other = net_event("198.51.101.7", "198.51.101.0/24",
	    100);
	struct store_result r;
	struct store_nets n;
	char text[ADDR_TEXT_MAX];

	rules_init();
	memset(net_rules, 0, sizeof(net_rules));
	net_rules[DETECTOR_DOS] = rules[DETECTOR_DOS];
	net_rules[DETECTOR_DHA] = rules[DETECTOR_DHA];
	store_event_nets(&ev, &n);
	ck_assert_uint_eq(n.count, 1);
	ck_assert(!store_known_refuses_event(k, &ev, &n, &r));
	store_known_set(k, &ev.nets[DETECTOR_DOS], DETECTOR_DHA, 700, 100, 9);
	ck_assert(store_known_refuses_event(k, &ev, &n, &r));
	ck_assert(r.known && r.network);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
	ck_assert_int_eq(r.block_until, 700);
	ck_assert_uint_eq(r.count, 9);
	host_key_format(&r.network_key, text, sizeof(text));
	ck_assert_str_eq(text, "198.51.100.0/24");
	ck_assert(store_result_key(&ev, &r) == &r.network_key);
	/* Not a host of another network. */
	store_event_nets(&other, &n);
	ck_assert(!store_known_refuses_event(k, &other, &n, &r));
	/* Judged by the network's rules: none for DHA, none refusing. */
	net_rules[DETECTOR_DHA].enabled = false;
	store_event_nets(&ev, &n);
	ck_assert(!store_known_refuses_event(k, &ev, &n, &r));
	net_rules[DETECTOR_DHA].enabled = true;
	store_event_nets(&ev, &n);
	/* The host's own block ending later is the one named. */
	store_known_set(k, &ev.key, DETECTOR_DOS, 800, 100, 4);
	ck_assert(store_known_refuses_event(k, &ev, &n, &r));
	ck_assert(!r.network);
	ck_assert_int_eq(r.block_until, 800);
	ck_assert(store_result_key(&ev, &r) == &ev.key);
	store_known_clear(k, &ev.key);
	/* A sliding network block moves with each retry: Redis's to judge. */
	net_rules[DETECTOR_DHA].sliding = true;
	store_event_nets(&ev, &n);
	ck_assert(!store_known_refuses_event(k, &ev, &n, &r));
	ck_assert(store_known_enforce_event(k, &ev, &n, &r));
	ck_assert(r.network);
	ck_assert_int_eq(r.block_until, 100 + 600);
	ev.now = 200;
	ck_assert(store_known_enforce_event(k, &ev, &n, &r));
	ck_assert_int_eq(r.block_until, 200 + 600);
	store_known_free(k);
}
END_TEST

START_TEST(record_messages)
{
	struct store_known *k = store_known_new(100);
	struct host_key a = key_of("2001:db8::7"), got;
	struct store_known_hit hit;
	struct heard heard = { 0 };
	char msg[REDIS_NOTIFY_MAX];
	size_t len;
	static const char *const bad[] = {
		"", "b", "u", "u 198.51.100.1 x", "b dos 700 100 4",
		"b nosuch 700 100 4 198.51.100.1", "b dos -1 100 4 198.51.100.1",
		"b dos 700 100 4 198.51.100.1 x", "b dos 700 100 4 198.51.100.01",
		"u 198.51.100.1/24", "x 198.51.100.1", "b dos 7x 100 4 198.51.100.1",
	};

	rules_init();
	store_known_set_hook(k, hook, &heard);
	len = redis_notify_block(msg, &a, DETECTOR_ATTACK, 900, 300, 5);
	ck_assert_str_eq(msg, "b attack 900 300 5 2001:db8::/64");
	ck_assert_int_eq(redis_notify_apply(k, msg, len), 0);
	ck_assert(store_known_refuses(k, &a, rules, 400, &hit));
	ck_assert_int_eq(hit.detector, DETECTOR_ATTACK);
	ck_assert_uint_eq(hit.count, 5);
	ck_assert_uint_eq(heard.blocks, 1);
	ck_assert_int_eq(heard.until, 900);
	len = redis_notify_unblock(msg, &a);
	ck_assert_int_eq(redis_notify_apply(k, msg, len), 0);
	ck_assert(!store_known_refuses(k, &a, rules, 400, &hit));
	ck_assert_uint_eq(heard.unblocks, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(redis_notify_apply(k, bad[i], strlen(bad[i])) < 0,
		    "accepted \"%s\"", bad[i]);
	ck_assert_uint_eq(store_known_count(k), 0);
	ck_assert_int_eq(redis_notify_key_parse("198.51.100.0/24", 15, &got), 0);
	ck_assert_int_eq(got.prefix, 24);
	/* A network's block and unblock, under the network's key. */
	len = redis_notify_block(msg, &got, DETECTOR_DOS, 900, 300, 201);
	ck_assert_str_eq(msg, "b dos 900 300 201 198.51.100.0/24");
	ck_assert_int_eq(redis_notify_apply(k, msg, len), 0);
	ck_assert(store_known_refuses(k, &got, rules, 400, &hit));
	ck_assert_int_eq(redis_notify_apply(k, "u 198.51.100.0/24", 17), 0);
	ck_assert(!store_known_refuses(k, &got, rules, 400, &hit));
	/*
	 * The node's own unblock: a block read before it and heard after it
	 * is ignored (the hook not told) until the unblock is heard back.
	 */
	store_known_clear(k, &got);
	len = redis_notify_block(msg, &got, DETECTOR_DOS, 900, 300, 201);
	ck_assert_int_eq(redis_notify_apply(k, msg, len), 0);
	ck_assert(!store_known_refuses(k, &got, rules, 400, &hit));
	ck_assert_uint_eq(heard.blocks, 2);
	ck_assert_int_eq(redis_notify_apply(k, "u 198.51.100.0/24", 17), 0);
	ck_assert_int_eq(redis_notify_apply(k, msg, len), 0);
	ck_assert(store_known_refuses(k, &got, rules, 400, &hit));
	ck_assert_uint_eq(heard.blocks, 3);
	store_known_free(k);
}
END_TEST

static struct rs_server srv;

static void set_string(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static struct store *open_node(const char *prefix)
{
	struct config *cfg = config_defaults();
	struct redis_config *rc = &cfg->redis;
	char text[160], err[256];
	struct store *s;

	set_string(&cfg->store, "redis");
	snprintf(text, sizeof(text), "unix:%s", srv.sock);
	set_string(&rc->server, text);
	set_string(&rc->key_prefix, prefix);
	rc->timeout_ms = 500;
	rc->pool_size = 2;
	rc->on_error = REDIS_ON_ERROR_LOCAL;
	s = store_open(cfg, err, sizeof(err));
	ck_assert_msg(s != NULL, "store_open: %s", err);
	config_unref(cfg);
	return s;
}

static int connect_at(struct store *s, const struct host_key *key,
    int64_t now, struct store_result *r)
{
	struct store_event ev = { .key = *key, .now = now,
	    .counted = DETECTOR_DOS, .connect = 1, .rules = rules };

	ck_assert_int_eq(store_record(s, &ev, r), 0);
	return r->outcome;
}

static void wait_subscribed(void)
{
	/* Both listeners subscribe at open; give them a moment. */
	rs_sleep_ms(300);
}

START_TEST(array_block_unblock)
{
	struct store *a = open_node("k1:"), *b = open_node("k1:");
	struct host_key h = key_of("198.51.100.20");
	struct store_result r;
	struct heard heard = { 0 };
	int64_t t = time(NULL), start, took_block, took_unblock;

	rules_init();
	store_known_set_hook(store_known(b), hook, &heard);
	wait_subscribed();
	start = rs_ms_now();
	ck_assert_int_eq(store_block(a, &h, DETECTOR_MANUAL, t + 300, t), 0);
	while (__atomic_load_n(&heard.blocks, __ATOMIC_SEQ_CST) == 0 &&
	    rs_ms_now() - start < 3000)
		rs_sleep_ms(2);
	took_block = rs_ms_now() - start;
	ck_assert_uint_eq(heard.blocks, 1);
	ck_assert_int_eq(heard.until, t + 300);
	/* b refuses it from its record: no round trip, and says so. */
	ck_assert_int_eq(connect_at(b, &h, t + 1, &r), RULE_REFUSED);
	ck_assert(r.known);
	ck_assert_int_eq(r.detector, DETECTOR_MANUAL);

	start = rs_ms_now();
	ck_assert_int_eq(store_unblock(b, &h), 0);
	while (connect_at(a, &h, t + 2, &r) == RULE_REFUSED &&
	    rs_ms_now() - start < 3000)
		rs_sleep_ms(2);
	took_unblock = rs_ms_now() - start;
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	printf("known: a block reached the other node in %lld ms, an unblock "
	    "in %lld ms\n", (long long)took_block, (long long)took_unblock);
	ck_assert_int_le(took_block, 1000);
	ck_assert_int_le(took_unblock, 1000);
	store_close(a);
	store_close(b);
}
END_TEST

/* An unblock published while a node was not listening still reaches it. */
START_TEST(array_missed_unblock)
{
	struct store *a = open_node("k3:"), *b = open_node("k3:");
	struct host_key h = key_of("198.51.100.40");
	struct store_result r;
	struct heard heard = { 0 };
	int64_t t = time(NULL), start;
	redisReply *reply;

	rules_init();
	store_known_set_hook(store_known(b), hook, &heard);
	wait_subscribed();
	ck_assert_int_eq(store_block(a, &h, DETECTOR_MANUAL, t + 300, t), 0);
	start = rs_ms_now();
	while (heard.blocks == 0 && rs_ms_now() - start < 3000)
		rs_sleep_ms(2);
	ck_assert_int_eq(connect_at(b, &h, t + 1, &r), RULE_REFUSED);
	ck_assert(r.known);
	/* Every listener loses its connection; the unblock goes unheard. */
	reply = rs_command(&srv, "CLIENT KILL TYPE pubsub");
	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	ck_assert_int_eq(store_unblock(a, &h), 0);
	start = rs_ms_now();
	while (connect_at(b, &h, t + 2, &r) == RULE_REFUSED &&
	    rs_ms_now() - start < 3000)
		rs_sleep_ms(5);
	printf("known: an unblock missed while away was caught up in %lld ms\n",
	    (long long)(rs_ms_now() - start));
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_int_le(rs_ms_now() - start, 1000);
	/* Told to the hook: by the catch-up, and maybe by the message too. */
	ck_assert_uint_ge(heard.unblocks, 1);
	store_close(a);
	store_close(b);
}
END_TEST

/* The script calls Redis has served (INFO commandstats). */
static long long script_calls(void)
{
	redisReply *reply = rs_command(&srv, "INFO commandstats");
	const char *p;
	long long n = 0;

	ck_assert_ptr_nonnull(reply);
	if ((p = strstr(reply->str, "cmdstat_fcall:calls=")) != NULL)
		n += strtoll(p + 20, NULL, 10);
	freeReplyObject(reply);
	return n;
}

/*
 * A network's block across the array: tripped by one node, known to the
 * other under the network's key, which refuses a new host of it with no
 * Redis call; an unblock of the network from that node lifts it on both.
 */
START_TEST(array_network)
{
	struct store *a = open_node("k4:"), *b = open_node("k4:");
	struct store_result r;
	struct heard heard = { 0 };
	int64_t t = time(NULL), start;
	struct store_event ev;
	long long calls;
	char host[32];

	rules_init();
	rules[DETECTOR_DOS].max = 100;
	memset(net_rules, 0, sizeof(net_rules));
	net_rules[DETECTOR_DOS] = rules[DETECTOR_DOS];
	net_rules[DETECTOR_DOS].max = 3;
	store_known_set_hook(store_known(b), hook, &heard);
	wait_subscribed();
	for (int i = 1; i <= 4; i++) {
		snprintf(host, sizeof(host), "198.51.100.%d", i);
		ev = net_event(host, "198.51.100.0/24", t);
		ck_assert_int_eq(store_record(a, &ev, &r), 0);
	}
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert(r.network);
	start = rs_ms_now();
	while (__atomic_load_n(&heard.blocks, __ATOMIC_SEQ_CST) == 0 &&
	    rs_ms_now() - start < 3000)
		rs_sleep_ms(2);
	ck_assert_uint_eq(heard.blocks, 1);
	calls = script_calls();
	ev = net_event("198.51.100.77", "198.51.100.0/24", t + 1);
	ck_assert_int_eq(store_record(b, &ev, &r), 0);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert(r.known && r.network);
	ck_assert_int_eq(script_calls(), calls);
	/* A host outside it asks Redis. */
	ev = net_event("198.51.101.77", "198.51.101.0/24", t + 1);
	ck_assert_int_eq(store_record(b, &ev, &r), 0);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_int_eq(script_calls(), calls + 1);
	ev = net_event("198.51.100.77", "198.51.100.0/24", t + 2);
	ck_assert_int_eq(store_unblock(b, &ev.nets[0]), 0);
	start = rs_ms_now();
	while ((store_record(a, &ev, &r) != 0 || r.outcome == RULE_REFUSED) &&
	    rs_ms_now() - start < 3000)
		rs_sleep_ms(2);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_int_le(rs_ms_now() - start, 1000);
	ck_assert_int_eq(store_record(b, &ev, &r), 0);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	store_close(a);
	store_close(b);
}
END_TEST

static unsigned listed_count;

static int count_fn(const struct host_key *key, const struct store_host *host,
    void *arg)
{
	listed_count++;
	return 0;
}

/*
 * A host's hash holds a block of detector (field b:<name>); the hosts
 * here are all of 198.51.0.0/16, their hash tag.
 */
static bool has_block(const char *prefix, const char *host, const char *det)
{
	redisReply *reply = rs_command(&srv, "HGET %s{198.51.0.0/16}%s b:%s",
	    prefix, host, det);
	bool yes = reply != NULL && reply->type == REDIS_REPLY_STRING;

	if (reply != NULL)
		freeReplyObject(reply);
	return yes;
}

START_TEST(array_restored)
{
	struct store *a = open_node("k2:"), *b = open_node("k2:");
	struct host_key h = key_of("198.51.100.30"), m = key_of("198.51.100.31");
	struct store_result r;
	int64_t t = time(NULL), start, took;
	redisReply *reply;

	rules_init();
	wait_subscribed();
	/* A DoS block tripped on a, a manual one made on b. */
	for (int i = 0; i < 4; i++)
		connect_at(a, &h, t, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert_int_eq(store_block(b, &m, DETECTOR_MANUAL, t + 300, t), 0);
	listed_count = 0;
	ck_assert_int_eq(store_list_blocks(a, t + 1, count_fn, NULL), 0);
	ck_assert_uint_eq(listed_count, 2);
	/* Both nodes have checked the marker by now (one tick). */
	rs_sleep_ms(1500);

	reply = rs_command(&srv, "FLUSHALL");
	ck_assert_ptr_nonnull(reply);
	freeReplyObject(reply);
	start = rs_ms_now();
	while (!(has_block("k2:", "198.51.100.30", "dos") &&
	    has_block("k2:", "198.51.100.31", "manual")) &&
	    rs_ms_now() - start < 5000)
		rs_sleep_ms(20);
	took = rs_ms_now() - start;
	printf("known: 2 blocks written back %lld ms after FLUSHALL\n",
	    (long long)took);
	ck_assert(has_block("k2:", "198.51.100.30", "dos"));
	ck_assert(has_block("k2:", "198.51.100.31", "manual"));
	listed_count = 0;
	ck_assert_int_eq(store_list_blocks(b, t + 1, count_fn, NULL), 0);
	ck_assert_uint_eq(listed_count, 2);
	store_close(a);
	store_close(b);
}
END_TEST

static void setup(void)
{
	ck_assert_int_eq(rs_root_make(), 0);
	ck_assert_int_eq(rs_start(&srv, false, NULL), 0);
}

static void teardown(void)
{
	rs_stop(&srv);
	rs_root_remove();
}

int main(void)
{
	Suite *s = suite_create("store-known");
	TCase *tc = tcase_create("record");
	TCase *array = tcase_create("array");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, record_refuses);
	tcase_add_test(tc, record_network);
	tcase_add_test(tc, record_messages);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(array, setup, teardown);
	tcase_set_timeout(array, 30);
	tcase_add_test(array, array_block_unblock);
	tcase_add_test(array, array_missed_unblock);
	tcase_add_test(array, array_restored);
	tcase_add_test(array, array_network);
	suite_add_tcase(s, array);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
