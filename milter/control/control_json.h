/*
 * control_json.h - what the control answers need beyond jansson.
 *
 * jansson refuses a string that is not valid UTF-8, but the text an
 * answer carries may hold any bytes (a reason given by hand, a store's
 * error, a path).  control_json_text() returns a new JSON string of s
 * made valid UTF-8: every valid sequence (RFC 3629: no overlong form, no
 * surrogate, at most U+10FFFF) is kept and every other byte becomes
 * U+FFFD; s NULL gives JSON null.  control_json_time() returns when
 * (Unix seconds) as a JSON integer, or null when it is 0 (unknown or
 * none).  The caller owns the reference either returns.
 *
 * control_json_utf8() writes the same text as control_json_text() into
 * out, which must hold 3 * strlen(s) + 1 bytes, and returns its length.
 */
#ifndef BULWARK_CONTROL_JSON_H
#define BULWARK_CONTROL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

json_t *control_json_text(const char *s);
json_t *control_json_time(int64_t when);
size_t control_json_utf8(const char *s, char *out);

#endif
