/*
 * check_addr.c - unit tests for lib/addr.c: parsing, socket addresses,
 * formatting, host keys (masking, text, equality, hash) and prefixes.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "addr.h"

static struct host_addr parse_ok(const char *text)
{
	struct host_addr a;

	ck_assert_msg(addr_parse(text, &a) == 0, "addr_parse(\"%s\") failed",
	    text);
	return a;
}

static struct host_key key_of(const char *text, unsigned v4, unsigned v6)
{
	struct host_addr a = parse_ok(text);
	struct host_key k;

	addr_key(&a, v4, v6, &k);
	return k;
}

static const char *key_text(const char *text, unsigned v4, unsigned v6)
{
	static char buf[ADDR_TEXT_MAX];
	struct host_key k = key_of(text, v4, v6);

	host_key_format(&k, buf, sizeof(buf));
	return buf;
}

START_TEST(parse_ipv4)
{
	static const uint8_t want[16] = { 192, 0, 2, 1 };
	struct host_addr a = parse_ok("192.0.2.1");

	ck_assert_uint_eq(a.family, 4);
	ck_assert_mem_eq(a.bytes, want, 16);
	a = parse_ok("255.255.255.255");
	ck_assert_uint_eq(a.bytes[3], 255);
	a = parse_ok("0.0.0.0");
	ck_assert_uint_eq(a.family, 4);
}
END_TEST

START_TEST(parse_ipv6)
{
	static const uint8_t want[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	struct host_addr a = parse_ok("2001:db8::1");

	ck_assert_uint_eq(a.family, 6);
	ck_assert_mem_eq(a.bytes, want, 16);
	a = parse_ok("::");
	ck_assert_uint_eq(a.family, 6);
	a = parse_ok("::1");
	ck_assert_uint_eq(a.family, 6);
	ck_assert_uint_eq(a.bytes[15], 1);
}
END_TEST

/* Other spellings of an address: each parses as the plain one does. */
static const struct {
	const char *text, *plain;
} spellings[] = {
	{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
	/* IPv4-mapped IPv6 addresses are their IPv4 address. */
	{ "::ffff:192.0.2.1", "192.0.2.1" },
	{ "::ffff:c000:201", "192.0.2.1" },
	{ "[IPv6:::ffff:192.0.2.1]", "192.0.2.1" },
	/* Address literals, as in HELO or the MTA's macros. */
	{ "[2001:db8::1]", "2001:db8::1" },
	{ "[IPv6:2001:db8::1]", "2001:db8::1" },
	{ "[ipv6:2001:db8::1]", "2001:db8::1" },
	{ "[192.0.2.1]", "192.0.2.1" },
};

START_TEST(parse_spellings)
{
	struct host_addr a = parse_ok(spellings[_i].text);
	struct host_addr plain = parse_ok(spellings[_i].plain);

	ck_assert_uint_eq(a.family, plain.family);
	ck_assert_mem_eq(a.bytes, plain.bytes, 16);
}
END_TEST

START_TEST(parse_not_mapped)
{
	/* IPv4-compatible (deprecated) and NAT64 addresses are not mapped. */
	ck_assert_uint_eq(parse_ok("::192.0.2.1").family, 6);
	ck_assert_uint_eq(parse_ok("64:ff9b::192.0.2.1").family, 6);
	ck_assert_uint_eq(parse_ok("::fffe:192.0.2.1").family, 6);
}
END_TEST

START_TEST(parse_rejects)
{
	static const char *const bad[] = {
		"", " ", "192.0.2.1 ", " 192.0.2.1", "192.0.2.1\n",
		"192.0.2.1x", "192.0.2", "192.0.2.1.5", "256.0.0.1",
		"192.0.2.-1", "192.0.2.1/32", "example.org", "2001:db8::1::2",
		"2001:db8::g", "fe80::1%eth0", "fe80::1%1", "[fe80::1%eth0]",
		"[2001:db8::1", "2001:db8::1]", "[]", "[", "]", "[[::1]]",
		"[ 2001:db8::1]", "[2001:db8::1] ", "IPv6:2001:db8::1",
		"[IPv6:192.0.2.1]", "[IPv6:]", "[IPv6]", "[IPv4:192.0.2.1]",
		"2001:db8::1 ", "::ffff:192.0.2.1%1",
	};
	struct host_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(addr_parse(bad[i], &a) == -1,
		    "addr_parse accepted \"%s\"", bad[i]);
	ck_assert_int_eq(addr_parse(NULL, &a), -1);
}
END_TEST

START_TEST(parse_length_limit)
{
	char text[256];
	struct host_addr a;

	/* Long input is refused, and read no further than needed. */
	memset(text, 0, sizeof(text));
	memset(text, '1', 200);
	ck_assert_int_eq(addr_parse(text, &a), -1);
	/* The longest IPv6 text there is fits. */
	ck_assert_int_eq(addr_parse("[IPv6:0000:0000:0000:0000:0000:ffff:"
	    "255.255.255.255]", &a), 0);
	ck_assert_uint_eq(a.family, 4);
	memset(text, 0, sizeof(text));
	memset(text, '[', ADDR_TEXT_MAX + 10);
	ck_assert_int_eq(addr_parse(text, &a), -1);
}
END_TEST

START_TEST(sockaddr_families)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct host_addr a;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(25);
	ck_assert_int_eq(inet_pton(AF_INET, "198.51.100.7", &sin.sin_addr), 1);
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&sin, &a), 0);
	ck_assert_uint_eq(a.family, 4);
	ck_assert_mem_eq(a.bytes, parse_ok("198.51.100.7").bytes, 16);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::25", &sin6.sin6_addr), 1);
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&sin6, &a), 0);
	ck_assert_uint_eq(a.family, 6);
	ck_assert_mem_eq(a.bytes, parse_ok("2001:db8::25").bytes, 16);

	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:198.51.100.7",
	    &sin6.sin6_addr), 1);
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&sin6, &a), 0);
	ck_assert_uint_eq(a.family, 4);
	ck_assert_mem_eq(a.bytes, parse_ok("198.51.100.7").bytes, 16);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&sun, &a), -1);
	sun.sun_family = AF_UNSPEC;
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&sun, &a), -1);
	ck_assert_int_eq(addr_from_sockaddr(NULL, &a), -1);
}
END_TEST

START_TEST(format_addresses)
{
	char buf[ADDR_TEXT_MAX];
	struct host_addr a = parse_ok("192.0.2.1");

	addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.1");
	a = parse_ok("2001:DB8:0:0:0:0:0:1");
	addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2001:db8::1");
	a = parse_ok("[IPv6:::ffff:192.0.2.1]");
	addr_format(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.1");
}
END_TEST

START_TEST(format_never_overflows)
{
	char buf[8];
	struct host_addr a = parse_ok("2001:db8:1:2:3:4:5:6");
	struct host_key k;

	memset(buf, 'Z', sizeof(buf));
	addr_format(&a, buf, 5);
	ck_assert_str_eq(buf, "2001");
	ck_assert_int_eq(buf[5], 'Z');
	addr_key(&a, 32, 64, &k);
	memset(buf, 'Z', sizeof(buf));
	host_key_format(&k, buf, 7);
	ck_assert_str_eq(buf, "2001:d");
	ck_assert_int_eq(buf[7], 'Z');
	buf[0] = 'Z';
	addr_format(&a, buf, 0);
	ck_assert_int_eq(buf[0], 'Z');
}
END_TEST

/* addr_format() of family and bytes against the C library's inet_ntop(). */
static void format_as_ntop(uint8_t family, const uint8_t bytes[16])
{
	char got[ADDR_TEXT_MAX], want[INET6_ADDRSTRLEN];
	struct host_addr a = { .family = family };

	memcpy(a.bytes, bytes, family == 4 ? 4 : 16);
	addr_format(&a, got, sizeof(got));
	ck_assert_ptr_nonnull(inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes,
	    want, sizeof(want)));
	ck_assert_str_eq(got, want);
}

/*
 * Every pattern of zero and non-zero groups (where "::" goes, and which
 * run wins a tie), each with groups of one to four hex digits, the
 * IPv4-compatible forms, and every value of an IPv4 byte.
 */
START_TEST(format_matches_ntop)
{
	static const unsigned values[] = { 0x1, 0xab, 0xf00, 0xffff, 0x1234 };
	uint8_t b[16];

	for (unsigned mask = 0; mask < 256; mask++) {
		for (unsigned v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			for (unsigned g = 0; g < 8; g++) {
				unsigned w = (mask >> g & 1) ?
				    values[(v + g) % 5] : 0;

				b[2 * g] = (uint8_t)(w >> 8);
				b[2 * g + 1] = (uint8_t)w;
			}
			format_as_ntop(6, b);
			/* ::ffff:0:a.b.c.d style: group 5 of ffff. */
			b[10] = b[11] = 0xff;
			format_as_ntop(6, b);
		}
	}
	for (unsigned i = 0; i < 256; i++) {
		uint8_t v4[16] = { (uint8_t)i, (uint8_t)(255 - i), 0,
		    (uint8_t)(i * 7) };

		format_as_ntop(4, v4);
	}
}
END_TEST

/* The key's text from its address's: the same as host_key_format()'s. */
START_TEST(key_format_of_address_text)
{
	static const struct {
		const char *addr;
		unsigned v4, v6;
	} cases[] = {
		{ "192.0.2.7", 32, 64 }, { "192.0.2.7", 24, 64 },
		{ "2001:db8::1", 32, 128 }, { "2001:db8:1:2:3::1", 32, 64 },
		{ "2001:db8::1", 32, 999 }, { "192.0.2.7", 0, 64 },
	};
	char text[ADDR_TEXT_MAX], want[ADDR_TEXT_MAX], got[ADDR_TEXT_MAX];
	struct host_key full = key_of("192.0.2.7", 32, 64);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct host_addr a = parse_ok(cases[i].addr);
		struct host_key k;

		addr_key(&a, cases[i].v4, cases[i].v6, &k);
		addr_format(&a, text, sizeof(text));
		host_key_format(&k, want, sizeof(want));
		host_key_format_of(&k, text, got, sizeof(got));
		ck_assert_str_eq(got, want);
	}
	memset(got, 'Z', sizeof(got));
	host_key_format_of(&full, "192.0.2.7", got, 4);
	ck_assert_str_eq(got, "192");
	ck_assert_int_eq(got[4], 'Z');
}
END_TEST

/* The key of text with prefixes v4 and v6: prefix bits of net. */
static const struct {
	const char *text;
	unsigned v4, v6;
	unsigned prefix;
	const char *net;
} keys[] = {
	{ "198.51.100.77", 24, 64, 24, "198.51.100.0" },
	{ "198.51.100.77", 20, 64, 20, "198.51.96.0" },
	{ "198.51.100.77", 31, 64, 31, "198.51.100.76" },
	{ "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 32, 64, 64, "2001:db8:1:2::" },
	{ "2001:db8:1:2ff:ffff::", 32, 57, 57, "2001:db8:1:280::" },
	/* /0, and prefixes past the family's length, cut to it. */
	{ "203.0.113.9", 0, 0, 0, "0.0.0.0" },
	{ "203.0.113.9", 99, 0, 32, "203.0.113.9" },
	{ "2001:db8::9", 0, 0, 0, "::" },
	{ "2001:db8::9", 0, 200, 128, "2001:db8::9" },
	/* An IPv4 client uses the IPv4 prefix even when mapped. */
	{ "::ffff:203.0.113.9", 24, 64, 24, "203.0.113.0" },
};

START_TEST(key_masks)
{
	struct host_key k = key_of(keys[_i].text, keys[_i].v4, keys[_i].v6);
	struct host_addr net = parse_ok(keys[_i].net);

	ck_assert_uint_eq(k.family, net.family);
	ck_assert_uint_eq(k.prefix, keys[_i].prefix);
	ck_assert_mem_eq(k.bytes, net.bytes, 16);
}
END_TEST

START_TEST(key_format)
{
	ck_assert_str_eq(key_text("192.0.2.7", 32, 64), "192.0.2.7");
	ck_assert_str_eq(key_text("198.51.100.200", 24, 64), "198.51.100.0/24");
	ck_assert_str_eq(key_text("2001:db8:1:2:3:4:5:6", 32, 64),
	    "2001:db8:1:2::/64");
	ck_assert_str_eq(key_text("2001:db8::1", 32, 128), "2001:db8::1");
	ck_assert_str_eq(key_text("2001:db8::1", 32, 999), "2001:db8::1");
	ck_assert_str_eq(key_text("192.0.2.7", 0, 64), "0.0.0.0/0");
	ck_assert_str_eq(key_text("2001:db8::1", 32, 0), "::/0");
	ck_assert_str_eq(key_text("::ffff:192.0.2.7", 32, 64), "192.0.2.7");
}
END_TEST

START_TEST(key_equal)
{
	struct host_key a = key_of("198.51.100.1", 24, 64);
	struct host_key b = key_of("198.51.100.254", 24, 64);
	struct host_key c = key_of("198.51.101.1", 24, 64);

	ck_assert(host_key_equal(&a, &b));
	ck_assert(!host_key_equal(&a, &c));
	a = key_of("10.0.0.0", 8, 64);
	b = key_of("10.0.0.0", 16, 64);
	ck_assert(!host_key_equal(&a, &b));
	a = key_of("0.0.0.0", 0, 0);
	b = key_of("::", 0, 0);
	ck_assert(!host_key_equal(&a, &b));
	a = key_of("2001:db8:1:2::1", 32, 64);
	b = key_of("2001:db8:1:2:ffff::", 32, 64);
	c = key_of("2001:db8:1:3::1", 32, 64);
	ck_assert(host_key_equal(&a, &b));
	ck_assert(!host_key_equal(&a, &c));
	a = key_of("2001:db8::1", 32, 128);
	b = key_of("2001:db8::2", 32, 128);
	ck_assert(!host_key_equal(&a, &b));
}
END_TEST

START_TEST(key_hash_vectors)
{
	/* SipHash-2-4 values computed independently of this code. */
	struct host_key k = key_of("2001:db8::1", 32, 128);

	ck_assert_uint_eq(host_key_hash(&k, 0x0123456789abcdefu),
	    0x974d9cb81dde8035u);
	k = key_of("192.0.2.7", 32, 128);
	ck_assert_uint_eq(host_key_hash(&k, 0xfedcba9876543210u),
	    0x158cbbf594736d40u);
}
END_TEST

START_TEST(key_hash_consistent)
{
	struct host_key a = key_of("198.51.100.1", 24, 64);
	struct host_key b = key_of("198.51.100.99", 24, 64);
	struct host_key c = key_of("198.51.100.1", 25, 64);

	ck_assert_uint_eq(host_key_hash(&a, 1), host_key_hash(&b, 1));
	ck_assert_uint_ne(host_key_hash(&a, 1), host_key_hash(&a, 2));
	ck_assert_uint_ne(host_key_hash(&a, 1), host_key_hash(&c, 1));
	a = key_of("0.0.0.0", 0, 0);
	b = key_of("::", 0, 0);
	ck_assert_uint_ne(host_key_hash(&a, 7), host_key_hash(&b, 7));
	/* Bytes past an IPv4 address do not count, as in host_key_equal(). */
	a = key_of("192.0.2.7", 32, 64);
	b = a;
	b.bytes[10] = 0x55;
	ck_assert(host_key_equal(&a, &b));
	ck_assert_uint_eq(host_key_hash(&a, 7), host_key_hash(&b, 7));
}
END_TEST

START_TEST(key_hash_spreads)
{
	/* 65536 neighbouring addresses over 256 buckets: 256 each, ideally. */
	unsigned low[256] = { 0 }, high[256] = { 0 };
	struct host_addr a = parse_ok("10.0.0.0");
	struct host_key k;

	for (unsigned i = 0; i < 65536; i++) {
		uint64_t h;

		a.bytes[2] = (uint8_t)(i >> 8);
		a.bytes[3] = (uint8_t)i;
		addr_key(&a, 32, 64, &k);
		h = host_key_hash(&k, 42);
		low[h & 0xff]++;
		high[h >> 56]++;
	}
	for (unsigned i = 0; i < 256; i++) {
		ck_assert_msg(low[i] > 176 && low[i] < 336,
		    "low bucket %u holds %u", i, low[i]);
		ck_assert_msg(high[i] > 176 && high[i] < 336,
		    "high bucket %u holds %u", i, high[i]);
	}
}
END_TEST

/* Whether addr is in net/prefix. */
static const struct {
	const char *addr, *net;
	unsigned prefix;
	bool in;
} prefixes[] = {
	{ "192.0.2.0", "192.0.2.0", 24, true },
	{ "192.0.2.255", "192.0.2.0", 24, true },
	{ "192.0.3.0", "192.0.2.0", 24, false },
	{ "192.0.1.255", "192.0.2.0", 24, false },
	{ "192.0.2.1", "192.0.2.0", 32, false },
	{ "192.0.2.1", "192.0.2.0", 40, false },
	{ "192.0.2.1", "192.0.2.0", 31, true },
	{ "255.255.255.255", "192.0.2.0", 0, true },
	{ "::ffff:192.0.2.77", "192.0.2.0", 24, true },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::", 32, true },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::", 33, false },
	{ "2001:db9::", "2001:db8::", 32, false },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::", 32, false },
	{ "2001:db8::1", "2001:db8::", 127, true },
	{ "2001:db8::1", "2001:db8::", 128, false },
	{ "ffff::", "2001:db8::", 0, true },
	/* Families never cross, not even at /0. */
	{ "::1", "0.0.0.0", 0, false },
	{ "192.0.2.1", "::", 0, false },
	/* "::c000:201" carries the same low bytes, but is IPv6. */
	{ "::c000:201", "192.0.2.1", 32, false },
};

START_TEST(prefix_membership)
{
	struct host_addr a = parse_ok(prefixes[_i].addr);
	struct host_addr net = parse_ok(prefixes[_i].net);

	ck_assert_msg(addr_in_prefix(&a, &net, prefixes[_i].prefix) ==
	    prefixes[_i].in, "%s in %s/%u: expected %s", prefixes[_i].addr,
	    prefixes[_i].net, prefixes[_i].prefix,
	    prefixes[_i].in ? "true" : "false");
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, parse_ipv4);
	tcase_add_test(tc, parse_ipv6);
	tcase_add_loop_test(tc, parse_spellings, 0,
	    (int)(sizeof(spellings) / sizeof(spellings[0])));
	tcase_add_test(tc, parse_not_mapped);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, parse_length_limit);
	tcase_add_test(tc, sockaddr_families);
	tcase_add_test(tc, format_addresses);
	tcase_add_test(tc, format_never_overflows);
	tcase_add_test(tc, format_matches_ntop);
	tcase_add_test(tc, key_format_of_address_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("key");
	tcase_add_loop_test(tc, key_masks, 0,
	    (int)(sizeof(keys) / sizeof(keys[0])));
	tcase_add_test(tc, key_format);
	tcase_add_test(tc, key_equal);
	tcase_add_test(tc, key_hash_vectors);
	tcase_add_test(tc, key_hash_consistent);
	tcase_add_test(tc, key_hash_spreads);
	suite_add_tcase(s, tc);
	tc = tcase_create("prefix");
	tcase_add_loop_test(tc, prefix_membership, 0,
	    (int)(sizeof(prefixes) / sizeof(prefixes[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
