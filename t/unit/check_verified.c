/*
 * check_verified.c - unit tests for lib/verified.c and the
 * exclude_verified_domains key (lib/config_verified.c): which macros make
 * a verified name, which names match a domain, and which domains the
 * configuration takes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "verified.h"
#include "test_files.h"

START_TEST(postfix_name_verified_unless_unknown)
{
	ck_assert_str_eq(verified_name("mx1.mail.google.com", NULL),
	    "mx1.mail.google.com");
	ck_assert_ptr_null(verified_name("unknown", NULL));
	ck_assert_ptr_null(verified_name("", NULL));
	ck_assert_ptr_null(verified_name(NULL, NULL));
	ck_assert_ptr_null(verified_name("[192.0.2.1]", NULL));
}
END_TEST

START_TEST(sendmail_name_verified_only_with_resolve_ok)
{
	ck_assert_str_eq(verified_name("mx.example.com", "OK"), "mx.example.com");
	ck_assert_ptr_null(verified_name("mx.example.com", "FORGED"));
	ck_assert_ptr_null(verified_name("mx.example.com", "FAIL"));
	ck_assert_ptr_null(verified_name("mx.example.com", "TEMP"));
	ck_assert_ptr_null(verified_name("[192.0.2.1]", "OK"));
}
END_TEST

START_TEST(domain_and_subdomains_match)
{
	char *domains[] = { "google.com", "outlook.com" };

	ck_assert(verified_match(domains, 2, "google.com"));
	ck_assert(verified_match(domains, 2, "mx1.mail.google.com"));
	ck_assert(verified_match(domains, 2, "MX1.Mail.Google.COM"));
	ck_assert(verified_match(domains, 2, "mail.outlook.com."));
	ck_assert(!verified_match(domains, 2, "evilgoogle.com"));
	ck_assert(!verified_match(domains, 2, "google.com.evil.net"));
	ck_assert(!verified_match(domains, 2, "oogle.com"));
	ck_assert(!verified_match(domains, 2, "."));
	ck_assert(!verified_match(domains, 2, ""));
	ck_assert(!verified_match(domains, 2, NULL));
	ck_assert(!verified_match(domains, 0, "google.com"));
}
END_TEST

static char conf_path[TMP_PATH_MAX];
static char err[CONFIG_ERROR_MAX];

START_TEST(config_key_lowercases_and_defaults_empty)
{
	struct config *cfg = config_defaults();

	ck_assert_uint_eq(cfg->exclude_verified_domain_count, 0);
	config_unref(cfg);
	tmp_text(conf_path, "bulwark.conf",
	    "exclude_verified_domains = [ \"Google.COM\", \"outlook.com\" ];\n");
	cfg = config_load(conf_path, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	ck_assert_uint_eq(cfg->exclude_verified_domain_count, 2);
	ck_assert_str_eq(cfg->exclude_verified_domains[0], "google.com");
	ck_assert_str_eq(cfg->exclude_verified_domains[1], "outlook.com");
	config_unref(cfg);
}
END_TEST

static void refused(const char *text, const char *want)
{
	char expected[CONFIG_ERROR_MAX];

	tmp_text(conf_path, "bulwark.conf", text);
	ck_assert_ptr_null(config_load(conf_path, err, sizeof(err)));
	snprintf(expected, sizeof(expected), "%s:2: %s", conf_path, want);
	ck_assert_str_eq(err, expected);
}

START_TEST(config_key_refuses_bad_domains)
{
	refused("# one\nexclude_verified_domains = [ \".google.com\" ];\n",
	    "exclude_verified_domains: \".google.com\": a domain has no "
	    "leading, trailing or doubled '.'");
	refused("# one\nexclude_verified_domains = [ \"a b\" ];\n",
	    "exclude_verified_domains: \"a b\": a domain holds only letters, "
	    "digits, '-' and '.'");
	refused("# one\nexclude_verified_domains = [ \"\" ];\n",
	    "exclude_verified_domains: \"\": a domain must be 1 to 253 "
	    "characters long");
	refused("# one\nexclude_verified_domains = \"google.com\";\n",
	    "exclude_verified_domains: expected a list of strings");
}
END_TEST

static Suite *verified_suite(void)
{
	Suite *suite = suite_create("verified");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, postfix_name_verified_unless_unknown);
	tcase_add_test(tc, sendmail_name_verified_only_with_resolve_ok);
	tcase_add_test(tc, domain_and_subdomains_match);
	tcase_add_test(tc, config_key_lowercases_and_defaults_empty);
	tcase_add_test(tc, config_key_refuses_bad_domains);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	SRunner *runner = srunner_create(verified_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
