/*
 * recipients.c - the valid recipients of dha.recipients_file.  See
 * recipients.h for the contract.
 *
 * Entries are stored lower-cased (ASCII only: bytes above 0x7f are kept
 * as they are) in an open addressing hash table of strings that grows to
 * stay at most half full.  recipients_valid() looks up the address and
 * then "@domain": two lookups at most.
 *
 * Well-formed means: exactly one '@', a non-empty domain, a non-empty
 * local part (a file entry may leave it empty to list a whole domain), no
 * space, control character or angle bracket, at most RECIPIENT_MAX bytes.
 * A quoted local part holding '@' or a space is therefore refused.  The
 * one address without a domain that recipients_valid() accepts is the
 * bare "postmaster" of RFC 5321 (section 4.5.1), listed or not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "linefile.h"
#include "recipients.h"
#include "xalloc.h"

struct recipients {
	char **slots;		/* NULL marks a free slot */
	size_t size;		/* a power of two */
	size_t count;
};

/* FNV-1a with a final avalanche, so the low bits used as index mix well. */
static uint64_t recipients_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3u;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	return h;
}

/* The slot holding key, or the free slot where it belongs. */
static char **recipients_slot(const struct recipients *set, const char *key)
{
	size_t mask = set->size - 1;
	size_t i = (size_t)recipients_hash(key) & mask;

	while (set->slots[i] != NULL && strcmp(set->slots[i], key) != 0)
		i = (i + 1) & mask;
	return &set->slots[i];
}

static void recipients_grow(struct recipients *set)
{
	char **old = set->slots;
	size_t old_size = set->size;

	set->size = old_size * 2;
	set->slots = xcalloc(set->size, sizeof(*set->slots));
	for (size_t i = 0; i < old_size; i++) {
		if (old[i] != NULL)
			*recipients_slot(set, old[i]) = old[i];
	}
	free(old);
}

static void recipients_insert(struct recipients *set, const char *key)
{
	char **slot;

	if ((set->count + 1) * 2 > set->size)
		recipients_grow(set);
	slot = recipients_slot(set, key);
	if (*slot != NULL)
		return;
	*slot = xstrdup(key);
	set->count++;
}

size_t recipients_count(const struct recipients *set)
{
	return set->count;
}

void recipients_free(struct recipients *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->size; i++)
		free(set->slots[i]);
	free(set->slots);
	free(set);
}

static inline char recipients_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * Why the len bytes of text are not a well-formed address, or NULL when
 * they are.  domain_entry allows the empty local part of "@domain".
 */
static const char *recipients_syntax(const char *text, size_t len,
    bool domain_entry)
{
	const char *at = NULL;

	if (len > RECIPIENT_MAX)
		return "address too long";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c <= ' ' || c == 0x7f)
			return "space or control character in the address";
		if (c == '<' || c == '>')
			return "angle bracket in the address";
		if (c != '@')
			continue;
		if (at != NULL)
			return "more than one '@'";
		at = text + i;
	}
	if (at == NULL)
		return "no '@'";
	if (at == text && !domain_entry)
		return "empty local part";
	if (at == text + len - 1)
		return "empty domain";
	return NULL;
}

/* RFC 5321 requires every server to accept "Postmaster" with no domain. */
static inline bool recipients_postmaster(const char *text, size_t len)
{
	return len == 10 && strncasecmp(text, "postmaster", 10) == 0;
}

bool recipients_valid(const struct recipients *set, const char *address)
{
	char key[RECIPIENT_MAX + 1];
	size_t len;

	if (set == NULL || address == NULL)
		return false;
	/* Bounded: anything longer is refused as too long below. */
	len = strnlen(address, RECIPIENT_MAX + 3);
	if (len >= 2 && address[0] == '<' && address[len - 1] == '>') {
		address++;
		len -= 2;
	}
	if (recipients_postmaster(address, len))
		return true;
	if (recipients_syntax(address, len, false) != NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		key[i] = recipients_lower(address[i]);
	key[len] = '\0';
	if (*recipients_slot(set, key) != NULL)
		return true;
	return *recipients_slot(set, strchr(key, '@')) != NULL;
}

/* Check one entry and add it to set; on error, the reason in err. */
static int recipients_add_entry(struct recipients *set, char *entry,
    char *err, size_t errlen)
{
	char esc[ESCAPE_OUT_MAX];
	const char *why;

	if ((why = recipients_syntax(entry, strlen(entry), true)) != NULL) {
		snprintf(err, errlen, "\"%s\": %s",
		    escape(entry, ESCAPE_CLIENT, esc, sizeof(esc)), why);
		return -1;
	}
	for (char *p = entry; *p != '\0'; p++)
		*p = recipients_lower(*p);
	recipients_insert(set, entry);
	return 0;
}

static int recipients_load_lines(struct recipients *set, struct linefile *lf,
    char *err, size_t errlen)
{
	char reason[ESCAPE_OUT_MAX + 64];
	char *entry;
	int r;

	while ((r = linefile_next(lf, &entry, err, errlen)) == 1) {
		if (recipients_add_entry(set, entry, reason, sizeof(reason)) < 0)
			return linefile_error(lf, reason, err, errlen);
	}
	return r;
}

struct recipients *recipients_load(const char *path, char *err, size_t errlen)
{
	struct recipients *set;
	struct linefile *lf;
	int rc;

	if ((lf = linefile_open(path, RECIPIENT_MAX, err, errlen)) == NULL)
		return NULL;
	set = xcalloc(1, sizeof(*set));
	set->size = 16;
	set->slots = xcalloc(set->size, sizeof(*set->slots));
	rc = recipients_load_lines(set, lf, err, errlen);
	linefile_close(lf);
	if (rc == 0)
		return set;
	recipients_free(set);
	return NULL;
}
