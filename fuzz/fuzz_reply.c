/*
 * fuzz_reply.c - reply_format() with a valid template (as configuration
 * loading accepts it) and an arbitrary address, into a buffer of
 * arbitrary size (exactly that size, so an overflow is caught).
 *
 * Input: the template, a NUL, the address; the first byte sizes the
 * buffer.  The output is NUL-terminated inside the buffer, every '%' in
 * it is one of a pair ("%%", as smfi_setreply() wants), and a cut output
 * is the start of the whole one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* What config.c accepts: printable ASCII, '%' only in "%a" and "%%". */
static bool template_valid(const char *t)
{
	size_t len = strlen(t);

	if (len == 0 || len > 400)
		return false;
	for (const char *p = t; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return false;
		if (*p == '%' && p[1] != 'a' && p[1] != '%')
			return false;
		p += *p == '%';
	}
	return true;
}

/* Room for the whole text, each '%' of the address doubled. */
static size_t whole_size(const char *t, const char *addr)
{
	size_t n = strlen(t) + 1;

	for (const char *p = t; (p = strstr(p, "%a")) != NULL; p += 2)
		n += 2 * strlen(addr);
	return n;
}

static void check_percents(const char *out)
{
	for (const char *p = out; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		check(p[1] == '%');
		p++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *addr, *out, *whole;
	size_t outlen, len, wlen;

	if (size < 2)
		return 0;
	outlen = (size_t)data[0] * 3;
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	len = strlen(text);
	addr = len + 1 < size - 1 ? text + len + 1 : text + len;
	if (!template_valid(text)) {
		free(text);
		return 0;
	}
	out = malloc(outlen);
	wlen = whole_size(text, addr);
	whole = malloc(wlen);
	reply_format(text, addr, whole, wlen);
	check_percents(whole);
	reply_format(text, addr, out, outlen);
	if (outlen > 0) {
		check(memchr(out, '\0', outlen) != NULL);
		check_percents(out);
		check(strncmp(whole, out, strlen(out)) == 0);
	}
	free(whole);
	free(out);
	free(text);
	return 0;
}
