/*
 * escape.h - client text made safe for one key=value log field.
 *
 * escape_text() copies at most ESCAPE_INPUT_MAX bytes of in (stopping at a
 * NUL) to out.  Printable ASCII other than space, '"', '\\' and '=' is
 * copied; every other byte is written as \xNN.  Longer input ends with
 * "...".  out is always NUL-terminated and never overflows; an out of
 * ESCAPE_OUT_MAX bytes always holds the whole escaped text.
 * Returns out, so the call can be an argument of a log call.
 */
#ifndef BULWARK_ESCAPE_H
#define BULWARK_ESCAPE_H

#include <stddef.h>

#define ESCAPE_INPUT_MAX 128
#define ESCAPE_OUT_MAX (ESCAPE_INPUT_MAX * 4 + 4)

char *escape_text(const char *in, char *out, size_t outlen);

#endif
