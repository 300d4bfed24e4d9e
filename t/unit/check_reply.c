/*
 * check_reply.c - unit tests for lib/reply.c: "%a" and "%%" in a
 * template, percent signs doubled wherever they come from, and a text
 * cut to its buffer.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

START_TEST(substitutes)
{
	char out[128];

	reply_format("Too many connections from %a", "192.0.2.1", out,
	    sizeof(out));
	ck_assert_str_eq(out, "Too many connections from 192.0.2.1");
	reply_format("%a%a", "2001:db8::1", out, sizeof(out));
	ck_assert_str_eq(out, "2001:db8::12001:db8::1");
	reply_format("no address", "192.0.2.1", out, sizeof(out));
	ck_assert_str_eq(out, "no address");
}
END_TEST

START_TEST(percent_doubled)
{
	char out[128];

	reply_format("100%% sure: %a", "192.0.2.1", out, sizeof(out));
	ck_assert_str_eq(out, "100%% sure: 192.0.2.1");
	reply_format("%%a is %a", "192.0.2.1", out, sizeof(out));
	ck_assert_str_eq(out, "%%a is 192.0.2.1");
	/* A lone '%' (refused by config_load) still leaves no lone '%'. */
	reply_format("50% off", "192.0.2.1", out, sizeof(out));
	ck_assert_str_eq(out, "50%% off");
}
END_TEST

/* Found by fuzz/fuzz_reply.c: the address was copied with its '%' alone. */
START_TEST(percent_in_address)
{
	char out[128];

	reply_format("from %a", "a%b", out, sizeof(out));
	ck_assert_str_eq(out, "from a%%b");
	reply_format("%a", "%", out, sizeof(out));
	ck_assert_str_eq(out, "%%");
}
END_TEST

/*
 * Found by fuzz/fuzz_reply.c: an address that did not fit was skipped and
 * the text after it still written, so the cut text was not the start of
 * the whole one.
 */
START_TEST(cut_is_a_prefix)
{
	char out[12];

	reply_format("ab %a cd", "192.0.2.100", out, sizeof(out));
	ck_assert_str_eq(out, "ab 192.0.2.");
	reply_format("abcdefghijklmnop", "x", out, sizeof(out));
	ck_assert_str_eq(out, "abcdefghijk");
}
END_TEST

START_TEST(cut_never_mid_escape)
{
	char out[5];

	reply_format("abc%%d", "x", out, sizeof(out));
	ck_assert_str_eq(out, "abc");
	reply_format("%a", "abc%d", out, sizeof(out));
	ck_assert_str_eq(out, "abc");
	reply_format("%%%%%%", "x", out, sizeof(out));
	ck_assert_str_eq(out, "%%%%");
}
END_TEST

START_TEST(tiny_buffers)
{
	char out[2] = "zz";

	reply_format("%a", "192.0.2.1", out, 1);
	ck_assert_str_eq(out, "");
	reply_format("%%", "x", out, 2);
	ck_assert_str_eq(out, "");
	out[0] = 'z';
	reply_format("abc", "x", out, 0);
	ck_assert_int_eq(out[0], 'z');
}
END_TEST

START_TEST(detector_and_block_end)
{
	struct reply_vars vars = { "192.0.2.1", "dha", 1764583200 };
	char out[256];

	reply_format_vars("%d: %a blocked until %u", &vars, out, sizeof(out));
	ck_assert_str_eq(out, "dha: 192.0.2.1 blocked until 2025-12-01T10:00:00Z");
	vars.detector = NULL;
	vars.until = 0;
	reply_format_vars("%d until %u, 100%%", &vars, out, sizeof(out));
	ck_assert_str_eq(out, "- until -, 100%%");
	reply_format("%d %u %a", "192.0.2.1", out, sizeof(out));
	ck_assert_str_eq(out, "- - 192.0.2.1");
	/* Other letters stay as they are (configuration refuses them). */
	reply_format_vars("%x", &vars, out, sizeof(out));
	ck_assert_str_eq(out, "%%x");
}
END_TEST

static Suite *reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, substitutes);
	tcase_add_test(tc, percent_doubled);
	tcase_add_test(tc, percent_in_address);
	tcase_add_test(tc, cut_is_a_prefix);
	tcase_add_test(tc, cut_never_mid_escape);
	tcase_add_test(tc, tiny_buffers);
	tcase_add_test(tc, detector_and_block_end);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reply_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
