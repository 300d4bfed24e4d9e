/*
 * fuzz_escape.c - escape() on arbitrary bytes, into a buffer of
 * arbitrary size (exactly that size, so an overflow is caught), in every
 * mode.
 *
 * Every mode: the output is NUL-terminated inside the buffer, and holds
 * no control byte (ESCAPE_LABEL: no line feed).  ESCAPE_CLIENT: the
 * output holds only printable ASCII other than space, '"' and '='; a
 * backslash only starts \xNN.  Into ESCAPE_OUT_MAX bytes it decodes
 * back to the input's first ESCAPE_INPUT_MAX bytes, followed by "..."
 * exactly when the input was longer; into a smaller buffer it is the
 * start of that, cut between two escapes, "..." appended when there was
 * room.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Check the alphabet of out and decode it into dec; returns its length. */
static size_t decode(const char *out, char *dec)
{
	size_t n = 0;

	for (const char *p = out; *p != '\0'; p++) {
		check(*p > ' ' && *p < 0x7f && *p != '"' && *p != '=');
		if (*p != '\\') {
			dec[n++] = *p;
			continue;
		}
		check(p[1] == 'x' && hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0);
		dec[n++] = (char)(hex_value(p[2]) << 4 | hex_value(p[3]));
		p += 3;
	}
	return n;
}

static void check_whole(const char *in, const char *out)
{
	size_t len = strlen(in), keep = len < ESCAPE_INPUT_MAX ? len :
	    ESCAPE_INPUT_MAX;
	char dec[ESCAPE_OUT_MAX];
	size_t n = decode(out, dec);

	if (len > ESCAPE_INPUT_MAX) {
		check(n == keep + 3 && memcmp(dec + keep, "...", 3) == 0);
		n -= 3;
	}
	check(n == keep && memcmp(dec, in, keep) == 0);
}

static void check_cut(const char *whole, const char *out)
{
	size_t n = strlen(out);
	char dec[ESCAPE_OUT_MAX];

	decode(out, dec);
	if (strncmp(out, whole, n) == 0)
		return;
	check(n >= 3 && strcmp(out + n - 3, "...") == 0 &&
	    strncmp(out, whole, n - 3) == 0);
}

static void check_mode(const char *in, enum escape_mode mode, char *out,
    size_t outlen)
{
	check(escape(in, mode, out, outlen) == out);
	if (outlen == 0)
		return;
	check(memchr(out, '\0', outlen) != NULL);
	for (const unsigned char *p = (const unsigned char *)out; *p != '\0';
	    p++)
		check(mode == ESCAPE_LABEL ? *p != '\n' : *p >= ' ' && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t outlen, len;
	char *in, *out, whole[ESCAPE_OUT_MAX];

	if (size == 0)
		return 0;
	/* The first byte sizes the buffer, the rest is the text. */
	outlen = data[0] * 3u % (ESCAPE_OUT_MAX + 8);
	len = size - 1;
	in = malloc(len + 1);
	out = malloc(outlen);
	memcpy(in, data + 1, len);
	in[len] = '\0';
	check(escape(in, ESCAPE_CLIENT, whole, sizeof(whole)) == whole);
	check(memchr(whole, '\0', sizeof(whole)) != NULL);
	check_whole(in, whole);
	check(escape(in, ESCAPE_CLIENT, out, outlen) == out);
	if (outlen > 0) {
		check(memchr(out, '\0', outlen) != NULL);
		check_cut(whole, out);
	}
	for (int m = ESCAPE_QUOTED; m <= ESCAPE_LABEL; m++)
		check_mode(in, (enum escape_mode)m, out, outlen);
	free(out);
	free(in);
	return 0;
}
