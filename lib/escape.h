/*
 * escape.h - text of any bytes made safe for the place it is shown in:
 * the one escaper of bulwark.
 *
 * escape() copies in (up to its NUL) to out, escaped for mode:
 *   ESCAPE_CLIENT    client text in a log field: at most ESCAPE_INPUT_MAX
 *                    bytes of it; printable ASCII other than space, '"',
 *                    '\\' and '=' is kept, every other byte is \xNN;
 *   ESCAPE_QUOTED    text inside a quoted log field ("..."): printable
 *                    ASCII and space other than '"' and '\\' are kept,
 *                    every other byte is \xNN;
 *   ESCAPE_TERMINAL  text for a terminal: control bytes (below 0x20, and
 *                    0x7f) are \xNN, every other byte (UTF-8) is kept;
 *   ESCAPE_LABEL     a Prometheus label value: '\\', '"' and line feed
 *                    are written \\, \" and \n, every other byte is kept.
 * out is always NUL-terminated and never overflows: the text is cut
 * between two escapes to fit, and when in was cut (for room, or past
 * ESCAPE_INPUT_MAX) out ends with "..." if room is left for it.  ESCAPE_SIZE(n)
 * bytes hold n bytes of input escaped whole in any mode; ESCAPE_OUT_MAX
 * bytes always hold a whole ESCAPE_CLIENT text.
 * Returns out, so the call can be an argument of a log call.
 */
#ifndef BULWARK_ESCAPE_H
#define BULWARK_ESCAPE_H

#include <stddef.h>

#define ESCAPE_INPUT_MAX 128
#define ESCAPE_SIZE(n) ((n) * 4 + 4)
#define ESCAPE_OUT_MAX ESCAPE_SIZE(ESCAPE_INPUT_MAX)

enum escape_mode {
	ESCAPE_CLIENT,
	ESCAPE_QUOTED,
	ESCAPE_TERMINAL,
	ESCAPE_LABEL
};

char *escape(const char *in, enum escape_mode mode, char *out,
    size_t outlen);

#endif
