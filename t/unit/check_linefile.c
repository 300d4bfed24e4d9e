/*
 * check_linefile.c - unit tests for lib/linefile.c: entries (comments,
 * blanks, CRLF, a last line without newline), line numbers in errors,
 * the length limit at its edge, control bytes, files that cannot be
 * opened.  Files are written to a fresh directory that is removed
 * afterwards.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linefile.h"
#include "test_files.h"

#define MAX 16

static char path[TMP_PATH_MAX];
static char err[512];

static struct linefile *open_data(const char *data, size_t len)
{
	struct linefile *lf;

	tmp_file(path, "list", data, len);
	err[0] = '\0';
	lf = linefile_open(path, MAX, err, sizeof(err));
	ck_assert_msg(lf != NULL, "linefile_open: %s", err);
	return lf;
}

static struct linefile *open_text(const char *text)
{
	return open_data(text, strlen(text));
}

static void next_is(struct linefile *lf, const char *want)
{
	char *entry;

	ck_assert_msg(linefile_next(lf, &entry, err, sizeof(err)) == 1,
	    "no entry \"%s\": %s", want, err);
	ck_assert_str_eq(entry, want);
}

static void at_end(struct linefile *lf)
{
	char *entry;

	ck_assert_int_eq(linefile_next(lf, &entry, err, sizeof(err)), 0);
}

/* Read data to its first error, which must be at line and hold want. */
static void fails_at(const char *data, size_t len, unsigned line,
    const char *want)
{
	struct linefile *lf = open_data(data, len);
	char *entry;
	int r;

	while ((r = linefile_next(lf, &entry, err, sizeof(err))) == 1)
		continue;
	ck_assert_int_eq(r, -1);
	assert_file_error(err, path, line, want);
	linefile_close(lf);
}

static void fails_at_text(const char *text, unsigned line, const char *want)
{
	fails_at(text, strlen(text), line, want);
}

START_TEST(entries)
{
	struct linefile *lf = open_text("# a list\n"
	    "\n"
	    "one\n"
	    "   two   # note\n"
	    "\tthree\t\n"
	    " \t \n"
	    "#four\n"
	    "five#no blank\n"
	    "six  words\r\n"
	    "caf\xc3\xa9\n"
	    "last");

	next_is(lf, "one");
	next_is(lf, "two");
	next_is(lf, "three");
	next_is(lf, "five");
	next_is(lf, "six  words");
	next_is(lf, "caf\xc3\xa9");
	next_is(lf, "last");
	at_end(lf);
	at_end(lf);
	linefile_close(lf);
}
END_TEST

START_TEST(nothing_to_read)
{
	struct linefile *lf = open_text("");

	at_end(lf);
	linefile_close(lf);
	lf = open_text("# only comments\n\n  \t\n\r\n#\n");
	at_end(lf);
	linefile_close(lf);
}
END_TEST

START_TEST(entry_is_writable)
{
	struct linefile *lf = open_text("Upper\nnext\n");
	char *entry;

	ck_assert_int_eq(linefile_next(lf, &entry, err, sizeof(err)), 1);
	entry[0] = 'u';
	ck_assert_str_eq(entry, "upper");
	next_is(lf, "next");
	linefile_close(lf);
}
END_TEST

START_TEST(error_names_line)
{
	struct linefile *lf = open_text("a\n# b\n\n\nc\n");

	next_is(lf, "a");
	ck_assert_int_eq(linefile_error(lf, "bad a", err, sizeof(err)), -1);
	assert_file_error(err, path, 1, "bad a");
	next_is(lf, "c");
	ck_assert_int_eq(linefile_error(lf, "bad c", err, sizeof(err)), -1);
	assert_file_error(err, path, 5, "bad c");
	ck_assert_str_eq(err + strlen(path), ":5: bad c");
	linefile_close(lf);
}
END_TEST

START_TEST(length_limit)
{
	/* MAX bytes, blanks and comment included, is the most allowed. */
	struct linefile *lf = open_text("a\n0123456789abcdef\nx  # 3456789abcd\n");

	next_is(lf, "a");
	next_is(lf, "0123456789abcdef");
	next_is(lf, "x");
	at_end(lf);
	linefile_close(lf);
	fails_at_text("a\n0123456789abcdefg\n", 2, "line longer than 16 bytes");
	fails_at_text("a\nb\nx      #  89abcdefg\n", 3,
	    "line longer than 16 bytes");
	fails_at_text("0123456789abcdefg", 1, "line longer than 16 bytes");
}
END_TEST

START_TEST(very_long_line)
{
	size_t len = 1 << 20;
	char *data = malloc(len);

	ck_assert_ptr_nonnull(data);
	memset(data, 'x', len);
	fails_at(data, len, 1, "line longer than 16 bytes");
	free(data);
}
END_TEST

START_TEST(control_bytes)
{
	static const char nul[] = "a\nb\0c\n";
	static const char esc[] = "a\n\n# \033]0;title\007\n";
	static const char del[] = "\177ELF";

	fails_at(nul, sizeof(nul) - 1, 2, "control character 0x00 at column 2 "
	    "(not a text file?)");
	fails_at(esc, sizeof(esc) - 1, 3, "control character 0x1b at column 3");
	fails_at(del, sizeof(del) - 1, 1, "control character 0x7f at column 1");
	fails_at_text("a\rb\n", 1, "control character 0x0d at column 2");
	fails_at_text("a\n\r\r\n", 2, "control character 0x0d at column 1");
	fails_at_text("ok\nalso ok\t\nx\001", 3,
	    "control character 0x01 at column 2");
}
END_TEST

START_TEST(cannot_open)
{
	char missing[TMP_PATH_MAX], want[TMP_PATH_MAX + 64];

	ck_assert_int_lt(snprintf(missing, sizeof(missing), "%s/missing",
	    tmpdir), (int)sizeof(missing));
	ck_assert_ptr_null(linefile_open(missing, MAX, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(read_error)
{
	struct linefile *lf;
	char *entry, want[TMP_PATH_MAX + 64];

	/* A directory opens for reading; reading it fails. */
	lf = linefile_open(tmpdir, MAX, err, sizeof(err));
	ck_assert_ptr_nonnull(lf);
	ck_assert_int_eq(linefile_next(lf, &entry, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	ck_assert_str_eq(err, want);
	linefile_close(lf);
}
END_TEST

static Suite *linefile_suite(void)
{
	Suite *s = suite_create("linefile");
	TCase *tc = tcase_create("read");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, entries);
	tcase_add_test(tc, nothing_to_read);
	tcase_add_test(tc, entry_is_writable);
	tcase_add_test(tc, error_names_line);
	tcase_add_test(tc, length_limit);
	tcase_add_test(tc, very_long_line);
	tcase_add_test(tc, control_bytes);
	tcase_add_test(tc, cannot_open);
	tcase_add_test(tc, read_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(linefile_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
