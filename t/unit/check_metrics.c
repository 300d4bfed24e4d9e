/*
 * check_metrics.c - the counters as the policy engine drives them (memory
 * store, injected clock), read back through the exact lines of
 * metrics_render(): connections, events, refusals counted once per
 * decision, blocks (a network rule's too), flags, store errors and the
 * degraded gauge through a failing store, the latency histogram's
 * invariants, reloads, the text format (HELP and TYPE before every
 * sample), and the JSON counters of the status answer read from the same
 * table as the text.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "hostlist.h"
#include "log.h"
#include "metrics.h"
#include "metrics_json.h"
#include "metrics_text.h"
#include "policy.h"
#include "policy_fixture.h"
#include "store.h"

static void setup(void)
{
	metrics_reset();
	fixture_setup();
}

static enum verdict_kind connect_once(const char *ip, int64_t now)
{
	struct host_addr addr;
	struct verdict v;

	ck_assert_int_eq(addr_parse(ip, &addr), 0);
	policy_close(policy_connect(policy, &addr, now, &v));
	return v.kind;
}

static struct policy_session *open_session(const char *ip, int64_t now)
{
	struct host_addr addr;
	struct verdict v;

	ck_assert_int_eq(addr_parse(ip, &addr), 0);
	return policy_connect(policy, &addr, now, &v);
}

static void reject_rcpt(struct policy_session *s, int64_t now,
    struct verdict *v)
{
	struct policy_rcpt rcpt = { "<nobody@example.org>", true, "5.1.1" };

	policy_rcpt(s, &rcpt, now, v);
}

/* True when text holds line as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
	}
	return false;
}

/* Render at now and check that every given line is in the text. */
static void expect_lines_at(int64_t now, const char *const *lines)
{
	char *text = metrics_render(store, now);

	for (; *lines != NULL; lines++) {
		if (has_line(text, *lines))
			continue;
		/* The whole text is too long for a check message. */
		fputs(text, stderr);
		ck_abort_msg("missing \"%s\"", *lines);
	}
	free(text);
}

#define EXPECT_LINES(now, ...) \
	expect_lines_at(now, (const char *const[]){ __VA_ARGS__, NULL })

START_TEST(fresh_counters_are_zero)
{
	char *text = metrics_render(NULL, T0);

	ck_assert(has_line(text, "bulwark_connections_total 0"));
	ck_assert(has_line(text, "bulwark_events_total{detector=\"dos\"} 0"));
	ck_assert(has_line(text, "bulwark_refusals_total{detector=\"blocked-list\",action=\"reject\"} 0"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_count 0"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_sum 0.000000000"));
	ck_assert(has_line(text, "bulwark_build_info{version=\"" BULWARK_VERSION "\"} 1"));
	/* No store: no store state; no start time recorded: none shown. */
	ck_assert_ptr_null(strstr(text, "bulwark_active_blocks"));
	ck_assert_ptr_null(strstr(text, "bulwark_store_degraded"));
	ck_assert_ptr_null(strstr(text, "bulwark_start_time_seconds"));
	/* The events of manual blocks are never counted: no such label. */
	ck_assert_ptr_null(strstr(text, "bulwark_events_total{detector=\"manual\"}"));
	free(text);
	metrics_set_start_time(T0);
	text = metrics_render(NULL, T0);
	ck_assert(has_line(text, "bulwark_start_time_seconds 1700000000"));
	free(text);
}
END_TEST

START_TEST(dos_trip_counts_connections_block_and_refusals)
{
	fixture_start();
	for (int i = 0; i < 5; i++)
		connect_once("192.0.2.1", T0 + i);
	EXPECT_LINES(T0 + 5,
	    "bulwark_connections_total 5",
	    "bulwark_events_total{detector=\"dos\"} 5",
	    "bulwark_events_total{detector=\"dha\"} 0",
	    "bulwark_blocks_started_total{detector=\"dos\"} 1",
	    "bulwark_refusals_total{detector=\"dos\",action=\"tempfail\"} 2",
	    "bulwark_refusals_total{detector=\"dos\",action=\"reject\"} 0",
	    "bulwark_active_blocks{detector=\"dos\"} 1",
	    "bulwark_active_blocks{detector=\"dha\"} 0",
	    "bulwark_store_degraded{store=\"memory\"} 0",
	    "bulwark_store_errors_total{decided_by=\"local\"} 0",
	    "bulwark_store_errors_total{decided_by=\"accept\"} 0",
	    "bulwark_store_errors_total{decided_by=\"tempfail\"} 0",
	    "bulwark_store_latency_seconds_count 5");
	/* The block ends 600 s after it started at T0 + 3. */
	EXPECT_LINES(T0 + 603, "bulwark_active_blocks{detector=\"dos\"} 0",
	    "bulwark_blocks_started_total{detector=\"dos\"} 1");
}
END_TEST

START_TEST(reject_and_log_actions_have_their_own_series)
{
	cfg->actions[DETECTOR_DOS] = ACTION_REJECT;
	fixture_start();
	for (int i = 0; i < 4; i++)
		connect_once("192.0.2.1", T0);
	policy_free(policy);
	cfg->monitor_only = true;
	policy = policy_new(config_ref(cfg), store);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(connect_once("192.0.2.2", T0), VERDICT_CONTINUE);
	EXPECT_LINES(T0,
	    "bulwark_refusals_total{detector=\"dos\",action=\"reject\"} 1",
	    "bulwark_refusals_total{detector=\"dos\",action=\"log\"} 2",
	    "bulwark_refusals_total{detector=\"dos\",action=\"tempfail\"} 0",
	    "bulwark_blocks_started_total{detector=\"dos\"} 2",
	    "bulwark_active_blocks{detector=\"dos\"} 2");
}
END_TEST

START_TEST(blocked_list_excluded_and_addressless_connections)
{
	char err[128];
	struct verdict v;

	ck_assert_int_eq(hostlist_add(cfg->blocked, "198.51.100.0/24", err,
	    sizeof(err)), 0);
	fixture_start();
	ck_assert_int_eq(connect_once("198.51.100.7", T0), VERDICT_REJECT);
	ck_assert_int_eq(connect_once("127.0.0.1", T0), VERDICT_CONTINUE);
	policy_close(policy_connect(policy, NULL, T0, &v));
	EXPECT_LINES(T0,
	    "bulwark_connections_total 2",
	    "bulwark_refusals_total{detector=\"blocked-list\",action=\"reject\"} 1",
	    "bulwark_refusals_total{detector=\"blocked-list\",action=\"tempfail\"} 0",
	    /* Neither the blocked nor the excluded host reached the store. */
	    "bulwark_events_total{detector=\"dos\"} 0",
	    "bulwark_exclusions_total{reason=\"exclude-list\"} 1",
	    "bulwark_exclusions_total{reason=\"verified-domain\"} 0",
	    "bulwark_store_latency_seconds_count 0");
}
END_TEST

/* A verified name excluded; a repeat offender's block escalated. */
START_TEST(verified_exclusions_and_escalated_blocks)
{
	struct host_addr addr;
	struct verdict v;
	char *domains[] = { "example.net" };

	cfg->exclude_verified_domains = domains;
	cfg->exclude_verified_domain_count = 1;
	cfg->rules[DETECTOR_DOS].escalate_factor = 2;
	cfg->rules[DETECTOR_DOS].escalate_max = 3600;
	cfg->rules[DETECTOR_DOS].escalate_forget = 3600;
	fixture_start();
	ck_assert_int_eq(addr_parse("192.0.2.9", &addr), 0);
	policy_close(policy_connect_named(policy, &addr, "mx.example.net", T0,
	    &v));
	for (int i = 0; i < 4; i++)
		connect_once("192.0.2.1", T0);
	/* The first block ends at T0 + 600; the next one is escalated. */
	for (int i = 0; i < 4; i++)
		connect_once("192.0.2.1", T0 + 700);
	EXPECT_LINES(T0 + 700,
	    "bulwark_exclusions_total{reason=\"verified-domain\"} 1",
	    "bulwark_exclusions_total{reason=\"exclude-list\"} 0",
	    "bulwark_blocks_started_total{detector=\"dos\"} 2",
	    "bulwark_blocks_escalated_total{detector=\"dos\"} 1",
	    "bulwark_blocks_escalated_total{detector=\"dha\"} 0");
	cfg->exclude_verified_domains = NULL;
	cfg->exclude_verified_domain_count = 0;
}
END_TEST

/* A network rule's block: a block started, and a network's. */
START_TEST(network_blocks_counted)
{
	char ip[32];

	cfg->networks[DETECTOR_DOS] = (struct config_network){ true, 24, 48,
	    5 };
	cfg->net_rules[DETECTOR_DOS] = cfg->rules[DETECTOR_DOS];
	cfg->net_rules[DETECTOR_DOS].max = 5;
	fixture_start();
	EXPECT_LINES(T0, "bulwark_network_blocks_total{detector=\"dos\"} 0");
	/* The 6th host of the /24 trips it; a 7th is refused. */
	for (int n = 1; n <= 7; n++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", n);
		ck_assert_int_eq(connect_once(ip, T0), n <= 5 ?
		    VERDICT_CONTINUE : VERDICT_TEMPFAIL);
	}
	/* A host's own block (4 of 192.0.2.1) is not a network's. */
	for (int i = 0; i < 4; i++)
		connect_once("192.0.2.1", T0);
	EXPECT_LINES(T0,
	    "bulwark_network_blocks_total{detector=\"dos\"} 1",
	    "bulwark_network_blocks_total{detector=\"dha\"} 0",
	    "bulwark_network_blocks_total{detector=\"attack\"} 0",
	    "bulwark_blocks_started_total{detector=\"dos\"} 2",
	    "bulwark_refusals_total{detector=\"dos\",action=\"tempfail\"} 3");
}
END_TEST

START_TEST(dha_refusal_counted_once_not_per_replay)
{
	struct policy_rcpt good = { "<user@example.org>", false, NULL };
	struct policy_session *s;
	struct verdict v;

	fixture_start();
	s = open_session("192.0.2.1", T0);
	for (int i = 0; i < 3; i++)
		reject_rcpt(s, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	/* Replays of the session's refusal are not new refusals. */
	policy_rcpt(s, &good, T0, &v);
	policy_data(s, T0, &v);
	policy_mail(s, NULL, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_close(s);
	/* The next connection is refused at CONNECT by the DHA block. */
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 1), VERDICT_TEMPFAIL);
	EXPECT_LINES(T0 + 1,
	    "bulwark_connections_total 2",
	    "bulwark_events_total{detector=\"dos\"} 2",
	    "bulwark_events_total{detector=\"dha\"} 3",
	    "bulwark_blocks_started_total{detector=\"dha\"} 1",
	    "bulwark_blocks_started_total{detector=\"dos\"} 0",
	    "bulwark_refusals_total{detector=\"dha\",action=\"tempfail\"} 2",
	    "bulwark_active_blocks{detector=\"dha\"} 1",
	    "bulwark_store_latency_seconds_count 5");
}
END_TEST

START_TEST(flagged_connection_counted_with_its_action)
{
	struct policy_session *s;
	struct verdict v;

	cfg->attack_action = ACTION_TEMPFAIL;
	fixture_start();
	s = open_session("192.0.2.1", T0);
	for (int i = 0; i < 5; i++)
		policy_unknown(s, "FOO", T0, &v);
	policy_close(s);
	policy_free(policy);
	cfg->attack_action = ACTION_LOG;
	policy = policy_new(config_ref(cfg), store);
	s = open_session("192.0.2.2", T0);
	for (int i = 0; i < 5; i++)
		policy_unknown(s, "FOO", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	policy_close(s);
	EXPECT_LINES(T0,
	    "bulwark_flagged_connections_total 2",
	    "bulwark_refusals_total{detector=\"attack\",action=\"tempfail\"} 1",
	    "bulwark_refusals_total{detector=\"attack\",action=\"log\"} 1",
	    /* max_flagged is 0: nothing recorded for the attack rule. */
	    "bulwark_events_total{detector=\"attack\"} 0",
	    "bulwark_blocks_started_total{detector=\"attack\"} 0");
}
END_TEST

START_TEST(attack_block_in_monitor_mode_counted_once)
{
	struct policy_session *s;
	struct verdict v;

	cfg->monitor_only = true;
	cfg->attack_action = ACTION_TEMPFAIL;
	cfg->rules[DETECTOR_ATTACK].enabled = true;
	cfg->rules[DETECTOR_ATTACK].max = 1;
	cfg->rules[DETECTOR_ATTACK].period = 3600;
	cfg->rules[DETECTOR_ATTACK].block = 3600;
	fixture_start();
	for (int conn = 0; conn < 2; conn++) {
		s = open_session("192.0.2.1", T0);
		for (int i = 0; i < 3; i++)
			policy_unknown(s, "X", T0, &v);
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
		policy_close(s);
	}
	/* The second flag tripped the rule: one refusal, not two. */
	EXPECT_LINES(T0,
	    "bulwark_flagged_connections_total 2",
	    "bulwark_events_total{detector=\"attack\"} 2",
	    "bulwark_blocks_started_total{detector=\"attack\"} 1",
	    "bulwark_refusals_total{detector=\"attack\",action=\"log\"} 2",
	    "bulwark_refusals_total{detector=\"attack\",action=\"tempfail\"} 0",
	    "bulwark_active_blocks{detector=\"attack\"} 1");
}
END_TEST

/* A store that always fails, and says it is degraded. */
static int broken_record(struct store *s, const struct store_event *event,
    struct store_result *result)
{
	return -1;
}

static int broken_list_blocks(struct store *s, int64_t now,
    store_block_fn fn, void *arg)
{
	return -1;
}

static const char *broken_error(struct store *s)
{
	return "down";
}

static int broken_degraded(struct store *s)
{
	return 1;
}

static const struct store_ops broken_ops = {
	.name = "broken",
	.record = broken_record,
	.list_blocks = broken_list_blocks,
	.error = broken_error,
	.degraded = broken_degraded,
};

static struct store broken_store = { &broken_ops };

START_TEST(store_errors_and_degraded_state)
{
	char *text;

	store = &broken_store;
	policy = policy_new(config_ref(cfg), store);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0), VERDICT_CONTINUE);
	EXPECT_LINES(T0,
	    "bulwark_store_errors_total{decided_by=\"accept\"} 3",
	    "bulwark_store_errors_total{decided_by=\"local\"} 0",
	    "bulwark_store_degraded{store=\"broken\"} 1",
	    "bulwark_events_total{detector=\"dos\"} 3",
	    "bulwark_store_latency_seconds_count 3",
	    "bulwark_refusals_total{detector=\"dos\",action=\"tempfail\"} 0");
	/* The blocks could not be listed: the gauge is left out. */
	text = metrics_render(store, T0);
	ck_assert_ptr_null(strstr(text, "bulwark_active_blocks"));
	free(text);
}
END_TEST

/* The value of the sample starting with prefix (a whole name and labels). */
static unsigned long long sample(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);

	for (const char *p = text; (p = strstr(p, prefix)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[len] == ' ')
			return strtoull(p + len + 1, NULL, 10);
	}
	ck_abort_msg("no sample %s", prefix);
	return 0;
}

START_TEST(latency_histogram_buckets)
{
	static const uint64_t ns[] = { 0, 50000, 50001, 999999, 1000000000,
	    2000000000 };
	char *text;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		metrics_store_latency_ns(ns[i]);
	text = metrics_render(NULL, T0);
	/* Upper bounds are inclusive. */
	ck_assert(has_line(text, "bulwark_store_latency_seconds_bucket{le=\"5e-05\"} 2"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_bucket{le=\"0.0001\"} 3"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_bucket{le=\"0.0005\"} 3"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_bucket{le=\"0.001\"} 4"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_bucket{le=\"0.5\"} 4"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_bucket{le=\"1\"} 5"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_bucket{le=\"+Inf\"} 6"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_count 6"));
	ck_assert(has_line(text, "bulwark_store_latency_seconds_sum 3.001100000"));
	free(text);
}
END_TEST

START_TEST(latency_buckets_cumulative_and_end_at_count)
{
	const char *name = "bulwark_store_latency_seconds_bucket{le=\"";
	unsigned long long last = 0, count;
	unsigned buckets = 0;
	char *text, *p;

	for (uint64_t ns = 1; ns < 3000000000u; ns = ns * 3 + 7)
		metrics_store_latency_ns(ns);
	text = metrics_render(NULL, T0);
	count = sample(text, "bulwark_store_latency_seconds_count");
	ck_assert_uint_gt(count, 10);
	for (p = text; (p = strstr(p, name)) != NULL; p++) {
		unsigned long long n = strtoull(strstr(p, "} ") + 2, NULL, 10);

		ck_assert_uint_ge(n, last);
		last = n;
		buckets++;
	}
	ck_assert_uint_eq(buckets, 15);
	ck_assert_uint_eq(last, count);
	ck_assert_uint_eq(sample(text, "bulwark_store_latency_seconds_bucket{le=\"+Inf\"}"), count);
	/* Some fell past 1 s, some below 50 us. */
	ck_assert_uint_lt(sample(text, "bulwark_store_latency_seconds_bucket{le=\"1\"}"), count);
	ck_assert_uint_gt(sample(text, "bulwark_store_latency_seconds_bucket{le=\"5e-05\"}"), 0);
	free(text);
}
END_TEST

START_TEST(reloads_by_result)
{
	char *text;

	metrics_reload(true);
	metrics_reload(true);
	metrics_reload(false);
	text = metrics_render(NULL, T0);
	ck_assert(has_line(text, "bulwark_config_reloads_total{result=\"ok\"} 2"));
	ck_assert(has_line(text, "bulwark_config_reloads_total{result=\"failed\"} 1"));
	free(text);
	metrics_reset();
	text = metrics_render(NULL, T0);
	ck_assert(has_line(text, "bulwark_config_reloads_total{result=\"ok\"} 0"));
	free(text);
}
END_TEST

/* The metric family a sample line belongs to, given the TYPE it needs. */
static void family_of(const char *line, const char *type, char *out,
    size_t outlen)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	size_t len = strcspn(line, "{ ");

	snprintf(out, outlen, "%.*s", (int)len, line);
	if (strcmp(type, "histogram") != 0)
		return;
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(suffixes[i]);

		if (len > n && strcmp(out + len - n, suffixes[i]) == 0)
			out[len - n] = '\0';
	}
}

START_TEST(every_sample_follows_its_help_and_type)
{
	char help[128] = "", type_name[128] = "", type[32] = "", family[128];
	unsigned samples = 0;
	char *text, *line, *save;

	fixture_start();
	connect_once("192.0.2.1", T0);
	text = metrics_render(store, T0);
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "# HELP %127s", help) == 1)
			continue;
		if (sscanf(line, "# TYPE %127s %31s", type_name, type) == 2) {
			ck_assert_str_eq(type_name, help);
			ck_assert_msg(strcmp(type, "counter") != 0 ||
			    strstr(type_name, "_total") != NULL,
			    "counter %s does not end in _total", type_name);
			continue;
		}
		ck_assert_msg(line[0] != '#', "stray comment %s", line);
		ck_assert_msg(strncmp(line, "bulwark_", 8) == 0, "%s", line);
		family_of(line, type, family, sizeof(family));
		ck_assert_str_eq(family, type_name);
		samples++;
	}
	ck_assert_uint_gt(samples, 40);
	free(text);
}
END_TEST

/* The JSON entry of a counter or gauge, as its text line would read. */
static void json_line(const json_t *counter, char *buf, size_t len)
{
	snprintf(buf, len, "%s %lld",
	    json_string_value(json_object_get(counter, "name")),
	    (long long)json_integer_value(json_object_get(counter, "value")));
}

START_TEST(json_counters_are_the_text_samples)
{
	struct metrics_table table;
	char *text, *line, *save, type[32] = "", entry[512];
	json_t *counters;
	size_t n = 0;

	fixture_start();
	connect_once("192.0.2.1", T0);
	metrics_store_latency_ns(1000);
	metrics_table_build(&table, store, T0);
	text = metrics_text(&table);
	counters = metrics_json(&table);
	metrics_table_free(&table);
	/* Every counter and gauge sample, in order; no histogram sample. */
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "# TYPE %*s %31s", type) == 1 ||
		    line[0] == '#' || strcmp(type, "histogram") == 0)
			continue;
		ck_assert_uint_lt(n, json_array_size(counters));
		json_line(json_array_get(counters, n++), entry, sizeof(entry));
		ck_assert_str_eq(entry, line);
	}
	ck_assert_uint_eq(n, json_array_size(counters));
	ck_assert_uint_gt(n, 30);
	json_line(json_array_get(counters, 1), entry, sizeof(entry));
	ck_assert_str_eq(entry, "bulwark_connections_total 1");
	json_decref(counters);
	free(text);
}
END_TEST

static void *count_many(void *arg)
{
	for (int i = 0; i < 100000; i++) {
		metrics_connection();
		metrics_refusal(DETECTOR_DHA, ACTION_REJECT);
	}
	return arg;
}

START_TEST(counting_from_many_threads_loses_nothing)
{
	pthread_t threads[4];
	char *text;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, count_many, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	text = metrics_render(NULL, T0);
	ck_assert(has_line(text, "bulwark_connections_total 400000"));
	ck_assert(has_line(text, "bulwark_refusals_total{detector=\"dha\",action=\"reject\"} 400000"));
	free(text);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *suite = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, fixture_teardown);
	tcase_add_test(tc, fresh_counters_are_zero);
	tcase_add_test(tc, dos_trip_counts_connections_block_and_refusals);
	tcase_add_test(tc, reject_and_log_actions_have_their_own_series);
	tcase_add_test(tc, blocked_list_excluded_and_addressless_connections);
	tcase_add_test(tc, dha_refusal_counted_once_not_per_replay);
	tcase_add_test(tc, flagged_connection_counted_with_its_action);
	tcase_add_test(tc, attack_block_in_monitor_mode_counted_once);
	tcase_add_test(tc, store_errors_and_degraded_state);
	tcase_add_test(tc, latency_histogram_buckets);
	tcase_add_test(tc, latency_buckets_cumulative_and_end_at_count);
	tcase_add_test(tc, reloads_by_result);
	tcase_add_test(tc, every_sample_follows_its_help_and_type);
	tcase_add_test(tc, json_counters_are_the_text_samples);
	tcase_add_test(tc, counting_from_many_threads_loses_nothing);
	tcase_add_test(tc, verified_exclusions_and_escalated_blocks);
	tcase_add_test(tc, network_blocks_counted);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(metrics_suite());
	int failed;

	log_set_level(LOG_LEVEL_ERROR);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
