/*
 * check_isotime.c - unit tests for lib/isotime.c: UTC in ISO 8601, the
 * epoch and a leap day, a time the calendar cannot hold written as its
 * seconds, and a buffer too small for either.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "isotime.h"

START_TEST(utc_iso_8601)
{
	char buf[ISOTIME_MAX];

	ck_assert_str_eq(isotime_format(1763805600, buf, sizeof(buf)),
	    "2025-11-22T10:00:00Z");
	ck_assert_str_eq(isotime_format(0, buf, sizeof(buf)),
	    "1970-01-01T00:00:00Z");
	ck_assert_str_eq(isotime_format(951782400, buf, sizeof(buf)),
	    "2000-02-29T00:00:00Z");
}
END_TEST

START_TEST(out_of_range_as_seconds)
{
	char buf[ISOTIME_MAX];

	ck_assert_str_eq(isotime_format(INT64_MAX, buf, sizeof(buf)),
	    "9223372036854775807");
	ck_assert_str_eq(isotime_format(INT64_MIN, buf, sizeof(buf)),
	    "-9223372036854775808");
}
END_TEST

START_TEST(small_buffer_stays_terminated)
{
	char buf[8] = "unused";

	isotime_format(1763805600, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1763805");
	ck_assert_ptr_eq(isotime_format(1, buf, 0), buf);
}
END_TEST

static Suite *isotime_suite(void)
{
	Suite *s = suite_create("isotime");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, utc_iso_8601);
	tcase_add_test(tc, out_of_range_as_seconds);
	tcase_add_test(tc, small_buffer_stays_terminated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(isotime_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
