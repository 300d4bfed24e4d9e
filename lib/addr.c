/*
 * addr.c - client addresses and host keys.  See addr.h for the contract.
 *
 * Parsing is inet_pton() with the wrappers Postfix and Sendmail put around
 * addresses peeled off first, so anything inet_pton() refuses (blanks,
 * scope ids, trailing text) is refused here too.  "[IPv6:...]" must hold
 * an IPv6 address; the tag is matched without regard to case.
 *
 * addr_in_prefix() clamps the prefix like addr_key() does.
 * host_key_hash() is SipHash-2-4 of the key's family, prefix and address
 * bytes, keyed from the seed: client addresses are chosen by the client,
 * so a table keyed by them needs a keyed hash to resist flooding.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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

static void addr_ntop(uint8_t family, const uint8_t *bytes, char *buf,
    size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes, text,
	    sizeof(text)) == NULL)
		strcpy(text, "?");
	snprintf(buf, len, "%s", text);
}

void addr_format(const struct host_addr *addr, char *buf, size_t len)
{
	addr_ntop(addr->family, addr->bytes, buf, len);
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

	addr_ntop(key->family, key->bytes, text, sizeof(text));
	if (key->prefix >= addr_bits(key->family))
		snprintf(buf, len, "%s", text);
	else
		snprintf(buf, len, "%s/%u", text, (unsigned)key->prefix);
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
