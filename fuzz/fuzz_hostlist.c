/*
 * fuzz_hostlist.c - hostlist_add() and hostlist_match() on arbitrary text.
 *
 * Each line of the input but the last is an entry; the last is an
 * address to match.  hostlist_match() is checked against a plain scan of
 * the entries accepted (addr_in_prefix() on each), for that address, for
 * every accepted network and for its neighbours just inside and just
 * outside the prefix.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "hostlist.h"

#define ENTRIES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct entry {
	struct host_addr net;
	unsigned prefix;
};

static void check(int ok)
{
	if (!ok)
		abort();
}

/* The network and prefix an accepted entry covers, as addr.h sees them. */
static void entry_of(const char *text, struct entry *e)
{
	char buf[ADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t len = slash != NULL ? (size_t)(slash - text) : strlen(text);

	check(len < sizeof(buf));
	memcpy(buf, text, len);
	buf[len] = '\0';
	check(addr_parse(buf, &e->net) == 0);
	e->prefix = slash != NULL ? (unsigned)strtoul(slash + 1, NULL, 10) : 128;
	/* An IPv4-mapped prefix covers the IPv4 prefix 96 bits shorter. */
	if (slash != NULL && e->net.family == 4 && memchr(buf, ':', len))
		e->prefix -= 96;
}

static bool scan(const struct entry *e, size_t n, const struct host_addr *a)
{
	for (size_t i = 0; i < n; i++) {
		if (addr_in_prefix(a, &e[i].net, e[i].prefix))
			return true;
	}
	return false;
}

static void check_match(const struct hostlist *list, const struct entry *e,
    size_t n, const struct host_addr *a)
{
	check(hostlist_match(list, a) == scan(e, n, a));
}

/*
 * The network; the address that differs from it in the last bit of the
 * prefix (outside this entry); the one that differs in the first bit past
 * the prefix (inside it).
 */
static void check_around(const struct hostlist *list, const struct entry *e,
    size_t n, const struct entry *at)
{
	unsigned bits = at->net.family == 4 ? 32 : 128;
	unsigned prefix = at->prefix < bits ? at->prefix : bits;
	struct host_addr a;

	check(hostlist_match(list, &at->net));
	check_match(list, e, n, &at->net);
	if (prefix > 0) {
		a = at->net;
		a.bytes[(prefix - 1) / 8] ^= (uint8_t)(0x80 >> ((prefix - 1) % 8));
		check_match(list, e, n, &a);
	}
	if (prefix < bits) {
		a = at->net;
		a.bytes[prefix / 8] ^= (uint8_t)(0x80 >> (prefix % 8));
		check(hostlist_match(list, &a));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *next, err[256];
	struct hostlist *list = hostlist_new();
	struct entry entries[ENTRIES_MAX];
	struct host_addr addr;
	size_t n = 0;

	memcpy(text, data, size);
	text[size] = '\0';
	for (line = text; (next = strchr(line, '\n')) != NULL && n < ENTRIES_MAX;
	    line = next + 1) {
		*next = '\0';
		if (hostlist_add(list, line, err, sizeof(err)) == 0)
			entry_of(line, &entries[n++]);
		else
			check(err[0] != '\0' && strlen(err) < sizeof(err));
	}
	check(hostlist_count(list) <= n);
	for (size_t i = 0; i < n; i++)
		check_around(list, entries, n, &entries[i]);
	if (addr_parse(line, &addr) == 0)
		check_match(list, entries, n, &addr);
	hostlist_free(list);
	free(text);
	return 0;
}
