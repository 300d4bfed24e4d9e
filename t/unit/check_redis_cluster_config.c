/*
 * check_redis_cluster_config.c - redis.cluster in bulwark.conf: read, an
 * empty list meaning none, its exclusion of server, sentinels and a
 * database other than 0 reported at the right line, and a reload that
 * keeps it; redis_cluster_open() resolving the seeds once, and the plain
 * pool refusing a cluster.
 */
#include <check.h>
#include <stdlib.h>

#include "config.h"
#include "redis_cluster.h"
#include "test_files.h"

static struct config *load_text(const char *text, char *err, size_t errlen)
{
	char path[PATH_MAX];

	tmp_text(path, "bulwark.conf", text);
	return config_load(path, err, errlen);
}

START_TEST(cluster_read)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg = load_text(
	    "store = \"redis\";\n"
	    "redis = {\n"
	    "  cluster = [ \"192.0.2.1:7000\", \"[2001:db8::1]:7001\",\n"
	    "    \"redis-a.example.net:7002\" ];\n"
	    "  database = 0;\n"
	    "  sentinels = [ ];\n"
	    "};\n", err, sizeof(err));
	struct config *copy;

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_uint_eq(cfg->redis.cluster_count, 3);
	ck_assert_str_eq(cfg->redis.cluster[0], "192.0.2.1:7000");
	ck_assert_str_eq(cfg->redis.cluster[1], "[2001:db8::1]:7001");
	ck_assert_str_eq(cfg->redis.cluster[2], "redis-a.example.net:7002");
	/* A reload keeps the running seeds; a change is reported. */
	copy = config_defaults();
	ck_assert_uint_eq(config_keep_start_keys(copy, cfg, err, sizeof(err)),
	    2);
	ck_assert_ptr_nonnull(strstr(err, "redis"));
	ck_assert_uint_eq(copy->redis.cluster_count, 3);
	ck_assert_str_eq(copy->redis.cluster[2], "redis-a.example.net:7002");
	ck_assert_uint_eq(config_keep_start_keys(copy, cfg, err, sizeof(err)),
	    0);
	config_unref(copy);
	config_unref(cfg);
}
END_TEST

START_TEST(empty_cluster_is_none)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg = load_text(
	    "redis = {\n  server = \"192.0.2.1:6379\";\n  cluster = [ ];\n};\n",
	    err, sizeof(err));

	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_uint_eq(cfg->redis.cluster_count, 0);
	config_unref(cfg);
}
END_TEST

static const struct {
	const char *text;
	unsigned line;
	const char *want;
} bad_configs[] = {
	{ "redis = {\n  server = \"h:1\";\n  cluster = [ \"h:2\" ];\n};\n", 3,
	    "redis.cluster: not with redis.server" },
	{ "redis = {\n  cluster = [ \"h:2\" ];\n  server = \"h:1\";\n};\n", 3,
	    "redis.server: not with redis.cluster" },
	{ "redis = {\n  cluster = [ \"h:2\" ];\n\n  sentinels = [ \"h:1\" ];\n};\n",
	    4, "redis.sentinels: not with redis.cluster" },
	{ "redis = {\n  database = 2;\n  cluster = [ \"h:2\" ];\n};\n", 3,
	    "redis.cluster: not with redis.database other than 0" },
	{ "redis = {\n  cluster = [ \"h:2\",\n  \"unix:/x\" ];\n};\n", 3,
	    "redis.cluster: \"unix:/x\" is not host:port" },
	{ "redis = {\n  cluster = \"h:1\";\n};\n", 2,
	    "redis.cluster: expected a list of strings" },
	{ "redis = {\n  cluster = [ \"h\" ];\n};\n", 2, "is not host:port" },
};

START_TEST(bad_cluster_reported_at_its_line)
{
	char path[PATH_MAX], err[CONFIG_ERROR_MAX];

	tmp_text(path, "bulwark.conf", bad_configs[_i].text);
	ck_assert_ptr_null(config_load(path, err, sizeof(err)));
	assert_file_error(err, path, bad_configs[_i].line, bad_configs[_i].want);
}
END_TEST

START_TEST(too_many_seeds)
{
	char text[4096], err[CONFIG_ERROR_MAX];
	size_t len = 0;

	len += (size_t)snprintf(text + len, sizeof(text) - len,
	    "redis = {\n  cluster = [ \"h:1\"");
	for (int i = 2; i <= 65; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    ", \"h:%d\"", i);
	snprintf(text + len, sizeof(text) - len, " ];\n};\n");
	ck_assert_ptr_null(load_text(text, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "at most 64 seed nodes"));
}
END_TEST

START_TEST(open_resolves_seeds_once)
{
	struct config *cfg = config_defaults();
	struct redis_config *rc = &cfg->redis;
	struct redis_cluster *c;
	struct redis_pool *pool;
	char err[256];

	rc->cluster = calloc(2, sizeof(char *));
	rc->cluster[0] = strdup("127.0.0.1:7000");
	rc->cluster[1] = strdup("no-such-host.invalid:7001");
	rc->cluster_count = 2;
	c = redis_cluster_open(rc, err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "no-such-host.invalid"));
	free(rc->cluster[1]);
	rc->cluster[1] = strdup("localhost:7001");
	c = redis_cluster_open(rc, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	redis_cluster_close(c);
	/* The one-server pool does not pretend to serve a cluster. */
	pool = redis_pool_open(rc, err, sizeof(err));
	ck_assert_ptr_null(pool);
	ck_assert_ptr_nonnull(strstr(err, "cluster"));
	config_unref(cfg);
}
END_TEST

static Suite *cluster_config_suite(void)
{
	Suite *suite = suite_create("redis_cluster_config");
	TCase *tc = tcase_create("config");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, cluster_read);
	tcase_add_test(tc, empty_cluster_is_none);
	tcase_add_loop_test(tc, bad_cluster_reported_at_its_line, 0,
	    (int)(sizeof(bad_configs) / sizeof(bad_configs[0])));
	tcase_add_test(tc, too_many_seeds);
	tcase_add_test(tc, open_resolves_seeds_once);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(cluster_config_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
