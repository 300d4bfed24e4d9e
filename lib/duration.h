/*
 * duration.h - durations in configuration: "90", "90s", "10m", "1h", "2d".
 *
 * duration_parse() returns 0 and the number of seconds, or -1 for an
 * empty string, a negative or non-numeric value, an unknown unit, trailing
 * text or a result above DURATION_MAX.
 */
#ifndef BULWARK_DURATION_H
#define BULWARK_DURATION_H

#define DURATION_MAX (366u * 24 * 3600)	/* one year */

int duration_parse(const char *text, unsigned *seconds);

#endif
