/*
 * check_duration.c - unit tests for lib/duration.c: units, limits and
 * everything that must be refused.
 */
#include <check.h>
#include <stdlib.h>

#include "duration.h"

static unsigned parse_ok(const char *text)
{
	unsigned seconds = 12345;

	ck_assert_msg(duration_parse(text, &seconds) == 0,
	    "duration_parse(\"%s\") failed", text);
	return seconds;
}

START_TEST(units)
{
	ck_assert_uint_eq(parse_ok("90"), 90);
	ck_assert_uint_eq(parse_ok("90s"), 90);
	ck_assert_uint_eq(parse_ok("10m"), 600);
	ck_assert_uint_eq(parse_ok("1h"), 3600);
	ck_assert_uint_eq(parse_ok("2d"), 172800);
	ck_assert_uint_eq(parse_ok("0"), 0);
	ck_assert_uint_eq(parse_ok("0d"), 0);
	ck_assert_uint_eq(parse_ok("007m"), 420);
}
END_TEST

START_TEST(limits)
{
	unsigned seconds;

	ck_assert_uint_eq(parse_ok("31622400"), DURATION_MAX);
	ck_assert_uint_eq(parse_ok("31622400s"), DURATION_MAX);
	ck_assert_uint_eq(parse_ok("527040m"), DURATION_MAX);
	ck_assert_uint_eq(parse_ok("8784h"), DURATION_MAX);
	ck_assert_uint_eq(parse_ok("366d"), DURATION_MAX);
	ck_assert_int_eq(duration_parse("31622401", &seconds), -1);
	ck_assert_int_eq(duration_parse("527041m", &seconds), -1);
	ck_assert_int_eq(duration_parse("8785h", &seconds), -1);
	ck_assert_int_eq(duration_parse("367d", &seconds), -1);
}
END_TEST

START_TEST(overflow)
{
	unsigned seconds;

	/* Values that wrap 32 and 64 bits to something small. */
	ck_assert_int_eq(duration_parse("4294967296", &seconds), -1);
	ck_assert_int_eq(duration_parse("4294967297s", &seconds), -1);
	ck_assert_int_eq(duration_parse("18446744073709551616", &seconds), -1);
	ck_assert_int_eq(duration_parse("49711d", &seconds), -1);
	ck_assert_int_eq(duration_parse("71582789m", &seconds), -1);
	ck_assert_int_eq(duration_parse("99999999999999999999999999999d",
	    &seconds), -1);
}
END_TEST

START_TEST(rejects)
{
	static const char *const bad[] = {
		"", "s", "m", "-1", "-0", "+5", " 5", "5 ", "5\n", "5x", "5ms",
		"5S", "5M", "5H", "5D", "5w", "5y", "1.5h", "1,5", "0x10",
		"5s5", "5ss", "1h30m", "ten", "\t5",
	};
	unsigned seconds;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(duration_parse(bad[i], &seconds) == -1,
		    "duration_parse accepted \"%s\"", bad[i]);
	ck_assert_int_eq(duration_parse(NULL, &seconds), -1);
}
END_TEST

static Suite *duration_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, units);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, overflow);
	tcase_add_test(tc, rejects);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(duration_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
