/*
 * escape.c - see escape.h.
 */
#include <stdio.h>
#include <string.h>

#include "escape.h"

static int escape_plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

char *escape_text(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (outlen == 0)
		return out;
	for (i = 0; in[i] != '\0' && i < ESCAPE_INPUT_MAX; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t need = escape_plain(c) ? 1 : 4;

		if (o + need >= outlen)
			break;
		if (need == 1) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 0xf];
	}
	if (in[i] != '\0' && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}
