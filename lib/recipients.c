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
 * A quoted local part holding '@' or a space is therefore refused, and so
 * is a bare "postmaster" without a domain.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
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
	if (recipients_syntax(address, len, false) != NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		key[i] = recipients_lower(address[i]);
	key[len] = '\0';
	if (*recipients_slot(set, key) != NULL)
		return true;
	return *recipients_slot(set, strchr(key, '@')) != NULL;
}

enum recipients_read {
	RECIPIENTS_READ_LINE,
	RECIPIENTS_READ_EOF,
	RECIPIENTS_READ_LONG,
	RECIPIENTS_READ_ERROR
};

/* One line without its newline, NUL-terminated, its length in *len. */
static enum recipients_read recipients_read_line(FILE *fp, char *buf,
    size_t *len)
{
	size_t n = 0;
	int c;

	while ((c = getc(fp)) != EOF && c != '\n') {
		if (n == RECIPIENT_MAX)
			return RECIPIENTS_READ_LONG;
		buf[n++] = (char)c;
	}
	if (ferror(fp))
		return RECIPIENTS_READ_ERROR;
	if (c == EOF && n == 0)
		return RECIPIENTS_READ_EOF;
	buf[n] = '\0';
	*len = n;
	return RECIPIENTS_READ_LINE;
}

static inline bool recipients_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Check one line and add its entry, if any, to set.  Returns 0, or -1
 * with the reason in err.
 */
static int recipients_add_line(struct recipients *set, char *line, size_t len,
    char *err, size_t errlen)
{
	char esc[ESCAPE_OUT_MAX], *end;
	const char *why;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < ' ' && c != '\t') || c == 0x7f) {
			snprintf(err, errlen, "control character 0x%02x at "
			    "column %zu (not a text file?)", c, i + 1);
			return -1;
		}
	}
	if ((end = strchr(line, '#')) == NULL)
		end = line + len;
	while (end > line && recipients_blank(end[-1]))
		end--;
	*end = '\0';
	while (recipients_blank(*line))
		line++;
	if (*line == '\0')
		return 0;
	if ((why = recipients_syntax(line, (size_t)(end - line), true)) != NULL) {
		snprintf(err, errlen, "\"%s\": %s",
		    escape_text(line, esc, sizeof(esc)), why);
		return -1;
	}
	for (char *p = line; *p != '\0'; p++)
		*p = recipients_lower(*p);
	recipients_insert(set, line);
	return 0;
}

static int recipients_load_stream(struct recipients *set, FILE *fp,
    const char *path, char *err, size_t errlen)
{
	char line[RECIPIENT_MAX + 1], reason[ESCAPE_OUT_MAX + 64];
	unsigned long lineno = 0;
	enum recipients_read r;
	size_t len;

	while ((r = recipients_read_line(fp, line, &len)) ==
	    RECIPIENTS_READ_LINE) {
		lineno++;
		if (recipients_add_line(set, line, len, reason,
		    sizeof(reason)) < 0) {
			snprintf(err, errlen, "%s:%lu: %s", path, lineno, reason);
			return -1;
		}
	}
	if (r == RECIPIENTS_READ_LONG) {
		snprintf(err, errlen, "%s:%lu: line longer than %d bytes", path,
		    lineno + 1, RECIPIENT_MAX);
		return -1;
	}
	if (r == RECIPIENTS_READ_ERROR) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct recipients *recipients_load(const char *path, char *err, size_t errlen)
{
	struct recipients *set;
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	set = xcalloc(1, sizeof(*set));
	set->size = 16;
	set->slots = xcalloc(set->size, sizeof(*set->slots));
	rc = recipients_load_stream(set, fp, path, err, errlen);
	fclose(fp);
	if (rc == 0)
		return set;
	recipients_free(set);
	return NULL;
}
