/*
 * fuzz_addr.c - addr_parse() on arbitrary bytes.
 *
 * An address it accepts must survive the trip through addr_format(), and
 * its key at every prefix the trip through host_key_format(): the text
 * parses back to the same address or network, with the same prefix.
 * Formatting into a buffer of any size must stay inside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static char *copy_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

static void check_format_round_trip(const struct host_addr *addr)
{
	char text[ADDR_TEXT_MAX];
	struct host_addr back;

	addr_format(addr, text, sizeof(text));
	check(addr_parse(text, &back) == 0);
	check(back.family == addr->family);
	check(memcmp(back.bytes, addr->bytes, sizeof(back.bytes)) == 0);
}

/* "network" or "network/prefix" back to a key equal to key. */
static void check_key_text(const struct host_key *key, char *text)
{
	char *slash = strchr(text, '/');
	unsigned bits = key->family == 4 ? 32 : 128;
	struct host_addr net;
	struct host_key back;
	unsigned long prefix = bits;

	if (slash != NULL) {
		*slash = '\0';
		prefix = strtoul(slash + 1, NULL, 10);
		check(prefix < bits);
	}
	check(prefix == key->prefix);
	check(addr_parse(text, &net) == 0);
	addr_key(&net, key->prefix, key->prefix, &back);
	check(host_key_equal(&back, key));
	check(host_key_hash(&back, 42) == host_key_hash(key, 42));
}

static void check_keys(const struct host_addr *addr)
{
	char text[ADDR_TEXT_MAX];
	struct host_key key;
	struct host_addr net;

	for (unsigned prefix = 0; prefix <= 130; prefix++) {
		addr_key(addr, prefix, prefix, &key);
		host_key_format(&key, text, sizeof(text));
		check(strlen(text) < sizeof(text));
		check_key_text(&key, text);
		check(addr_in_prefix(addr, addr, prefix));
		/* The network address lies inside its own prefix. */
		memset(&net, 0, sizeof(net));
		net.family = key.family;
		memcpy(net.bytes, key.bytes, sizeof(net.bytes));
		check(addr_in_prefix(addr, &net, key.prefix));
	}
}

/* A buffer of exactly len bytes, so any overflow is caught. */
static void check_small_buffer(const struct host_addr *addr, size_t len)
{
	char *buf = malloc(len);
	struct host_key key;

	addr_format(addr, buf, len);
	check(memchr(buf, '\0', len) != NULL);
	addr_key(addr, 24, 48, &key);
	host_key_format(&key, buf, len);
	check(memchr(buf, '\0', len) != NULL);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = copy_text(data, size);
	struct host_addr addr;

	if (addr_parse(text, &addr) == 0) {
		check(addr.family == 4 || addr.family == 6);
		check_format_round_trip(&addr);
		check_keys(&addr);
		check_small_buffer(&addr, 1 + size % ADDR_TEXT_MAX);
	}
	free(text);
	return 0;
}
