/*
 * check_config_redis.c - the redis group of bulwark.conf: defaults, every
 * key read, and each kind of error reported at its line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "test_files.h"

static struct config *load_text(const char *text, char *err, size_t errlen)
{
	char path[PATH_MAX];

	tmp_text(path, "bulwark.conf", text);
	return config_load(path, err, errlen);
}

/* Loading text must fail at line with want in the message. */
static void assert_load_error(const char *text, unsigned line,
    const char *want)
{
	char path[PATH_MAX], err[CONFIG_ERROR_MAX];

	tmp_text(path, "bulwark.conf", text);
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	assert_file_error(err, path, line, want);
}

START_TEST(defaults)
{
	struct config *cfg = config_defaults();

	ck_assert_str_eq(cfg->redis.server, "127.0.0.1:6379");
	ck_assert_uint_eq(cfg->redis.sentinel_count, 0);
	ck_assert_str_eq(cfg->redis.master_name, "mymaster");
	ck_assert_str_eq(cfg->redis.username, "");
	ck_assert_str_eq(cfg->redis.password, "");
	ck_assert_str_eq(cfg->redis.password_file, "");
	ck_assert_uint_eq(cfg->redis.database, 0);
	ck_assert_str_eq(cfg->redis.key_prefix, "bulwark:");
	ck_assert_uint_eq(cfg->redis.timeout_ms, 100);
	ck_assert_uint_eq(cfg->redis.pool_size, 8);
	ck_assert_int_eq(cfg->redis.on_error, REDIS_ON_ERROR_LOCAL);
	config_unref(cfg);
}
END_TEST

START_TEST(every_key_read)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg = load_text(
	    "store = \"redis\";\n"
	    "redis = {\n"
	    "  server = \"unix:/run/redis/redis.sock\";\n"
	    "  sentinels = [ \"192.0.2.5:26379\", \"[2001:db8::6]:26379\" ];\n"
	    "  master_name = \"mail\";\n"
	    "  username = \"bulwark\";\n"
	    "  password = \"s3cret\";\n"
	    "  database = 3;\n"
	    "  key_prefix = \"bw:\";\n"
	    "  timeout_ms = 250;\n"
	    "  pool_size = 16;\n"
	    "  on_error = \"tempfail\";\n"
	    "};\n", err, sizeof(err));

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->store, "redis");
	ck_assert_str_eq(cfg->redis.server, "unix:/run/redis/redis.sock");
	ck_assert_uint_eq(cfg->redis.sentinel_count, 2);
	ck_assert_str_eq(cfg->redis.sentinels[0], "192.0.2.5:26379");
	ck_assert_str_eq(cfg->redis.sentinels[1], "[2001:db8::6]:26379");
	ck_assert_str_eq(cfg->redis.master_name, "mail");
	ck_assert_str_eq(cfg->redis.username, "bulwark");
	ck_assert_str_eq(cfg->redis.password, "s3cret");
	ck_assert_uint_eq(cfg->redis.database, 3);
	ck_assert_str_eq(cfg->redis.key_prefix, "bw:");
	ck_assert_uint_eq(cfg->redis.timeout_ms, 250);
	ck_assert_uint_eq(cfg->redis.pool_size, 16);
	ck_assert_int_eq(cfg->redis.on_error, REDIS_ON_ERROR_TEMPFAIL);
	config_unref(cfg);
}
END_TEST

/* Names are looked up when the store opens, not when the file loads. */
START_TEST(host_names_accepted)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg = load_text(
	    "redis = {\n"
	    "  server = \"redis.example.net:6379\";\n"
	    "  sentinels = [ \"sentinel-a.example.net:26379\" ];\n"
	    "};\n", err, sizeof(err));

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->redis.server, "redis.example.net:6379");
	ck_assert_str_eq(cfg->redis.sentinels[0], "sentinel-a.example.net:26379");
	config_unref(cfg);
}
END_TEST

START_TEST(on_error_values)
{
	static const struct {
		const char *name;
		enum redis_on_error value;
	} cases[] = {
		{ "local", REDIS_ON_ERROR_LOCAL },
		{ "accept", REDIS_ON_ERROR_ACCEPT },
		{ "tempfail", REDIS_ON_ERROR_TEMPFAIL },
	};
	char text[128], err[CONFIG_ERROR_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg;

		snprintf(text, sizeof(text), "redis = { on_error = \"%s\"; };\n",
		    cases[i].name);
		cfg = load_text(text, err, sizeof(err));
		ck_assert_msg(cfg != NULL, "%s", err);
		ck_assert_int_eq(cfg->redis.on_error, cases[i].value);
		config_unref(cfg);
	}
}
END_TEST

static const struct {
	const char *text;
	unsigned line;
	const char *want;
} bad_configs[] = {
	{ "redis = {\n  servr = \"x:1\";\n};\n", 2, "unknown key \"redis.servr\"" },
	{ "redis = {\n  server = \"localhost\";\n};\n", 2,
	    "redis.server: \"localhost\" is not host:port" },
	{ "redis = {\n  server = \"h:0\";\n};\n", 2, "is not host:port" },
	{ "redis = {\n  server = \"h:65536\";\n};\n", 2, "is not host:port" },
	{ "redis = {\n  server = 6379;\n};\n", 2, "redis.server: expected a string" },
	{ "redis = {\n  sentinels = [\n  \"unix:/x\" ];\n};\n", 3,
	    "redis.sentinels: \"unix:/x\" is not host:port" },
	{ "redis = {\n  sentinels = \"h:1\";\n};\n", 2,
	    "redis.sentinels: expected a list of strings" },
	{ "redis = {\n  master_name = \"\";\n};\n", 2, "redis.master_name: expected" },
	{ "redis = {\n  password = \"a b\";\n};\n", 2, "redis.password: expected" },
	{ "redis = {\n  database = 1024;\n};\n", 2,
	    "redis.database: 1024 is out of range (0..1023)" },
	{ "redis = {\n  key_prefix = \"a{b\";\n};\n", 2,
	    "redis.key_prefix: expected printable characters without blanks or braces" },
	{ "redis = {\n  timeout_ms = 0;\n};\n", 2,
	    "redis.timeout_ms: 0 is out of range (1..60000)" },
	{ "redis = {\n  pool_size = 257;\n};\n", 2,
	    "redis.pool_size: 257 is out of range (1..256)" },
	{ "redis = {\n  on_error = \"drop\";\n};\n", 2,
	    "redis.on_error: unknown value \"drop\" (expected local, accept or tempfail)" },
	{ "redis = {\n  pool_size = true;\n};\n", 2, "redis.pool_size: expected an integer" },
	{ "store = \"mongo\";\n", 1, "store: \"mongo\" is not available" },
};

START_TEST(bad_config_reported_at_its_line)
{
	assert_load_error(bad_configs[_i].text, bad_configs[_i].line,
	    bad_configs[_i].want);
}
END_TEST

START_TEST(key_prefix_length_bounded)
{
	char text[512], err[CONFIG_ERROR_MAX];
	char prefix[202];
	struct config *cfg;

	memset(prefix, 'p', 200);
	prefix[200] = '\0';
	snprintf(text, sizeof(text), "redis = { key_prefix = \"%s\"; };\n", prefix);
	cfg = load_text(text, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	config_unref(cfg);
	strcat(prefix, "p");
	snprintf(text, sizeof(text), "redis = { key_prefix = \"%s\"; };\n", prefix);
	assert_load_error(text, 1, "at most 200");
}
END_TEST

/* A password file of mode 0640 holding text; its path in path. */
static void password_file(char *path, const char *text, mode_t mode)
{
	tmp_text(path, "redis.password", text);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(password_file_read)
{
	char path[PATH_MAX], text[PATH_MAX + 128], err[CONFIG_ERROR_MAX];
	struct config *cfg;

	password_file(path, "s3cret-From-File\n", 0640);
	snprintf(text, sizeof(text), "redis = {\n  password_file = \"%s\";\n};\n",
	    path);
	cfg = load_text(text, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->redis.password, "s3cret-From-File");
	ck_assert_str_eq(cfg->redis.password_file, path);
	config_unref(cfg);

	/* Without a line break, and with a CRLF one. */
	password_file(path, "abc", 0600);
	cfg = load_text(text, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->redis.password, "abc");
	config_unref(cfg);
	password_file(path, "abc\r\n", 0600);
	cfg = load_text(text, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_str_eq(cfg->redis.password, "abc");
	config_unref(cfg);
}
END_TEST

/* Each refusal names the file, at the key's line, never the content. */
START_TEST(password_file_refused)
{
	static const struct {
		const char *content;
		mode_t mode;
		const char *want;
	} cases[] = {
		{ "Hidden-1\n", 0644, "readable by every user" },
		{ "", 0600, "expected one line of printable characters" },
		{ "Hidden-1 Hidden-2\n", 0600, "expected one line" },
		{ "Hidden-1\nHidden-2\n", 0600, "expected one line" },
	};
	char path[PATH_MAX], text[PATH_MAX + 128], err[CONFIG_ERROR_MAX];

	snprintf(text, sizeof(text), "redis = {\n  password_file = \"%s/redis.password\";\n};\n",
	    tmpdir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		password_file(path, cases[i].content, cases[i].mode);
		tmp_text(path, "bulwark.conf", text);
		ck_assert_ptr_null(config_load(path, err, sizeof(err)));
		assert_file_error(err, path, 2, cases[i].want);
		ck_assert_msg(strstr(err, "redis.password") != NULL, "%s", err);
		ck_assert_msg(strstr(err, "Hidden") == NULL, "leaks: %s", err);
	}
	snprintf(text, sizeof(text), "redis = {\n  password_file = \"%s/missing\";\n};\n",
	    tmpdir);
	assert_load_error(text, 2, "missing: No such file or directory");
	assert_load_error("redis = {\n  password_file = \"relative\";\n};\n", 2,
	    "redis.password_file: expected \"\" or an absolute path");
}
END_TEST

START_TEST(password_file_exclusive)
{
	char path[PATH_MAX], text[PATH_MAX + 128];

	password_file(path, "abc\n", 0600);
	snprintf(text, sizeof(text), "redis = {\n  password = \"x\";\n"
	    "  password_file = \"%s\";\n};\n", path);
	assert_load_error(text, 3, "redis.password_file: redis.password is set "
	    "too: use one or the other");
}
END_TEST

static Suite *config_redis_suite(void)
{
	Suite *suite = suite_create("config_redis");
	TCase *tc = tcase_create("config_redis");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key_read);
	tcase_add_test(tc, host_names_accepted);
	tcase_add_test(tc, on_error_values);
	tcase_add_loop_test(tc, bad_config_reported_at_its_line, 0,
	    (int)(sizeof(bad_configs) / sizeof(bad_configs[0])));
	tcase_add_test(tc, key_prefix_length_bounded);
	tcase_add_test(tc, password_file_read);
	tcase_add_test(tc, password_file_refused);
	tcase_add_test(tc, password_file_exclusive);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(config_redis_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
