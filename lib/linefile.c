/*
 * linefile.c - the entries of a one-entry-per-line text file.  See
 * linefile.h for the contract.
 *
 * Lines are read a byte at a time into a buffer of max + 1 bytes, so a
 * line is refused as soon as it outgrows the limit, however long it is.
 * Control characters are checked over the whole line, comment included:
 * a file holding them is most likely not a text file at all.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linefile.h"
#include "xalloc.h"

struct linefile {
	FILE *fp;
	const char *path;
	char *buf;		/* max + 1 bytes */
	size_t max;
	unsigned long lineno;	/* of the line in buf */
};

struct linefile *linefile_open(const char *path, size_t max, char *err,
    size_t errlen)
{
	struct linefile *lf;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	lf = xcalloc(1, sizeof(*lf));
	lf->fp = fp;
	lf->path = path;
	lf->max = max;
	lf->buf = xmalloc(max + 1);
	return lf;
}

void linefile_close(struct linefile *lf)
{
	fclose(lf->fp);
	free(lf->buf);
	free(lf);
}

int linefile_error(const struct linefile *lf, const char *reason, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "%s:%lu: %s", lf->path, lf->lineno, reason);
	return -1;
}

/*
 * Read the next line, without its newline, into buf and its length into
 * *len.  Returns 1, 0 at the end of the file, or -1 with err set.
 */
static int linefile_read(struct linefile *lf, size_t *len, char *err,
    size_t errlen)
{
	char reason[64];
	size_t n = 0;
	int c;

	while ((c = getc(lf->fp)) != EOF && c != '\n') {
		if (n == lf->max) {
			lf->lineno++;
			snprintf(reason, sizeof(reason), "line longer than %zu "
			    "bytes", lf->max);
			return linefile_error(lf, reason, err, errlen);
		}
		lf->buf[n++] = (char)c;
	}
	if (ferror(lf->fp)) {
		snprintf(err, errlen, "%s: %s", lf->path, strerror(errno));
		return -1;
	}
	if (c == EOF && n == 0)
		return 0;
	lf->buf[n] = '\0';
	lf->lineno++;
	*len = n;
	return 1;
}

/* Refuse a line holding a control character other than tab. */
static int linefile_check(const struct linefile *lf, size_t len, char *err,
    size_t errlen)
{
	char reason[96];

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)lf->buf[i];

		if ((c < ' ' && c != '\t') || c == 0x7f) {
			snprintf(reason, sizeof(reason), "control character "
			    "0x%02x at column %zu (not a text file?)", c, i + 1);
			return linefile_error(lf, reason, err, errlen);
		}
	}
	return 0;
}

static inline bool linefile_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cut the comment of line and trim it; returns the entry, maybe empty. */
static char *linefile_trim(char *line, size_t len)
{
	char *end;

	if ((end = strchr(line, '#')) == NULL)
		end = line + len;
	while (end > line && linefile_blank(end[-1]))
		end--;
	*end = '\0';
	while (linefile_blank(*line))
		line++;
	return line;
}

int linefile_next(struct linefile *lf, char **entry, char *err,
    size_t errlen)
{
	size_t len = 0;
	int r;

	while ((r = linefile_read(lf, &len, err, errlen)) == 1) {
		/* A CR before the newline is a CRLF file, not a control byte. */
		if (len > 0 && lf->buf[len - 1] == '\r')
			lf->buf[--len] = '\0';
		if (linefile_check(lf, len, err, errlen) < 0)
			return -1;
		*entry = linefile_trim(lf->buf, len);
		if (**entry != '\0')
			return 1;
	}
	return r;
}
