/*
 * check_escape.c - unit tests for lib/escape.c: what each mode keeps and
 * escapes, the input limit of client text, and cutting to fit (never in
 * the middle of an escape, "..." when there is room).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

static char out[ESCAPE_OUT_MAX];

static const char *esc(const char *in, enum escape_mode mode)
{
	return escape(in, mode, out, sizeof(out));
}

START_TEST(client_text)
{
	ck_assert_str_eq(esc("mail.example.org", ESCAPE_CLIENT),
	    "mail.example.org");
	ck_assert_str_eq(esc("XYZZY 4", ESCAPE_CLIENT), "XYZZY\\x204");
	ck_assert_str_eq(esc("a\"b\\c=d\r\n\x7f\x80\xff", ESCAPE_CLIENT),
	    "a\\x22b\\x5cc\\x3dd\\x0d\\x0a\\x7f\\x80\\xff");
	ck_assert_str_eq(esc("%s%n", ESCAPE_CLIENT), "%s%n");
	ck_assert_str_eq(esc("", ESCAPE_CLIENT), "");
}
END_TEST

START_TEST(client_text_is_bounded)
{
	char in[ESCAPE_INPUT_MAX + 2];

	memset(in, 'B', ESCAPE_INPUT_MAX);
	in[ESCAPE_INPUT_MAX] = '\0';
	ck_assert_str_eq(esc(in, ESCAPE_CLIENT), in);
	in[ESCAPE_INPUT_MAX] = 'B';
	in[ESCAPE_INPUT_MAX + 1] = '\0';
	esc(in, ESCAPE_CLIENT);
	ck_assert_uint_eq(strlen(out), ESCAPE_INPUT_MAX + 3);
	ck_assert_str_eq(out + ESCAPE_INPUT_MAX, "...");
	/* The longest escaped text fits ESCAPE_OUT_MAX. */
	memset(in, 0xff, sizeof(in) - 1);
	esc(in, ESCAPE_CLIENT);
	ck_assert_uint_eq(strlen(out), 4 * ESCAPE_INPUT_MAX + 3);
}
END_TEST

START_TEST(quoted_field)
{
	ck_assert_str_eq(esc("ticket 42: \"dictionary\" \\ attack\ttab \xc3\xa9",
	    ESCAPE_QUOTED), "ticket 42: \\x22dictionary\\x22 \\x5c "
	    "attack\\x09tab \\xc3\\xa9");
	ck_assert_str_eq(esc("/etc/bulwark/bulwark.conf:3: x = y",
	    ESCAPE_QUOTED), "/etc/bulwark/bulwark.conf:3: x = y");
}
END_TEST

START_TEST(quoted_field_has_no_input_limit)
{
	char in[300], big[400];

	memset(in, 'q', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	ck_assert_str_eq(escape(in, ESCAPE_QUOTED, big, sizeof(big)), in);
}
END_TEST

START_TEST(terminal_text)
{
	ck_assert_str_eq(esc("why: \"x\" \\ \xc3\xa9\t\x1b[2J\x7f",
	    ESCAPE_TERMINAL), "why: \"x\" \\ \xc3\xa9\\x09\\x1b[2J\\x7f");
}
END_TEST

START_TEST(label_values_escaped)
{
	escape("plain-1.0", ESCAPE_LABEL, out, sizeof(out));
	ck_assert_str_eq(out, "plain-1.0");
	escape("a\"b\\c\nd", ESCAPE_LABEL, out, sizeof(out));
	ck_assert_str_eq(out, "a\\\"b\\\\c\\nd");
	/* Truncation never splits an escape. */
	escape("ab\"", ESCAPE_LABEL, out, 4);
	ck_assert_str_eq(out, "ab");
	escape("ab\"", ESCAPE_LABEL, out, 5);
	ck_assert_str_eq(out, "ab\\\"");
	escape("", ESCAPE_LABEL, out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(cut_to_fit)
{
	char small[8] = "unused";

	/* Nothing at all fits in 0 bytes: out is left alone. */
	ck_assert_ptr_eq(escape("abc", ESCAPE_QUOTED, small, 0), small);
	ck_assert_str_eq(small, "unused");
	ck_assert_str_eq(escape("abc", ESCAPE_QUOTED, small, 1), "");
	/* Cut where the room ends; "..." when room is left for it. */
	ck_assert_str_eq(escape("abcdefghij", ESCAPE_QUOTED, small,
	    sizeof(small)), "abcdefg");
	ck_assert_str_eq(escape("abcd\x01", ESCAPE_QUOTED, small,
	    sizeof(small)), "abcd...");
	/* An escape that does not fit is left out whole. */
	ck_assert_str_eq(escape("abcdef\x01", ESCAPE_TERMINAL, small,
	    sizeof(small)), "abcdef");
	ck_assert_str_eq(escape("a\x01\x02", ESCAPE_TERMINAL, small,
	    sizeof(small)), "a\\x01");
	ck_assert_str_eq(escape("\x01\x02", ESCAPE_TERMINAL, small,
	    ESCAPE_SIZE(2)), "\\x01\\x02");
}
END_TEST

static Suite *escape_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("modes");

	tcase_add_test(tc, client_text);
	tcase_add_test(tc, client_text_is_bounded);
	tcase_add_test(tc, quoted_field);
	tcase_add_test(tc, quoted_field_has_no_input_limit);
	tcase_add_test(tc, terminal_text);
	tcase_add_test(tc, label_values_escaped);
	tcase_add_test(tc, cut_to_fit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(escape_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
