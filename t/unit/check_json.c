/*
 * check_json.c - unit tests for lib/json.c: documents written with every
 * kind of value, strings with any bytes escaped into valid JSON and read
 * back unchanged, and the parser's refusals.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static char err[128];

static struct json_value *parse_ok(const char *text)
{
	struct json_value *v = json_parse(text, strlen(text), err, sizeof(err));

	ck_assert_msg(v != NULL, "json_parse(%s) failed: %s", text, err);
	return v;
}

static void parse_fails(const char *text, size_t len, const char *what)
{
	ck_assert_msg(json_parse(text, len, err, sizeof(err)) == NULL,
	    "json_parse accepted %s", text);
	ck_assert_msg(strstr(err, what) != NULL, "error \"%s\" lacks \"%s\"",
	    err, what);
}

/* The string s written as a document, parsed back. */
static struct json_value *round_trip(const char *s, char **doc)
{
	struct json_writer w;

	json_init(&w);
	json_string(&w, NULL, s);
	*doc = json_finish(&w);
	return parse_ok(*doc);
}

START_TEST(writes_nested_document)
{
	struct json_writer w;
	char *doc;

	json_init(&w);
	json_object_begin(&w, NULL);
	json_string(&w, "name", "bulwark");
	json_int(&w, "min", INT64_MIN);
	json_int(&w, "max", INT64_MAX);
	json_bool(&w, "yes", true);
	json_bool(&w, "no", false);
	json_null(&w, "none");
	json_string(&w, "missing", NULL);
	json_array_begin(&w, "list");
	json_int(&w, NULL, 1);
	json_object_begin(&w, NULL);
	json_object_end(&w);
	json_array_begin(&w, NULL);
	json_array_end(&w);
	json_array_end(&w);
	json_object_end(&w);
	doc = json_finish(&w);
	ck_assert_str_eq(doc, "{\"name\":\"bulwark\","
	    "\"min\":-9223372036854775808,\"max\":9223372036854775807,"
	    "\"yes\":true,\"no\":false,\"none\":null,\"missing\":null,"
	    "\"list\":[1,{},[]]}");
	/* The writer starts afresh after finish. */
	json_int(&w, NULL, 7);
	free(doc);
	doc = json_finish(&w);
	ck_assert_str_eq(doc, "7");
	free(doc);
	doc = json_finish(&w);
	ck_assert_str_eq(doc, "");
	free(doc);
}
END_TEST

START_TEST(escapes_strings)
{
	char *doc;
	struct json_value *v = round_trip("a\"b\\c\n\t\x01\x1f\x7f/", &doc);

	ck_assert_str_eq(doc, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\\u007f/\"");
	ck_assert_int_eq(v->type, JSON_STRING);
	ck_assert_str_eq(v->string, "a\"b\\c\n\t\x01\x1f\x7f/");
	ck_assert_uint_eq(v->len, 11);
	json_free(v);
	free(doc);
}
END_TEST

START_TEST(keeps_utf8_replaces_invalid_bytes)
{
	char *doc;
	/* é, €, U+1F600, then a lone continuation byte, a truncated
	 * sequence, an overlong '/', an encoded surrogate and 0xff. */
	struct json_value *v = round_trip("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xff", &doc);

	ck_assert_str_eq(doc, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
	    "\\ufffd\"");
	ck_assert_str_eq(v->string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd");
	json_free(v);
	free(doc);
}
END_TEST

START_TEST(keys_are_escaped)
{
	struct json_writer w;
	struct json_value *v;
	char *doc;

	json_init(&w);
	json_object_begin(&w, NULL);
	json_string(&w, "k\"ey", "v");
	json_object_end(&w);
	doc = json_finish(&w);
	ck_assert_str_eq(doc, "{\"k\\\"ey\":\"v\"}");
	v = parse_ok(doc);
	ck_assert_str_eq(json_get_string(v, "k\"ey", "?"), "v");
	json_free(v);
	free(doc);
}
END_TEST

START_TEST(parses_values)
{
	struct json_value *v = parse_ok(" {\"s\": \"x\\u00e9\\ud83d\\ude00\\/\","
	    " \"i\": -42, \"big\": 12345678901234567890, \"f\": 1.5e2,"
	    " \"t\": true, \"n\": null, \"a\": [1, \"two\", [], {}],"
	    " \"s\": \"second\" }\n");
	const struct json_value *a;

	ck_assert_int_eq(v->type, JSON_OBJECT);
	ck_assert_uint_eq(v->count, 8);
	/* The first member of a name wins. */
	ck_assert_str_eq(json_get_string(v, "s", NULL),
	    "x\xc3\xa9\xf0\x9f\x98\x80/");
	ck_assert_int_eq(json_get_int(v, "i", 0), -42);
	ck_assert_int_eq(json_get(v, "big")->is_integer, false);
	ck_assert(json_get(v, "big")->number > 1.2e19);
	ck_assert_int_eq(json_get(v, "f")->is_integer, false);
	ck_assert(json_get(v, "f")->number == 150.0);
	ck_assert_int_eq(json_get_int(v, "f", -1), -1);
	ck_assert_int_eq(json_get_bool(v, "t", false), true);
	ck_assert_int_eq(json_get(v, "n")->type, JSON_NULL);
	ck_assert_str_eq(json_get_string(v, "n", "def"), "def");
	ck_assert_ptr_null(json_get(v, "absent"));
	a = json_get(v, "a");
	ck_assert_int_eq(a->type, JSON_ARRAY);
	ck_assert_uint_eq(a->count, 4);
	ck_assert_int_eq(a->items[0].integer, 1);
	ck_assert_str_eq(a->items[1].string, "two");
	ck_assert_int_eq(a->items[2].type, JSON_ARRAY);
	ck_assert_uint_eq(a->items[2].count, 0);
	ck_assert_int_eq(a->items[3].type, JSON_OBJECT);
	ck_assert_ptr_null(json_get(a, "x"));
	json_free(v);
}
END_TEST

START_TEST(string_with_nul)
{
	struct json_value *v = parse_ok("\"a\\u0000b\"");

	ck_assert_uint_eq(v->len, 3);
	ck_assert_int_eq(memcmp(v->string, "a\0b", 4), 0);
	json_free(v);
}
END_TEST

START_TEST(refuses_bad_documents)
{
	char deep[JSON_DEPTH_MAX + 2];

	parse_fails("", 0, "offset 0: unexpected end");
	parse_fails("[1,]", 4, "offset 3: ");
	parse_fails("[1 2]", 5, "offset 3: expected ',' or ']'");
	parse_fails("{\"a\" 1}", 7, "offset 5: expected ':'");
	parse_fails("{1: 2}", 6, "offset 1: expected a member name");
	parse_fails("{\"a\": 1,}", 9, "expected a member name");
	parse_fails("\"abc", 4, "unterminated string");
	parse_fails("\"a\nb\"", 5, "control character");
	parse_fails("\"\\x\"", 4, "unknown escape");
	parse_fails("\"\\u12g4\"", 8, "bad hex digit");
	parse_fails("\"\\u12\"", 6, "truncated \\u escape");
	parse_fails("\"\\ud800\"", 8, "lone high surrogate");
	parse_fails("\"\\ud800\\u0041\"", 14, "lone high surrogate");
	parse_fails("\"\\udc00\"", 8, "lone low surrogate");
	parse_fails("\"\xff\"", 3, "invalid UTF-8");
	parse_fails("01", 2, "text after the value");
	parse_fails("-", 1, "bad number");
	parse_fails("1.", 2, "bad number");
	parse_fails("1e+", 3, "bad number");
	parse_fails("+1", 2, "bad number");
	parse_fails("tru", 3, "unexpected character");
	parse_fails("nul", 3, "unexpected character");
	parse_fails("{} {}", 5, "offset 3: text after the value");
	/* len is honoured: the text past it is not read. */
	parse_fails("[1]", 2, "expected ',' or ']'");
	memset(deep, '[', sizeof(deep));
	parse_fails(deep, sizeof(deep), "nested too deep");
}
END_TEST

START_TEST(depth_limit_is_reachable)
{
	char doc[2 * JSON_DEPTH_MAX + 1];
	struct json_value *v;

	memset(doc, '[', JSON_DEPTH_MAX);
	memset(doc + JSON_DEPTH_MAX, ']', JSON_DEPTH_MAX);
	doc[2 * JSON_DEPTH_MAX] = '\0';
	v = parse_ok(doc);
	ck_assert_int_eq(v->type, JSON_ARRAY);
	json_free(v);
	json_free(NULL);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("write");

	tcase_add_test(tc, writes_nested_document);
	tcase_add_test(tc, escapes_strings);
	tcase_add_test(tc, keeps_utf8_replaces_invalid_bytes);
	tcase_add_test(tc, keys_are_escaped);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_test(tc, parses_values);
	tcase_add_test(tc, string_with_nul);
	tcase_add_test(tc, refuses_bad_documents);
	tcase_add_test(tc, depth_limit_is_reachable);
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
