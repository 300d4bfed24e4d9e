/*
 * check_store.c - the memory store: the conformance suite every backend
 * passes (store_conformance.h), then what is the memory store's own:
 * the max_hosts bound and LRU order, expired state taken back, and many
 * threads counting on the same hosts without losing an event, and the
 * notes kept on manual blocks.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "store_conformance.h"

#define T0 1700000000
#define FAR (T0 + 1000000)

static struct config *mem_cfg;
static struct store *mem_store;
static struct rule mem_rules[DETECTOR_COUNT];

static void mem_setup(void)
{
	mem_cfg = config_defaults();
	mem_store = NULL;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		mem_rules[d] = mem_cfg->rules[d];
	mem_rules[DETECTOR_DOS].enabled = true;
	mem_rules[DETECTOR_DOS].max = 3;
	mem_rules[DETECTOR_DOS].period = 60;
	mem_rules[DETECTOR_DOS].block = 600;
}

static void mem_teardown(void)
{
	store_close(mem_store);
	config_unref(mem_cfg);
}

static void mem_open(unsigned max_hosts)
{
	char err[256];

	mem_cfg->memory_max_hosts = max_hosts;
	mem_store = store_open(mem_cfg, err, sizeof(err));
	ck_assert_msg(mem_store != NULL, "store_open: %s", err);
	ck_assert_str_eq(mem_store->ops->name, "memory");
}

static struct host_key mem_key(unsigned n)
{
	struct host_key key;

	memset(&key, 0, sizeof(key));
	key.family = 4;
	key.prefix = 32;
	key.bytes[0] = 172;
	key.bytes[1] = (uint8_t)(n >> 16);
	key.bytes[2] = (uint8_t)(n >> 8);
	key.bytes[3] = (uint8_t)n;
	return key;
}

/* A CONNECT of host n at now into result; -1 when the store failed. */
static int mem_try_connect(struct store *store, unsigned n, int64_t now,
    struct store_result *result)
{
	struct store_event event;

	memset(&event, 0, sizeof(event));
	event.key = mem_key(n);
	event.now = now;
	event.counted = DETECTOR_DOS;
	event.connect = 1;
	event.rules = mem_rules;
	return store_record(store, &event, result) != 0 ? -1 : 0;
}

static int mem_try_record(struct store *store, unsigned n, int64_t now,
    enum rule_outcome *outcome)
{
	struct store_result result;

	if (mem_try_connect(store, n, now, &result) < 0)
		return -1;
	*outcome = result.outcome;
	return 0;
}

static enum rule_outcome mem_record(struct store *store, unsigned n,
    int64_t now)
{
	enum rule_outcome outcome;

	ck_assert_int_eq(mem_try_record(store, n, now, &outcome), 0);
	return outcome;
}

static void mem_block(unsigned n, int64_t until, int64_t now)
{
	struct host_key key = mem_key(n);

	ck_assert_int_eq(store_block(mem_store, &key, DETECTOR_MANUAL, until,
	    now), 0);
}

static struct store_host mem_lookup(unsigned n)
{
	struct host_key key = mem_key(n);
	struct store_host host;

	ck_assert_int_eq(store_lookup(mem_store, &key, &host), 0);
	return host;
}

static bool mem_known(unsigned n)
{
	struct store_host host = mem_lookup(n), zero;

	memset(&zero, 0, sizeof(zero));
	return memcmp(&host, &zero, sizeof(host)) != 0;
}

static int mem_count_fn(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

static unsigned mem_count_blocks(int64_t now)
{
	unsigned n = 0;

	ck_assert_int_eq(store_list_blocks(mem_store, now, mem_count_fn, &n), 0);
	return n;
}

START_TEST(mem_zero_max_hosts)
{
	char err[256] = "";

	mem_cfg->memory_max_hosts = 0;
	ck_assert_ptr_null(store_open(mem_cfg, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "memory_max_hosts"));
}
END_TEST

START_TEST(mem_max_hosts_bound)
{
	const unsigned max = 1000;
	unsigned retained;

	mem_open(max);
	for (unsigned n = 0; n < 10 * max; n++)
		mem_block(n, FAR, T0);
	retained = mem_count_blocks(T0);
	ck_assert_uint_le(retained, max);
	/* Hashing spreads 10x max over every shard: all of them are full. */
	ck_assert_uint_ge(retained, max * 9 / 10);
	ck_assert(mem_known(10 * max - 1));
	ck_assert_int_eq(mem_lookup(10 * max - 1).state[DETECTOR_MANUAL].block_until,
	    FAR);
}
END_TEST

START_TEST(mem_records_bounded)
{
	const unsigned max = 300;
	unsigned known = 0;

	mem_open(max);
	for (unsigned n = 0; n < 10 * max; n++)
		ck_assert_int_eq(mem_record(mem_store, n, T0), RULE_ALLOWED);
	for (unsigned n = 0; n < 10 * max; n++)
		known += mem_known(n);
	ck_assert_uint_le(known, max);
	ck_assert_uint_ge(known, max * 9 / 10);
	ck_assert(mem_known(10 * max - 1));
}
END_TEST

START_TEST(mem_lru_order)
{
	/* Below 128 hosts the store is one shard: an exact LRU. */
	const unsigned max = 50;

	mem_open(max);
	ck_assert_int_eq(mem_record(mem_store, 0, T0), RULE_ALLOWED);
	for (unsigned n = 1; n < max; n++)
		mem_block(n, FAR, T0);
	/* Host 0, the oldest, is used again: the newest now. */
	ck_assert_int_eq(mem_record(mem_store, 0, T0 + 1), RULE_ALLOWED);
	mem_block(max, FAR, T0 + 1);
	ck_assert_uint_eq(mem_count_blocks(T0 + 1), max - 1);
	ck_assert(mem_known(0));
	ck_assert(!mem_known(1));
	ck_assert(mem_known(2));
	ck_assert(mem_known(max));
	mem_block(max + 1, FAR, T0 + 1);
	ck_assert(!mem_known(2));
	ck_assert(mem_known(3));
	ck_assert_uint_eq(mem_count_blocks(T0 + 1), max - 1);
}
END_TEST

START_TEST(mem_full_prefers_expired)
{
	const unsigned max = 50;

	/* The least recent host is blocked; all newer ones expire at T0 + 60. */
	mem_open(max);
	mem_block(0, FAR, T0);
	for (unsigned n = 1; n < max; n++)
		ck_assert_int_eq(mem_record(mem_store, n, T0), RULE_ALLOWED);
	mem_block(max, FAR, T0 + 100);
	ck_assert(mem_known(0));
	ck_assert(mem_known(max));
	ck_assert_uint_eq(mem_count_blocks(T0 + 100), 2);
}
END_TEST

START_TEST(mem_expired_reclaimed)
{
	const unsigned max = 100;

	/* No block of host 41: each of its events reaches its shard. */
	mem_rules[DETECTOR_DOS].max = 1000;
	mem_open(max);
	for (unsigned n = 0; n < 40; n++)
		ck_assert_int_eq(mem_record(mem_store, n, T0), RULE_ALLOWED);
	mem_block(40, T0 + 5000, T0);
	ck_assert(mem_known(7));
	/* Each operation sweeps two slots: 30 cover all 42 in use. */
	for (unsigned i = 0; i < 30; i++)
		mem_record(mem_store, 41, T0 + 100);
	for (unsigned n = 0; n < 40; n++)
		ck_assert_msg(!mem_known(n), "host %u kept after expiry", n);
	ck_assert(mem_known(40));
	ck_assert(mem_known(41));
	/* The block kept its host past every evaluation period. */
	for (unsigned i = 0; i < 60; i++)
		mem_record(mem_store, 41, T0 + 4999);
	ck_assert_int_eq(mem_lookup(40).state[DETECTOR_MANUAL].block_until,
	    T0 + 5000);
	for (unsigned i = 0; i < 60; i++)
		mem_record(mem_store, 41, T0 + 5000);
	ck_assert(!mem_known(40));
}
END_TEST

/* A CONNECT of host n at now, into result. */
static void mem_connect(unsigned n, int64_t now, struct store_result *result)
{
	ck_assert_int_eq(mem_try_connect(mem_store, n, now, result), 0);
}

/*
 * A block's first refusal comes from the shards (logged in full), the
 * next from the record of blocks (summarised); an unblock and a block
 * set anew leave the record.
 */
START_TEST(mem_refusals_from_record)
{
	struct host_key key = mem_key(1);
	struct store_result r;

	mem_open(100);
	for (int i = 0; i < 3; i++)
		mem_connect(1, T0, &r);
	mem_connect(1, T0, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert(!r.known);
	mem_connect(1, T0 + 1, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert(!r.known);
	mem_connect(1, T0 + 2, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert(r.known);
	ck_assert_int_eq(r.block_until, T0 + 600);
	store_tick(mem_store, T0 + 3);
	ck_assert_int_eq(store_unblock(mem_store, &key), 0);
	mem_connect(1, T0 + 3, &r);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	/* Set anew by hand: refused from the shards first, then recorded. */
	mem_block(1, T0 + 100, T0 + 3);
	mem_connect(1, T0 + 4, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert(!r.known);
	mem_connect(1, T0 + 5, &r);
	ck_assert(r.known);
	ck_assert_int_eq(r.block_until, T0 + 100);
	/* Shortened by hand: the record no longer holds the old end. */
	mem_block(1, T0 + 50, T0 + 6);
	mem_connect(1, T0 + 60, &r);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
}
END_TEST

/* Times past 2106 are kept as its last second: still blocking. */
START_TEST(mem_far_future)
{
	const int64_t late = (int64_t)UINT32_MAX + 1000;
	struct store_result r;

	mem_open(100);
	mem_block(1, late, T0);
	ck_assert_int_eq(mem_lookup(1).state[DETECTOR_MANUAL].block_until,
	    (int64_t)UINT32_MAX);
	mem_connect(1, T0 + 1, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert_int_eq(r.block_until, (int64_t)UINT32_MAX);
}
END_TEST

static int mem_stop_fn(const struct host_key *key,
    const struct store_host *host, void *arg)
{
	return ++*(unsigned *)arg == 3;
}

START_TEST(mem_list_stops_in_shard)
{
	unsigned calls = 0;

	/* One shard: the walk must stop inside it, not only between shards. */
	mem_open(100);
	for (unsigned n = 0; n < 10; n++)
		mem_block(n, FAR, T0);
	ck_assert_int_eq(store_list_blocks(mem_store, T0, mem_stop_fn, &calls), 0);
	ck_assert_uint_eq(calls, 3);
}
END_TEST

START_TEST(mem_nothing_to_keep)
{
	mem_open(100);
	mem_block(1, T0, T0);
	mem_block(2, T0 - 10, T0);
	ck_assert(!mem_known(1));
	ck_assert(!mem_known(2));
	mem_rules[DETECTOR_DOS].enabled = false;
	ck_assert_int_eq(mem_record(mem_store, 3, T0), RULE_ALLOWED);
	ck_assert(!mem_known(3));
	ck_assert_uint_eq(mem_count_blocks(T0 - 100), 0);
}
END_TEST

#define MEM_THREADS 8
#define MEM_EVENTS 20000
#define MEM_HOSTS 32

/* Threads count failures instead of asserting: check asserts in main only. */
struct mem_worker {
	pthread_t thread;
	unsigned id;
	unsigned hosts;			/* events go round this many hosts */
	unsigned allowed;
	unsigned failed;
};

static void *mem_work(void *arg)
{
	struct mem_worker *w = arg;
	enum rule_outcome outcome;

	for (unsigned i = 0; i < MEM_EVENTS; i++) {
		if (mem_try_record(mem_store, (i + w->id) % w->hosts, T0,
		    &outcome) != 0)
			w->failed++;
		else if (outcome == RULE_ALLOWED)
			w->allowed++;
	}
	return NULL;
}

/* Run MEM_THREADS workers over hosts; return the events allowed. */
static unsigned mem_hammer(unsigned hosts)
{
	struct mem_worker workers[MEM_THREADS];
	unsigned allowed = 0;

	for (unsigned i = 0; i < MEM_THREADS; i++) {
		workers[i] = (struct mem_worker){ .id = i, .hosts = hosts };
		ck_assert_int_eq(pthread_create(&workers[i].thread, NULL,
		    mem_work, &workers[i]), 0);
	}
	for (unsigned i = 0; i < MEM_THREADS; i++) {
		ck_assert_int_eq(pthread_join(workers[i].thread, NULL), 0);
		ck_assert_uint_eq(workers[i].failed, 0);
		allowed += workers[i].allowed;
	}
	return allowed;
}

START_TEST(mem_threads_one_host)
{
	mem_open(1000);
	mem_rules[DETECTOR_DOS].max = UINT32_MAX - 1;
	mem_rules[DETECTOR_DOS].period = 86400;
	ck_assert_uint_eq(mem_hammer(1), MEM_THREADS * MEM_EVENTS);
	ck_assert_uint_eq(mem_lookup(0).state[DETECTOR_DOS].count,
	    MEM_THREADS * MEM_EVENTS);
}
END_TEST

START_TEST(mem_threads_overlapping_hosts)
{
	const unsigned per_host = MEM_THREADS * MEM_EVENTS / MEM_HOSTS;

	mem_open(1000);
	/* The count that trips falls in the middle of the run. */
	mem_rules[DETECTOR_DOS].max = per_host / 2;
	mem_rules[DETECTOR_DOS].period = 86400;
	ck_assert_uint_eq(mem_hammer(MEM_HOSTS), MEM_HOSTS * (per_host / 2));
	for (unsigned n = 0; n < MEM_HOSTS; n++) {
		struct store_host host = mem_lookup(n);

		ck_assert_uint_eq(host.state[DETECTOR_DOS].count, per_host / 2 + 1);
		ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, T0 + 600);
	}
	ck_assert_uint_eq(mem_count_blocks(T0), MEM_HOSTS);
}
END_TEST

struct mem_churn {
	pthread_mutex_t lock;		/* guards stop */
	bool stop;
	unsigned walks;
	unsigned most;			/* most blocked hosts one walk saw */
	unsigned failed;
};

static bool mem_churn_stopped(struct mem_churn *c)
{
	bool stop;

	pthread_mutex_lock(&c->lock);
	stop = c->stop;
	pthread_mutex_unlock(&c->lock);
	return stop;
}

static void *mem_churn(void *arg)
{
	struct mem_churn *c = arg;
	struct host_key key = mem_key(7);

	while (!mem_churn_stopped(c)) {
		unsigned n = 0;

		if (store_list_blocks(mem_store, T0, mem_count_fn, &n) != 0 ||
		    store_unblock(mem_store, &key) != 0)
			c->failed++;
		if (n > c->most)
			c->most = n;
		c->walks++;
	}
	return NULL;
}

START_TEST(mem_threads_evicting)
{
	pthread_t thread;
	struct mem_churn churn = { PTHREAD_MUTEX_INITIALIZER, false, 0, 0, 0 };

	/* Far more hosts than room, with walks and unblocks racing. */
	mem_open(200);
	mem_rules[DETECTOR_DOS].max = 0;
	ck_assert_int_eq(pthread_create(&thread, NULL, mem_churn, &churn), 0);
	mem_hammer(5000);
	pthread_mutex_lock(&churn.lock);
	churn.stop = true;
	pthread_mutex_unlock(&churn.lock);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_uint_eq(churn.failed, 0);
	ck_assert_uint_gt(churn.walks, 0);
	ck_assert_uint_le(churn.most, 200);
	ck_assert_uint_le(mem_count_blocks(T0), 200);
	ck_assert_uint_ge(mem_count_blocks(T0), 150);
}
END_TEST

static void mem_set_note(unsigned n, const char *reason, int64_t until,
    int64_t now)
{
	struct host_key key = mem_key(n);
	struct store_note note = { now, "mx1.example.org", "" };

	snprintf(note.reason, sizeof(note.reason), "%s", reason);
	ck_assert_int_eq(store_set_note(mem_store, &key, &note, until, now), 0);
}

/* 1 and the note's reason in reason, or 0. */
static int mem_get_note(unsigned n, char *reason)
{
	struct host_key key = mem_key(n);
	struct store_note note;
	int found = store_get_note(mem_store, &key, &note);

	ck_assert_int_ge(found, 0);
	if (found)
		strcpy(reason, note.reason);
	return found;
}

START_TEST(mem_notes)
{
	struct host_key key = mem_key(1);
	struct store_note note;
	char reason[STORE_NOTE_REASON_MAX];

	mem_open(1000);
	ck_assert_int_eq(mem_get_note(1, reason), 0);
	mem_set_note(1, "first \"reason\"\x01", T0 + 100, T0);
	ck_assert_int_eq(store_get_note(mem_store, &key, &note), 1);
	ck_assert_int_eq(note.set_at, T0);
	ck_assert_str_eq(note.node, "mx1.example.org");
	ck_assert_str_eq(note.reason, "first \"reason\"\x01");
	ck_assert_int_eq(mem_get_note(2, reason), 0);
	/* A second note replaces the first; unblock forgets it. */
	mem_set_note(1, "second", T0 + 200, T0 + 1);
	ck_assert_int_eq(mem_get_note(1, reason), 1);
	ck_assert_str_eq(reason, "second");
	ck_assert_int_eq(store_unblock(mem_store, &key), 0);
	ck_assert_int_eq(mem_get_note(1, reason), 0);
}
END_TEST

START_TEST(mem_notes_bounded)
{
	char reason[STORE_NOTE_REASON_MAX];

	mem_open(1000);
	for (unsigned n = 0; n < 1024; n++)
		mem_set_note(n, "full", T0 + 1000 + n, T0);
	/* Full: the note whose block ends first makes room. */
	mem_set_note(2000, "new", T0 + 5000, T0);
	ck_assert_int_eq(mem_get_note(0, reason), 0);
	ck_assert_int_eq(mem_get_note(1, reason), 1);
	ck_assert_int_eq(mem_get_note(2000, reason), 1);
	ck_assert_str_eq(reason, "new");
	/* Expired notes go before any live one. */
	mem_set_note(3000, "later", T0 + 5000, T0 + 1010);
	for (unsigned n = 1; n <= 10; n++)
		ck_assert_int_eq(mem_get_note(n, reason), 0);
	ck_assert_int_eq(mem_get_note(11, reason), 1);
	ck_assert_int_eq(mem_get_note(1023, reason), 1);
	ck_assert_int_eq(mem_get_note(3000, reason), 1);
	/* Full again (1015 + 9): replacing a note evicts nothing. */
	for (unsigned n = 4000; n < 4009; n++)
		mem_set_note(n, "fill", T0 + 6000, T0 + 1010);
	mem_set_note(11, "again", T0 + 6000, T0 + 1010);
	ck_assert_int_eq(mem_get_note(12, reason), 1);
	ck_assert_int_eq(mem_get_note(11, reason), 1);
	ck_assert_str_eq(reason, "again");
}
END_TEST

static Suite *memory_suite(void)
{
	Suite *suite = suite_create("store-memory-own");
	TCase *tc = tcase_create("memory");

	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, mem_zero_max_hosts);
	tcase_add_test(tc, mem_max_hosts_bound);
	tcase_add_test(tc, mem_records_bounded);
	tcase_add_test(tc, mem_lru_order);
	tcase_add_test(tc, mem_full_prefers_expired);
	tcase_add_test(tc, mem_expired_reclaimed);
	tcase_add_test(tc, mem_list_stops_in_shard);
	tcase_add_test(tc, mem_nothing_to_keep);
	tcase_add_test(tc, mem_threads_one_host);
	tcase_add_test(tc, mem_threads_overlapping_hosts);
	tcase_add_test(tc, mem_threads_evicting);
	tcase_add_test(tc, mem_notes);
	tcase_add_test(tc, mem_notes_bounded);
	tcase_add_test(tc, mem_refusals_from_record);
	tcase_add_test(tc, mem_far_future);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	struct config *cfg = config_defaults();
	SRunner *runner;
	int failed;

	/* Evictions are expected here; their warnings are noise. */
	log_set_level(LOG_LEVEL_ERROR);
	cfg->memory_max_hosts = 10000;
	runner = srunner_create(store_conformance_suite("memory", cfg));
	srunner_add_suite(runner, memory_suite());
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	config_unref(cfg);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
