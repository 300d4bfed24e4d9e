/*
 * reply.c - see reply.h.
 */
#include <string.h>

#include "reply.h"

/* Append n bytes of s when they fit whole; return the new length. */
static size_t reply_append(char *out, size_t o, size_t outlen, const char *s,
    size_t n)
{
	if (o + n >= outlen)
		return o;
	memcpy(out + o, s, n);
	return o + n;
}

void reply_format(const char *template, const char *addr, char *out,
    size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	for (const char *p = template; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'a') {
			o = reply_append(out, o, outlen, addr, strlen(addr));
			p++;
		} else if (p[0] == '%') {
			o = reply_append(out, o, outlen, "%%", 2);
			p += p[1] == '%';
		} else {
			o = reply_append(out, o, outlen, p, 1);
		}
	}
	out[o] = '\0';
}
