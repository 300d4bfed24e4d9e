/*
 * check_recipients.c - unit tests for lib/recipients.c: loading files
 * (good and bad lines), case folding, angle brackets, domain entries and
 * malformed addresses.  Files are written to a fresh directory that is
 * removed afterwards.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipients.h"
#include "test_files.h"

static struct recipients *load_ok(const char *text)
{
	char path[TMP_PATH_MAX], err[512] = "";
	struct recipients *set;

	tmp_text(path, "rcpt", text);
	set = recipients_load(path, err, sizeof(err));
	ck_assert_msg(set != NULL, "recipients_load: %s", err);
	return set;
}

/* Load len bytes that fail at line with an error containing want. */
static void load_fails(const char *data, size_t len, unsigned line,
    const char *want)
{
	char path[TMP_PATH_MAX], err[512] = "";

	tmp_file(path, "bad", data, len);
	ck_assert_ptr_null(recipients_load(path, err, sizeof(err)));
	assert_file_error(err, path, line, want);
}

static void load_fails_text(const char *text, unsigned line,
    const char *want)
{
	load_fails(text, strlen(text), line, want);
}

static const char sample[] =
    "# valid recipients\n"
    "\n"
    "user@example.org\n"
    "  Sales@Example.ORG   # the sales team\n"
    "\tpostmaster@example.org\t\n"
    "@Example.NET\n"
    "user@example.org\n"
    "first.last+tag@mail.example.com\r\n"
    "#nobody@example.org\n"
    "   \n"
    "last@example.org";

START_TEST(load_sample)
{
	struct recipients *set = load_ok(sample);

	ck_assert_uint_eq(recipients_count(set), 6);
	ck_assert(recipients_valid(set, "user@example.org"));
	ck_assert(recipients_valid(set, "sales@example.org"));
	ck_assert(recipients_valid(set, "postmaster@example.org"));
	ck_assert(recipients_valid(set, "first.last+tag@mail.example.com"));
	ck_assert(recipients_valid(set, "last@example.org"));
	ck_assert(!recipients_valid(set, "nobody@example.org"));
	ck_assert(!recipients_valid(set, "other@example.org"));
	ck_assert(!recipients_valid(set, "first.last@mail.example.com"));
	recipients_free(set);
}
END_TEST

START_TEST(case_folding)
{
	struct recipients *set = load_ok(sample);

	ck_assert(recipients_valid(set, "USER@EXAMPLE.ORG"));
	ck_assert(recipients_valid(set, "User@Example.Org"));
	ck_assert(recipients_valid(set, "SALES@example.org"));
	ck_assert(recipients_valid(set, "Anyone@EXAMPLE.net"));
	ck_assert(recipients_valid(set, "<PostMaster@Example.Org>"));
	recipients_free(set);
}
END_TEST

START_TEST(angle_brackets)
{
	struct recipients *set = load_ok(sample);

	ck_assert(recipients_valid(set, "<user@example.org>"));
	ck_assert(!recipients_valid(set, "<user@example.org"));
	ck_assert(!recipients_valid(set, "user@example.org>"));
	ck_assert(!recipients_valid(set, "<<user@example.org>>"));
	ck_assert(!recipients_valid(set, "< user@example.org>"));
	ck_assert(!recipients_valid(set, "<user@example.org> "));
	ck_assert(!recipients_valid(set, " <user@example.org>"));
	ck_assert(!recipients_valid(set, "<>"));
	ck_assert(!recipients_valid(set, "<"));
	ck_assert(!recipients_valid(set, ">"));
	recipients_free(set);
}
END_TEST

START_TEST(domain_entries)
{
	struct recipients *set = load_ok(sample);

	ck_assert(recipients_valid(set, "anyone@example.net"));
	ck_assert(recipients_valid(set, "<x@example.net>"));
	ck_assert(!recipients_valid(set, "anyone@sub.example.net"));
	ck_assert(!recipients_valid(set, "anyone@example.net.evil"));
	ck_assert(!recipients_valid(set, "anyone@xexample.net"));
	ck_assert(!recipients_valid(set, "example.net"));
	/* The entry itself is not an address anyone can be sent to. */
	ck_assert(!recipients_valid(set, "@example.net"));
	ck_assert(!recipients_valid(set, "<@example.net>"));
	/* A domain entry is for that domain only. */
	ck_assert(!recipients_valid(set, "anyone@example.org"));
	recipients_free(set);
}
END_TEST

START_TEST(malformed_addresses)
{
	static const char *const bad[] = {
		"", "user", "root", "user@", "@", "<user@>", "a@b@example.net",
		"user@@example.net", "us er@example.net", "user@example.net ",
		" user@example.net", "user\t@example.net", "user@example.net\r",
		"user@example.net\n", "user\001@example.net", "us\177er@example.net",
		"\"us@er\"@example.net", "<a@example.net><b@example.net>",
		"user@exa>mple.net", "user<@example.net",
		"<@relay.example:user@example.net>",
	};
	struct recipients *set = load_ok(sample);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!recipients_valid(set, bad[i]),
		    "\"%s\" accepted", bad[i]);
	ck_assert(!recipients_valid(set, NULL));
	ck_assert(!recipients_valid(NULL, "user@example.org"));
	recipients_free(set);
}
END_TEST

/* RFC 5321: a server must accept "Postmaster" with no domain. */
START_TEST(bare_postmaster)
{
	static const char *const good[] = {
		"postmaster", "Postmaster", "POSTMASTER", "<Postmaster>",
		"<postMASTER>",
	};
	static const char *const bad[] = {
		"postmaste", "postmasters", "xpostmaster", "post master",
		"postmaster ", " postmaster", "<postmaster", "postmaster>",
		"<<postmaster>>", "< postmaster>", "<postmaster >", "postmaster@",
		"@postmaster", "postmaster@example.com", "<Postmaster@Example.COM>",
	};
	struct recipients *set = load_ok("user@example.org\n");

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(recipients_valid(set, good[i]), "\"%s\" refused",
		    good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!recipients_valid(set, bad[i]), "\"%s\" accepted",
		    bad[i]);
	ck_assert_uint_eq(recipients_count(set), 1);
	recipients_free(set);
	set = load_ok("");
	ck_assert(recipients_valid(set, "<Postmaster>"));
	recipients_free(set);
	ck_assert(!recipients_valid(NULL, "postmaster"));
	/* It is no file entry: the file keeps its own syntax. */
	load_fails_text("a@example.org\npostmaster\n", 2,
	    "\"postmaster\": no '@'");
}
END_TEST

START_TEST(length_limit)
{
	char entry[RECIPIENT_MAX + 8], addr[RECIPIENT_MAX + 8];
	struct recipients *set;

	/* A listed address of exactly RECIPIENT_MAX bytes. */
	memset(entry, 'a', RECIPIENT_MAX - 12);
	strcpy(entry + RECIPIENT_MAX - 12, "@example.org");
	ck_assert_uint_eq(strlen(entry), RECIPIENT_MAX);
	set = load_ok(entry);
	ck_assert(recipients_valid(set, entry));
	snprintf(addr, sizeof(addr), "<%s>", entry);
	ck_assert(recipients_valid(set, addr));
	recipients_free(set);

	/* Anything longer is refused, even in a listed domain. */
	set = load_ok("@example.org\n");
	ck_assert(recipients_valid(set, entry));
	memset(addr, 'a', RECIPIENT_MAX - 11);
	strcpy(addr + RECIPIENT_MAX - 11, "@example.org");
	ck_assert(!recipients_valid(set, addr));
	recipients_free(set);
}
END_TEST

START_TEST(very_long_address)
{
	struct recipients *set = load_ok("@example.org\n");
	size_t len = 100000;
	char *addr = malloc(len + 1);

	ck_assert_ptr_nonnull(addr);
	memset(addr, 'a', len);
	addr[0] = '<';
	memcpy(addr + len - 13, "@example.org>", 13);
	addr[len] = '\0';
	ck_assert(!recipients_valid(set, addr));
	free(addr);
	recipients_free(set);
}
END_TEST

START_TEST(empty_file)
{
	struct recipients *set = load_ok("");

	ck_assert_uint_eq(recipients_count(set), 0);
	ck_assert(!recipients_valid(set, "user@example.org"));
	recipients_free(set);
	set = load_ok("# no one\n\n  \t\n");
	ck_assert_uint_eq(recipients_count(set), 0);
	ck_assert(!recipients_valid(set, "user@example.org"));
	recipients_free(set);
	recipients_free(NULL);
}
END_TEST

START_TEST(many_entries)
{
	size_t cap = 20000 * 32;
	char *text = malloc(cap), addr[64];
	size_t len = 0;
	struct recipients *set;

	ck_assert_ptr_nonnull(text);
	for (unsigned i = 0; i < 20000; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "User%u@Example.org\n", i);
	set = load_ok(text);
	ck_assert_uint_eq(recipients_count(set), 20000);
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(addr, sizeof(addr), "<user%u@EXAMPLE.ORG>", i);
		ck_assert_msg(recipients_valid(set, addr), "%s", addr);
		snprintf(addr, sizeof(addr), "user%u@example.org", i + 20000);
		ck_assert_msg(!recipients_valid(set, addr), "%s", addr);
	}
	recipients_free(set);
	free(text);
}
END_TEST

START_TEST(bad_lines)
{
	load_fails_text("user@example.org\n"
	    "# comment\n"
	    "\n"
	    "nobody\n", 4, "\"nobody\": no '@'");
	load_fails_text("user@example.org\nuser@\n", 2, "empty domain");
	load_fails_text("@\n", 1, "empty domain");
	load_fails_text("user@example.org\nus er@example.org\n", 2,
	    "space or control character");
	load_fails_text("a@b@example.org\n", 1, "more than one '@'");
	load_fails_text("a@example.org\n<b@example.org>\n", 2,
	    "angle bracket");
	load_fails_text("a@example.org\n\n\n\n\n\n\n\n\nb@example.org c\n", 10,
	    "space or control character");
}
END_TEST

START_TEST(control_bytes)
{
	static const char nul[] = "a@example.org\nb@exa\0mple.org\n";
	static const char esc[] = "a@example.org\n# \033[2J\n";
	static const char bin[] = "\177ELF\002\001\001\0\0";

	load_fails(nul, sizeof(nul) - 1, 2, "control character 0x00 at "
	    "column 6");
	load_fails(esc, sizeof(esc) - 1, 2, "control character 0x1b");
	load_fails(bin, sizeof(bin) - 1, 1, "control character 0x7f");
	load_fails_text("a@example.org\r\nb@example.org\rc@example.org\n", 2,
	    "control character 0x0d");
}
END_TEST

START_TEST(long_line)
{
	char text[RECIPIENT_MAX * 3];
	size_t len = (size_t)snprintf(text, sizeof(text), "a@example.org\n");

	memset(text + len, ' ', RECIPIENT_MAX + 1);
	memcpy(text + len, "b@example.org", 13);
	len += RECIPIENT_MAX + 1;
	text[len++] = '\n';
	load_fails(text, len, 2, "line longer than 320 bytes");
	memset(text, 'x', sizeof(text));
	load_fails(text, sizeof(text), 1, "line longer than 320 bytes");
}
END_TEST

START_TEST(unreadable)
{
	char path[TMP_PATH_MAX], want[TMP_PATH_MAX + 64], err[512];

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/missing", tmpdir),
	    (int)sizeof(path));
	ck_assert_ptr_null(recipients_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(recipients_load(tmpdir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	ck_assert_str_eq(err, want);
}
END_TEST

static Suite *recipients_suite(void)
{
	Suite *s = suite_create("recipients");
	TCase *tc = tcase_create("lookup");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, load_sample);
	tcase_add_test(tc, case_folding);
	tcase_add_test(tc, angle_brackets);
	tcase_add_test(tc, domain_entries);
	tcase_add_test(tc, malformed_addresses);
	tcase_add_test(tc, bare_postmaster);
	tcase_add_test(tc, length_limit);
	tcase_add_test(tc, very_long_address);
	tcase_add_test(tc, empty_file);
	tcase_add_test(tc, many_entries);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, bad_lines);
	tcase_add_test(tc, control_bytes);
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(recipients_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
