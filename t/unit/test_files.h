/*
 * test_files.h - temporary files for the unit suites that load files.
 *
 * tmp_setup() makes a fresh directory, tmpdir, under $TMPDIR (or /tmp),
 * and fails the test if that path would not leave room for a file name;
 * tmp_teardown() removes it with everything in it and fails the test if
 * it cannot.  Use them as a fixture (unchecked, so the directory goes even
 * when a test fails) or call them around the code that needs a file.
 * tmp_file() writes len bytes to tmpdir/name and puts its path in path,
 * a buffer of at least TMP_PATH_MAX bytes (PATH_MAX will do); tmp_text()
 * writes a string.
 * has_control() tells whether s holds a control character.
 * assert_file_error() checks the error of a file that failed to load at
 * a given line: it starts "path:line: ", holds want, and holds no control
 * character (file bytes are never echoed raw).
 *
 * Header only, since each suite is built from its one source file; the
 * functions are static inline so a suite may leave some unused.
 */
#ifndef BULWARK_TEST_FILES_H
#define BULWARK_TEST_FILES_H

#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for any path a suite makes: tmpdir, '/' and a short name. */
#define TMP_PATH_MAX 256

static char tmpdir[TMP_PATH_MAX - 64];

static inline void tmp_setup(void)
{
	const char *base = getenv("TMPDIR");

	ck_assert_int_lt(snprintf(tmpdir, sizeof(tmpdir),
	    "%s/bulwark-check.XXXXXX", base != NULL && *base != '\0' ? base :
	    "/tmp"), (int)sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static inline int tmp_remove(const char *path, const struct stat *st,
    int flag, struct FTW *ftw)
{
	return remove(path);
}

static inline void tmp_teardown(void)
{
	ck_assert_int_eq(nftw(tmpdir, tmp_remove, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static inline void tmp_file(char *path, const char *name, const void *data,
    size_t len)
{
	FILE *fp;

	ck_assert_int_lt(snprintf(path, TMP_PATH_MAX, "%s/%s", tmpdir, name),
	    TMP_PATH_MAX);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

static inline void tmp_text(char *path, const char *name, const char *text)
{
	tmp_file(path, name, text, strlen(text));
}

static inline bool has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return true;
	}
	return false;
}

static inline void assert_file_error(const char *err, const char *path,
    unsigned line, const char *want)
{
	char prefix[PATH_MAX + 32];

	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
	    "error \"%s\" does not start \"%s\"", err, prefix);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"",
	    err, want);
	ck_assert_msg(!has_control(err), "error \"%s\" holds a control "
	    "character", err);
}

#endif
