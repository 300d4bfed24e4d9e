/*
 * addr.c - client addresses and host keys.  See addr.h for the contract.
 *
 * Parsing is inet_pton() with the wrappers Postfix and Sendmail put around
 * addresses peeled off first, so anything inet_pton() refuses (blanks,
 * scope ids, trailing text) is refused here too.  "[IPv6:...]" must hold
 * an IPv6 address; the tag is matched without regard to case.
 *
 * Formatting is done here rather than by inet_ntop() and snprintf(), at a
 * tenth of their cost (it is on every CONNECT), to the same text as
 * glibc's inet_ntop(): the first longest run of two or more zero groups
 * as "::", and IPv4-compatible addresses as "::192.0.2.1".
 *
 * addr_in_prefix() clamps the prefix like addr_key() does.
 * host_key_hash() is SipHash-2-4 of the key's family, prefix and address
 * bytes, keyed from the seed: client addresses are chosen by the client,
 * so a table keyed by them needs a keyed hash to resist flooding.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"

static const uint8_t addr_v4_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static inline unsigned addr_bits(uint8_t family)
{
	return family == 4 ? 32 : 128;
}

static inline unsigned addr_clamp(uint8_t family, unsigned prefix)
{
	return prefix > addr_bits(family) ? addr_bits(family) : prefix;
}

static void addr_set_v4(struct host_addr *out, const void *bytes)
{
	memset(out, 0, sizeof(*out));
	out->family = 4;
	memcpy(out->bytes, bytes, 4);
}

/* An IPv6 address, or the IPv4 address it maps. */
static void addr_set_v6(struct host_addr *out, const uint8_t bytes[16])
{
	if (memcmp(bytes, addr_v4_mapped, sizeof(addr_v4_mapped)) == 0) {
		addr_set_v4(out, bytes + 12);
		return;
	}
	out->family = 6;
	memcpy(out->bytes, bytes, 16);
}

static int addr_pton(const char *text, bool v6_only, struct host_addr *out)
{
	uint8_t bytes[16];

	if (!v6_only && inet_pton(AF_INET, text, bytes) == 1) {
		addr_set_v4(out, bytes);
		return 0;
	}
	if (inet_pton(AF_INET6, text, bytes) == 1) {
		addr_set_v6(out, bytes);
		return 0;
	}
	return -1;
}

int addr_parse(const char *text, struct host_addr *out)
{
	char buf[ADDR_TEXT_MAX];
	size_t len = text == NULL ? 0 : strnlen(text, sizeof(buf));
	bool v6_only = false;

	if (len == 0 || len == sizeof(buf))
		return -1;
	memcpy(buf, text, len + 1);
	if (buf[0] != '[')
		return addr_pton(buf, false, out);
	if (len < 2 || buf[len - 1] != ']')
		return -1;
	buf[len - 1] = '\0';
	if (strncasecmp(buf + 1, "IPv6:", 5) == 0)
		v6_only = true;
	return addr_pton(buf + 1 + (v6_only ? 5 : 0), v6_only, out);
}

int addr_from_sockaddr(const struct sockaddr *sa, struct host_addr *out)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (sa == NULL)
		return -1;
	/* Copies, because the caller's storage need not be aligned for these. */
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		addr_set_v4(out, &sin.sin_addr);
		return 0;
	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		addr_set_v6(out, sin6.sin6_addr.s6_addr);
		return 0;
	}
	return -1;
}

/* The decimal digits of b at p; returns the end. */
static char *addr_put_decimal(char *p, unsigned b)
{
	if (b >= 100) {
		*p++ = (char)('0' + b / 100);
		b %= 100;
		*p++ = (char)('0' + b / 10);
	} else if (b >= 10) {
		*p++ = (char)('0' + b / 10);
	}
	*p++ = (char)('0' + b % 10);
	return p;
}

static char *addr_put_v4(char *p, const uint8_t *bytes)
{
	for (unsigned i = 0; i < 4; i++) {
		if (i > 0)
			*p++ = '.';
		p = addr_put_decimal(p, bytes[i]);
	}
	return p;
}

/* A 16-bit group in lowercase hex without leading zeros. */
static char *addr_put_group(char *p, unsigned group)
{
	static const char hex[] = "0123456789abcdef";
	int shift = 12;

	while (shift > 0 && (group >> shift) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = hex[(group >> shift) & 0xf];
	return p;
}

/* The first longest run of two or more zero groups: its start, or -1. */
static int addr_zero_run(const unsigned groups[8], int *run_len)
{
	int best = -1, best_len = 1, start = -1;

	for (int i = 0; i < 8; i++) {
		if (groups[i] != 0) {
			start = -1;
			continue;
		}
		if (start < 0)
			start = i;
		if (i - start + 1 > best_len) {
			best = start;
			best_len = i - start + 1;
		}
	}
	*run_len = best_len;
	return best;
}

/*
 * The text inet_ntop() gives: the run addr_zero_run() finds as "::", and
 * the last 32 bits as IPv4 when only zeros (or zeros and ffff) precede.
 */
static char *addr_put_v6(char *p, const uint8_t *bytes)
{
	unsigned groups[8];
	int run_len, run;

	for (int i = 0; i < 8; i++)
		groups[i] = (unsigned)bytes[2 * i] << 8 | bytes[2 * i + 1];
	run = addr_zero_run(groups, &run_len);
	for (int i = 0; i < 8; i++) {
		if (run >= 0 && i >= run && i < run + run_len) {
			if (i == run)
				*p++ = ':';
			continue;
		}
		if (i > 0)
			*p++ = ':';
		if (i == 6 && run == 0 && (run_len == 6 ||
		    (run_len == 5 && groups[5] == 0xffff)))
			return addr_put_v4(p, bytes + 12);
		p = addr_put_group(p, groups[i]);
	}
	if (run >= 0 && run + run_len == 8)
		*p++ = ':';
	return p;
}

/* The text of an address of family into text; returns its length. */
static size_t addr_put(uint8_t family, const uint8_t *bytes,
    char text[ADDR_TEXT_MAX])
{
	char *end = family == 4 ? addr_put_v4(text, bytes) :
	    addr_put_v6(text, bytes);

	*end = '\0';
	return (size_t)(end - text);
}

/* text of length n into buf of len bytes, cut short to fit. */
static void addr_copy_out(const char *text, size_t n, char *buf, size_t len)
{
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
}

void addr_format(const struct host_addr *addr, char *buf, size_t len)
{
	char text[ADDR_TEXT_MAX];

	addr_copy_out(text, addr_put(addr->family, addr->bytes, text), buf,
	    len);
}

/* Clear every bit of bytes past prefix, up to the family's length. */
static void addr_mask(uint8_t family, uint8_t bytes[16], unsigned prefix)
{
	unsigned nbytes = addr_bits(family) / 8;
	unsigned full = prefix / 8;

	if (full >= nbytes)
		return;
	bytes[full] &= (uint8_t)(0xff00u >> (prefix % 8));
	memset(bytes + full + 1, 0, nbytes - full - 1);
}

void addr_key(const struct host_addr *addr, unsigned ipv4_prefix,
    unsigned ipv6_prefix, struct host_key *out)
{
	unsigned prefix = addr->family == 4 ? ipv4_prefix : ipv6_prefix;

	memset(out, 0, sizeof(*out));
	out->family = addr->family;
	out->prefix = (uint8_t)addr_clamp(addr->family, prefix);
	memcpy(out->bytes, addr->bytes, addr_bits(addr->family) / 8);
	addr_mask(out->family, out->bytes, out->prefix);
}

void host_key_format(const struct host_key *key, char *buf, size_t len)
{
	char text[ADDR_TEXT_MAX];
	size_t n = addr_put(key->family, key->bytes, text);

	if (key->prefix < addr_bits(key->family)) {
		text[n++] = '/';
		n = (size_t)(addr_put_decimal(text + n, key->prefix) - text);
	}
	addr_copy_out(text, n, buf, len);
}

/* A key of a full-length prefix is its address: a copy of the text. */
void host_key_format_of(const struct host_key *key, const char *addr_text,
    char *buf, size_t len)
{
	if (key->prefix < addr_bits(key->family))
		host_key_format(key, buf, len);
	else
		addr_copy_out(addr_text, strlen(addr_text), buf, len);
}

bool host_key_equal(const struct host_key *a, const struct host_key *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	    memcmp(a->bytes, b->bytes, addr_bits(a->family) / 8) == 0;
}

static inline uint64_t addr_rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t addr_load64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 8; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static inline void addr_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = addr_rotl(v[1], 13) ^ v[0];
	v[0] = addr_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = addr_rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = addr_rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = addr_rotl(v[1], 17) ^ v[2];
	v[2] = addr_rotl(v[2], 32);
}

static void addr_sip_block(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	addr_sipround(v);
	addr_sipround(v);
	v[0] ^= m;
}

uint64_t host_key_hash(const struct host_key *key, uint64_t seed)
{
	/* The 128-bit SipHash key is stretched from the 64-bit seed. */
	uint64_t k0 = seed, k1 = seed ^ 0x9e3779b97f4a7c15u;
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575u, k1 ^ 0x646f72616e646f6du,
		k0 ^ 0x6c7967656e657261u, k1 ^ 0x7465646279746573u,
	};
	uint8_t bytes[16] = { 0 };

	/* Only the family's bytes count, as in host_key_equal(). */
	memcpy(bytes, key->bytes, addr_bits(key->family) / 8);
	addr_sip_block(v, addr_load64(bytes));
	addr_sip_block(v, addr_load64(bytes + 8));
	/* Last block: the two trailing bytes and the message length, 18. */
	addr_sip_block(v, (uint64_t)18 << 56 | (uint64_t)key->prefix << 8 |
	    key->family);
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		addr_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

bool addr_in_prefix(const struct host_addr *addr,
    const struct host_addr *network, unsigned prefix)
{
	struct host_key a, n;

	/* The keys' families differ when the addresses' do. */
	addr_key(addr, prefix, prefix, &a);
	addr_key(network, prefix, prefix, &n);
	return host_key_equal(&a, &n);
}

uint64_t host_key_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	/* No entropy yet (early boot): still differ between runs. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u) ^
	    (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 32);
}
