/*
 * hostlist.c - sets of addresses and CIDR prefixes.  See hostlist.h.
 *
 * Every entry is stored as the bytes of the host_key of its network in a
 * keyset.h set (addr_key() clears every byte past the prefix, so equal
 * keys have equal bytes); each family also keeps the distinct prefix
 * lengths in use.  hostlist_match() reduces the address to each of those
 * lengths in turn and looks the key up, so its cost grows with the number
 * of lengths, never with the number of entries.  Adding an entry already
 * present changes nothing.  A prefix of /0 is allowed: "0.0.0.0/0"
 * matches every IPv4 address and no IPv6 one.  hostlist_add() takes the
 * entry as it is: blanks are trimmed by the file loader only.
 *
 * An entry written as an IPv4-mapped IPv6 prefix ("::ffff:192.0.2.0/120")
 * is stored as the IPv4 prefix it covers, since addresses are compared in
 * that form (addr.h); such a prefix must be at least /96.
 *
 * hostlist_load_file() reads the file with keyset_load_file() into a set
 * of its own, merged into the list only once the whole file has loaded.
 * The reader (linefile.h) refuses a line longer than HOSTLIST_LINE_MAX or
 * one holding a control character (a binary file, most likely), naming
 * the offending byte in hex.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "hostlist.h"
#include "keyset.h"
#include "xalloc.h"

#define HOSTLIST_LINE_MAX 1024

struct hostlist_lengths {
	uint8_t len[129];	/* distinct prefix lengths in use */
	unsigned count;
};

struct hostlist {
	struct keyset *keys;	/* struct host_key, as bytes */
	struct hostlist_lengths v4, v6;
};

struct hostlist *hostlist_new(void)
{
	struct hostlist *list = xcalloc(1, sizeof(*list));

	list->keys = keyset_new();
	return list;
}

void hostlist_free(struct hostlist *list)
{
	if (list == NULL)
		return;
	keyset_free(list->keys);
	free(list);
}

size_t hostlist_count(const struct hostlist *list)
{
	return keyset_count(list->keys);
}

int hostlist_walk(const struct hostlist *list,
    int (*fn)(const struct host_key *entry, void *arg), void *arg)
{
	const void *key;
	size_t cursor = 0, len;
	struct host_key entry;
	int rc;

	while ((key = keyset_next(list->keys, &cursor, &len)) != NULL) {
		memcpy(&entry, key, sizeof(entry));
		if ((rc = fn(&entry, arg)) != 0)
			return rc;
	}
	return 0;
}

static void hostlist_note_length(struct hostlist_lengths *lengths,
    uint8_t prefix)
{
	for (unsigned i = 0; i < lengths->count; i++) {
		if (lengths->len[i] == prefix)
			return;
	}
	lengths->len[lengths->count++] = prefix;
}

static void hostlist_insert(struct hostlist *list, const struct host_key *key)
{
	if (keyset_add(list->keys, key, sizeof(*key)))
		hostlist_note_length(key->family == 4 ? &list->v4 : &list->v6,
		    key->prefix);
}

bool hostlist_match(const struct hostlist *list, const struct host_addr *addr)
{
	const struct hostlist_lengths *lengths =
	    addr->family == 4 ? &list->v4 : &list->v6;
	struct host_key key;

	for (unsigned i = 0; i < lengths->count; i++) {
		addr_key(addr, lengths->len[i], lengths->len[i], &key);
		if (keyset_contains(list->keys, &key, sizeof(key)))
			return true;
	}
	return false;
}

/* Parse the decimal prefix length after '/' into *prefix. */
static int hostlist_parse_length(const char *text, unsigned *prefix)
{
	unsigned value = 0;
	size_t n;

	for (n = 0; text[n] >= '0' && text[n] <= '9'; n++) {
		if (n == 3)
			return -1;
		value = value * 10 + (unsigned)(text[n] - '0');
	}
	if (n == 0 || text[n] != '\0')
		return -1;
	*prefix = value;
	return 0;
}

static int hostlist_parse_address(const char *entry, size_t len,
    struct host_addr *addr, char *err, size_t errlen)
{
	char text[ADDR_TEXT_MAX], esc[ESCAPE_OUT_MAX];

	if (len < sizeof(text)) {
		memcpy(text, entry, len);
		text[len] = '\0';
		if (addr_parse(text, addr) == 0)
			return 0;
	}
	snprintf(err, errlen, "invalid address \"%s\"",
	    escape(entry, ESCAPE_CLIENT, esc, sizeof(esc)));
	return -1;
}

/*
 * The prefix length after slash, checked against the family of addr;
 * mapped tells that addr was written as an IPv4-mapped IPv6 address.
 */
static int hostlist_parse_prefix(const char *slash, const struct host_addr *addr,
    bool mapped, unsigned *prefix, char *err, size_t errlen)
{
	char esc[ESCAPE_OUT_MAX];
	unsigned max = mapped ? 128 : addr->family == 4 ? 32 : 128;

	if (hostlist_parse_length(slash + 1, prefix) < 0) {
		snprintf(err, errlen, "invalid prefix length \"%s\"",
		    escape(slash, ESCAPE_CLIENT, esc, sizeof(esc)));
		return -1;
	}
	if (*prefix > max || (mapped && *prefix < 96)) {
		snprintf(err, errlen, "prefix length /%u out of range for %s "
		    "(%u-%u)", *prefix, mapped ? "an IPv4-mapped address" :
		    addr->family == 4 ? "IPv4" : "IPv6", mapped ? 96 : 0, max);
		return -1;
	}
	if (mapped)
		*prefix -= 96;
	return 0;
}

/* The key of the network entry names; on error, the reason in err. */
static int hostlist_parse_entry(const char *entry, struct host_key *key,
    char *err, size_t errlen)
{
	const char *slash = strchr(entry, '/');
	size_t len = slash == NULL ? strlen(entry) : (size_t)(slash - entry);
	char esc[ESCAPE_OUT_MAX], net[ADDR_TEXT_MAX];
	struct host_addr addr;
	unsigned prefix = 128;

	if (*entry == '\0') {
		snprintf(err, errlen, "empty entry");
		return -1;
	}
	if (hostlist_parse_address(entry, len, &addr, err, errlen) < 0)
		return -1;
	if (slash != NULL && hostlist_parse_prefix(slash, &addr,
	    addr.family == 4 && memchr(entry, ':', len) != NULL, &prefix,
	    err, errlen) < 0)
		return -1;
	addr_key(&addr, prefix, prefix, key);
	if (memcmp(key->bytes, addr.bytes, sizeof(key->bytes)) != 0) {
		host_key_format(key, net, sizeof(net));
		snprintf(err, errlen, "\"%s\" has host bits set past /%u; "
		    "did you mean %s?", escape(entry, ESCAPE_CLIENT, esc,
		    sizeof(esc)),
		    (unsigned)key->prefix, net);
		return -1;
	}
	return 0;
}

int hostlist_add(struct hostlist *list, const char *entry, char *err,
    size_t errlen)
{
	struct host_key key;

	if (hostlist_parse_entry(entry, &key, err, errlen) < 0)
		return -1;
	hostlist_insert(list, &key);
	return 0;
}

/* keyset_parse_fn: one entry of a file, as a key in set. */
static int hostlist_parse_line(void *arg, char *entry, struct keyset *set,
    char *reason, size_t reasonlen)
{
	struct host_key key;

	if (hostlist_parse_entry(entry, &key, reason, reasonlen) < 0)
		return -1;
	keyset_add(set, &key, sizeof(key));
	return 0;
}

int hostlist_load_file(struct hostlist *list, const char *path, char *err,
    size_t errlen)
{
	struct keyset *file;
	const void *key;
	size_t cursor = 0, len;

	/* Load aside, so a bad line leaves the list as it was. */
	file = keyset_load_file(path, HOSTLIST_LINE_MAX, hostlist_parse_line,
	    NULL, err, errlen);
	if (file == NULL)
		return -1;
	while ((key = keyset_next(file, &cursor, &len)) != NULL) {
		struct host_key k;

		memcpy(&k, key, sizeof(k));
		hostlist_insert(list, &k);
	}
	keyset_free(file);
	return 0;
}
