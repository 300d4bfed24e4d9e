/*
 * check_config.c - unit tests for lib/config.c: the defaults, a file that
 * sets every key, each kind of error with its exact "file:line: what",
 * the files a configuration names, reference counting, and the sample
 * etc/bulwark.conf, which must equal the defaults.
 *
 * The suite runs from the top of the source tree (make check), where it
 * finds etc/bulwark.conf.  Other files live in a temporary directory made
 * once per test case (an unchecked fixture, so it is removed even when a
 * test fails); tests overwrite the files they need.
 */
#include <check.h>
#include <libconfig.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "addr.h"
#include "config.h"
#include "duration.h"
#include "hostlist.h"
#include "recipients.h"
#include "test_files.h"

#define SAMPLE_CONF "etc/bulwark.conf"

static char conf_path[TMP_PATH_MAX];
static char err[CONFIG_ERROR_MAX];

static struct config *load_text(const char *text)
{
	tmp_text(conf_path, "bulwark.conf", text);
	return config_load(conf_path, err, sizeof(err));
}

static struct config *load_ok(const char *text)
{
	struct config *cfg = load_text(text);

	ck_assert_msg(cfg != NULL, "config_load failed: %s", err);
	return cfg;
}

/* The text must be refused with exactly "conf_path:line: what". */
static void load_fails(const char *text, int line, const char *what)
{
	char want[CONFIG_ERROR_MAX];

	ck_assert_ptr_null(load_text(text));
	snprintf(want, sizeof(want), "%s:%d: %s", conf_path, line, what);
	ck_assert_str_eq(err, want);
}

static bool listed(const struct hostlist *list, const char *text)
{
	struct host_addr addr;

	ck_assert_msg(addr_parse(text, &addr) == 0, "bad test address %s", text);
	return hostlist_match(list, &addr);
}

/* The reason hostlist_add gives for entry. */
static const char *hostlist_reason(const char *entry)
{
	static char reason[CONFIG_ERROR_MAX];
	struct hostlist *list = hostlist_new();

	ck_assert_int_eq(hostlist_add(list, entry, reason, sizeof(reason)), -1);
	hostlist_free(list);
	return reason;
}

static void assert_rule(const struct rule *r, bool enabled, bool sliding,
    uint32_t max, uint32_t period, uint32_t block)
{
	ck_assert_int_eq(r->enabled, enabled);
	ck_assert_int_eq(r->sliding, sliding);
	ck_assert_uint_eq(r->max, max);
	ck_assert_uint_eq(r->period, period);
	ck_assert_uint_eq(r->block, block);
}

/* What a configuration sets for one detector. */
struct detector_want {
	struct rule rule;
	enum action action;
	const char *reply;
};

static void assert_detectors(const struct config *cfg,
    const struct detector_want want[DETECTOR_COUNT])
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		const struct rule *r = &want[d].rule;

		assert_rule(&cfg->rules[d], r->enabled, r->sliding, r->max,
		    r->period, r->block);
		ck_assert_int_eq(cfg->actions[d], want[d].action);
		ck_assert_str_eq(cfg->replies[d], want[d].reply);
	}
}

static void assert_rules_equal(const struct config *a, const struct config *b)
{
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		const struct rule *r = &b->rules[d];

		ck_assert_uint_eq(a->rules[d].min_ratio, r->min_ratio);
		ck_assert_uint_eq(a->rules[d].sliding_max, r->sliding_max);
		ck_assert_uint_eq(a->rules[d].escalate_factor, r->escalate_factor);
		ck_assert_uint_eq(a->rules[d].escalate_max, r->escalate_max);
		ck_assert_uint_eq(a->rules[d].escalate_forget, r->escalate_forget);
		assert_rule(&a->rules[d], r->enabled, r->sliding, r->max,
		    r->period, r->block);
		ck_assert_int_eq(a->actions[d], b->actions[d]);
		ck_assert_str_eq(a->replies[d], b->replies[d]);
		ck_assert_int_eq(a->networks[d].set, b->networks[d].set);
		ck_assert_uint_eq(a->networks[d].max, b->networks[d].max);
		ck_assert_int_eq(a->net_rules[d].enabled,
		    b->net_rules[d].enabled);
	}
}

static void assert_hostlists_equal(const struct hostlist *a,
    const struct hostlist *b)
{
	static const char *const probes[] = {
		"127.0.0.1", "127.255.255.254", "::1", "::2", "10.0.0.1",
		"192.0.2.1", "2001:db8::1"
	};

	ck_assert_uint_eq(hostlist_count(a), hostlist_count(b));
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		ck_assert_int_eq(listed(a, probes[i]), listed(b, probes[i]));
}

/* Every field but path and refs. */
static void assert_config_equal(const struct config *a, const struct config *b)
{
	ck_assert_str_eq(a->socket, b->socket);
	ck_assert_uint_eq(a->socket_mode, b->socket_mode);
	ck_assert_str_eq(a->pidfile, b->pidfile);
	ck_assert_str_eq(a->user, b->user);
	ck_assert_str_eq(a->group, b->group);
	ck_assert_str_eq(a->control, b->control);
	ck_assert_uint_eq(a->control_mode, b->control_mode);
	ck_assert_int_eq(a->syslog_facility, b->syslog_facility);
	ck_assert_int_eq(a->log_level, b->log_level);
	ck_assert_int_eq(a->monitor_only, b->monitor_only);
	ck_assert_str_eq(a->metrics_listen, b->metrics_listen);
	ck_assert_str_eq(a->store, b->store);
	ck_assert_uint_eq(a->memory_max_hosts, b->memory_max_hosts);
	ck_assert_uint_eq(a->ipv4_prefix, b->ipv4_prefix);
	ck_assert_uint_eq(a->ipv6_prefix, b->ipv6_prefix);
	assert_hostlists_equal(a->exclude, b->exclude);
	ck_assert_str_eq(a->exclude_file, b->exclude_file);
	ck_assert_int_eq(a->exclude_authenticated, b->exclude_authenticated);
	assert_hostlists_equal(a->blocked, b->blocked);
	ck_assert_str_eq(a->blocked_file, b->blocked_file);
	ck_assert_int_eq(a->blocked_action, b->blocked_action);
	assert_rules_equal(a, b);
	ck_assert_uint_eq(a->dha_status_code_count, b->dha_status_code_count);
	for (size_t i = 0; i < a->dha_status_code_count; i++)
		ck_assert_str_eq(a->dha_status_codes[i], b->dha_status_codes[i]);
	ck_assert_str_eq(a->dha_recipients_file, b->dha_recipients_file);
	ck_assert_int_eq(a->dha_recipients == NULL, b->dha_recipients == NULL);
	ck_assert_int_eq(a->attack_enabled, b->attack_enabled);
	ck_assert_uint_eq(a->attack_max_commands, b->attack_max_commands);
	ck_assert_uint_eq(a->attack_count, b->attack_count);
	ck_assert_int_eq(a->attack_action, b->attack_action);
}

static const struct detector_want default_detectors[DETECTOR_COUNT] = {
	[DETECTOR_DOS] = { { true, false, 100, 60, 600 }, ACTION_TEMPFAIL,
	    "Too many connections from %a, try again later" },
	[DETECTOR_DHA] = { { true, false, 10, 300, 900 }, ACTION_TEMPFAIL,
	    "Too many invalid recipients from %a" },
	/* max_flagged 0: flagged connections are never counted. */
	[DETECTOR_ATTACK] = { { false, false, 0, 3600, 3600 }, ACTION_TEMPFAIL,
	    "Possible SMTP attack from %a" },
	[DETECTOR_MANUAL] = { { true, false, UINT32_MAX, 1, 0 },
	    ACTION_TEMPFAIL, "Connection refused for %a" },
};

START_TEST(daemon_keys_read)
{
	struct config *cfg = load_ok("node = \"mx1\";\nmta_warn_after = \"5m\";\n"
	    "log_file = \"stderr\";\nstate_file = \"/var/lib/bulwark/state\";\n"
	    "pidfile = \"\";\n");

	ck_assert_str_eq(cfg->node, "mx1");
	ck_assert_uint_eq(cfg->mta_warn_after, 300);
	ck_assert_str_eq(cfg->log_file, "stderr");
	ck_assert_str_eq(cfg->state_file, "/var/lib/bulwark/state");
	ck_assert_str_eq(cfg->pidfile, "");
	config_unref(cfg);
	cfg = load_ok("mta_warn_after = 0;\nlog_file = \"/var/log/bulwark.log\";\n");
	ck_assert_uint_eq(cfg->mta_warn_after, 0);
	ck_assert_str_eq(cfg->log_file, "/var/log/bulwark.log");
	config_unref(cfg);
}
END_TEST

START_TEST(defaults_every_key)
{
	struct config *cfg = config_defaults();

	ck_assert_str_eq(cfg->path, "(defaults)");
	ck_assert_int_eq(cfg->refs, 1);
	ck_assert_str_eq(cfg->socket, "unix:/run/bulwark/bulwark.sock");
	ck_assert_uint_eq(cfg->socket_mode, 0660);
	ck_assert_str_eq(cfg->pidfile, "/run/bulwark/bulwark.pid");
	ck_assert_int_eq(cfg->syslog_facility, LOG_MAIL);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_INFO);
	ck_assert(!cfg->monitor_only);
	ck_assert_str_eq(cfg->metrics_listen, "127.0.0.1:9713");
	ck_assert_str_eq(cfg->node, "");
	ck_assert_uint_eq(cfg->mta_warn_after, 600);
	ck_assert_str_eq(cfg->log_file, "");
	ck_assert_str_eq(cfg->state_file, "");
	ck_assert_str_eq(cfg->store, "memory");
	ck_assert_uint_eq(cfg->memory_max_hosts, 1000000);
	ck_assert_uint_eq(cfg->ipv4_prefix, 32);
	ck_assert_uint_eq(cfg->ipv6_prefix, 64);
	ck_assert_uint_eq(hostlist_count(cfg->exclude), 2);
	ck_assert(listed(cfg->exclude, "127.0.0.1"));
	ck_assert(listed(cfg->exclude, "127.200.1.1"));
	ck_assert(listed(cfg->exclude, "::1"));
	ck_assert(!listed(cfg->exclude, "128.0.0.1"));
	ck_assert(!listed(cfg->exclude, "::2"));
	ck_assert_str_eq(cfg->exclude_file, "");
	ck_assert(cfg->exclude_authenticated);
	ck_assert_uint_eq(hostlist_count(cfg->blocked), 0);
	ck_assert_str_eq(cfg->blocked_file, "");
	ck_assert_int_eq(cfg->blocked_action, ACTION_REJECT);

	assert_detectors(cfg, default_detectors);
	ck_assert_uint_eq(cfg->dha_status_code_count, 1);
	ck_assert_str_eq(cfg->dha_status_codes[0], "5.1.1");
	ck_assert_str_eq(cfg->dha_recipients_file, "");
	ck_assert_ptr_null(cfg->dha_recipients);
	ck_assert(cfg->attack_enabled);
	ck_assert_uint_eq(cfg->attack_max_commands, 10);
	ck_assert_uint_eq(cfg->attack_count,
	    ATTACK_COUNT_HELO | ATTACK_COUNT_UNKNOWN);
	ck_assert_int_eq(cfg->attack_action, ACTION_LOG);
	config_unref(cfg);
}
END_TEST

START_TEST(empty_file_is_defaults)
{
	struct config *cfg = load_ok("# nothing set\n");
	struct config *def = config_defaults();

	ck_assert_str_eq(cfg->path, conf_path);
	ck_assert_int_eq(cfg->refs, 1);
	assert_config_equal(cfg, def);
	config_unref(def);
	config_unref(cfg);
}
END_TEST

START_TEST(sample_equals_defaults)
{
	struct config *cfg = config_load(SAMPLE_CONF, err, sizeof(err));
	struct config *def = config_defaults();

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->path, SAMPLE_CONF);
	assert_config_equal(cfg, def);
	config_unref(def);
	config_unref(cfg);
}
END_TEST

static const char full_template[] =
    "socket = \"inet:8890@127.0.0.1\";\n"
    "socket_mode = \"0600\";\n"
    "pidfile = \"/var/run/bw.pid\";\n"
    "syslog_facility = \"local3\";\n"
    "log_level = \"debug\";\n"
    "monitor_only = true;\n"
    "store = \"memory\";\n"
    "memory = { max_hosts = 5000; };\n"
    "ipv4_prefix = 24;\n"
    "ipv6_prefix = 48;\n"
    "exclude = [ \"192.0.2.0/24\" ];\n"
    "exclude_file = \"%s\";\n"
    "exclude_authenticated = false;\n"
    "blocked = ( \"203.0.113.9\", \"2001:db8:bad::/48\" );\n"
    "blocked_file = \"%s\";\n"
    "blocked_action = \"tempfail\";\n"
    "dos = {\n"
    "  enabled = false; max_connections = 7; period = 30; block = \"2h\";\n"
    "  sliding = true; action = \"reject\"; reply = \"Slow down, %%a\";\n"
    "};\n"
    "dha = {\n"
    "  enabled = false; max_invalid = 3; period = \"90s\"; block = \"1d\";\n"
    "  sliding = true; action = \"log\"; reply = \"No harvest from %%a\";\n"
    "  status_codes = [ \"5.1.1\", \"5.1.10\", \"4.2.2\" ];\n"
    "  recipients_file = \"%s\";\n"
    "};\n"
    "attack = {\n"
    "  enabled = true; max_commands = 3; count = [ \"rset\", \"helo\" ];\n"
    "  action = \"tempfail\"; max_flagged = 2; period = \"10m\";\n"
    "  block = 120; sliding = true; reply = \"100%%%% sure: %%a\";\n"
    "};\n";

/* What full_template sets for each detector. */
static const struct detector_want full_detectors[DETECTOR_COUNT] = {
	[DETECTOR_DOS] = { { false, true, 7, 30, 7200 }, ACTION_REJECT,
	    "Slow down, %a" },
	[DETECTOR_DHA] = { { false, true, 3, 90, 86400 }, ACTION_LOG,
	    "No harvest from %a" },
	[DETECTOR_ATTACK] = { { true, true, 2, 600, 120 }, ACTION_TEMPFAIL,
	    "100%% sure: %a" },
	/* Manual blocks are not configurable. */
	[DETECTOR_MANUAL] = { { true, false, UINT32_MAX, 1, 0 },
	    ACTION_TEMPFAIL, "Connection refused for %a" },
};

START_TEST(full_every_key)
{
	char text[4096], ex[TMP_PATH_MAX], bl[TMP_PATH_MAX], rc[TMP_PATH_MAX];
	struct config *cfg;

	tmp_text(ex, "exclude", "198.51.100.7  # a relay\n\n2001:db8::/32\n");
	tmp_text(bl, "blocked", "# none yet\n198.51.100.66\n");
	tmp_text(rc, "recipients", "postmaster@example.org\n@example.net\n");
	snprintf(text, sizeof(text), full_template, ex, bl, rc);
	cfg = load_ok(text);
	ck_assert_str_eq(cfg->socket, "inet:8890@127.0.0.1");
	ck_assert_uint_eq(cfg->socket_mode, 0600);
	ck_assert_str_eq(cfg->pidfile, "/var/run/bw.pid");
	ck_assert_int_eq(cfg->syslog_facility, LOG_LOCAL3);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
	ck_assert(cfg->monitor_only);
	ck_assert_str_eq(cfg->store, "memory");
	ck_assert_uint_eq(cfg->memory_max_hosts, 5000);
	ck_assert_uint_eq(cfg->ipv4_prefix, 24);
	ck_assert_uint_eq(cfg->ipv6_prefix, 48);

	/* The list replaces the defaults; the file adds to the list. */
	ck_assert_uint_eq(hostlist_count(cfg->exclude), 3);
	ck_assert(listed(cfg->exclude, "192.0.2.77"));
	ck_assert(listed(cfg->exclude, "198.51.100.7"));
	ck_assert(listed(cfg->exclude, "2001:db8:ffff::1"));
	ck_assert(!listed(cfg->exclude, "127.0.0.1"));
	ck_assert(!listed(cfg->exclude, "::1"));
	ck_assert_str_eq(cfg->exclude_file, ex);
	ck_assert(!cfg->exclude_authenticated);
	ck_assert_uint_eq(hostlist_count(cfg->blocked), 3);
	ck_assert(listed(cfg->blocked, "203.0.113.9"));
	ck_assert(listed(cfg->blocked, "2001:db8:bad:1::1"));
	ck_assert(listed(cfg->blocked, "198.51.100.66"));
	ck_assert(!listed(cfg->blocked, "203.0.113.10"));
	ck_assert_str_eq(cfg->blocked_file, bl);
	ck_assert_int_eq(cfg->blocked_action, ACTION_TEMPFAIL);

	assert_detectors(cfg, full_detectors);
	ck_assert_uint_eq(cfg->dha_status_code_count, 3);
	ck_assert_str_eq(cfg->dha_status_codes[0], "5.1.1");
	ck_assert_str_eq(cfg->dha_status_codes[1], "5.1.10");
	ck_assert_str_eq(cfg->dha_status_codes[2], "4.2.2");
	ck_assert_str_eq(cfg->dha_recipients_file, rc);
	ck_assert_ptr_nonnull(cfg->dha_recipients);
	ck_assert_uint_eq(recipients_count(cfg->dha_recipients), 2);
	ck_assert(recipients_valid(cfg->dha_recipients,
	    "<postmaster@example.org>"));
	ck_assert(recipients_valid(cfg->dha_recipients, "anyone@example.net"));
	ck_assert(!recipients_valid(cfg->dha_recipients, "root@example.org"));
	ck_assert(cfg->attack_enabled);
	ck_assert_uint_eq(cfg->attack_max_commands, 3);
	ck_assert_uint_eq(cfg->attack_count,
	    ATTACK_COUNT_RSET | ATTACK_COUNT_HELO);
	ck_assert_int_eq(cfg->attack_action, ACTION_TEMPFAIL);
	config_unref(cfg);
}
END_TEST

START_TEST(attack_rule_needs_enabled_and_max_flagged)
{
	struct config *cfg;

	cfg = load_ok("attack = { enabled = false; max_flagged = 5; };\n");
	ck_assert(!cfg->attack_enabled);
	ck_assert(!cfg->rules[DETECTOR_ATTACK].enabled);
	ck_assert_uint_eq(cfg->rules[DETECTOR_ATTACK].max, 5);
	config_unref(cfg);

	cfg = load_ok("attack = { max_flagged = 0; };\n");
	ck_assert(cfg->attack_enabled);
	ck_assert(!cfg->rules[DETECTOR_ATTACK].enabled);
	config_unref(cfg);

	cfg = load_ok("attack = { max_flagged = 1000000; };\n");
	ck_assert(cfg->rules[DETECTOR_ATTACK].enabled);
	ck_assert_uint_eq(cfg->rules[DETECTOR_ATTACK].max, 1000000);
	config_unref(cfg);

	/* An empty count is fine while the detector is off. */
	cfg = load_ok("attack = { enabled = false; count = [ ]; };\n");
	ck_assert_uint_eq(cfg->attack_count, 0);
	config_unref(cfg);
}
END_TEST

START_TEST(durations_and_limits)
{
	struct config *cfg;
	char text[256];

	cfg = load_ok("dos = { period = 1; block = \"45\"; };\n"
	    "dha = { period = \"2d\"; block = \"366d\"; };\n");
	ck_assert_uint_eq(cfg->rules[DETECTOR_DOS].period, 1);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DOS].block, 45);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].period, 2 * 86400);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].block, DURATION_MAX);
	config_unref(cfg);

	snprintf(text, sizeof(text), "attack = { period = %u; };\n"
	    "memory = { max_hosts = 100000000; };\n"
	    "ipv4_prefix = 8; ipv6_prefix = 128;\n"
	    "dos = { max_connections = 10000000; };\n", DURATION_MAX);
	cfg = load_ok(text);
	ck_assert_uint_eq(cfg->rules[DETECTOR_ATTACK].period, DURATION_MAX);
	ck_assert_uint_eq(cfg->memory_max_hosts, 100000000);
	ck_assert_uint_eq(cfg->ipv4_prefix, 8);
	ck_assert_uint_eq(cfg->ipv6_prefix, 128);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DOS].max, 10000000);
	config_unref(cfg);
}
END_TEST

START_TEST(accepted_forms)
{
	struct config *cfg;

	cfg = load_ok("socket = \"inet6:8890@::1\"; socket_mode = \"7\";\n"
	    "exclude = [ ]; dha = { status_codes = [ ]; };\n"
	    "dos = { reply = \"%% %a%%\"; };\n");
	ck_assert_str_eq(cfg->socket, "inet6:8890@::1");
	ck_assert_uint_eq(cfg->socket_mode, 07);
	ck_assert_uint_eq(hostlist_count(cfg->exclude), 0);
	ck_assert(!listed(cfg->exclude, "127.0.0.1"));
	ck_assert_uint_eq(cfg->dha_status_code_count, 0);
	ck_assert(!config_dha_status_counts(cfg, "5.1.1"));
	ck_assert_str_eq(cfg->replies[DETECTOR_DOS], "%% %a%%");
	config_unref(cfg);

	cfg = load_ok("socket = \"inet:25\";\n");
	ck_assert_str_eq(cfg->socket, "inet:25");
	config_unref(cfg);

	cfg = load_ok("socket = \"inet:65535@mx-1.example.org\";\n");
	ck_assert_str_eq(cfg->socket, "inet:65535@mx-1.example.org");
	config_unref(cfg);
}
END_TEST

START_TEST(reply_length_limit)
{
	char text[600];
	char reply[402];
	struct config *cfg;

	memset(reply, 'x', 400);
	reply[400] = '\0';
	snprintf(text, sizeof(text), "dos = { reply = \"%s\"; };\n", reply);
	cfg = load_ok(text);
	ck_assert_uint_eq(strlen(cfg->replies[DETECTOR_DOS]), 400);
	config_unref(cfg);

	strcat(reply, "x");
	snprintf(text, sizeof(text), "dos = {\n reply = \"%s\"; };\n", reply);
	load_fails(text, 2, "dos.reply: a reply must be 1 to 400 characters "
	    "long");
}
END_TEST

START_TEST(dha_status_counts)
{
	struct config *cfg = load_ok(
	    "dha = { status_codes = [ \"5.1.1\", \"4.7.1\" ]; };\n");

	ck_assert(config_dha_status_counts(cfg, "5.1.1"));
	ck_assert(config_dha_status_counts(cfg, "4.7.1"));
	ck_assert(!config_dha_status_counts(cfg, "5.7.1"));
	ck_assert(!config_dha_status_counts(cfg, "5.1.10"));
	ck_assert(!config_dha_status_counts(cfg, "5.1"));
	ck_assert(!config_dha_status_counts(cfg, ""));
	ck_assert(!config_dha_status_counts(cfg, NULL));
	config_unref(cfg);
}
END_TEST

START_TEST(reference_counting)
{
	struct config *cfg = config_defaults();

	ck_assert_ptr_eq(config_ref(cfg), cfg);
	ck_assert_int_eq(cfg->refs, 2);
	config_unref(cfg);
	ck_assert_int_eq(cfg->refs, 1);
	ck_assert_str_eq(cfg->socket, "unix:/run/bulwark/bulwark.sock");
	config_unref(cfg);
	config_unref(NULL);
	ck_assert_ptr_null(config_ref(NULL));
}
END_TEST

/* Numeric addresses only; "" turns the listener off. */
START_TEST(metrics_listen_forms)
{
	static const char *const good[] = { "", "0.0.0.0:1", "192.0.2.1:9713",
	    "[::1]:65535", "[::]:9713", "[2001:db8::7]:80" };
	char text[128];
	struct config *cfg;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "metrics_listen = \"%s\";\n", good[i]);
		cfg = load_ok(text);
		ck_assert_str_eq(cfg->metrics_listen, good[i]);
		config_unref(cfg);
	}
}
END_TEST

/* Each error: the configuration, the line reported, the message. */
static const struct {
	const char *text;
	int line;
	const char *what;
} bad_configs[] = {
	/* syntax, reported by libconfig */
	{ "log_level = \"info\";\n\nsocket = ;\n", 3, "syntax error" },
	{ "log_level = \"info\";\nlog_level = \"debug\";\n", 2,
	  "duplicate setting name" },
	/* libconfig would exit on an @include of a directory: none at all */
	{ "log_level = \"info\";\n  @include \"/tmp\"\n", 2,
	  "@include is not supported: put every setting in this file" },
	/* a quoted value stays one printable line */
	{ "log_level = \"in\\nfo\\x1b[2J\";\n", 1, "log_level: unknown value "
	  "\"in?fo?[2J\" (expected error, warning, notice, info or debug)" },
	/* unknown keys */
	{ "socket = \"unix:/x\";\nsockets = 1;\n", 2, "unknown key \"sockets\"" },
	{ "dos = {\n  enabled = true;\n  max_conn = 5;\n};\n", 3,
	  "unknown key \"dos.max_conn\"" },
	{ "dha = {\n  x = { y = 1; };\n};\n", 2, "unknown key \"dha.x\"" },
	{ "memory = { max_hosts = 5; };\nmax_hosts = 5;\n", 2,
	  "unknown key \"max_hosts\"" },
	{ "attack = {\n  max_connections = 5;\n};\n", 2,
	  "unknown key \"attack.max_connections\"" },
	/* wrong types */
	{ "dos = {\n  max_connections = \"100\";\n};\n", 2,
	  "dos.max_connections: expected an integer" },
	{ "ipv4_prefix = 24.0;\n", 1, "ipv4_prefix: expected an integer" },
	{ "\nmonitor_only = 1;\n", 2, "monitor_only: expected true or false" },
	{ "exclude_authenticated = \"yes\";\n", 1,
	  "exclude_authenticated: expected true or false" },
	{ "pidfile = 5;\n", 1, "pidfile: expected a string" },
	{ "dos = 5;\n", 1, "dos: expected a group { ... }" },
	{ "memory = [ 1 ];\n", 1, "memory: expected a group { ... }" },
	{ "exclude = \"127.0.0.1\";\n", 1, "exclude: expected a list of strings" },
	{ "blocked = [\n  \"192.0.2.1\",\n  3\n];\n", 3,
	  "mismatched element type in array" },
	{ "blocked = (\n  \"192.0.2.1\",\n  3\n);\n", 3,
	  "blocked: expected a list of strings" },
	{ "dha = { status_codes = \"5.1.1\"; };\n", 1,
	  "dha.status_codes: expected a list of strings" },
	{ "socket_mode = 0660;\n", 1, "socket_mode: expected an octal mode as "
	  "a string, such as \"0660\"" },
	{ "dos = {\n period = 1.5;\n};\n", 2, "dos.period: expected a "
	  "duration (seconds, or a string such as \"10m\")" },
	{ "dha = { block = true; };\n", 1, "dha.block: expected a duration "
	  "(seconds, or a string such as \"10m\")" },
	/* out of range */
	{ "memory = {\n max_hosts = 0;\n};\n", 2,
	  "memory.max_hosts: 0 is out of range (1..100000000)" },
	{ "memory = { max_hosts = 100000001; };\n", 1,
	  "memory.max_hosts: 100000001 is out of range (1..100000000)" },
	{ "dos = { max_connections = 0; };\n", 1,
	  "dos.max_connections: 0 is out of range (1..10000000)" },
	{ "dha = { max_invalid = 10000001; };\n", 1,
	  "dha.max_invalid: 10000001 is out of range (1..10000000)" },
	{ "attack = { max_flagged = -1; };\n", 1,
	  "attack.max_flagged: -1 is out of range (0..1000000)" },
	{ "attack = { max_flagged = 1000001; };\n", 1,
	  "attack.max_flagged: 1000001 is out of range (0..1000000)" },
	{ "attack = { max_commands = 0; };\n", 1,
	  "attack.max_commands: 0 is out of range (1..100000)" },
	{ "attack = { max_commands = 100001; };\n", 1,
	  "attack.max_commands: 100001 is out of range (1..100000)" },
	{ "ipv4_prefix = 7;\n", 1, "ipv4_prefix: 7 is out of range (8..32)" },
	{ "ipv4_prefix = 33;\n", 1, "ipv4_prefix: 33 is out of range (8..32)" },
	{ "ipv6_prefix = 15;\n", 1, "ipv6_prefix: 15 is out of range (16..128)" },
	{ "ipv6_prefix = 129;\n", 1,
	  "ipv6_prefix: 129 is out of range (16..128)" },
	{ "ipv6_prefix = 4294967296L;\n", 1,
	  "ipv6_prefix: 4294967296 is out of range (16..128)" },
	{ "dos = { block = 0; };\n", 1,
	  "dos.block: 0 is out of range (1..31622400)" },
	{ "dos = { period = 31622401; };\n", 1,
	  "dos.period: 31622401 is out of range (1..31622400)" },
	{ "dha = { period = \"0m\"; };\n", 1,
	  "dha.period: the duration must not be 0" },
	/* durations */
	{ "dos = {\n enabled = true;\n period = \"5x\";\n};\n", 3,
	  "dos.period: invalid duration \"5x\" (expected seconds, or a number "
	  "followed by s, m, h or d, at most 366d)" },
	{ "attack = { block = \"367d\"; };\n", 1,
	  "attack.block: invalid duration \"367d\" (expected seconds, or a "
	  "number followed by s, m, h or d, at most 366d)" },
	{ "dha = { block = \"1 h\"; };\n", 1,
	  "dha.block: invalid duration \"1 h\" (expected seconds, or a number "
	  "followed by s, m, h or d, at most 366d)" },
	{ "dha = { block = \"\"; };\n", 1,
	  "dha.block: invalid duration \"\" (expected seconds, or a number "
	  "followed by s, m, h or d, at most 366d)" },
	/* enumerations */
	{ "log_level = \"verbose\";\n", 1, "log_level: unknown value \"verbose\" "
	  "(expected error, warning, notice, info or debug)" },
	{ "syslog_facility = \"local8\";\n", 1, "syslog_facility: unknown value "
	  "\"local8\" (expected mail, daemon, user, local0, local1, local2, "
	  "local3, local4, local5, local6 or local7)" },
	{ "dos = { action = \"drop\"; };\n", 1, "dos.action: unknown value "
	  "\"drop\" (expected tempfail, reject or log)" },
	{ "dha = { action = \"Reject\"; };\n", 1, "dha.action: unknown value "
	  "\"Reject\" (expected tempfail, reject or log)" },
	{ "blocked_action = \"log\";\n", 1, "blocked_action: unknown value "
	  "\"log\" (expected reject or tempfail)" },
	{ "attack = { action = \"reject\"; };\n", 1, "attack.action: unknown "
	  "value \"reject\" (expected log or tempfail)" },
	{ "attack = {\n count = [\n \"helo\",\n \"noop\" ];\n};\n", 4,
	  "attack.count: unknown value \"noop\" (expected helo, unknown or "
	  "rset)" },
	{ "attack = {\n count = [ \"helo\",\n \"helo\" ];\n};\n", 3,
	  "attack.count: \"helo\" is listed twice" },
	{ "attack = {\n enabled = true;\n count = [ ];\n};\n", 3,
	  "attack.count: must list at least one command while attack.enabled "
	  "is true" },
	{ "store = \"mongo\";\n", 1,
	  "store: \"mongo\" is not available in this build" },
	/* replies */
	{ "dos = {\n reply = \"50%x off for %a\";\n};\n", 2, "dos.reply: '%' "
	  "must be written %a (the client address), %d (the detector), %u (the "
	  "end of the block) or %% (a percent sign)" },
	{ "dha = { reply = \"100%\"; };\n", 1, "dha.reply: '%' must be "
	  "written %a (the client address), %d (the detector), %u (the end of "
	  "the block) or %% (a percent sign)" },
	{ "attack = { reply = \"line\\nbreak\"; };\n", 1, "attack.reply: only "
	  "printable ASCII characters are allowed" },
	{ "attack = { reply = \"caf\xc3\xa9\"; };\n", 1, "attack.reply: only "
	  "printable ASCII characters are allowed" },
	{ "dos = { reply = \"\"; };\n", 1,
	  "dos.reply: a reply must be 1 to 400 characters long" },
	/* sockets, modes, paths, status codes */
	{ "socket = \"tcp:25\";\n", 1, "socket: invalid socket \"tcp:25\": "
	  "expected unix:/path, inet:PORT@HOST or inet6:PORT@HOST" },
	{ "socket = \"unix:bulwark.sock\";\n", 1, "socket: invalid socket "
	  "\"unix:bulwark.sock\": the socket path must be absolute" },
	{ "socket = \"inet:0@127.0.0.1\";\n", 1, "socket: invalid socket "
	  "\"inet:0@127.0.0.1\": the port must be a number from 1 to 65535" },
	{ "socket = \"inet:65536\";\n", 1, "socket: invalid socket "
	  "\"inet:65536\": the port must be a number from 1 to 65535" },
	{ "socket = \"inet6:@::1\";\n", 1, "socket: invalid socket "
	  "\"inet6:@::1\": the port must be a number from 1 to 65535" },
	{ "socket = \"inet:25@\";\n", 1, "socket: invalid socket \"inet:25@\": "
	  "expected PORT@HOST, HOST an address or a host name" },
	{ "socket = \"inet:25@::1\";\n", 1, "socket: invalid socket "
	  "\"inet:25@::1\": expected PORT@HOST, HOST an address or a host "
	  "name" },
	{ "socket = \"inet:25:localhost\";\n", 1, "socket: invalid socket "
	  "\"inet:25:localhost\": expected PORT@HOST, HOST an address or a "
	  "host name" },
	{ "socket_mode = \"0999\";\n", 1, "socket_mode: invalid mode \"0999\" "
	  "(expected 1 to 4 octal digits, at most 0777)" },
	{ "socket_mode = \"1777\";\n", 1, "socket_mode: invalid mode \"1777\" "
	  "(expected 1 to 4 octal digits, at most 0777)" },
	{ "socket_mode = \"00660\";\n", 1, "socket_mode: invalid mode \"00660\" "
	  "(expected 1 to 4 octal digits, at most 0777)" },
	{ "socket_mode = \"\";\n", 1, "socket_mode: invalid mode \"\" "
	  "(expected 1 to 4 octal digits, at most 0777)" },
	{ "pidfile = \"bulwark.pid\";\n", 1,
	  "pidfile: expected an absolute path, or \"\" for none" },
	{ "node = \"mx 1\";\n", 1, "node: expected printable characters "
	  "without blanks, quotes or backslashes" },
	{ "node = \"0123456789012345678901234567890123456789012345678901234567890123\";\n",
	  1, "node: at most 63 characters" },
	{ "mta_warn_after = \"soon\";\n", 1, "mta_warn_after: invalid duration "
	  "\"soon\" (expected seconds, or a number followed by s, m, h or d, "
	  "at most 366d)" },
	{ "mta_warn_after = -1;\n", 1,
	  "mta_warn_after: -1 is out of range (1..31622400)" },
	{ "log_file = \"syslog\";\n", 1, "log_file: expected \"\" (syslog), "
	  "\"stderr\" or an absolute path" },
	{ "log_file = \"/var/log/\";\n", 1,
	  "log_file: expected a file, not a directory" },
	{ "state_file = \"state\";\n", 1, "state_file: expected \"\" or the "
	  "absolute path of a file" },
	{ "metrics_listen = 9713;\n", 1, "metrics_listen: expected a string" },
	{ "metrics_listen = \"localhost:9713\";\n", 1, "metrics_listen: "
	  "invalid address \"localhost:9713\": expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT with a numeric address" },
	{ "metrics_listen = \"127.0.0.1\";\n", 1, "metrics_listen: invalid "
	  "address \"127.0.0.1\": expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT with a numeric address" },
	{ "metrics_listen = \"::1:9713\";\n", 1, "metrics_listen: invalid "
	  "address \"::1:9713\": expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT with a numeric address" },
	{ "metrics_listen = \"[::1]9713\";\n", 1, "metrics_listen: invalid "
	  "address \"[::1]9713\": expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT with a numeric address" },
	{ "metrics_listen = \"[127.0.0.1]:9713\";\n", 1, "metrics_listen: "
	  "invalid address \"[127.0.0.1]:9713\": expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT with a numeric address" },
	{ "metrics_listen = \":9713\";\n", 1, "metrics_listen: invalid "
	  "address \":9713\": expected ADDRESS:PORT or [IPV6-ADDRESS]:PORT with a numeric address" },
	{ "metrics_listen = \"127.0.0.1:0\";\n", 1, "metrics_listen: invalid "
	  "address \"127.0.0.1:0\": the port must be a number from 1 to 65535" },
	{ "metrics_listen = \"[::1]:65536\";\n", 1, "metrics_listen: invalid "
	  "address \"[::1]:65536\": the port must be a number from 1 to 65535" },
	{ "metrics_listen = \"127.0.0.1:97x3\";\n", 1, "metrics_listen: "
	  "invalid address \"127.0.0.1:97x3\": the port must be a number from 1 to 65535" },
	{ "metrics_listen = \"127.0.0.1:\";\n", 1, "metrics_listen: invalid "
	  "address \"127.0.0.1:\": the port must be a number from 1 to 65535" },
	{ "dha = {\n status_codes = [ \"5.1.1\",\n \"5.1\" ];\n};\n", 3,
	  "dha.status_codes: invalid status code \"5.1\" (expected "
	  "class.subject.detail such as 5.1.1, class 4 or 5)" },
	{ "dha = { status_codes = [ \"2.0.0\" ]; };\n", 1,
	  "dha.status_codes: invalid status code \"2.0.0\" (expected "
	  "class.subject.detail such as 5.1.1, class 4 or 5)" },
	{ "dha = { status_codes = [ \"5.1.1000\" ]; };\n", 1,
	  "dha.status_codes: invalid status code \"5.1.1000\" (expected "
	  "class.subject.detail such as 5.1.1, class 4 or 5)" },
	{ "dha = { status_codes = [ \"5.x.1\" ]; };\n", 1,
	  "dha.status_codes: invalid status code \"5.x.1\" (expected "
	  "class.subject.detail such as 5.1.1, class 4 or 5)" },
};

START_TEST(bad_config)
{
	load_fails(bad_configs[_i].text, bad_configs[_i].line,
	    bad_configs[_i].what);
}
END_TEST

/*
 * Host list entries: the line is the element's, the reason hostlist's.
 * libconfig dates a string element by the token after it, so each bad
 * entry here has its comma or closing bracket on its own line.
 */
static const struct {
	const char *text;
	int line;
	const char *key;
	const char *entry;
} bad_entries[] = {
	{ "exclude = [\n  \"127.0.0.0/8\",\n  \"10.0.0.1/8\",\n  \"::1\"\n];\n",
	  3, "exclude", "10.0.0.1/8" },
	{ "exclude = [ \"::1\",\n\n  \"::1/129\" ];\n", 3, "exclude",
	  "::1/129" },
	{ "exclude = [ \"10.0.0.0/33\" ];\n", 1, "exclude", "10.0.0.0/33" },
	{ "\nblocked = (\n\n \"mx.example.org\" );\n", 4, "blocked",
	  "mx.example.org" },
	{ "blocked = [ \"\" ];\n", 1, "blocked", "" },
};

START_TEST(bad_hostlist_entry)
{
	char what[CONFIG_ERROR_MAX];

	snprintf(what, sizeof(what), "%s: %s", bad_entries[_i].key,
	    hostlist_reason(bad_entries[_i].entry));
	load_fails(bad_entries[_i].text, bad_entries[_i].line, what);
}
END_TEST

START_TEST(bad_line_in_named_files)
{
	char text[TMP_PATH_MAX + 64], want[CONFIG_ERROR_MAX];
	char ex[TMP_PATH_MAX], bl[TMP_PATH_MAX], rc[TMP_PATH_MAX];

	tmp_text(ex, "exclude", "# trusted\n192.0.2.1\n\n192.0.2.300\n");
	tmp_text(bl, "blocked", "198.51.100.0/24\nnope\n");
	tmp_text(rc, "recipients", "a@example.org\nnobody\n");
	snprintf(text, sizeof(text), "exclude_file = \"%s\";\n", ex);
	ck_assert_ptr_null(load_text(text));
	snprintf(want, sizeof(want), "%s:4: %s", ex,
	    hostlist_reason("192.0.2.300"));
	ck_assert_str_eq(err, want);

	snprintf(text, sizeof(text), "blocked_file = \"%s\";\n", bl);
	ck_assert_ptr_null(load_text(text));
	snprintf(want, sizeof(want), "%s:2: %s", bl, hostlist_reason("nope"));
	ck_assert_str_eq(err, want);

	snprintf(text, sizeof(text), "dha = { recipients_file = \"%s\"; };\n",
	    rc);
	ck_assert_ptr_null(load_text(text));
	snprintf(want, sizeof(want), "%s:2: \"nobody\": no '@'", rc);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(missing_files)
{
	char path[TMP_PATH_MAX], text[TMP_PATH_MAX + 64], want[CONFIG_ERROR_MAX];

	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(err, want);

	ck_assert_ptr_null(config_load(tmpdir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	ck_assert_str_eq(err, want);

	snprintf(path, sizeof(path), "%s/absent.list", tmpdir);
	snprintf(text, sizeof(text), "blocked_file = \"%s\";\n", path);
	ck_assert_ptr_null(load_text(text));
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(error_fits_small_buffer)
{
	char small[24];

	tmp_text(conf_path, "bulwark.conf", "dos = { max_connections = 0; };\n");
	memset(small, 'x', sizeof(small));
	ck_assert_ptr_null(config_load(conf_path, small, sizeof(small)));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert(strncmp(small, conf_path, sizeof(small) - 1) == 0);
}
END_TEST

/* The daemon's keys: user, group and the control socket. */
START_TEST(daemon_keys)
{
	struct config *cfg = config_defaults();

	ck_assert_str_eq(cfg->user, "");
	ck_assert_str_eq(cfg->group, "");
	ck_assert_str_eq(cfg->control, "unix:/run/bulwark/control.sock");
	ck_assert_uint_eq(cfg->control_mode, 0600);
	config_unref(cfg);

	cfg = load_ok("user = \"bulwark\";\ngroup = \"post_fix-2.x\";\n"
	    "control = \"unix:/var/run/bw/ctl.sock\";\n"
	    "control_mode = \"0660\";\n");
	ck_assert_str_eq(cfg->user, "bulwark");
	ck_assert_str_eq(cfg->group, "post_fix-2.x");
	ck_assert_str_eq(cfg->control, "unix:/var/run/bw/ctl.sock");
	ck_assert_uint_eq(cfg->control_mode, 0660);
	config_unref(cfg);

	/* "" turns the control socket off; a user alone is fine. */
	cfg = load_ok("control = \"\";\nuser = \"nobody\";\n");
	ck_assert_str_eq(cfg->control, "");
	ck_assert_str_eq(cfg->user, "nobody");
	ck_assert_str_eq(cfg->group, "");
	config_unref(cfg);
}
END_TEST

static const struct {
	const char *text;
	int line;
	const char *what;
} bad_daemon_configs[] = {
	{ "user = 0;\n", 1, "user: expected a string" },
	{ "user = \"bad user\";\n", 1, "user: invalid name \"bad user\" "
	  "(expected at most 32 letters, digits, '.', '_' or '-', not "
	  "starting with '-')" },
	{ "user = \"-rf\";\n", 1, "user: invalid name \"-rf\" (expected at "
	  "most 32 letters, digits, '.', '_' or '-', not starting with '-')" },
	{ "user = \"a23456789012345678901234567890123\";\n", 1,
	  "user: invalid name \"a23456789012345678901234567890123\" "
	  "(expected at most 32 letters, digits, '.', '_' or '-', not "
	  "starting with '-')" },
	{ "user = \"x\";\ngroup = \"a/b\";\n", 2, "group: invalid name "
	  "\"a/b\" (expected at most 32 letters, digits, '.', '_' or '-', "
	  "not starting with '-')" },
	{ "log_level = \"info\";\ngroup = \"postfix\";\n", 2,
	  "group: is set, so user must be set too" },
	{ "control = \"inet:8890\";\n", 1, "control: invalid socket "
	  "\"inet:8890\": expected unix:/path, or \"\" for none" },
	{ "control = \"unix:ctl.sock\";\n", 1, "control: invalid socket "
	  "\"unix:ctl.sock\": the socket path must be absolute" },
	{ "control = true;\n", 1, "control: expected a string" },
	{ "control_mode = 600;\n", 1, "control_mode: expected an octal mode "
	  "as a string, such as \"0660\"" },
	{ "control_mode = \"0800\";\n", 1, "control_mode: invalid mode "
	  "\"0800\" (expected 1 to 4 octal digits, at most 0777)" },
};

START_TEST(bad_daemon_config)
{
	load_fails(bad_daemon_configs[_i].text, bad_daemon_configs[_i].line,
	    bad_daemon_configs[_i].what);
}
END_TEST

/* A reload keeps the running values of the keys read only at start. */
START_TEST(keep_start_keys)
{
	struct config *running = load_ok("socket = \"unix:/a.sock\";\n"
	    "store = \"redis\";\nredis = { server = \"unix:/r.sock\"; "
	    "sentinels = [ \"10.0.0.1:26379\" ]; master_name = \"m\"; };\n"
	    "dos = { max_connections = 5; };\n");
	struct config *next = load_ok("socket = \"unix:/b.sock\";\n"
	    "socket_mode = \"0666\";\npidfile = \"/b.pid\";\n"
	    "user = \"nobody\";\ngroup = \"nogroup\";\n"
	    "control = \"\";\ncontrol_mode = \"0660\";\n"
	    "metrics_listen = \"\";\nmemory = { max_hosts = 7; };\n"
	    "dos = { max_connections = 9; };\n");
	struct config *same;
	char changed[256], small[12];

	ck_assert_uint_eq(config_keep_start_keys(next, running, changed,
	    sizeof(changed)), 11);
	ck_assert_str_eq(changed, "socket,socket_mode,pidfile,user,group,"
	    "control,control_mode,metrics_listen,store,memory.max_hosts,redis");
	ck_assert_str_eq(next->socket, "unix:/a.sock");
	ck_assert_uint_eq(next->socket_mode, running->socket_mode);
	ck_assert_str_eq(next->pidfile, running->pidfile);
	ck_assert_str_eq(next->user, "");
	ck_assert_str_eq(next->group, "");
	ck_assert_str_eq(next->control, running->control);
	ck_assert_uint_eq(next->control_mode, 0600);
	ck_assert_str_eq(next->metrics_listen, running->metrics_listen);
	ck_assert_str_eq(next->store, "redis");
	ck_assert_uint_eq(next->memory_max_hosts, running->memory_max_hosts);
	ck_assert_str_eq(next->redis.server, "unix:/r.sock");
	ck_assert_uint_eq(next->redis.sentinel_count, 1);
	ck_assert_str_eq(next->redis.sentinels[0], "10.0.0.1:26379");
	ck_assert_ptr_ne(next->redis.sentinels[0], running->redis.sentinels[0]);
	ck_assert_str_eq(next->redis.master_name, "m");
	/* Everything else is the new configuration's. */
	ck_assert_uint_eq(next->rules[DETECTOR_DOS].max, 9);
	ck_assert_uint_eq(running->rules[DETECTOR_DOS].max, 5);

	/* Nothing left to change; a short buffer is cut, never overflowed. */
	ck_assert_uint_eq(config_keep_start_keys(next, running, changed,
	    sizeof(changed)), 0);
	ck_assert_str_eq(changed, "");
	same = load_ok("socket = \"unix:/c.sock\";\nuser = \"x\";\n");
	ck_assert_uint_eq(config_keep_start_keys(same, running, small,
	    sizeof(small)), 4);
	ck_assert_str_eq(small, "socket,user");
	config_unref(same);
	config_unref(next);
	config_unref(running);
}
END_TEST

/* An edit of the parsed tree: dos.max_connections = *arg. */
static int edit_dos_max(struct config_t *tree, void *arg, char *errbuf,
    size_t errlen)
{
	config_setting_t *root = config_root_setting(tree);
	config_setting_t *dos = config_setting_get_member(root, "dos");

	(void)errbuf;
	(void)errlen;
	if (dos == NULL)
		dos = config_setting_add(root, "dos", CONFIG_TYPE_GROUP);
	config_setting_set_int(config_setting_add(dos, "max_connections",
	    CONFIG_TYPE_INT), *(int *)arg);
	return 0;
}

static int edit_refused(struct config_t *tree, void *arg, char *errbuf,
    size_t errlen)
{
	(void)tree;
	(void)arg;
	snprintf(errbuf, errlen, "edit refused");
	return -1;
}

START_TEST(load_edited)
{
	int max = 7;
	struct config *c;

	tmp_text(conf_path, "bulwark.conf", "dha = { max_invalid = 4; };\n");
	c = config_load_edited(conf_path, edit_dos_max, &max, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->rules[DETECTOR_DOS].max, 7);
	ck_assert_uint_eq(c->rules[DETECTOR_DHA].max, 4);
	ck_assert_str_eq(c->path, conf_path);
	config_unref(c);

	/* No file: the defaults, edited. */
	c = config_load_edited(NULL, edit_dos_max, &max, err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->rules[DETECTOR_DOS].max, 7);
	ck_assert_uint_eq(c->rules[DETECTOR_DHA].max, 10);
	config_unref(c);

	/* An edited value is checked like a line of the file (line 0). */
	max = 0;
	ck_assert_ptr_null(config_load_edited(NULL, edit_dos_max, &max, err,
	    sizeof(err)));
	ck_assert_msg(strncmp(err, "(defaults):0: dos.max_connections: ",
	    35) == 0, "%s", err);
	ck_assert_ptr_null(config_load_edited(conf_path, edit_refused, NULL,
	    err, sizeof(err)));
	ck_assert_str_eq(err, "edit refused");
}
END_TEST

START_TEST(ratio_sliding_max_and_escalate)
{
	struct config *cfg = config_defaults();

	for (unsigned d = 0; d < DETECTOR_MANUAL; d++) {
		ck_assert_uint_eq(cfg->rules[d].min_ratio, 0);
		ck_assert_uint_eq(cfg->rules[d].sliding_max, 86400);
		ck_assert_uint_eq(cfg->rules[d].escalate_factor, 0);
	}
	config_unref(cfg);
	cfg = load_ok("dha = { min_ratio = 0.5; sliding_max = \"2h\";\n"
	    "  escalate = { factor = 3; max = \"2d\"; forget = \"30d\"; }; };\n"
	    "dos = { escalate = { }; };\n");
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].min_ratio, 500000);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].sliding_max, 7200);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].escalate_factor, 3);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].escalate_max, 2 * 86400);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].escalate_forget, 30 * 86400);
	/* An empty group: factor 2, max 1d, forget 7d. */
	ck_assert_uint_eq(cfg->rules[DETECTOR_DOS].escalate_factor, 2);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DOS].escalate_max, 86400);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DOS].escalate_forget, 7 * 86400);
	config_unref(cfg);
	cfg = load_ok("dha = { min_ratio = 1; };\n");
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].min_ratio, 1000000);
	config_unref(cfg);
	load_fails("attack = {\n min_ratio = 0.5; };\n", 2,
	    "unknown key \"attack.min_ratio\"");
	load_fails("dha = {\n min_ratio = 1.5; };\n", 2,
	    "dha.min_ratio: 1.5 is out of range (0..1)");
	load_fails("dha = {\n min_ratio = \"half\"; };\n", 2,
	    "dha.min_ratio: expected a number from 0 to 1");
	load_fails("dos = { escalate = {\n factor = 1; }; };\n", 2,
	    "dos.escalate.factor: 1 is out of range (2..100)");
	load_fails("dos = { escalate = {\n maximum = 1; }; };\n", 2,
	    "unknown key \"dos.escalate.maximum\"");
	load_fails("dos = {\n escalate = 2; };\n", 2,
	    "dos.escalate: expected a group { ... }");
}
END_TEST

/* The network group of dos, dha and attack: config_network.c. */
START_TEST(network_groups)
{
	struct config *cfg = config_defaults();
	const struct rule *r;

	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		ck_assert(!cfg->networks[d].set);
		ck_assert(!cfg->net_rules[d].enabled);
	}
	config_unref(cfg);
	/* Defaults /24 and /48; the group's rule with network.max. */
	cfg = load_ok("dha = { max_invalid = 7; period = \"2m\"; "
	    "block = \"1h\";\n  network = { max = 200; }; };\n");
	ck_assert(cfg->networks[DETECTOR_DHA].set);
	ck_assert_uint_eq(cfg->networks[DETECTOR_DHA].ipv4_prefix, 24);
	ck_assert_uint_eq(cfg->networks[DETECTOR_DHA].ipv6_prefix, 48);
	ck_assert_uint_eq(cfg->networks[DETECTOR_DHA].max, 200);
	r = &cfg->net_rules[DETECTOR_DHA];
	assert_rule(r, true, false, 200, 120, 3600);
	ck_assert_uint_eq(cfg->rules[DETECTOR_DHA].max, 7);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++) {
		if (d == DETECTOR_DHA)
			continue;
		ck_assert(!cfg->networks[d].set);
		ck_assert(!cfg->net_rules[d].enabled);
	}
	config_unref(cfg);
	/* The bounds, in each group; sliding and escalate come along. */
	cfg = load_ok("ipv4_prefix = 24;\nipv6_prefix = 56;\n"
	    "dos = { max_connections = 50; period = 30; block = 120; "
	    "sliding = true;\n  escalate = { factor = 3; };\n"
	    "  network = { ipv4_prefix = 16; ipv6_prefix = 32; "
	    "max = 10000000; }; };\n"
	    "attack = { max_flagged = 3;\n  network = { ipv4_prefix = 23; "
	    "ipv6_prefix = 55; max = 1; }; };\n");
	ck_assert_uint_eq(cfg->networks[DETECTOR_DOS].ipv4_prefix, 16);
	ck_assert_uint_eq(cfg->networks[DETECTOR_DOS].ipv6_prefix, 32);
	r = &cfg->net_rules[DETECTOR_DOS];
	assert_rule(r, true, true, 10000000, 30, 120);
	ck_assert_uint_eq(r->escalate_factor, 3);
	ck_assert_uint_eq(cfg->networks[DETECTOR_ATTACK].ipv4_prefix, 23);
	ck_assert_uint_eq(cfg->networks[DETECTOR_ATTACK].ipv6_prefix, 55);
	assert_rule(&cfg->net_rules[DETECTOR_ATTACK], true, false, 1, 3600,
	    3600);
	ck_assert(!cfg->net_rules[DETECTOR_DHA].enabled);
	config_unref(cfg);
	/* A disabled group (attack never blocks by default) counts nothing. */
	cfg = load_ok("attack = { network = { max = 5; }; };\n"
	    "dos = { enabled = false; network = { max = 5; }; };\n");
	ck_assert(cfg->networks[DETECTOR_ATTACK].set);
	ck_assert(!cfg->net_rules[DETECTOR_ATTACK].enabled);
	ck_assert(!cfg->net_rules[DETECTOR_DOS].enabled);
	config_unref(cfg);
}
END_TEST

START_TEST(network_group_errors)
{
	load_fails("dha = {\n network = { ipv4_prefix = 20; }; };\n", 2,
	    "dha.network: max must be set: the events allowed to the whole "
	    "network in a period");
	load_fails("dos = { network = {\n max = 0; }; };\n", 2,
	    "dos.network.max: 0 is out of range (1..10000000)");
	load_fails("dos = { network = {\n max = 10000001; }; };\n", 2,
	    "dos.network.max: 10000001 is out of range (1..10000000)");
	load_fails("attack = { network = { max = 5;\n ipv4_prefix = 15; }; };\n",
	    2, "attack.network.ipv4_prefix: 15 is out of range (16..31)");
	load_fails("dha = { network = { max = 5;\n ipv4_prefix = 32; }; };\n",
	    2, "dha.network.ipv4_prefix: 32 is out of range (16..31)");
	load_fails("dha = { network = { max = 5;\n ipv6_prefix = 31; }; };\n",
	    2, "dha.network.ipv6_prefix: 31 is out of range (32..127)");
	load_fails("dha = { network = { max = 5;\n ipv6_prefix = 128; }; };\n",
	    2, "dha.network.ipv6_prefix: 128 is out of range (32..127)");
	/* Not shorter than a host, whichever comes first in the file. */
	load_fails("dha = { network = { max = 5;\n ipv4_prefix = 24; }; };\n"
	    "ipv4_prefix = 24;\n", 2, "dha.network.ipv4_prefix: 24 is not "
	    "shorter than ipv4_prefix (24): a network must hold more than "
	    "one host");
	/* The default /24 unwritten: the error points at the group. */
	load_fails("ipv4_prefix = 20;\ndos = {\n network = { max = 5; }; };\n",
	    3, "dos.network: 24 is not shorter than ipv4_prefix (20): a "
	    "network must hold more than one host");
	load_fails("ipv6_prefix = 48;\ndha = { network = { max = 5;\n"
	    " ipv6_prefix = 48; }; };\n", 3, "dha.network.ipv6_prefix: 48 is "
	    "not shorter than ipv6_prefix (48): a network must hold more "
	    "than one host");
	/* Only in dos, dha and attack, and only its own keys. */
	load_fails("ipv4_prefix = 24;\nnetwork = { max = 5; };\n", 2,
	    "unknown key \"network\"");
	load_fails("concurrency = {\n network = { max = 5; }; };\n", 2,
	    "unknown key \"concurrency.network\"");
	load_fails("dha = { network = { max = 5;\n period = 60; }; };\n", 2,
	    "unknown key \"dha.network.period\"");
	load_fails("dha = {\n network = 200; };\n", 2,
	    "dha.network: expected a group { ... }");
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, defaults_every_key);
	tcase_add_test(tc, daemon_keys_read);
	tcase_add_test(tc, empty_file_is_defaults);
	tcase_add_test(tc, sample_equals_defaults);
	tcase_add_test(tc, full_every_key);
	tcase_add_test(tc, attack_rule_needs_enabled_and_max_flagged);
	tcase_add_test(tc, durations_and_limits);
	tcase_add_test(tc, accepted_forms);
	tcase_add_test(tc, dha_status_counts);
	tcase_add_test(tc, reference_counting);
	tcase_add_test(tc, metrics_listen_forms);
	tcase_add_test(tc, daemon_keys);
	tcase_add_test(tc, keep_start_keys);
	tcase_add_test(tc, load_edited);
	tcase_add_test(tc, ratio_sliding_max_and_escalate);
	tcase_add_test(tc, network_groups);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, bad_config, 0,
	    (int)(sizeof(bad_configs) / sizeof(bad_configs[0])));
	tcase_add_loop_test(tc, bad_hostlist_entry, 0,
	    (int)(sizeof(bad_entries) / sizeof(bad_entries[0])));
	tcase_add_test(tc, reply_length_limit);
	tcase_add_test(tc, bad_line_in_named_files);
	tcase_add_test(tc, missing_files);
	tcase_add_test(tc, error_fits_small_buffer);
	tcase_add_loop_test(tc, bad_daemon_config, 0,
	    (int)(sizeof(bad_daemon_configs) / sizeof(bad_daemon_configs[0])));
	tcase_add_test(tc, network_group_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
