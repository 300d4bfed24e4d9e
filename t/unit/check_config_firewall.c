/*
 * check_config_firewall.c - the firewall group of bulwark.conf: defaults,
 * every key read, names safe for nft's command text, the refusal of a
 * sliding detector the firewall enforces, and the keys a reload keeps.
 */
#include <check.h>
#include <stdlib.h>

#include "config.h"
#include "test_files.h"

static struct config *load_text(const char *text, char *err, size_t errlen)
{
	char path[PATH_MAX];

	tmp_text(path, "bulwark.conf", text);
	return config_load(path, err, errlen);
}

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
	const struct firewall_config *fw = &cfg->firewall;

	ck_assert(!fw->enabled);
	ck_assert_str_eq(fw->table, "bulwark");
	ck_assert_str_eq(fw->family, "inet");
	ck_assert_str_eq(fw->set4, "blocked4");
	ck_assert_str_eq(fw->set6, "blocked6");
	ck_assert(fw->detectors[DETECTOR_DOS]);
	ck_assert(!fw->detectors[DETECTOR_DHA]);
	ck_assert(fw->detectors[DETECTOR_ATTACK]);
	ck_assert(fw->detectors[DETECTOR_MANUAL]);
	ck_assert(fw->blocked_list);
	ck_assert_uint_eq(fw->max_elements, 65536);
	config_unref(cfg);
}
END_TEST

START_TEST(every_key_read)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg = load_text(
	    "firewall = {\n"
	    "  enabled = true;\n"
	    "  table = \"mail_ban\";\n"
	    "  family = \"ip6\";\n"
	    "  set4 = \"v4\";\n"
	    "  set6 = \"V6_set\";\n"
	    "  detectors = [ \"dha\", \"manual\" ];\n"
	    "  max_elements = 1000;\n"
	    "};\n", err, sizeof(err));
	const struct firewall_config *fw;

	ck_assert_msg(cfg != NULL, "%s", err);
	fw = &cfg->firewall;
	ck_assert(fw->enabled);
	ck_assert_str_eq(fw->table, "mail_ban");
	ck_assert_str_eq(fw->family, "ip6");
	ck_assert_str_eq(fw->set4, "v4");
	ck_assert_str_eq(fw->set6, "V6_set");
	ck_assert(!fw->detectors[DETECTOR_DOS]);
	ck_assert(fw->detectors[DETECTOR_DHA]);
	ck_assert(!fw->detectors[DETECTOR_ATTACK]);
	ck_assert(fw->detectors[DETECTOR_MANUAL]);
	ck_assert(!fw->blocked_list);
	ck_assert_uint_eq(fw->max_elements, 1000);
	config_unref(cfg);
}
END_TEST

START_TEST(empty_detectors)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg = load_text("firewall = { detectors = [ ]; };\n",
	    err, sizeof(err));

	ck_assert_msg(cfg != NULL, "%s", err);
	for (unsigned d = 0; d < DETECTOR_COUNT; d++)
		ck_assert(!cfg->firewall.detectors[d]);
	ck_assert(!cfg->firewall.blocked_list);
	config_unref(cfg);
}
END_TEST

/* Sliding is refused only for a detector the enabled firewall enforces. */
START_TEST(sliding_with_firewall)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg;

	assert_load_error("firewall = { enabled = true; };\n"
	    "dos = {\n  sliding = true;\n};\n", 3,
	    "dos.sliding: a sliding block cannot be enforced by the firewall");
	assert_load_error("attack = { max_flagged = 2;\n sliding = true; };\n"
	    "firewall = { enabled = true; };\n", 2,
	    "take attack out of firewall.detectors");
	cfg = load_text("firewall = { enabled = true; detectors = [ \"manual\" ]; };\n"
	    "dos = { sliding = true; };\n", err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	config_unref(cfg);
	cfg = load_text("firewall = { enabled = false; };\n"
	    "dos = { sliding = true; };\n", err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	config_unref(cfg);
}
END_TEST

START_TEST(reload_keeps_start_keys)
{
	char err[CONFIG_ERROR_MAX], changed[256];
	struct config *running = config_defaults();
	struct config *next = load_text("firewall = {\n  enabled = true;\n"
	    "  table = \"other\";\n  set4 = \"s4\";\n  max_elements = 10;\n"
	    "  detectors = [ \"dha\" ];\n};\n", err, sizeof(err));

	ck_assert_msg(next != NULL, "%s", err);
	ck_assert_uint_eq(config_keep_start_keys(next, running, changed,
	    sizeof(changed)), 1);
	ck_assert_str_eq(changed, "firewall");
	ck_assert(!next->firewall.enabled);
	ck_assert_str_eq(next->firewall.table, "bulwark");
	ck_assert_str_eq(next->firewall.set4, "blocked4");
	ck_assert_uint_eq(next->firewall.max_elements, 10);
	ck_assert(next->firewall.detectors[DETECTOR_DHA]);
	ck_assert(!next->firewall.detectors[DETECTOR_DOS]);
	config_unref(next);
	config_unref(running);
}
END_TEST

static const struct {
	const char *text;
	unsigned line;
	const char *want;
} bad_configs[] = {
	{ "firewall = {\n  enable = true;\n};\n", 2,
	    "unknown key \"firewall.enable\"" },
	{ "firewall = {\n  enabled = 1;\n};\n", 2,
	    "firewall.enabled: expected true or false" },
	{ "firewall = {\n  table = \"a b\";\n};\n", 2,
	    "firewall.table: invalid name \"a b\"" },
	{ "firewall = {\n  table = \"x;flush ruleset\";\n};\n", 2,
	    "firewall.table: invalid name" },
	{ "firewall = {\n  set4 = \"4set\";\n};\n", 2,
	    "firewall.set4: invalid name \"4set\" (expected a letter" },
	{ "firewall = {\n  set6 = \"\";\n};\n", 2, "firewall.set6: invalid name" },
	{ "firewall = {\n  set6 = \"a\\\"b\";\n};\n", 2, "firewall.set6: invalid name" },
	{ "firewall = {\n  table = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";\n};\n",
	    2, "at most 64" },
	{ "firewall = {\n  family = \"arp\";\n};\n", 2,
	    "firewall.family: \"arp\" is not a table family" },
	{ "firewall = {\n  detectors = [ \"dos\",\n \"spam\" ];\n};\n", 3,
	    "firewall.detectors: \"spam\" is not dos, dha, attack, manual or blocked" },
	{ "firewall = {\n  detectors = \"dos\";\n};\n", 2,
	    "firewall.detectors: expected a list of strings" },
	{ "firewall = {\n  max_elements = 0;\n};\n", 2,
	    "firewall.max_elements: 0 is out of range (1..1000000)" },
	{ "firewall = {\n  max_elements = 1000001;\n};\n", 2, "out of range" },
};

START_TEST(bad_config_reported_at_its_line)
{
	assert_load_error(bad_configs[_i].text, bad_configs[_i].line,
	    bad_configs[_i].want);
}
END_TEST

static Suite *config_firewall_suite(void)
{
	Suite *suite = suite_create("config_firewall");
	TCase *tc = tcase_create("config_firewall");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key_read);
	tcase_add_test(tc, empty_detectors);
	tcase_add_test(tc, sliding_with_firewall);
	tcase_add_test(tc, reload_keeps_start_keys);
	tcase_add_loop_test(tc, bad_config_reported_at_its_line, 0,
	    (int)(sizeof(bad_configs) / sizeof(bad_configs[0])));
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(config_firewall_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
