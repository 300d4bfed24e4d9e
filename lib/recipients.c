/*
 * recipients.c - the valid recipients of dha.recipients_file.  See
 * recipients.h for the contract.
 *
 * Entries are stored lower-cased (ASCII only: bytes above 0x7f are kept
 * as they are) in a keyset.h set, read with keyset_load_file().
 * recipients_valid() looks up the address and then "@domain": two lookups
 * at most.
 *
 * Well-formed means: exactly one '@', a non-empty domain, a non-empty
 * local part (a file entry may leave it empty to list a whole domain), no
 * space, control character or angle bracket, at most RECIPIENT_MAX bytes.
 * A quoted local part holding '@' or a space is therefore refused.  The
 * one address without a domain that recipients_valid() accepts is the
 * bare "postmaster" of RFC 5321 (section 4.5.1), listed or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "keyset.h"
#include "recipients.h"
#include "xalloc.h"

struct recipients {
	struct keyset *keys;
};

size_t recipients_count(const struct recipients *set)
{
	return keyset_count(set->keys);
}

void recipients_free(struct recipients *set)
{
	if (set == NULL)
		return;
	keyset_free(set->keys);
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
	char key[RECIPIENT_MAX];
	const char *at;
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
	if (keyset_contains(set->keys, key, len))
		return true;
	at = memchr(key, '@', len);
	return keyset_contains(set->keys, at, len - (size_t)(at - key));
}

/* keyset_parse_fn: check one entry and add it to set. */
static int recipients_parse_line(void *arg, char *entry, struct keyset *set,
    char *reason, size_t reasonlen)
{
	char esc[ESCAPE_OUT_MAX];
	size_t len = strlen(entry);
	const char *why;

	if ((why = recipients_syntax(entry, len, true)) != NULL) {
		snprintf(reason, reasonlen, "\"%s\": %s",
		    escape(entry, ESCAPE_CLIENT, esc, sizeof(esc)), why);
		return -1;
	}
	for (char *p = entry; *p != '\0'; p++)
		*p = recipients_lower(*p);
	keyset_add(set, entry, len);
	return 0;
}

struct recipients *recipients_load(const char *path, char *err, size_t errlen)
{
	struct keyset *keys;
	struct recipients *set;

	keys = keyset_load_file(path, RECIPIENT_MAX, recipients_parse_line,
	    NULL, err, errlen);
	if (keys == NULL)
		return NULL;
	set = xcalloc(1, sizeof(*set));
	set->keys = keys;
	return set;
}
