/*
 * check_policy.c - the rule engine end to end on the memory store, with an
 * injected clock: thresholds, fixed and sliding blocks, resets, detectors
 * and hosts kept apart, exclusions, the blocked list, monitor mode.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "hostlist.h"
#include "log.h"
#include "policy.h"
#include "policy_fixture.h"
#include "recipients.h"
#include "store.h"
#include "test_files.h"

static struct host_addr addr_of(const char *text)
{
	struct host_addr addr;

	ck_assert_int_eq(addr_parse(text, &addr), 0);
	return addr;
}

/* Connect and close at once; return the verdict kind. */
static enum verdict_kind connect_once(const char *ip, int64_t now,
    struct verdict *verdict)
{
	struct host_addr addr = addr_of(ip);
	struct verdict local;
	struct verdict *v = verdict != NULL ? verdict : &local;

	policy_close(policy_connect(policy, &addr, now, v));
	return v->kind;
}

static struct policy_session *open_session(const char *ip, int64_t now)
{
	struct host_addr addr = addr_of(ip);
	struct verdict verdict;
	struct policy_session *s = policy_connect(policy, &addr, now, &verdict);

	ck_assert_int_eq(verdict.kind, VERDICT_CONTINUE);
	return s;
}

/*
 * Start with flagged connections refused (tempfail) past max_commands
 * unexpected commands; open a session of 192.0.2.1.
 */
static struct policy_session *attack_session(unsigned max_commands)
{
	cfg->attack_action = ACTION_TEMPFAIL;
	cfg->attack_max_commands = max_commands;
	fixture_start();
	return open_session("192.0.2.1", T0);
}

static enum verdict_kind rejected_rcpt(struct policy_session *s,
    const char *status, int64_t now, struct verdict *verdict)
{
	struct policy_rcpt rcpt = { "<nobody@example.org>", true, status };

	policy_rcpt(s, &rcpt, now, verdict);
	return verdict->kind;
}

START_TEST(dos_threshold_trips_on_max_plus_one)
{
	struct verdict v;

	fixture_start();
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0 + i, NULL), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 3, &v), VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.rcode, "421");
	ck_assert_str_eq(v.xcode, "4.7.0");
	ck_assert_str_eq(v.text, "Too many connections from 192.0.2.1, try again later");
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 4, NULL), VERDICT_TEMPFAIL);
	ck_assert_int_eq(connect_once("192.0.2.2", T0 + 4, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(dos_window_restarts_after_period)
{
	fixture_start();
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0, NULL), VERDICT_CONTINUE);
	/* A new evaluation period: three more pass. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0 + 60, NULL), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 61, NULL), VERDICT_TEMPFAIL);
}
END_TEST

START_TEST(fixed_block_ends_and_starts_afresh)
{
	fixture_start();
	for (int i = 0; i < 4; i++)
		connect_once("192.0.2.1", T0, NULL);
	/* Retries during the block do not move its end. */
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 599, NULL), VERDICT_TEMPFAIL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0 + 600, NULL), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 600, NULL), VERDICT_TEMPFAIL);
}
END_TEST

START_TEST(sliding_block_extended_by_retries)
{
	cfg->rules[DETECTOR_DOS].sliding = true;
	fixture_start();
	for (int i = 0; i < 4; i++)
		connect_once("192.0.2.1", T0, NULL);
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 599, NULL), VERDICT_TEMPFAIL);
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 1198, NULL), VERDICT_TEMPFAIL);
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 1798, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(reject_action_at_connect_is_554)
{
	struct verdict v;

	cfg->actions[DETECTOR_DOS] = ACTION_REJECT;
	fixture_start();
	for (int i = 0; i < 3; i++)
		connect_once("192.0.2.1", T0, NULL);
	ck_assert_int_eq(connect_once("192.0.2.1", T0, &v), VERDICT_REJECT);
	ck_assert_str_eq(v.rcode, "554");
	ck_assert_str_eq(v.xcode, "5.7.1");
}
END_TEST

START_TEST(log_action_and_monitor_only_never_refuse)
{
	struct store_host host;
	struct host_key key;
	struct host_addr addr = addr_of("192.0.2.1");

	cfg->monitor_only = true;
	fixture_start();
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0, NULL), VERDICT_CONTINUE);
	/* The block is still recorded: monitor mode shows what would happen. */
	addr_key(&addr, 32, 64, &key);
	ck_assert_int_eq(store_lookup(store, &key, &host), 0);
	ck_assert_int_eq(host.state[DETECTOR_DOS].block_until, T0 + 600);
}
END_TEST

START_TEST(log_action_does_not_refuse)
{
	cfg->actions[DETECTOR_DOS] = ACTION_LOG;
	fixture_start();
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(reply_percent_doubled_for_milter)
{
	struct verdict v;

	free(cfg->replies[DETECTOR_DOS]);
	cfg->replies[DETECTOR_DOS] = strdup("100%% sure: %a");
	fixture_start();
	for (int i = 0; i < 3; i++)
		connect_once("192.0.2.1", T0, NULL);
	connect_once("192.0.2.1", T0, &v);
	ck_assert_str_eq(v.text, "100%% sure: 192.0.2.1");
}
END_TEST

START_TEST(dha_counts_only_listed_status_codes)
{
	struct policy_session *s;
	struct verdict v;

	fixture_start();
	s = open_session("192.0.2.1", T0);
	ck_assert_int_eq(rejected_rcpt(s, "5.7.1", T0, &v), VERDICT_CONTINUE);
	ck_assert_int_eq(rejected_rcpt(s, "4.7.1", T0, &v), VERDICT_CONTINUE);
	ck_assert_int_eq(rejected_rcpt(s, NULL, T0, &v), VERDICT_CONTINUE);
	ck_assert_int_eq(rejected_rcpt(s, "5.7.1", T0, &v), VERDICT_CONTINUE);
	ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v), VERDICT_CONTINUE);
	ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v), VERDICT_CONTINUE);
	ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v), VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.text, "Too many invalid recipients from 192.0.2.1");
	policy_close(s);
}
END_TEST

START_TEST(dha_trip_refuses_rest_of_session_and_next_connect)
{
	struct policy_session *s;
	struct verdict v;
	struct policy_rcpt good = { "<user@example.org>", false, NULL };

	fixture_start();
	s = open_session("192.0.2.1", T0);
	for (int i = 0; i < 3; i++)
		rejected_rcpt(s, "5.1.1", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	/* Postfix ignores that verdict: every later event carries it. */
	policy_rcpt(s, &good, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_data(s, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_mail(s, NULL, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_helo(s, "x", false, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_close(s);
	/* A DHA block refuses at CONNECT, and is not a DoS count. */
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 1, &v), VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.text, "Too many invalid recipients from 192.0.2.1");
	ck_assert_int_eq(connect_once("192.0.2.9", T0 + 1, NULL), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 900, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(dha_counts_add_up_across_sessions)
{
	struct policy_session *s;
	struct verdict v;

	fixture_start();
	for (int i = 0; i < 2; i++) {
		s = open_session("192.0.2.1", T0 + i);
		ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0 + i, &v), VERDICT_CONTINUE);
		policy_close(s);
	}
	s = open_session("192.0.2.1", T0 + 2);
	ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0 + 2, &v), VERDICT_TEMPFAIL);
	policy_close(s);
}
END_TEST

START_TEST(dha_recipients_file_rejects_unknown_users)
{
	char path[TMP_PATH_MAX], err[256];
	struct policy_session *s;
	struct verdict v;
	struct policy_rcpt known = { "<Alice@Example.ORG>", false, NULL };
	struct policy_rcpt unknown = { "<mallory@example.org>", false, NULL };
	struct policy_rcpt postmaster = { "<Postmaster>", false, NULL };

	tmp_setup();
	tmp_text(path, "rcpt", "alice@example.org\n");
	cfg->dha_recipients = recipients_load(path, err, sizeof(err));
	ck_assert_msg(cfg->dha_recipients != NULL, "%s", err);
	tmp_teardown();
	fixture_start();
	s = open_session("192.0.2.1", T0);
	policy_rcpt(s, &known, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	/* RFC 5321's bare postmaster is never an invalid recipient. */
	for (int i = 0; i < 3; i++) {
		policy_rcpt(s, &postmaster, T0, &v);
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	}
	policy_rcpt(s, &unknown, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_REJECT);
	ck_assert_str_eq(v.rcode, "550");
	ck_assert_str_eq(v.xcode, "5.1.1");
	policy_rcpt(s, &unknown, T0, &v);
	ck_assert_str_eq(v.xcode, "5.1.1");
	policy_rcpt(s, &unknown, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.rcode, "421");
	policy_close(s);
}
END_TEST

START_TEST(attack_flags_after_max_commands)
{
	struct policy_session *s;
	struct verdict v;

	s = attack_session(2);
	policy_unknown(s, "FOO", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	policy_unknown(s, "FOO", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	policy_unknown(s, "FOO", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.text, "Possible SMTP attack from 192.0.2.1");
	policy_mail(s, NULL, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_close(s);
	/* With max_flagged off, flagging alone blocks nothing. */
	ck_assert_int_eq(connect_once("192.0.2.1", T0, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(attack_log_action_only_logs)
{
	struct policy_session *s;
	struct verdict v;

	fixture_start();
	s = open_session("192.0.2.1", T0);
	for (int i = 0; i < 20; i++) {
		policy_unknown(s, "\x01\xff binary", T0, &v);
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	}
	policy_close(s);
}
END_TEST

START_TEST(attack_helo_after_starttls_is_expected)
{
	struct policy_session *s;
	struct verdict v;

	s = attack_session(1);
	policy_helo(s, "a", false, T0, &v);
	policy_helo(s, "a", true, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	policy_helo(s, "a", true, T0, &v);	/* unexpected: 1 */
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	policy_helo(s, "a", true, T0, &v);	/* unexpected: 2 > 1 */
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_close(s);
}
END_TEST

START_TEST(attack_rset_counts_only_when_enabled_and_in_transaction)
{
	struct policy_session *s;
	struct verdict v;

	s = attack_session(1);
	for (int i = 0; i < 5; i++) {
		policy_mail(s, NULL, T0, &v);
		policy_abort(s, T0);
	}
	policy_unknown(s, "X", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	policy_close(s);

	cfg->attack_count |= ATTACK_COUNT_RSET;
	s = open_session("192.0.2.2", T0);
	policy_abort(s, T0);	/* no transaction: not counted */
	policy_abort(s, T0);
	policy_mail(s, NULL, T0, &v);
	policy_abort(s, T0);
	policy_mail(s, NULL, T0, &v);
	policy_abort(s, T0);
	/* The abort's verdict is replayed on the next event. */
	policy_mail(s, NULL, T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_close(s);
}
END_TEST

START_TEST(attack_max_flagged_blocks_host)
{
	struct policy_session *s;
	struct verdict v;

	cfg->rules[DETECTOR_ATTACK].enabled = true;
	cfg->rules[DETECTOR_ATTACK].max = 1;
	cfg->rules[DETECTOR_ATTACK].period = 3600;
	cfg->rules[DETECTOR_ATTACK].block = 3600;
	fixture_start();
	for (int conn = 0; conn < 2; conn++) {
		s = open_session("192.0.2.1", T0);
		for (int i = 0; i < 3; i++)
			policy_unknown(s, "X", T0, &v);
		policy_close(s);
	}
	/* The second flagged connection tripped the rule itself. */
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 1, &v), VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.text, "Possible SMTP attack from 192.0.2.1");
	ck_assert_int_eq(connect_once("192.0.2.1", T0 + 3600, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(excluded_hosts_never_counted)
{
	struct policy_session *s;
	struct verdict v;

	fixture_start();
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(connect_once("127.0.0.1", T0, NULL), VERDICT_CONTINUE);
	s = open_session("::1", T0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v), VERDICT_CONTINUE);
	policy_close(s);
}
END_TEST

START_TEST(verified_domain_hosts_never_counted)
{
	struct host_addr addr = addr_of("192.0.2.1");
	struct verdict v;
	char *domains[] = { "google.com" };

	cfg->exclude_verified_domains = domains;
	cfg->exclude_verified_domain_count = 1;
	fixture_start();
	for (int i = 0; i < 10; i++) {
		policy_close(policy_connect_named(policy, &addr,
		    "mx1.mail.google.com", T0, &v));
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	}
	/* The same address without a verified name, or with another one. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0, NULL),
		    VERDICT_CONTINUE);
	policy_close(policy_connect_named(policy, &addr, "mx.evilgoogle.com",
	    T0, &v));
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	cfg->exclude_verified_domains = NULL;
	cfg->exclude_verified_domain_count = 0;
}
END_TEST

/* With dha.min_ratio the valid recipients of a session count too. */
START_TEST(dha_min_ratio_spares_mostly_valid_senders)
{
	struct policy_rcpt valid = { "<alice@example.org>", false, NULL };
	struct policy_session *s;
	struct verdict v;

	cfg->rules[DETECTOR_DHA].min_ratio = RULE_RATIO_ONE / 2;
	fixture_start();
	s = open_session("192.0.2.1", T0);
	for (int i = 0; i < 4; i++) {
		policy_rcpt(s, &valid, T0, &v);
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	}
	/* 3 invalid of 7: over max_invalid (2) but under half. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v),
		    VERDICT_CONTINUE);
	/* The 4th makes 4 of 8: exactly half trips. */
	ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v), VERDICT_TEMPFAIL);
	policy_close(s);
}
END_TEST

/* %d and %u: the detector and the end of its block. */
START_TEST(reply_names_detector_and_end)
{
	struct verdict v;

	free(cfg->replies[DETECTOR_DOS]);
	cfg->replies[DETECTOR_DOS] = strdup("%d block of %a until %u");
	fixture_start();
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(connect_once("192.0.2.1", T0, NULL),
		    VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("192.0.2.1", T0, &v), VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.text,
	    "dos block of 192.0.2.1 until 2023-11-14T22:23:20Z");
}
END_TEST

START_TEST(authenticated_clients_not_counted)
{
	struct policy_session *s;
	struct verdict v;

	fixture_start();
	s = open_session("192.0.2.1", T0);
	policy_mail(s, "alice", T0, &v);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v), VERDICT_CONTINUE);
	policy_close(s);

	cfg->exclude_authenticated = false;
	s = open_session("192.0.2.2", T0);
	policy_mail(s, "alice", T0, &v);
	for (int i = 0; i < 3; i++)
		rejected_rcpt(s, "5.1.1", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_close(s);
}
END_TEST

/* The inputs a counted session needs, as one bit each (TLS, AUTH, RCPT). */
static unsigned needs_of(const struct policy_session *s)
{
	return (policy_needs(s, POLICY_INPUT_TLS) ? 1u : 0u) |
	    (policy_needs(s, POLICY_INPUT_AUTH) ? 2u : 0u) |
	    (policy_needs(s, POLICY_INPUT_RCPT_REJECTED) ? 4u : 0u);
}

START_TEST(inputs_needed_only_while_they_count)
{
	struct policy_session *s;
	struct verdict v;

	fixture_start();
	s = open_session("192.0.2.1", T0);
	ck_assert_uint_eq(needs_of(s), 7);
	policy_mail(s, "alice", T0, &v);
	ck_assert_uint_eq(needs_of(s), 0);
	policy_close(s);
	s = open_session("127.0.0.1", T0);
	ck_assert_uint_eq(needs_of(s), 0);
	policy_close(s);
	s = policy_connect(policy, NULL, T0, &v);
	ck_assert_uint_eq(needs_of(s), 0);
	policy_close(s);

	cfg->attack_count = ATTACK_COUNT_UNKNOWN;
	cfg->exclude_authenticated = false;
	s = open_session("192.0.2.2", T0);
	ck_assert_uint_eq(needs_of(s), 4);
	for (int i = 0; i < 3; i++)
		rejected_rcpt(s, "5.1.1", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	ck_assert_uint_eq(needs_of(s), 0);
	policy_close(s);
}
END_TEST

START_TEST(blocked_list_always_refused)
{
	char err[128];
	struct verdict v;

	ck_assert_int_eq(hostlist_add(cfg->blocked, "198.51.100.0/24", err, sizeof(err)), 0);
	ck_assert_int_eq(hostlist_add(cfg->blocked, "127.0.0.2", err, sizeof(err)), 0);
	fixture_start();
	ck_assert_int_eq(connect_once("198.51.100.77", T0, &v), VERDICT_REJECT);
	ck_assert_str_eq(v.rcode, "554");
	/* The blocked list wins over the exclude list. */
	ck_assert_int_eq(connect_once("127.0.0.2", T0, NULL), VERDICT_REJECT);
	ck_assert_int_eq(connect_once("198.51.101.1", T0, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(blocked_list_tempfail_action)
{
	char err[128];
	struct verdict v;

	ck_assert_int_eq(hostlist_add(cfg->blocked, "2001:db8::/32", err, sizeof(err)), 0);
	cfg->blocked_action = ACTION_TEMPFAIL;
	fixture_start();
	ck_assert_int_eq(connect_once("2001:db8:1::5", T0, &v), VERDICT_TEMPFAIL);
	ck_assert_str_eq(v.rcode, "421");
}
END_TEST

START_TEST(ipv6_prefix_groups_addresses)
{
	fixture_start();
	ck_assert_int_eq(connect_once("2001:db8:1:2::1", T0, NULL), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("2001:db8:1:2::2", T0, NULL), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("2001:db8:1:2:ffff::3", T0, NULL), VERDICT_CONTINUE);
	ck_assert_int_eq(connect_once("2001:db8:1:2::4", T0, NULL), VERDICT_TEMPFAIL);
	ck_assert_int_eq(connect_once("2001:db8:1:3::1", T0, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(ipv4_prefix_groups_addresses)
{
	cfg->ipv4_prefix = 24;
	fixture_start();
	for (int i = 1; i <= 3; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "203.0.113.%d", i);
		ck_assert_int_eq(connect_once(ip, T0, NULL), VERDICT_CONTINUE);
	}
	ck_assert_int_eq(connect_once("203.0.113.200", T0, NULL), VERDICT_TEMPFAIL);
	ck_assert_int_eq(connect_once("203.0.114.1", T0, NULL), VERDICT_CONTINUE);
}
END_TEST

START_TEST(connection_without_address_never_counted)
{
	struct verdict v;

	fixture_start();
	for (int i = 0; i < 10; i++) {
		policy_close(policy_connect(policy, NULL, T0, &v));
		ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	}
}
END_TEST

START_TEST(detectors_independent)
{
	struct policy_session *s;
	struct verdict v;

	fixture_start();
	/* Three connections: DoS at its limit, not over it. */
	for (int i = 0; i < 2; i++)
		connect_once("192.0.2.1", T0, NULL);
	s = open_session("192.0.2.1", T0);
	ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v), VERDICT_CONTINUE);
	ck_assert_int_eq(rejected_rcpt(s, "5.1.1", T0, &v), VERDICT_CONTINUE);
	policy_close(s);
}
END_TEST

START_TEST(session_keeps_its_config_across_reload)
{
	struct config *next = config_defaults();
	struct policy_session *s;
	struct verdict v;

	next->rules[DETECTOR_DHA].max = 100;
	fixture_start();
	s = open_session("192.0.2.1", T0);
	policy_set_config(policy, next);
	for (int i = 0; i < 3; i++)
		rejected_rcpt(s, "5.1.1", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_TEMPFAIL);
	policy_close(s);
	s = open_session("192.0.2.2", T0);
	for (int i = 0; i < 3; i++)
		rejected_rcpt(s, "5.1.1", T0, &v);
	ck_assert_int_eq(v.kind, VERDICT_CONTINUE);
	policy_close(s);
}
END_TEST

struct observed {
	unsigned events;
	unsigned trips;
	enum detector detector;
	int64_t now;
	int64_t until;
};

static void observe(const struct store_event *event,
    const struct store_result *result, void *arg)
{
	struct observed *o = arg;

	o->events++;
	if (result->outcome == RULE_TRIPPED) {
		o->trips++;
		o->detector = result->detector;
		o->now = event->now;
		o->until = result->block_until;
	}
}

START_TEST(observer_sees_every_store_operation)
{
	struct observed o = { 0 };
	struct verdict v;

	struct host_addr a = addr_of("192.0.2.1");

	fixture_start();
	policy_set_observer(policy, observe, &o);
	for (int i = 0; i < 5; i++)
		policy_close(policy_connect(policy, &a, T0 + i, &v));
	ck_assert_uint_eq(o.events, 5);
	ck_assert_uint_eq(o.trips, 1);
	ck_assert_int_eq(o.detector, DETECTOR_DOS);
	ck_assert_int_eq(o.now, T0 + 3);
	ck_assert_int_eq(o.until, T0 + 3 + 600);
	policy_set_observer(policy, NULL, NULL);
	policy_close(open_session("192.0.2.2", T0));
	ck_assert_uint_eq(o.events, 5);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *suite = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, dos_threshold_trips_on_max_plus_one);
	tcase_add_test(tc, dos_window_restarts_after_period);
	tcase_add_test(tc, fixed_block_ends_and_starts_afresh);
	tcase_add_test(tc, sliding_block_extended_by_retries);
	tcase_add_test(tc, reject_action_at_connect_is_554);
	tcase_add_test(tc, log_action_and_monitor_only_never_refuse);
	tcase_add_test(tc, log_action_does_not_refuse);
	tcase_add_test(tc, reply_percent_doubled_for_milter);
	tcase_add_test(tc, dha_counts_only_listed_status_codes);
	tcase_add_test(tc, dha_trip_refuses_rest_of_session_and_next_connect);
	tcase_add_test(tc, dha_counts_add_up_across_sessions);
	tcase_add_test(tc, dha_recipients_file_rejects_unknown_users);
	tcase_add_test(tc, attack_flags_after_max_commands);
	tcase_add_test(tc, attack_log_action_only_logs);
	tcase_add_test(tc, attack_helo_after_starttls_is_expected);
	tcase_add_test(tc, attack_rset_counts_only_when_enabled_and_in_transaction);
	tcase_add_test(tc, attack_max_flagged_blocks_host);
	tcase_add_test(tc, excluded_hosts_never_counted);
	tcase_add_test(tc, verified_domain_hosts_never_counted);
	tcase_add_test(tc, dha_min_ratio_spares_mostly_valid_senders);
	tcase_add_test(tc, reply_names_detector_and_end);
	tcase_add_test(tc, authenticated_clients_not_counted);
	tcase_add_test(tc, inputs_needed_only_while_they_count);
	tcase_add_test(tc, blocked_list_always_refused);
	tcase_add_test(tc, blocked_list_tempfail_action);
	tcase_add_test(tc, ipv6_prefix_groups_addresses);
	tcase_add_test(tc, ipv4_prefix_groups_addresses);
	tcase_add_test(tc, connection_without_address_never_counted);
	tcase_add_test(tc, detectors_independent);
	tcase_add_test(tc, session_keeps_its_config_across_reload);
	tcase_add_test(tc, observer_sees_every_store_operation);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(policy_suite());
	int failed;

	log_set_level(LOG_LEVEL_ERROR);
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
