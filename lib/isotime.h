/*
 * isotime.h - how bulwark writes a point in time: the one formatter, for
 * log lines, control answers and bulwarkctl alike.
 *
 * isotime_format() writes when (Unix seconds) in UTC as ISO 8601,
 * "2025-11-22T10:00:00Z", into buf; a time the calendar functions cannot
 * represent is written as its number of seconds.  buf is always
 * NUL-terminated; ISOTIME_MAX bytes always hold the whole text.
 * Returns buf, so the call can be an argument of a log call.
 */
#ifndef BULWARK_ISOTIME_H
#define BULWARK_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#define ISOTIME_MAX 32

char *isotime_format(int64_t when, char *buf, size_t len);

#endif
