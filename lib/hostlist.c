/*
 * hostlist.c - sets of addresses and CIDR prefixes.  See hostlist.h.
 *
 * Every entry is stored as the host_key of its network in one open
 * addressing hash table; each family also keeps the distinct prefix
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
 * hostlist_load_file() reads the file with linefile.h, which refuses a line
 * longer than HOSTLIST_LINE_MAX or one holding a control character (a
 * binary file, most likely), naming the offending byte in hex.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "hostlist.h"
#include "linefile.h"
#include "xalloc.h"

#define HOSTLIST_LINE_MAX 1024
#define HOSTLIST_REASON_MAX 256
/* Entries come from the administrator, not from clients: no secret needed. */
#define HOSTLIST_SEED 0x62756c7761726bu

struct hostlist_lengths {
	uint8_t len[129];	/* distinct prefix lengths in use */
	unsigned count;
};

struct hostlist {
	struct host_key *slots;	/* family 0 marks a free slot */
	size_t size;		/* a power of two, or 0 */
	size_t count;
	struct hostlist_lengths v4, v6;
};

struct hostlist *hostlist_new(void)
{
	return xcalloc(1, sizeof(struct hostlist));
}

void hostlist_free(struct hostlist *list)
{
	if (list == NULL)
		return;
	free(list->slots);
	free(list);
}

size_t hostlist_count(const struct hostlist *list)
{
	return list->count;
}

int hostlist_walk(const struct hostlist *list,
    int (*fn)(const struct host_key *entry, void *arg), void *arg)
{
	int rc;

	for (size_t i = 0; i < list->size; i++) {
		if (list->slots[i].family != 0 &&
		    (rc = fn(&list->slots[i], arg)) != 0)
			return rc;
	}
	return 0;
}

/* The slot holding key, or the free slot where it belongs. */
static struct host_key *hostlist_slot(const struct hostlist *list,
    const struct host_key *key)
{
	size_t mask = list->size - 1;
	size_t i = (size_t)host_key_hash(key, HOSTLIST_SEED) & mask;

	while (list->slots[i].family != 0 &&
	    !host_key_equal(&list->slots[i], key))
		i = (i + 1) & mask;
	return &list->slots[i];
}

static void hostlist_grow(struct hostlist *list)
{
	struct host_key *old = list->slots;
	size_t old_size = list->size;

	list->size = old_size == 0 ? 16 : old_size * 2;
	list->slots = xcalloc(list->size, sizeof(*list->slots));
	for (size_t i = 0; i < old_size; i++) {
		if (old[i].family != 0)
			*hostlist_slot(list, &old[i]) = old[i];
	}
	free(old);
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
	struct host_key *slot;

	/* Keep the table at most half full so probe runs stay short. */
	if ((list->count + 1) * 2 > list->size)
		hostlist_grow(list);
	slot = hostlist_slot(list, key);
	if (slot->family != 0)
		return;
	*slot = *key;
	list->count++;
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
		if (hostlist_slot(list, &key)->family != 0)
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

int hostlist_add(struct hostlist *list, const char *entry, char *err,
    size_t errlen)
{
	const char *slash = strchr(entry, '/');
	size_t len = slash == NULL ? strlen(entry) : (size_t)(slash - entry);
	char esc[ESCAPE_OUT_MAX], net[ADDR_TEXT_MAX];
	struct host_addr addr;
	struct host_key key;
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
	addr_key(&addr, prefix, prefix, &key);
	if (memcmp(key.bytes, addr.bytes, sizeof(key.bytes)) != 0) {
		host_key_format(&key, net, sizeof(net));
		snprintf(err, errlen, "\"%s\" has host bits set past /%u; "
		    "did you mean %s?", escape(entry, ESCAPE_CLIENT, esc,
		    sizeof(esc)), (unsigned)key.prefix, net);
		return -1;
	}
	hostlist_insert(list, &key);
	return 0;
}

/* Load every entry of the file into list; on error, the reason in err. */
static int hostlist_load_lines(struct hostlist *list, struct linefile *lf,
    char *err, size_t errlen)
{
	char reason[HOSTLIST_REASON_MAX];
	char *entry;
	int r;

	while ((r = linefile_next(lf, &entry, err, errlen)) == 1) {
		if (hostlist_add(list, entry, reason, sizeof(reason)) < 0)
			return linefile_error(lf, reason, err, errlen);
	}
	return r;
}

int hostlist_load_file(struct hostlist *list, const char *path, char *err,
    size_t errlen)
{
	struct linefile *lf;
	struct hostlist *tmp;
	int rc;

	if ((lf = linefile_open(path, HOSTLIST_LINE_MAX, err, errlen)) == NULL)
		return -1;
	/* Load aside, so a bad line leaves the list as it was. */
	tmp = hostlist_new();
	rc = hostlist_load_lines(tmp, lf, err, errlen);
	linefile_close(lf);
	for (size_t i = 0; rc == 0 && i < tmp->size; i++) {
		if (tmp->slots[i].family != 0)
			hostlist_insert(list, &tmp->slots[i]);
	}
	hostlist_free(tmp);
	return rc;
}
