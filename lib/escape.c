/*
 * escape.c - see escape.h.
 *
 * Each byte is either kept or replaced by its escape: \xNN, or for a
 * Prometheus label the backslash sequence the text format defines.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

static bool escape_kept(unsigned char c, enum escape_mode mode)
{
	switch (mode) {
	case ESCAPE_CLIENT:
		return c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=';
	case ESCAPE_QUOTED:
		return c >= ' ' && c < 0x7f && c != '"' && c != '\\';
	case ESCAPE_TERMINAL:
		return c >= ' ' && c != 0x7f;
	case ESCAPE_LABEL:
		return c != '"' && c != '\\' && c != '\n';
	}
	return false;
}

/* The escape of c, a byte escape_kept() refuses, into esc[5]. */
static size_t escape_byte(unsigned char c, enum escape_mode mode, char *esc)
{
	static const char hex[] = "0123456789abcdef";

	esc[0] = '\\';
	if (mode == ESCAPE_LABEL) {
		esc[1] = c == '\n' ? 'n' : (char)c;
		return 2;
	}
	esc[1] = 'x';
	esc[2] = hex[c >> 4];
	esc[3] = hex[c & 0xf];
	return 4;
}

char *escape(const char *in, enum escape_mode mode, char *out, size_t outlen)
{
	size_t limit = mode == ESCAPE_CLIENT ? ESCAPE_INPUT_MAX : (size_t)-1;
	size_t o = 0, i;
	char esc[5];

	if (outlen == 0)
		return out;
	for (i = 0; in[i] != '\0' && i < limit; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t n = 1;

		if (escape_kept(c, mode))
			esc[0] = (char)c;
		else
			n = escape_byte(c, mode, esc);
		if (o + n >= outlen)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	if (in[i] != '\0' && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
