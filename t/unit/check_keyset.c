/*
 * check_keyset.c - unit tests for lib/keyset.c: membership of byte keys
 * (empty, binary, prefixes of each other), duplicates, growth through
 * many keys, the walk over every key, and loading a file through a parse
 * callback (entries as the reader gives them, errors at file:line, a
 * file loaded whole or not at all).  Files are written to a fresh
 * directory that is removed afterwards.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"
#include "test_files.h"

#define MANY 50000

static char path[TMP_PATH_MAX];
static char err[512];

static bool has(const struct keyset *set, const char *key)
{
	return keyset_contains(set, key, strlen(key));
}

static bool add(struct keyset *set, const char *key)
{
	return keyset_add(set, key, strlen(key));
}

START_TEST(empty_set)
{
	struct keyset *set = keyset_new();
	size_t cursor = 0, len = 7;

	ck_assert_uint_eq(keyset_count(set), 0);
	ck_assert(!has(set, "a"));
	ck_assert(!has(set, ""));
	ck_assert_ptr_null(keyset_next(set, &cursor, &len));
	ck_assert_uint_eq(len, 7);
	keyset_free(set);
	keyset_free(NULL);
}
END_TEST

START_TEST(add_and_contains)
{
	struct keyset *set = keyset_new();

	ck_assert(add(set, "user@example.org"));
	ck_assert(add(set, "@example.net"));
	ck_assert_uint_eq(keyset_count(set), 2);
	ck_assert(has(set, "user@example.org"));
	ck_assert(has(set, "@example.net"));
	ck_assert(!has(set, "User@example.org"));
	ck_assert(!has(set, "user@example.or"));
	ck_assert(!has(set, "user@example.org "));
	ck_assert(!has(set, "example.net"));
	/* A second add of the same bytes changes nothing. */
	ck_assert(!add(set, "user@example.org"));
	ck_assert_uint_eq(keyset_count(set), 2);
	keyset_free(set);
}
END_TEST

START_TEST(byte_keys)
{
	static const unsigned char a[] = { 4, 32, 192, 0, 2, 1, 0, 0, 0, 0 };
	static const unsigned char b[] = { 4, 32, 192, 0, 2, 1, 0, 0, 0, 1 };
	struct keyset *set = keyset_new();

	/* NUL bytes are key bytes; a prefix of a key is another key. */
	ck_assert(keyset_add(set, a, sizeof(a)));
	ck_assert(keyset_contains(set, a, sizeof(a)));
	ck_assert(!keyset_contains(set, b, sizeof(b)));
	ck_assert(!keyset_contains(set, a, sizeof(a) - 1));
	ck_assert(!keyset_contains(set, a, 0));
	ck_assert(keyset_add(set, a, sizeof(a) - 1));
	ck_assert(keyset_contains(set, a, sizeof(a) - 1));
	/* The empty key is a key like any other. */
	ck_assert(keyset_add(set, "", 0));
	ck_assert(keyset_contains(set, "x", 0));
	ck_assert(!keyset_add(set, "y", 0));
	ck_assert_uint_eq(keyset_count(set), 3);
	keyset_free(set);
}
END_TEST

START_TEST(keeps_its_copy)
{
	struct keyset *set = keyset_new();
	char key[] = "copied";

	ck_assert(add(set, key));
	key[0] = 'C';
	ck_assert(has(set, "copied"));
	ck_assert(!has(set, key));
	keyset_free(set);
}
END_TEST

START_TEST(many_keys)
{
	struct keyset *set = keyset_new();
	char key[64];

	/* Long keys too, so the arena of key bytes moves as it grows. */
	for (unsigned i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "%u%s", i, i % 3 == 0 ?
		    "@a-rather-long-domain-name.example.org" : "");
		ck_assert_msg(add(set, key), "%s not new", key);
	}
	ck_assert_uint_eq(keyset_count(set), MANY);
	for (unsigned i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "%u%s", i, i % 3 == 0 ?
		    "@a-rather-long-domain-name.example.org" : "");
		ck_assert_msg(has(set, key), "%s lost", key);
		ck_assert_msg(!add(set, key), "%s added twice", key);
		snprintf(key, sizeof(key), "%u%s", i, i % 3 != 0 ?
		    "@a-rather-long-domain-name.example.org" : "");
		ck_assert_msg(!has(set, key), "%s never added", key);
	}
	ck_assert_uint_eq(keyset_count(set), MANY);
	keyset_free(set);
}
END_TEST

START_TEST(walk_every_key)
{
	struct keyset *set = keyset_new();
	unsigned char *seen = calloc(MANY, 1);
	const void *key;
	size_t cursor = 0, len, walked = 0;
	char text[32];

	ck_assert_ptr_nonnull(seen);
	for (unsigned i = 0; i < MANY; i++) {
		snprintf(text, sizeof(text), "k%u", i);
		add(set, text);
	}
	while ((key = keyset_next(set, &cursor, &len)) != NULL) {
		unsigned i;

		ck_assert_uint_lt(len, sizeof(text));
		memcpy(text, key, len);
		text[len] = '\0';
		ck_assert_int_eq(sscanf(text, "k%u", &i), 1);
		ck_assert_uint_lt(i, MANY);
		ck_assert_msg(!seen[i], "%s walked twice", text);
		seen[i] = 1;
		walked++;
	}
	ck_assert_uint_eq(walked, MANY);
	ck_assert_ptr_null(keyset_next(set, &cursor, &len));
	free(seen);
	keyset_free(set);
}
END_TEST

/* A parse callback: entries starting "bad" are refused, others upper-cased. */
static int parse_upper(void *arg, char *entry, struct keyset *set,
    char *reason, size_t reasonlen)
{
	unsigned *calls = arg;

	(*calls)++;
	if (strncmp(entry, "bad", 3) == 0) {
		snprintf(reason, reasonlen, "refused entry %u", *calls);
		return -1;
	}
	for (char *p = entry; *p != '\0'; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	keyset_add(set, entry, strlen(entry));
	return 0;
}

static struct keyset *load_text(const char *text, unsigned *calls)
{
	tmp_text(path, "list", text);
	*calls = 0;
	err[0] = '\0';
	return keyset_load_file(path, 32, parse_upper, calls, err, sizeof(err));
}

START_TEST(load_file)
{
	unsigned calls;
	struct keyset *set = load_text("# a list\none\n  two  # note\n\n"
	    "one\r\nthree", &calls);

	ck_assert_msg(set != NULL, "keyset_load_file: %s", err);
	ck_assert_uint_eq(calls, 4);
	ck_assert_uint_eq(keyset_count(set), 3);
	ck_assert(has(set, "ONE"));
	ck_assert(has(set, "TWO"));
	ck_assert(has(set, "THREE"));
	ck_assert(!has(set, "one"));
	ck_assert(!has(set, "  TWO  # NOTE"));
	keyset_free(set);

	set = load_text("# nothing but comments\n\n", &calls);
	ck_assert_ptr_nonnull(set);
	ck_assert_uint_eq(calls, 0);
	ck_assert_uint_eq(keyset_count(set), 0);
	keyset_free(set);
}
END_TEST

START_TEST(load_errors)
{
	char missing[TMP_PATH_MAX], want[TMP_PATH_MAX + 64];
	unsigned calls;

	/* The callback's reason, at the line it refused; nothing returned. */
	ck_assert_ptr_null(load_text("one\n# two\n\nbad four\nfive\n", &calls));
	assert_file_error(err, path, 4, "refused entry 2");
	ck_assert_uint_eq(calls, 2);
	/* The reader's own errors come through as they are. */
	ck_assert_ptr_null(load_text("one\n0123456789abcdef0123456789abcdefX\n",
	    &calls));
	assert_file_error(err, path, 2, "line longer than 32 bytes");
	ck_assert_ptr_null(load_text("one\ntw\001o\n", &calls));
	assert_file_error(err, path, 2, "control character 0x01 at column 3");
	ck_assert_uint_eq(calls, 1);
	ck_assert_int_lt(snprintf(missing, sizeof(missing), "%s/missing",
	    tmpdir), (int)sizeof(missing));
	ck_assert_ptr_null(keyset_load_file(missing, 32, parse_upper, &calls,
	    err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	ck_assert_str_eq(err, want);
}
END_TEST

static Suite *keyset_suite(void)
{
	Suite *s = suite_create("keyset");
	TCase *tc = tcase_create("set");
	TCase *files = tcase_create("files");

	tcase_add_test(tc, empty_set);
	tcase_add_test(tc, add_and_contains);
	tcase_add_test(tc, byte_keys);
	tcase_add_test(tc, keeps_its_copy);
	tcase_add_test(tc, many_keys);
	tcase_add_test(tc, walk_every_key);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(files, tmp_setup, tmp_teardown);
	tcase_add_test(files, load_file);
	tcase_add_test(files, load_errors);
	suite_add_tcase(s, files);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(keyset_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
