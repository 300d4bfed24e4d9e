/*
 * reply.c - see reply.h.
 *
 * The address is written like the rest of the text, its '%' doubled too,
 * so the result is safe for smfi_setreply() whatever the caller passes.
 * Writing stops at the first piece that does not fit, so a cut text is
 * always the start of the whole one.
 */
#include <string.h>

#include "isotime.h"
#include "reply.h"

/* Append n bytes of s when they fit whole; -1 when they do not. */
static int reply_append(char *out, size_t *o, size_t outlen, const char *s,
    size_t n)
{
	if (*o + n >= outlen)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

/* Append one character of text, a '%' doubled. */
static int reply_append_char(char *out, size_t *o, size_t outlen,
    const char *c)
{
	return *c == '%' ? reply_append(out, o, outlen, "%%", 2) :
	    reply_append(out, o, outlen, c, 1);
}

static int reply_append_text(char *out, size_t *o, size_t outlen,
    const char *text)
{
	for (; *text != '\0'; text++) {
		if (reply_append_char(out, o, outlen, text) < 0)
			return -1;
	}
	return 0;
}

/* The value of %c, or NULL when c names none. */
static const char *reply_value(char c, const struct reply_vars *vars,
    char *until, size_t len)
{
	switch (c) {
	case 'a':
		return vars->addr;
	case 'd':
		return vars->detector != NULL ? vars->detector : "-";
	case 'u':
		return vars->until > 0 ? isotime_format(vars->until, until, len) :
		    "-";
	}
	return NULL;
}

void reply_format(const char *template, const char *addr, char *out,
    size_t outlen)
{
	struct reply_vars vars = { addr, NULL, 0 };

	reply_format_vars(template, &vars, out, outlen);
}

void reply_format_vars(const char *template, const struct reply_vars *vars,
    char *out, size_t outlen)
{
	char until[ISOTIME_MAX];
	const char *value;
	size_t o = 0;
	int rc = 0;

	if (outlen == 0)
		return;
	for (const char *p = template; *p != '\0' && rc == 0; p++) {
		if (p[0] == '%' && (value = reply_value(p[1], vars, until,
		    sizeof(until))) != NULL) {
			rc = reply_append_text(out, &o, outlen, value);
			p++;
		} else {
			rc = reply_append_char(out, &o, outlen, p);
			p += p[0] == '%' && p[1] == '%';
		}
	}
	out[o] = '\0';
}
