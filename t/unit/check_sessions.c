/*
 * check_sessions.c - unit tests for lib/sessions.c (the live sessions
 * table) and for how the policy engine keeps it: stages only move
 * forward, counts per host follow opens and closes through hash
 * collisions and removals, a full table leaves sessions untracked, a
 * session refused at CONNECT is not live, and the gauges of metrics.h
 * follow the table.  The concurrency limit: its keys, and the
 * (max_sessions + 1)-th simultaneous session of a host refused at
 * CONNECT, never for an excluded host, only logged under monitor_only;
 * the sessions it counts, per host, and concurrency.lease.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "policy_fixture.h"
#include "sessions.h"
#include "test_files.h"

static struct host_key key_of(const char *text)
{
	struct host_addr addr;
	struct host_key key;

	ck_assert_int_eq(addr_parse(text, &addr), 0);
	addr_key(&addr, 32, 64, &key);
	return key;
}

/* Live sessions of the host of text, as sessions_hosts() reports them. */
static uint32_t host_count(struct sessions *t, const char *text)
{
	static struct sessions_host hosts[1024];
	struct host_key key = key_of(text);
	size_t n = sessions_hosts(t, hosts, 1024);

	for (size_t i = 0; i < n; i++) {
		if (host_key_equal(&hosts[i].key, &key))
			return hosts[i].sessions;
	}
	return 0;
}

START_TEST(open_advance_close)
{
	struct sessions *t = sessions_new(8);
	struct host_key a = key_of("192.0.2.1");
	struct sessions_stats st;
	struct sessions_entry e[8];
	uint32_t n;
	uint64_t h1 = sessions_open(t, &a, 100, &n);

	ck_assert_uint_ne(h1, 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_ne(sessions_open(t, &a, 101, &n), 0);
	ck_assert_uint_eq(n, 2);
	sessions_advance(t, h1, SESSIONS_TRANSACTION);
	/* A HELO after MAIL does not move the session back. */
	sessions_advance(t, h1, SESSIONS_GREETED);
	sessions_stats(t, &st);
	ck_assert_uint_eq(st.live, 2);
	ck_assert_uint_eq(st.stages[SESSIONS_CONNECTED], 1);
	ck_assert_uint_eq(st.stages[SESSIONS_GREETED], 0);
	ck_assert_uint_eq(st.stages[SESSIONS_TRANSACTION], 1);
	ck_assert_uint_eq(sessions_snapshot(t, e, 8), 2);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert(host_key_equal(&e[i].key, &a));
		ck_assert(e[i].handle == h1 ? e[i].since == 100 &&
		    e[i].stage == SESSIONS_TRANSACTION : e[i].since == 101);
	}
	sessions_close(t, h1);
	sessions_stats(t, &st);
	ck_assert_uint_eq(st.live, 1);
	ck_assert_uint_eq(st.stages[SESSIONS_TRANSACTION], 0);
	ck_assert_uint_eq(host_count(t, "192.0.2.1"), 1);
	/* Handle 0 (never entered) is accepted and ignored. */
	sessions_advance(t, 0, SESSIONS_DATA);
	sessions_close(t, 0);
	sessions_free(t);
}
END_TEST

START_TEST(full_table_untracked)
{
	struct sessions *t = sessions_new(3);
	struct host_key a = key_of("192.0.2.1");
	struct sessions_stats st;
	uint64_t h[3];
	uint32_t n = 99;

	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_ne(h[i] = sessions_open(t, &a, 1, NULL), 0);
	ck_assert_uint_eq(sessions_open(t, &a, 1, &n), 0);
	ck_assert_uint_eq(n, 0);
	sessions_stats(t, &st);
	ck_assert_uint_eq(st.live, 3);
	ck_assert_uint_eq(st.untracked, 1);
	ck_assert_uint_eq(st.capacity, 3);
	/* A freed slot is used again. */
	sessions_close(t, h[1]);
	ck_assert_uint_eq(sessions_open(t, &a, 2, &n), h[1]);
	ck_assert_uint_eq(n, 3);
	sessions_free(t);
}
END_TEST

/*
 * Many hosts through a small table: every count stays right while
 * entries are removed from the middle of probe runs.
 */
START_TEST(many_hosts_removals)
{
	enum { HOSTS = 200, PER = 3 };
	struct sessions *t = sessions_new(HOSTS * PER);
	static uint64_t h[HOSTS][PER];
	char text[32];

	for (unsigned i = 0; i < HOSTS; i++) {
		struct host_key key;

		snprintf(text, sizeof(text), "10.0.%u.%u", i / 256, i % 256);
		key = key_of(text);
		for (unsigned j = 0; j < PER; j++)
			h[i][j] = sessions_open(t, &key, 1, NULL);
	}
	/* Close every host of an even number, and one session of the rest. */
	for (unsigned i = 0; i < HOSTS; i++) {
		for (unsigned j = 0; j < (i % 2 == 0 ? PER : 1); j++)
			sessions_close(t, h[i][j]);
	}
	for (unsigned i = 0; i < HOSTS; i++) {
		snprintf(text, sizeof(text), "10.0.%u.%u", i / 256, i % 256);
		ck_assert_uint_eq(host_count(t, text), i % 2 == 0 ? 0 :
		    PER - 1);
	}
	{
		struct sessions_host hosts[HOSTS];
		size_t n = sessions_hosts(t, hosts, HOSTS);

		ck_assert_uint_eq(n, HOSTS / 2);
		for (size_t i = 0; i < n; i++)
			ck_assert_uint_eq(hosts[i].sessions, PER - 1);
	}
	sessions_free(t);
}
END_TEST

/* Counted sessions per host: marked once, gone with the session. */
START_TEST(counted_hosts)
{
	struct sessions *t = sessions_new(8);
	struct host_key a = key_of("192.0.2.1"), b = key_of("192.0.2.2");
	struct sessions_host out[8];
	uint64_t seq;
	uint64_t a1 = sessions_open(t, &a, 100, NULL);
	uint64_t a2 = sessions_open(t, &a, 100, NULL);
	uint64_t b1 = sessions_open(t, &b, 100, NULL);

	ck_assert_uint_eq(sessions_counted(t, out, 8, &seq), 0);
	ck_assert_uint_eq(seq, 0);
	ck_assert_uint_eq(sessions_count(t, a1), 1);
	ck_assert_uint_eq(sessions_count(t, a1), 0);
	ck_assert_uint_eq(sessions_count(t, a2), 2);
	ck_assert_uint_eq(sessions_count(t, 0), 0);
	ck_assert_uint_eq(sessions_counted(t, out, 8, &seq), 1);
	ck_assert_uint_eq(seq, 2);
	ck_assert(host_key_equal(&out[0].key, &a));
	ck_assert_uint_eq(out[0].sessions, 2);
	sessions_close(t, a1);
	ck_assert_uint_eq(sessions_counted(t, out, 8, &seq), 1);
	ck_assert_uint_eq(out[0].sessions, 1);
	sessions_close(t, a2);
	ck_assert_uint_eq(sessions_counted(t, out, 8, &seq), 0);
	/* A slot used again starts uncounted. */
	a1 = sessions_open(t, &a, 101, NULL);
	ck_assert_uint_eq(sessions_counted(t, out, 8, &seq), 0);
	ck_assert_uint_eq(host_count(t, "192.0.2.2"), 1);
	sessions_close(t, a1);
	sessions_close(t, b1);
	sessions_free(t);
}
END_TEST

START_TEST(stage_names)
{
	ck_assert_str_eq(sessions_stage_name(SESSIONS_CONNECTED), "connected");
	ck_assert_str_eq(sessions_stage_name(SESSIONS_GREETED), "greeted");
	ck_assert_str_eq(sessions_stage_name(SESSIONS_TRANSACTION),
	    "transaction");
	ck_assert_str_eq(sessions_stage_name(SESSIONS_DATA), "data");
	ck_assert_str_eq(sessions_stage_name(SESSIONS_STAGES), "unknown");
}
END_TEST

/* The policy engine enters, advances and removes its sessions. */
START_TEST(policy_keeps_the_table)
{
	struct host_addr a, b;
	struct verdict v;
	struct policy_session *s1, *s2, *s3;
	struct sessions_stats st;
	struct metrics_counts mc;

	metrics_reset();
	fixture_start();
	ck_assert_int_eq(addr_parse("192.0.2.5", &a), 0);
	ck_assert_int_eq(addr_parse("192.0.2.6", &b), 0);
	s1 = policy_connect(policy, &a, T0, &v);
	s2 = policy_connect(policy, &a, T0, &v);
	s3 = policy_connect(policy, NULL, T0, &v);
	policy_helo(s1, "client.example", false, T0, &v);
	policy_mail(s1, NULL, T0, &v);
	policy_data(s1, T0, &v);
	policy_helo(s2, "client.example", false, T0, &v);
	sessions_stats(policy_sessions(policy), &st);
	ck_assert_uint_eq(st.live, 2);		/* s3 has no address */
	ck_assert_uint_eq(st.stages[SESSIONS_DATA], 1);
	ck_assert_uint_eq(st.stages[SESSIONS_GREETED], 1);
	ck_assert_uint_eq(host_count(policy_sessions(policy), "192.0.2.5"), 2);
	metrics_read(&mc);
	ck_assert_uint_eq(mc.live_sessions[SESSIONS_DATA], 1);
	ck_assert_uint_eq(mc.live_sessions[SESSIONS_GREETED], 1);
	ck_assert_uint_eq(mc.live_sessions[SESSIONS_CONNECTED], 0);
	policy_close(s1);
	policy_close(s2);
	policy_close(s3);
	sessions_stats(policy_sessions(policy), &st);
	ck_assert_uint_eq(st.live, 0);
	metrics_read(&mc);
	for (unsigned i = 0; i < SESSIONS_STAGES; i++)
		ck_assert_uint_eq(mc.live_sessions[i], 0);
	/* DoS max 3: the 4th connection is refused and never live. */
	for (unsigned i = 0; i < 3; i++)
		policy_close(policy_connect(policy, &b, T0, &v));
	s1 = policy_connect(policy, &b, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	sessions_stats(policy_sessions(policy), &st);
	ck_assert_uint_eq(st.live, 0);
	policy_close(s1);
	sessions_stats(policy_sessions(policy), &st);
	ck_assert_uint_eq(st.live, 0);
}
END_TEST

START_TEST(refusals_recent)
{
	struct host_addr b;
	struct verdict v;
	int64_t now = (int64_t)time(NULL);

	metrics_reset();
	fixture_start();
	ck_assert_uint_eq(metrics_refusals_recent(now, 10), 0);
	ck_assert_int_eq(addr_parse("192.0.2.7", &b), 0);
	for (unsigned i = 0; i < 6; i++)
		policy_close(policy_connect(policy, &b, T0, &v));
	/* Connections 4, 5 and 6 were refused, just now. */
	now = (int64_t)time(NULL);
	ck_assert_uint_eq(metrics_refusals_recent(now, 10), 3);
	ck_assert_uint_eq(metrics_refusals_recent(now + 20, 10), 0);
	ck_assert_uint_eq(metrics_refusals_recent(now + METRICS_RATE_SECONDS,
	    METRICS_RATE_SECONDS), 0);
}
END_TEST

/* max_sessions = 2: the 3rd simultaneous session is refused. */
START_TEST(concurrency_limit)
{
	struct host_addr a, local;
	struct verdict v;
	struct policy_session *s[4];
	struct metrics_counts mc;
	struct sessions_stats st;

	metrics_reset();
	cfg->concurrency_enabled = true;
	cfg->concurrency_max_sessions = 2;
	cfg->rules[DETECTOR_DOS].max = 100;
	fixture_start();
	ck_assert_int_eq(addr_parse("192.0.2.8", &a), 0);
	ck_assert_int_eq(addr_parse("127.0.0.1", &local), 0);
	s[0] = policy_connect(policy, &a, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	s[1] = policy_connect(policy, &a, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	s[2] = policy_connect(policy, &a, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.rcode, "421");
	ck_assert_str_eq(v.text, "Too many simultaneous connections from "
	    "192.0.2.8, try again later");
	/* The refused session is not live, and replays its refusal. */
	sessions_stats(policy_sessions(policy), &st);
	ck_assert_uint_eq(st.live, 2);
	policy_helo(s[2], "x", false, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_close(s[2]);
	/* Closing one lets the next in. */
	policy_close(s[0]);
	s[0] = policy_connect(policy, &a, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	metrics_read(&mc);
	ck_assert_uint_eq(mc.refusals[METRICS_CONCURRENCY][ACTION_TEMPFAIL], 1);
	/* Excluded hosts never count (127.0.0.0/8 by default). */
	for (unsigned i = 0; i < 4; i++) {
		s[i == 0 ? 2 : 3] = policy_connect(policy, &local, T0, &v);
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	}
	policy_close(s[0]);
	policy_close(s[1]);
}
END_TEST

START_TEST(concurrency_monitor_only_and_reject)
{
	struct host_addr a;
	struct verdict v;
	struct metrics_counts mc;

	metrics_reset();
	cfg->concurrency_enabled = true;
	cfg->concurrency_max_sessions = 1;
	cfg->concurrency_action = ACTION_REJECT;
	fixture_start();
	ck_assert_int_eq(addr_parse("192.0.2.9", &a), 0);
	policy_connect(policy, &a, T0, &v);
	policy_connect(policy, &a, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_REJECT);
	ck_assert_str_eq(v.rcode, "554");
	ck_assert_str_eq(v.xcode, "5.7.1");
	/* The engine shares cfg: new sessions see the change. */
	cfg->monitor_only = true;
	policy_connect(policy, &a, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	metrics_read(&mc);
	ck_assert_uint_eq(mc.refusals[METRICS_CONCURRENCY][ACTION_REJECT], 1);
	ck_assert_uint_eq(mc.refusals[METRICS_CONCURRENCY][ACTION_LOG], 1);
}
END_TEST

/* With the limit off (the default) nothing is refused. */
START_TEST(concurrency_off_by_default)
{
	struct host_addr a;
	struct verdict v;

	ck_assert(!cfg->concurrency_enabled);
	ck_assert_uint_eq(cfg->concurrency_max_sessions, 20);
	ck_assert_uint_eq(cfg->concurrency_lease, 30);
	fixture_start();
	ck_assert_int_eq(addr_parse("192.0.2.10", &a), 0);
	for (unsigned i = 0; i < 3; i++) {
		policy_connect(policy, &a, T0, &v);
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	}
}
END_TEST

START_TEST(concurrency_keys)
{
	char path[TMP_PATH_MAX], err[CONFIG_ERROR_MAX];
	struct config *c;

	tmp_setup();
	tmp_text(path, "ok.conf", "concurrency = {\n\tenabled = true;\n"
	    "\tmax_sessions = 8;\n\taction = \"reject\";\n"
	    "\treply = \"Busy %a, 100%% full\";\n};\n");
	c = config_load(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(c->concurrency_enabled);
	ck_assert_uint_eq(c->concurrency_max_sessions, 8);
	ck_assert_int_eq(c->concurrency_action, ACTION_REJECT);
	ck_assert_str_eq(c->concurrency_reply, "Busy %a, 100%% full");
	config_unref(c);
	tmp_text(path, "zero.conf", "concurrency = {\n\tmax_sessions = 0;\n};\n");
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	assert_file_error(err, path, 2, "max_sessions");
	tmp_text(path, "action.conf", "concurrency = {\n\n\taction = \"drop\";\n};\n");
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	assert_file_error(err, path, 3, "action");
	tmp_text(path, "key.conf", "concurrency = { max = 3; };\n");
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	assert_file_error(err, path, 1, "max");
	tmp_text(path, "reply.conf", "concurrency = { reply = \"50%\"; };\n");
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	assert_file_error(err, path, 1, "%a");
	tmp_text(path, "lease.conf", "concurrency = { lease = \"1m\"; };\n");
	c = config_load(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->concurrency_lease, 60);
	config_unref(c);
	tmp_text(path, "short.conf", "concurrency = {\n\tlease = \"2s\";\n};\n");
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	assert_file_error(err, path, 2, "at least 3s");
	tmp_teardown();
}
END_TEST

static Suite *sessions_suite(void)
{
	Suite *s = suite_create("sessions");
	TCase *tc = tcase_create("table");
	TCase *tp = tcase_create("policy");

	tcase_add_test(tc, open_advance_close);
	tcase_add_test(tc, full_table_untracked);
	tcase_add_test(tc, many_hosts_removals);
	tcase_add_test(tc, stage_names);
	tcase_add_test(tc, counted_hosts);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, fixture_setup, fixture_teardown);
	tcase_add_test(tp, policy_keeps_the_table);
	tcase_add_test(tp, refusals_recent);
	tcase_add_test(tp, concurrency_limit);
	tcase_add_test(tp, concurrency_monitor_only_and_reject);
	tcase_add_test(tp, concurrency_off_by_default);
	tcase_add_test(tp, concurrency_keys);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sessions_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
