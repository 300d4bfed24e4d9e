/*
 * check_hostlist.c - unit tests for lib/hostlist.c: entries and their
 * errors, CIDR boundaries, families, and loading files (comments, bad
 * lines, binary data, unreadable paths).  Files are written to a fresh
 * directory that is removed afterwards.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"
#include "test_files.h"

static bool match(const struct hostlist *list, const char *text)
{
	struct host_addr a;

	ck_assert_msg(addr_parse(text, &a) == 0, "bad test address %s", text);
	return hostlist_match(list, &a);
}

static void add_ok(struct hostlist *list, const char *entry)
{
	char err[256] = "";

	ck_assert_msg(hostlist_add(list, entry, err, sizeof(err)) == 0,
	    "hostlist_add(\"%s\"): %s", entry, err);
}

/* Add entry, expect an error containing want; return the error. */
static const char *add_fails(struct hostlist *list, const char *entry,
    const char *want)
{
	static char err[256];
	size_t before = hostlist_count(list);

	err[0] = '\0';
	ck_assert_msg(hostlist_add(list, entry, err, sizeof(err)) == -1,
	    "hostlist_add accepted \"%s\"", entry);
	ck_assert_msg(strstr(err, want) != NULL, "\"%s\": error \"%s\" lacks "
	    "\"%s\"", entry, err, want);
	ck_assert_uint_eq(hostlist_count(list), before);
	return err;
}

START_TEST(empty_list)
{
	struct hostlist *list = hostlist_new();

	ck_assert_uint_eq(hostlist_count(list), 0);
	ck_assert(!match(list, "192.0.2.1"));
	ck_assert(!match(list, "::"));
	hostlist_free(list);
	hostlist_free(NULL);
}
END_TEST

START_TEST(single_addresses)
{
	struct hostlist *list = hostlist_new();

	add_ok(list, "192.0.2.1");
	add_ok(list, "2001:db8::1");
	add_ok(list, "::1");
	ck_assert_uint_eq(hostlist_count(list), 3);
	ck_assert(match(list, "192.0.2.1"));
	ck_assert(!match(list, "192.0.2.0"));
	ck_assert(!match(list, "192.0.2.2"));
	ck_assert(match(list, "2001:db8::1"));
	ck_assert(match(list, "[IPv6:2001:DB8:0::1]"));
	ck_assert(!match(list, "2001:db8::2"));
	ck_assert(!match(list, "2001:db8::1:0"));
	ck_assert(match(list, "::1"));
	ck_assert(!match(list, "::"));
	hostlist_free(list);
}
END_TEST

START_TEST(ipv4_boundaries)
{
	struct hostlist *list = hostlist_new();

	add_ok(list, "192.0.2.0/24");
	add_ok(list, "198.51.96.0/20");
	add_ok(list, "203.0.113.6/31");
	ck_assert(match(list, "192.0.2.0"));
	ck_assert(match(list, "192.0.2.255"));
	ck_assert(!match(list, "192.0.3.0"));
	ck_assert(!match(list, "192.0.1.255"));
	ck_assert(match(list, "198.51.96.0"));
	ck_assert(match(list, "198.51.111.255"));
	ck_assert(!match(list, "198.51.112.0"));
	ck_assert(!match(list, "198.51.95.255"));
	ck_assert(match(list, "203.0.113.6"));
	ck_assert(match(list, "203.0.113.7"));
	ck_assert(!match(list, "203.0.113.5"));
	ck_assert(!match(list, "203.0.113.8"));
	hostlist_free(list);
}
END_TEST

START_TEST(ipv6_boundaries)
{
	struct hostlist *list = hostlist_new();

	add_ok(list, "2001:db8::/32");
	add_ok(list, "2001:db9:1:2::/64");
	add_ok(list, "2001:dba::/127");
	add_ok(list, "[2001:dbb::]/48");
	ck_assert(match(list, "2001:db8::"));
	ck_assert(match(list, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!match(list, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(match(list, "2001:db9:1:2::"));
	ck_assert(match(list, "2001:db9:1:2:ffff:ffff:ffff:ffff"));
	ck_assert(!match(list, "2001:db9:1:3::"));
	ck_assert(!match(list, "2001:db9:1:1:ffff:ffff:ffff:ffff"));
	ck_assert(match(list, "2001:dba::1"));
	ck_assert(!match(list, "2001:dba::2"));
	ck_assert(match(list, "2001:dbb:0:ffff::1"));
	ck_assert(!match(list, "2001:dbb:1::"));
	hostlist_free(list);
}
END_TEST

START_TEST(prefix_zero)
{
	struct hostlist *v4 = hostlist_new();
	struct hostlist *v6 = hostlist_new();

	add_ok(v4, "0.0.0.0/0");
	ck_assert(match(v4, "0.0.0.0"));
	ck_assert(match(v4, "255.255.255.255"));
	ck_assert(match(v4, "::ffff:203.0.113.1"));
	ck_assert(!match(v4, "::"));
	ck_assert(!match(v4, "2001:db8::1"));
	add_ok(v6, "::/0");
	ck_assert(match(v6, "::"));
	ck_assert(match(v6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!match(v6, "0.0.0.0"));
	ck_assert(!match(v6, "192.0.2.1"));
	ck_assert(!match(v6, "::ffff:192.0.2.1"));
	hostlist_free(v4);
	hostlist_free(v6);
}
END_TEST

START_TEST(families_never_cross)
{
	struct hostlist *list = hostlist_new();

	/* The same low 32 bits in both families. */
	add_ok(list, "::c000:200/120");
	add_ok(list, "198.51.100.7");
	ck_assert(!match(list, "192.0.2.1"));
	ck_assert(match(list, "::c000:201"));
	ck_assert(!match(list, "::c633:6407"));
	ck_assert(match(list, "198.51.100.7"));
	hostlist_free(list);
}
END_TEST

START_TEST(v4_mapped)
{
	struct hostlist *list = hostlist_new();
	const char *err;

	add_ok(list, "192.0.2.0/24");
	ck_assert(match(list, "::ffff:192.0.2.9"));
	ck_assert(!match(list, "::ffff:192.0.3.9"));
	/* A mapped entry is the IPv4 entry it covers. */
	add_ok(list, "::ffff:192.0.2.0/120");
	ck_assert_uint_eq(hostlist_count(list), 1);
	add_ok(list, "::ffff:198.51.100.1");
	ck_assert(match(list, "198.51.100.1"));
	ck_assert(!match(list, "198.51.100.2"));
	add_ok(list, "::ffff:0.0.0.0/96");
	ck_assert(match(list, "1.2.3.4"));
	ck_assert(!match(list, "2001:db8::1"));
	add_fails(list, "::ffff:192.0.2.0/95", "out of range");
	add_fails(list, "::ffff:192.0.2.0/129", "out of range");
	err = add_fails(list, "::ffff:192.0.2.1/120", "host bits");
	ck_assert_ptr_nonnull(strstr(err, "192.0.2.0/24"));
	hostlist_free(list);
}
END_TEST

START_TEST(duplicates)
{
	struct hostlist *list = hostlist_new();

	add_ok(list, "192.0.2.0/24");
	add_ok(list, "192.0.2.0/24");
	add_ok(list, "192.0.2.1");
	add_ok(list, "192.0.2.1/32");
	add_ok(list, "192.0.2.0/25");
	add_ok(list, "2001:db8::/32");
	add_ok(list, "2001:DB8:0::/32");
	ck_assert_uint_eq(hostlist_count(list), 4);
	hostlist_free(list);
}
END_TEST

static int count_entry(const struct host_key *entry, void *arg)
{
	unsigned *seen = arg;

	if (entry->family == 4 && entry->prefix == 24 && entry->bytes[0] == 192)
		seen[0]++;
	else if (entry->family == 6 && entry->prefix == 32)
		seen[1]++;
	else
		seen[2]++;
	return 0;
}

static int stop_walk(const struct host_key *entry, void *arg)
{
	(*(unsigned *)arg)++;
	return 7;
}

START_TEST(walk)
{
	struct hostlist *list = hostlist_new();
	unsigned seen[3] = { 0, 0, 0 }, calls = 0;
	char err[256];

	ck_assert_int_eq(hostlist_walk(list, count_entry, seen), 0);
	ck_assert_uint_eq(seen[0] + seen[1] + seen[2], 0);
	ck_assert_int_eq(hostlist_add(list, "192.0.2.0/24", err, sizeof(err)), 0);
	ck_assert_int_eq(hostlist_add(list, "2001:db8::/32", err, sizeof(err)), 0);
	ck_assert_int_eq(hostlist_add(list, "198.51.100.7", err, sizeof(err)), 0);
	ck_assert_int_eq(hostlist_walk(list, count_entry, seen), 0);
	ck_assert_uint_eq(seen[0], 1);
	ck_assert_uint_eq(seen[1], 1);
	ck_assert_uint_eq(seen[2], 1);
	ck_assert_int_eq(hostlist_walk(list, stop_walk, &calls), 7);
	ck_assert_uint_eq(calls, 1);
	hostlist_free(list);
}
END_TEST

START_TEST(host_bits_set)
{
	struct hostlist *list = hostlist_new();
	const char *err;

	err = add_fails(list, "192.0.2.1/24", "host bits");
	ck_assert_ptr_nonnull(strstr(err, "192.0.2.1/24"));
	ck_assert_ptr_nonnull(strstr(err, "did you mean 192.0.2.0/24?"));
	err = add_fails(list, "198.51.100.7/20", "did you mean 198.51.96.0/20?");
	err = add_fails(list, "2001:db8::1/64", "did you mean 2001:db8::/64?");
	err = add_fails(list, "192.0.2.1/0", "did you mean 0.0.0.0/0?");
	ck_assert_uint_eq(hostlist_count(list), 0);
	ck_assert(!match(list, "192.0.2.1"));
	hostlist_free(list);
}
END_TEST

START_TEST(bad_entries)
{
	struct hostlist *list = hostlist_new();
	const char *err;

	add_ok(list, "203.0.113.0/24");
	add_fails(list, "", "empty");
	add_fails(list, "not-an-address", "invalid address");
	add_fails(list, "192.0.2.300", "invalid address");
	add_fails(list, "/24", "invalid address");
	add_fails(list, " 192.0.2.1", "invalid address");
	add_fails(list, "192.0.2.0 /24", "invalid address");
	add_fails(list, "fe80::%eth0/64", "invalid address");
	add_fails(list, "192.0.2.0/", "invalid prefix length");
	add_fails(list, "192.0.2.0/abc", "invalid prefix length");
	add_fails(list, "192.0.2.0/-1", "invalid prefix length");
	add_fails(list, "192.0.2.0/+8", "invalid prefix length");
	add_fails(list, "192.0.2.0/ 24", "invalid prefix length");
	add_fails(list, "192.0.2.0/24 ", "invalid prefix length");
	add_fails(list, "192.0.2.0/24x", "invalid prefix length");
	add_fails(list, "192.0.2.0/24/8", "invalid prefix length");
	add_fails(list, "192.0.2.0/0024", "invalid prefix length");
	add_fails(list, "192.0.2.0/4294967320", "invalid prefix length");
	add_fails(list, "192.0.2.0/33", "out of range for IPv4 (0-32)");
	add_fails(list, "0.0.0.0/999", "out of range");
	add_fails(list, "2001:db8::/129", "out of range for IPv6 (0-128)");
	err = add_fails(list, "192.0.2.1\001\033[2J", "invalid address");
	ck_assert(!has_control(err));
	ck_assert_ptr_nonnull(strstr(err, "\\x01\\x1b"));
	ck_assert_uint_eq(hostlist_count(list), 1);
	ck_assert(match(list, "203.0.113.9"));
	hostlist_free(list);
}
END_TEST

START_TEST(many_entries)
{
	struct hostlist *list = hostlist_new();
	char entry[64];

	for (unsigned i = 0; i < 20000; i += 2) {
		snprintf(entry, sizeof(entry), "10.%u.%u.1", i >> 8, i & 0xff);
		add_ok(list, entry);
	}
	for (unsigned i = 0; i < 300; i++) {
		snprintf(entry, sizeof(entry), "2001:db8:%x::/48", i);
		add_ok(list, entry);
	}
	ck_assert_uint_eq(hostlist_count(list), 10300);
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(entry, sizeof(entry), "10.%u.%u.1", i >> 8, i & 0xff);
		ck_assert_msg(match(list, entry) == (i % 2 == 0), "%s", entry);
		snprintf(entry, sizeof(entry), "10.%u.%u.2", i >> 8, i & 0xff);
		ck_assert(!match(list, entry));
	}
	for (unsigned i = 0; i < 400; i++) {
		snprintf(entry, sizeof(entry), "2001:db8:%x:ffff::1", i);
		ck_assert_msg(match(list, entry) == (i < 300), "%s", entry);
	}
	hostlist_free(list);
}
END_TEST

START_TEST(load_good_file)
{
	struct hostlist *list = hostlist_new();
	char path[TMP_PATH_MAX], err[512] = "";

	tmp_text(path, "good", "# exclude list\n"
	    "\n"
	    "192.0.2.1\n"
	    "   198.51.100.0/24   # office\n"
	    "\t2001:db8::/32\t\n"
	    "   \t \n"
	    "#192.0.2.99\n"
	    "203.0.113.0/28#no blank before the comment\n"
	    "192.0.2.50\r\n"
	    "::1");
	ck_assert_int_eq(hostlist_load_file(list, path, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(hostlist_count(list), 6);
	ck_assert(match(list, "192.0.2.1"));
	ck_assert(match(list, "198.51.100.255"));
	ck_assert(match(list, "2001:db8:ffff::1"));
	ck_assert(match(list, "203.0.113.15"));
	ck_assert(!match(list, "203.0.113.16"));
	ck_assert(match(list, "192.0.2.50"));
	ck_assert(match(list, "::1"));
	ck_assert(!match(list, "192.0.2.99"));
	hostlist_free(list);
}
END_TEST

START_TEST(load_merges)
{
	struct hostlist *list = hostlist_new();
	char path[TMP_PATH_MAX], err[512];

	add_ok(list, "192.0.2.1");
	tmp_text(path, "a", "198.51.100.0/24\n192.0.2.1\n");
	ck_assert_int_eq(hostlist_load_file(list, path, err, sizeof(err)), 0);
	tmp_text(path, "b", "2001:db8::/32\n");
	ck_assert_int_eq(hostlist_load_file(list, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(hostlist_count(list), 3);
	ck_assert(match(list, "192.0.2.1"));
	ck_assert(match(list, "198.51.100.1"));
	ck_assert(match(list, "2001:db8::1"));
	tmp_text(path, "empty", "");
	ck_assert_int_eq(hostlist_load_file(list, path, err, sizeof(err)), 0);
	tmp_text(path, "comments", "# nothing\n\n   \n");
	ck_assert_int_eq(hostlist_load_file(list, path, err, sizeof(err)), 0);
	ck_assert_uint_eq(hostlist_count(list), 3);
	hostlist_free(list);
}
END_TEST

/* Load text that fails at line; the list keeps only its one entry. */
static void load_fails(const char *text, size_t len, unsigned line,
    const char *want)
{
	struct hostlist *list = hostlist_new();
	char path[TMP_PATH_MAX], err[512] = "";

	add_ok(list, "203.0.113.0/24");
	tmp_file(path, "bad", text, len);
	ck_assert_int_eq(hostlist_load_file(list, path, err, sizeof(err)), -1);
	assert_file_error(err, path, line, want);
	ck_assert_uint_eq(hostlist_count(list), 1);
	ck_assert(match(list, "203.0.113.1"));
	ck_assert(!match(list, "192.0.2.1"));
	ck_assert(!match(list, "198.51.100.1"));
	hostlist_free(list);
}

static void load_fails_text(const char *text, unsigned line,
    const char *want)
{
	load_fails(text, strlen(text), line, want);
}

START_TEST(load_bad_lines)
{
	load_fails_text("192.0.2.1\n"
	    "# comment\n"
	    "\n"
	    "198.51.100.0/24\n"
	    "bogus # what is this\n"
	    "2001:db8::/32\n", 5, "invalid address \"bogus\"");
	load_fails_text("192.0.2.1\n192.0.2.7/24\n", 2,
	    "did you mean 192.0.2.0/24?");
	load_fails_text("192.0.2.1\n198.51.100.0/40\n", 2, "out of range");
	load_fails_text("198.51.100.0/24\n192.0.2.1 192.0.2.2\n", 2,
	    "invalid address");
	load_fails_text("192.0.2.1\n\n\n\n\n\n\n\n\n\n\nnope", 12,
	    "invalid address");
	load_fails_text("192.0.2.1\n198.51.100.0/24\n2001:db8::/32/1\n", 3,
	    "invalid prefix length");
}
END_TEST

START_TEST(load_control_bytes)
{
	static const char nul[] = "192.0.2.1\n198.51.100.1\0garbage\n";
	static const char esc[] = "192.0.2.1\n\n# title \033]0;pwned\007\n";
	static const char elf[] = "\177ELF\002\001\001\0\0\0";

	load_fails(nul, sizeof(nul) - 1, 2, "control character 0x00 at "
	    "column 13");
	load_fails(esc, sizeof(esc) - 1, 3, "control character 0x1b");
	load_fails(elf, sizeof(elf) - 1, 1, "control character 0x7f at "
	    "column 1");
	load_fails_text("192.0.2.1\r198.51.100.1\n", 1, "control character "
	    "0x0d at column 10");
}
END_TEST

START_TEST(load_long_line)
{
	struct hostlist *list = hostlist_new();
	char path[TMP_PATH_MAX], err[512] = "", text[2100];
	size_t len = (size_t)snprintf(text, sizeof(text), "192.0.2.1\n"
	    "198.51.100.1");

	/* A second line of exactly 1024 bytes, the most allowed. */
	memset(text + len, ' ', 1024 - 12);
	len += 1024 - 12;
	text[len++] = '\n';
	tmp_file(path, "edge", text, len);
	ck_assert_int_eq(hostlist_load_file(list, path, err, sizeof(err)), 0);
	ck_assert(match(list, "198.51.100.1"));
	hostlist_free(list);
	/* One byte more; then a line of garbage far longer. */
	text[len - 1] = ' ';
	text[len++] = '\n';
	load_fails(text, len, 2, "line longer than 1024 bytes");
	memset(text, 'x', sizeof(text));
	load_fails(text, sizeof(text), 1, "line longer than 1024 bytes");
}
END_TEST

START_TEST(load_unreadable)
{
	struct hostlist *list = hostlist_new();
	char path[TMP_PATH_MAX], want[TMP_PATH_MAX + 64], err[512];

	add_ok(list, "192.0.2.1");
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/missing", tmpdir),
	    (int)sizeof(path));
	ck_assert_int_eq(hostlist_load_file(list, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(hostlist_load_file(list, tmpdir, err, sizeof(err)),
	    -1);
	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(hostlist_count(list), 1);
	hostlist_free(list);
}
END_TEST

START_TEST(small_error_buffer)
{
	struct hostlist *list = hostlist_new();
	char err[16];

	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(hostlist_add(list, "192.0.2.1/24", err, 8), -1);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(err[8], 'Z');
	hostlist_free(list);
}
END_TEST

static Suite *hostlist_suite(void)
{
	Suite *s = suite_create("hostlist");
	TCase *tc = tcase_create("entries");

	tcase_add_test(tc, empty_list);
	tcase_add_test(tc, single_addresses);
	tcase_add_test(tc, ipv4_boundaries);
	tcase_add_test(tc, ipv6_boundaries);
	tcase_add_test(tc, prefix_zero);
	tcase_add_test(tc, families_never_cross);
	tcase_add_test(tc, v4_mapped);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, walk);
	tcase_add_test(tc, host_bits_set);
	tcase_add_test(tc, bad_entries);
	tcase_add_test(tc, many_entries);
	tcase_add_test(tc, small_error_buffer);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, load_good_file);
	tcase_add_test(tc, load_merges);
	tcase_add_test(tc, load_bad_lines);
	tcase_add_test(tc, load_control_bytes);
	tcase_add_test(tc, load_long_line);
	tcase_add_test(tc, load_unreadable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hostlist_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
