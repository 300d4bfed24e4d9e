/*
 * check_json.c - unit tests for milter/control/control_json.c, what the
 * control answers add to jansson: text of any bytes made valid UTF-8
 * (valid sequences kept, every other byte U+FFFD), written by jansson
 * and read back unchanged; null for no text and for time 0.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control_json.h"

/* s as the one member of a compact document, and that document parsed. */
static json_t *round_trip(const char *s, char **doc)
{
	json_t *obj = json_object();
	json_t *back;
	json_error_t error;

	json_object_set_new(obj, "s", control_json_text(s));
	*doc = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	ck_assert_ptr_nonnull(*doc);
	back = json_loads(*doc, 0, &error);
	ck_assert_msg(back != NULL, "json_loads(%s): %s", *doc, error.text);
	return back;
}

static const char *member(const json_t *obj)
{
	return json_string_value(json_object_get(obj, "s"));
}

START_TEST(escapes_strings)
{
	char *doc;
	json_t *v = round_trip("a\"b\\c\n\t\x01\x1f\x7f/ \xc3\xa9", &doc);

	/* Quote, backslash and control characters escaped, UTF-8 kept. */
	ck_assert_str_eq(doc, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\\u001F\x7f/ "
	    "\xc3\xa9\"}");
	ck_assert_str_eq(member(v), "a\"b\\c\n\t\x01\x1f\x7f/ \xc3\xa9");
	json_decref(v);
	free(doc);
}
END_TEST

START_TEST(keeps_utf8_replaces_invalid_bytes)
{
	char *doc;
	/* é, €, U+1F600, then a lone continuation byte, a truncated
	 * sequence, an overlong '/', an encoded surrogate and 0xff. */
	json_t *v = round_trip("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xff", &doc);

	ck_assert_str_eq(member(v), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd");
	json_decref(v);
	free(doc);
}
END_TEST

START_TEST(largest_code_points)
{
	char out[64];

	/* U+10FFFF is the last; F4 90 would be past it, F5 never starts. */
	ck_assert_uint_eq(control_json_utf8("\xf4\x8f\xbf\xbf", out), 4);
	ck_assert_str_eq(out, "\xf4\x8f\xbf\xbf");
	ck_assert_uint_eq(control_json_utf8("\xf4\x90\x80\x80", out), 12);
	ck_assert_uint_eq(control_json_utf8("\xf5", out), 3);
	/* U+FFFF and U+D7FF are valid, the surrogates after them not. */
	ck_assert_uint_eq(control_json_utf8("\xef\xbf\xbf\xed\x9f\xbf", out),
	    6);
	ck_assert_uint_eq(control_json_utf8("", out), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(three_bytes_out_per_byte_in)
{
	char in[65], out[3 * 64 + 1];

	memset(in, 0xff, 64);
	in[64] = '\0';
	ck_assert_uint_eq(control_json_utf8(in, out), 3 * 64);
	ck_assert_uint_eq(strlen(out), 3 * 64);
}
END_TEST

START_TEST(null_text_and_unknown_times)
{
	json_t *v = control_json_text(NULL);

	ck_assert(json_is_null(v));
	json_decref(v);
	v = control_json_time(0);
	ck_assert(json_is_null(v));
	json_decref(v);
	v = control_json_time(1700000000);
	ck_assert(json_is_integer(v));
	ck_assert_int_eq(json_integer_value(v), 1700000000);
	json_decref(v);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, escapes_strings);
	tcase_add_test(tc, keeps_utf8_replaces_invalid_bytes);
	tcase_add_test(tc, largest_code_points);
	tcase_add_test(tc, three_bytes_out_per_byte_in);
	tcase_add_test(tc, null_text_and_unknown_times);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
