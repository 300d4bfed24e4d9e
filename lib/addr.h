/*
 * addr.h - client addresses and the host keys they are counted under.
 *
 * A host_addr is one IPv4 or IPv6 address.  An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) is always stored as the IPv4 address it carries, so
 * one client is one host whichever socket family the MTA used.
 *
 * A host_key is an address reduced to a prefix (ipv4_prefix, ipv6_prefix):
 * every address inside the prefix is counted as one host.  Keys are plain
 * values: compare with host_key_equal(), hash with host_key_hash().
 *
 * addr_parse() accepts "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1" and
 * the same in brackets ("[2001:db8::1]", as Postfix writes IPv6 clients,
 * optionally prefixed "IPv6:").  Return 0, or -1 for anything else (empty,
 * too long, trailing junk, a scope id).
 * addr_from_sockaddr() returns 0, or -1 for NULL or a family other than
 * AF_INET / AF_INET6 (a local socket: such clients are never counted).
 * addr_format() and host_key_format() write NUL-terminated text and never
 * overflow; a key of a full-length prefix formats as the bare address,
 * a shorter one as "address/prefix" ("2001:db8:1:2::/64").
 */
#ifndef BULWARK_ADDR_H
#define BULWARK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define ADDR_TEXT_MAX 64	/* enough for any address or key text */

struct host_addr {
	uint8_t family;		/* 4 or 6 */
	uint8_t bytes[16];	/* IPv4 in the first 4 bytes, rest zero */
};

struct host_key {
	uint8_t family;		/* 4 or 6 */
	uint8_t prefix;		/* bits kept */
	uint8_t bytes[16];	/* address with the bits past prefix cleared */
};

int addr_parse(const char *text, struct host_addr *out);
int addr_from_sockaddr(const struct sockaddr *sa, struct host_addr *out);
void addr_format(const struct host_addr *addr, char *buf, size_t len);

/* Reduce addr to its key; prefixes larger than the family allows are clamped. */
void addr_key(const struct host_addr *addr, unsigned ipv4_prefix,
    unsigned ipv6_prefix, struct host_key *out);
void host_key_format(const struct host_key *key, char *buf, size_t len);
/* host_key_format() of the key of an address whose text is addr_text. */
void host_key_format_of(const struct host_key *key, const char *addr_text,
    char *buf, size_t len);
bool host_key_equal(const struct host_key *a, const struct host_key *b);
uint64_t host_key_hash(const struct host_key *key, uint64_t seed);
/* A seed for host_key_hash(), from the kernel's entropy (else the clock
 * and the process ID): a client cannot guess where its keys land. */
uint64_t host_key_seed(void);

/* True when addr lies inside the prefix bits/len of network (same family). */
bool addr_in_prefix(const struct host_addr *addr,
    const struct host_addr *network, unsigned prefix);

#endif
