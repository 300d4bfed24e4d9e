/*
 * check_store_fallback.c - what the node does when the shared store
 * fails (store_fallback.c), with a scripted backend in place of Redis: a
 * test-only store_ops whose every call succeeds or fails as the test
 * says, counting the calls it gets, on a clock the test moves.
 *
 * Suites: the decorator (pass-through, the check at open, back-off and
 * one probe at a time, on_error local / accept / tempfail, the log lines,
 * the calls that are not events), then the policy engine on it (the
 * verdict and the store-error count each decision gives).
 *
 * Log lines are read back from a file stderr is sent to for the test.
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "store.h"
#include "store_fallback.h"
#include "test_files.h"

#define T0 1700000000
#define MS 1000000LL

/* The scripted backend. */
struct scripted {
	struct store base;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool fail;			/* every call fails */
	unsigned bad_host;		/* record() of 192.0.2.<this>: key error */
	bool hold;			/* record() waits until released */
	bool held;			/* a record() is waiting */
	unsigned records;
	unsigned lookups;
	unsigned blocks;
	unsigned unblocks;
	unsigned lists;
	struct store_result answer;	/* what record() answers */
	char error[64];
};

static struct scripted *scripted_of(struct store *store)
{
	return (struct scripted *)store;
}

static int scripted_record(struct store *base, const struct store_event *event,
    struct store_result *result)
{
	struct scripted *s = scripted_of(base);
	int rc;

	pthread_mutex_lock(&s->lock);
	s->records++;
	s->held = s->hold;
	pthread_cond_broadcast(&s->cond);
	while (s->hold)
		pthread_cond_wait(&s->cond, &s->lock);
	s->held = false;
	rc = s->fail ? -1 : 0;
	if (rc == 0 && s->bad_host != 0 && event->key.bytes[3] == s->bad_host)
		rc = STORE_KEY_FAILED;
	*result = s->answer;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int scripted_lookup(struct store *base, const struct host_key *key,
    struct store_host *out)
{
	struct scripted *s = scripted_of(base);

	s->lookups++;
	memset(out, 0, sizeof(*out));
	return s->fail ? -1 : 0;
}

static int scripted_block(struct store *base, const struct host_key *key,
    enum detector detector, int64_t until, int64_t now)
{
	struct scripted *s = scripted_of(base);

	s->blocks++;
	return s->fail ? -1 : 0;
}

static int scripted_unblock(struct store *base, const struct host_key *key)
{
	struct scripted *s = scripted_of(base);

	s->unblocks++;
	return s->fail ? -1 : 0;
}

static int scripted_list_blocks(struct store *base, int64_t now,
    store_block_fn fn, void *arg)
{
	struct scripted *s = scripted_of(base);

	s->lists++;
	return s->fail ? -1 : 0;
}

static const char *scripted_error(struct store *base)
{
	return scripted_of(base)->error;
}

static void scripted_close(struct store *base)
{
	struct scripted *s = scripted_of(base);

	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

static const struct store_ops scripted_ops = {
	.name = "scripted",
	.record = scripted_record,
	.lookup = scripted_lookup,
	.block = scripted_block,
	.unblock = scripted_unblock,
	.list_blocks = scripted_list_blocks,
	.error = scripted_error,
	.close = scripted_close,
};

/* The fixture: a fallback over a scripted backend, on the test's clock. */

static struct config *cfg;
static struct scripted *primary;
static struct store *store;
static struct rule rules[DETECTOR_COUNT];
static int64_t clock_ns;
static char logpath[TMP_PATH_MAX];
static int saved_stderr = -1;

static int64_t test_clock(void)
{
	return __atomic_load_n(&clock_ns, __ATOMIC_RELAXED);
}

static void advance_ms(int64_t ms)
{
	__atomic_add_fetch(&clock_ns, ms * MS, __ATOMIC_RELAXED);
}

static void log_to_file(void)
{
	int fd;

	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_set_level(LOG_LEVEL_NOTICE);
}

static void log_restore(void)
{
	if (saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	log_set_level(LOG_LEVEL_ERROR);
}

/* Lines of the log holding every one of the (NULL-ended) texts. */
static unsigned log_lines(const char *text, ...)
{
	FILE *fp;
	char line[1024];
	unsigned n = 0;

	fflush(stderr);
	fp = fopen(logpath, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		va_list ap;
		const char *t;
		bool all = true;

		va_start(ap, text);
		for (t = text; t != NULL; t = va_arg(ap, const char *))
			all = all && strstr(line, t) != NULL;
		va_end(ap);
		n += all;
	}
	fclose(fp);
	return n;
}

static void fb_setup(void)
{
	tmp_setup();
	log_to_file();
	cfg = config_defaults();
	primary = calloc(1, sizeof(*primary));
	ck_assert_ptr_nonnull(primary);
	primary->base.ops = &scripted_ops;
	pthread_mutex_init(&primary->lock, NULL);
	pthread_cond_init(&primary->cond, NULL);
	snprintf(primary->error, sizeof(primary->error), "no error");
	store = NULL;
	clock_ns = 1000 * MS;
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		rules[d] = (struct rule){ .enabled = true, .max = 3, .period = 60,
		    .block = 600 };
	rules[DETECTOR_MANUAL] = (struct rule){ .enabled = true,
	    .max = UINT32_MAX, .period = 1 };
}

static void fb_teardown(void)
{
	log_restore();
	store_close(store);
	config_unref(cfg);
	tmp_teardown();
}

/* The store under test, with on_error; the primary fails from the start when told. */
static void fb_open(enum redis_on_error on_error)
{
	char err[256];
	struct store *local = store_memory_ops.open(cfg, err, sizeof(err));

	ck_assert_msg(local != NULL, "memory store: %s", err);
	cfg->redis.on_error = on_error;
	store = store_fallback_new(&primary->base, local, on_error);
	store_fallback_set_clock(store, test_clock);
}

static struct host_key key_of(unsigned n)
{
	struct host_key key;

	memset(&key, 0, sizeof(key));
	key.family = 4;
	key.prefix = 32;
	key.bytes[0] = 192;
	key.bytes[1] = 0;
	key.bytes[2] = 2;
	key.bytes[3] = (uint8_t)n;
	return key;
}

static void record(unsigned host, enum detector counted, int connect,
    int64_t now, struct store_result *result)
{
	struct store_event event = { .key = key_of(host), .now = now,
	    .counted = counted, .connect = connect, .rules = rules };

	memset(result, 0xa5, sizeof(*result));
	ck_assert_int_eq(store_record(store, &event, result), 0);
}

static void primary_fails(const char *why)
{
	primary->fail = true;
	snprintf(primary->error, sizeof(primary->error), "%s", why);
}

START_TEST(fb_healthy)
{
	struct store_result r;
	struct store_host host;
	struct store_note note;
	struct host_key key = key_of(1);

	primary->answer = (struct store_result){ .outcome = RULE_TRIPPED,
	    .detector = DETECTOR_DHA, .count = 9, .block_until = T0 + 50 };
	fb_open(REDIS_ON_ERROR_LOCAL);
	/* The check at open asked the primary once. */
	ck_assert_uint_eq(primary->lookups, 1);
	ck_assert_str_eq(store->ops->name, "scripted");
	ck_assert_int_eq(store_degraded(store), 0);
	record(1, DETECTOR_DHA, 0, T0, &r);
	ck_assert_uint_eq(primary->records, 1);
	ck_assert_int_eq(r.decided, STORE_DECIDED_STORE);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
	ck_assert_uint_eq(r.count, 9);
	ck_assert_int_eq(r.block_until, T0 + 50);
	ck_assert_int_eq(store_lookup(store, &key, &host), 0);
	ck_assert_uint_eq(primary->lookups, 2);
	ck_assert_int_eq(store_list_blocks(store, T0, NULL, NULL), 0);
	ck_assert_uint_eq(primary->lists, 1);
	/* A primary that keeps no notes: neither does the fallback. */
	ck_assert_ptr_null(store->ops->set_note);
	ck_assert_int_eq(store_get_note(store, &key, &note), 0);
	ck_assert_str_eq(store_error(store), "no error");
	ck_assert_uint_eq(log_lines("event=store-", NULL), 0);
}
END_TEST

START_TEST(fb_down_at_open)
{
	struct store_result r;

	primary_fails("connection refused");
	fb_open(REDIS_ON_ERROR_ACCEPT);
	ck_assert_int_eq(store_degraded(store), 1);
	ck_assert_uint_eq(log_lines("event=store-degraded store=scripted",
	    "reason=\"connection\\x20refused\"", "on_error=accept", NULL), 1);
	/* The first event waits for the back-off like any other. */
	record(1, DETECTOR_DOS, 1, T0, &r);
	ck_assert_uint_eq(primary->records, 0);
	ck_assert_int_eq(r.decided, STORE_DECIDED_ACCEPT);
}
END_TEST

START_TEST(fb_backoff)
{
	static const int64_t backoff[] = { 100, 200, 400, 800, 1600, 2000, 2000 };
	struct store_result r;
	unsigned calls;

	fb_open(REDIS_ON_ERROR_ACCEPT);
	primary_fails("timeout");
	record(1, DETECTOR_DOS, 1, T0, &r);
	ck_assert_uint_eq(primary->records, 1);
	ck_assert_int_eq(store_degraded(store), 1);
	for (size_t i = 0; i < sizeof(backoff) / sizeof(backoff[0]); i++) {
		calls = primary->records;
		/* Until the back-off ends no event asks the primary... */
		advance_ms(backoff[i] - 1);
		for (int n = 0; n < 5; n++) {
			record(1, DETECTOR_DOS, 1, T0, &r);
			ck_assert_int_eq(r.decided, STORE_DECIDED_ACCEPT);
		}
		ck_assert_uint_eq(primary->records, calls);
		/* ...then one event probes it, and fails: twice as long. */
		advance_ms(1);
		record(1, DETECTOR_DOS, 1, T0, &r);
		ck_assert_uint_eq(primary->records, calls + 1);
		ck_assert_int_eq(r.decided, STORE_DECIDED_ACCEPT);
	}
	/* The primary is back: the next probe finds it, and every event asks. */
	primary->fail = false;
	advance_ms(2000);
	record(1, DETECTOR_DOS, 1, T0, &r);
	ck_assert_int_eq(r.decided, STORE_DECIDED_STORE);
	ck_assert_int_eq(store_degraded(store), 0);
	calls = primary->records;
	for (int n = 0; n < 5; n++)
		record(1, DETECTOR_DOS, 1, T0, &r);
	ck_assert_uint_eq(primary->records, calls + 5);
	/* A new outage starts at the shortest back-off again. */
	primary->fail = true;
	record(1, DETECTOR_DOS, 1, T0, &r);
	calls = primary->records;
	advance_ms(100);
	record(1, DETECTOR_DOS, 1, T0, &r);
	ck_assert_uint_eq(primary->records, calls + 1);
	ck_assert_uint_eq(log_lines("event=store-degraded", NULL), 2);
	ck_assert_uint_eq(log_lines("event=store-recovered store=scripted",
	    NULL), 1);
}
END_TEST

struct prober {
	pthread_t thread;
	struct store_result result;
};

static void *probe_run(void *arg)
{
	struct prober *p = arg;
	struct store_event event = { .key = key_of(1), .now = T0,
	    .counted = DETECTOR_DOS, .connect = 1, .rules = rules };

	store_record(store, &event, &p->result);
	return NULL;
}

START_TEST(fb_one_probe)
{
	struct store_result r;
	struct prober p;

	fb_open(REDIS_ON_ERROR_TEMPFAIL);
	primary_fails("timeout");
	record(1, DETECTOR_DOS, 1, T0, &r);
	advance_ms(100);
	/* A probe in flight, held inside the primary. */
	primary->hold = true;
	ck_assert_int_eq(pthread_create(&p.thread, NULL, probe_run, &p), 0);
	pthread_mutex_lock(&primary->lock);
	while (!primary->held)
		pthread_cond_wait(&primary->cond, &primary->lock);
	pthread_mutex_unlock(&primary->lock);
	ck_assert_uint_eq(primary->records, 2);
	/* Meanwhile other events do not ask it. */
	for (int n = 0; n < 3; n++) {
		record(2, DETECTOR_DOS, 1, T0, &r);
		ck_assert_int_eq(r.decided, STORE_DECIDED_TEMPFAIL);
	}
	ck_assert_uint_eq(primary->records, 2);
	/* The probe succeeds: recovered. */
	pthread_mutex_lock(&primary->lock);
	primary->fail = false;
	primary->hold = false;
	pthread_cond_broadcast(&primary->cond);
	pthread_mutex_unlock(&primary->lock);
	pthread_join(p.thread, NULL);
	ck_assert_int_eq(p.result.decided, STORE_DECIDED_STORE);
	ck_assert_int_eq(store_degraded(store), 0);
	record(2, DETECTOR_DOS, 1, T0, &r);
	ck_assert_uint_eq(primary->records, 3);
}
END_TEST

START_TEST(fb_local)
{
	struct store_result r;
	struct host_key manual = key_of(3), gone = key_of(4);

	fb_open(REDIS_ON_ERROR_LOCAL);
	/* The primary reports a block of host 1; blocks are set on 3 and 4. */
	primary->answer = (struct store_result){ .outcome = RULE_TRIPPED,
	    .detector = DETECTOR_DOS, .count = 4, .block_until = T0 + 600 };
	record(1, DETECTOR_DOS, 1, T0, &r);
	ck_assert_int_eq(store_block(store, &manual, DETECTOR_MANUAL, T0 + 900,
	    T0), 0);
	ck_assert_int_eq(store_block(store, &gone, DETECTOR_MANUAL, T0 + 900,
	    T0), 0);
	ck_assert_int_eq(store_unblock(store, &gone), 0);
	ck_assert_uint_eq(primary->blocks, 2);
	ck_assert_uint_eq(primary->unblocks, 1);

	primary_fails("timeout");
	/* Known blocks hold; other hosts are counted by the node alone. */
	record(1, DETECTOR_DOS, 1, T0 + 10, &r);
	ck_assert_int_eq(r.decided, STORE_DECIDED_LOCAL);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_DOS);
	ck_assert_int_eq(r.block_until, T0 + 600);
	record(3, DETECTOR_DOS, 1, T0 + 10, &r);
	ck_assert_int_eq(r.outcome, RULE_REFUSED);
	ck_assert_int_eq(r.detector, DETECTOR_MANUAL);
	ck_assert_int_eq(r.block_until, T0 + 900);
	for (uint32_t i = 1; i <= 3; i++) {
		record(4, DETECTOR_DOS, 1, T0 + 10, &r);
		ck_assert_int_eq(r.decided, STORE_DECIDED_LOCAL);
		ck_assert_int_eq(r.outcome, RULE_ALLOWED);
		ck_assert_uint_eq(r.count, i);
	}
	record(4, DETECTOR_DOS, 1, T0 + 10, &r);
	ck_assert_int_eq(r.outcome, RULE_TRIPPED);
	ck_assert_uint_eq(log_lines("event=store-degraded", "on_error=local",
	    NULL), 1);
}
END_TEST

START_TEST(fb_accept)
{
	struct store_result r;

	fb_open(REDIS_ON_ERROR_ACCEPT);
	primary->answer = (struct store_result){ .outcome = RULE_TRIPPED,
	    .detector = DETECTOR_DOS, .count = 4, .block_until = T0 + 600 };
	record(1, DETECTOR_DOS, 1, T0, &r);
	primary_fails("timeout");
	/* Nothing decides but letting through: the known block too. */
	record(1, DETECTOR_DHA, 0, T0 + 1, &r);
	ck_assert_int_eq(r.decided, STORE_DECIDED_ACCEPT);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_int_eq(r.detector, DETECTOR_DHA);
	ck_assert_uint_eq(r.count, 0);
	ck_assert_int_eq(r.block_until, 0);
	record(1, DETECTOR_DOS, 1, T0 + 1, &r);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_str_eq(store_error(store), "timeout");
}
END_TEST

START_TEST(fb_tempfail)
{
	struct store_result r;

	fb_open(REDIS_ON_ERROR_TEMPFAIL);
	primary_fails("timeout");
	record(1, DETECTOR_ATTACK, 0, T0, &r);
	ck_assert_int_eq(r.decided, STORE_DECIDED_TEMPFAIL);
	ck_assert_int_eq(r.outcome, RULE_ALLOWED);
	ck_assert_int_eq(r.detector, DETECTOR_ATTACK);
	ck_assert_uint_eq(log_lines("event=store-degraded", "on_error=tempfail",
	    NULL), 1);
}
END_TEST

/*
 * One host's key fails (a key of the wrong type): its events are decided
 * as on_error says, every other host's still go to the primary, and the
 * node is never degraded.
 */
START_TEST(fb_key_error)
{
	struct store_result r, bad;

	fb_open(REDIS_ON_ERROR_LOCAL);
	primary->bad_host = 50;
	snprintf(primary->error, sizeof(primary->error), "WRONGTYPE");
	for (unsigned i = 1; i <= 20; i++) {
		record(50, DETECTOR_DOS, 1, T0, &bad);
		ck_assert_int_eq(bad.decided, STORE_DECIDED_LOCAL);
		ck_assert_int_eq(store_degraded(store), 0);
		record(i, DETECTOR_DOS, 1, T0, &r);
		ck_assert_int_eq(r.decided, STORE_DECIDED_STORE);
	}
	ck_assert_uint_eq(primary->records, 40);
	/* The node's own count of that host: over max since the 4th. */
	ck_assert_int_eq(bad.outcome, RULE_REFUSED);
	ck_assert_uint_eq(log_lines("event=store-", NULL), 0);
	/* A probe that meets a key error finds the primary answering again. */
	primary_fails("down");
	record(1, DETECTOR_DOS, 1, T0, &r);
	ck_assert_int_eq(store_degraded(store), 1);
	primary->fail = false;
	advance_ms(100);
	record(50, DETECTOR_DOS, 1, T0, &r);
	ck_assert_int_eq(r.decided, STORE_DECIDED_LOCAL);
	ck_assert_int_eq(store_degraded(store), 0);
	ck_assert_uint_eq(log_lines("event=store-recovered", NULL), 1);
	record(2, DETECTOR_DOS, 1, T0, &r);
	ck_assert_int_eq(r.decided, STORE_DECIDED_STORE);
}
END_TEST

START_TEST(fb_log_escaped)
{
	struct store_result r;

	fb_open(REDIS_ON_ERROR_ACCEPT);
	primary_fails("bad \"reply\"\nevent=fake");
	for (int n = 0; n < 10; n++)
		record(1, DETECTOR_DOS, 1, T0, &r);
	/* One line, whatever the number of failed events, and no raw bytes. */
	ck_assert_uint_eq(log_lines("event=store-degraded", NULL), 1);
	ck_assert_uint_eq(log_lines("event=fake", NULL), 0);
	ck_assert_uint_eq(log_lines("reason=\"bad\\x20\\x22reply\\x22\\x0a"
	    "event\\x3dfake\"", NULL), 1);
}
END_TEST

START_TEST(fb_calls_fail_through)
{
	struct host_key key = key_of(1);
	struct store_host host;

	fb_open(REDIS_ON_ERROR_LOCAL);
	primary_fails("down");
	/* Only events are decided without the primary. */
	ck_assert_int_eq(store_lookup(store, &key, &host), -1);
	ck_assert_int_eq(store_block(store, &key, DETECTOR_MANUAL, T0 + 5, T0), -1);
	ck_assert_int_eq(store_unblock(store, &key), -1);
	ck_assert_int_eq(store_list_blocks(store, T0, NULL, NULL), -1);
	ck_assert_str_eq(store_error(store), "down");
	ck_assert_int_eq(store_degraded(store), 0);
}
END_TEST

/* The policy engine on the fallback: what each decision becomes. */

/* The store error counter of events decided by decider. */
static unsigned long long store_errors(enum store_decider decider)
{
	struct metrics_counts counts;

	metrics_read(&counts);
	return counts.store_errors[decider];
}

static enum verdict_kind connect_verdict(struct policy *policy, unsigned n,
    struct verdict *verdict)
{
	struct host_addr addr;
	char text[32];

	snprintf(text, sizeof(text), "192.0.2.%u", n);
	ck_assert_int_eq(addr_parse(text, &addr), 0);
	policy_close(policy_connect(policy, &addr, T0, verdict));
	return verdict->kind;
}

START_TEST(fb_policy)
{
	static const enum redis_on_error modes[] = { REDIS_ON_ERROR_LOCAL,
	    REDIS_ON_ERROR_ACCEPT, REDIS_ON_ERROR_TEMPFAIL };
	static const enum store_decider deciders[] = { STORE_DECIDED_LOCAL,
	    STORE_DECIDED_ACCEPT, STORE_DECIDED_TEMPFAIL };
	enum redis_on_error mode = modes[_i];
	struct policy *policy;
	struct verdict v;
	unsigned long long errors, others[3];

	cfg->rules[DETECTOR_DOS].max = 1;
	fb_open(mode);
	policy = policy_new(config_ref(cfg), store);
	primary_fails("timeout");
	for (int i = 0; i < 3; i++)
		others[i] = store_errors(deciders[i]);
	errors = others[_i];
	connect_verdict(policy, 1, &v);
	connect_verdict(policy, 1, &v);
	/* Every event decided without the primary, under what decided it. */
	ck_assert_uint_eq(store_errors(deciders[_i]), errors + 2);
	for (int i = 0; i < 3; i++) {
		if (i != _i)
			ck_assert_uint_eq(store_errors(deciders[i]), others[i]);
	}
	switch (mode) {
	case REDIS_ON_ERROR_LOCAL:
		/* The node's own count: the second connection is over max. */
		ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
		ck_assert_str_eq(v.xcode, "4.7.0");
		break;
	case REDIS_ON_ERROR_ACCEPT:
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
		break;
	case REDIS_ON_ERROR_TEMPFAIL:
		ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
		ck_assert_str_eq(v.rcode, "421");
		ck_assert_str_eq(v.xcode, "4.3.0");
		ck_assert_str_eq(v.text,
		    "Service temporarily unavailable, try again later");
		/* monitor_only: nothing is refused, even for want of a store. */
		cfg->monitor_only = true;
		policy_set_config(policy, config_ref(cfg));
		ck_assert_int_eq(connect_verdict(policy, 2, &v),
		    VERDICT_CONTINUE);
		break;
	}
	ck_assert_uint_eq(log_lines("event=store-error", NULL),
	    mode == REDIS_ON_ERROR_LOCAL ? 0 : 1);
	policy_free(policy);
}
END_TEST

/* An error about one key: counted and logged (once a second), not degraded. */
START_TEST(fb_policy_key_error)
{
	struct policy *policy;
	struct verdict v;
	unsigned long long errors;

	fb_open(REDIS_ON_ERROR_LOCAL);
	policy = policy_new(config_ref(cfg), store);
	primary->bad_host = 50;
	snprintf(primary->error, sizeof(primary->error), "WRONGTYPE");
	errors = store_errors(STORE_DECIDED_LOCAL);
	for (int i = 0; i < 5; i++)
		connect_verdict(policy, 50, &v);
	ck_assert_uint_eq(store_errors(STORE_DECIDED_LOCAL), errors + 5);
	ck_assert_int_eq(store_degraded(store), 0);
	ck_assert_uint_eq(log_lines("event=store-error", "host=192.0.2.50",
	    "reason=\"WRONGTYPE\"", NULL), 1);
	ck_assert_uint_eq(log_lines("event=store-degraded", NULL), 0);
	policy_free(policy);
}
END_TEST

START_TEST(fb_policy_bare_store_fails)
{
	struct policy *policy;
	struct verdict v;
	unsigned long long errors;

	/* A failing store with no fallback in front: let through, counted. */
	store = &primary->base;
	primary_fails("down");
	policy = policy_new(config_ref(cfg), store);
	errors = store_errors(STORE_DECIDED_ACCEPT);
	ck_assert_int_eq(connect_verdict(policy, 1, &v), VERDICT_CONTINUE);
	ck_assert_uint_eq(store_errors(STORE_DECIDED_ACCEPT), errors + 1);
	policy_free(policy);
}
END_TEST

static Suite *fallback_suite(void)
{
	Suite *suite = suite_create("store-fallback");
	TCase *tc = tcase_create("fallback");
	TCase *pol = tcase_create("policy");

	tcase_add_checked_fixture(tc, fb_setup, fb_teardown);
	tcase_add_test(tc, fb_healthy);
	tcase_add_test(tc, fb_down_at_open);
	tcase_add_test(tc, fb_backoff);
	tcase_add_test(tc, fb_one_probe);
	tcase_add_test(tc, fb_local);
	tcase_add_test(tc, fb_accept);
	tcase_add_test(tc, fb_tempfail);
	tcase_add_test(tc, fb_key_error);
	tcase_add_test(tc, fb_log_escaped);
	tcase_add_test(tc, fb_calls_fail_through);
	suite_add_tcase(suite, tc);
	tcase_add_checked_fixture(pol, fb_setup, fb_teardown);
	tcase_add_loop_test(pol, fb_policy, 0, 3);
	tcase_add_test(pol, fb_policy_key_error);
	tcase_add_test(pol, fb_policy_bare_store_fails);
	suite_add_tcase(suite, pol);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(fallback_suite());
	int failed;

	log_set_level(LOG_LEVEL_ERROR);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
