/*
 * control_json.c - see control_json.h.
 */
#include <stdlib.h>
#include <string.h>

#include "control_json.h"
#include "xalloc.h"

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0. */
static size_t control_json_sequence(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;	/* no overlong form */
		hi = s[0] == 0xed ? 0x9f : 0xbf;	/* no surrogate */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;	/* at most U+10FFFF */
	} else {
		return 0;
	}
	if (n <= need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return need + 1;
}

size_t control_json_utf8(const char *s, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), used = 0, n;

	while (left > 0) {
		if ((n = control_json_sequence(p, left)) > 0) {
			memcpy(out + used, p, n);
			used += n;
		} else {
			memcpy(out + used, "\xef\xbf\xbd", 3);
			used += 3;
			n = 1;
		}
		p += n;
		left -= n;
	}
	out[used] = '\0';
	return used;
}

json_t *control_json_text(const char *s)
{
	json_t *text;
	char *valid;
	size_t len;

	if (s == NULL)
		return json_null();
	valid = xmalloc(strlen(s) * 3 + 1);
	len = control_json_utf8(s, valid);
	text = json_stringn_nocheck(valid, len);
	free(valid);
	return text;
}

json_t *control_json_time(int64_t when)
{
	return when > 0 ? json_integer((json_int_t)when) : json_null();
}
