/*
 * duration.c - "90", "90s", "10m", "1h", "2d" to seconds.  See duration.h.
 *
 * Only ASCII digits and then at most one lower-case unit letter are
 * accepted: no sign, no blanks, no fractions.  The value is checked
 * against DURATION_MAX before every step, so no input can overflow.
 */
#include <stddef.h>

#include "duration.h"

static unsigned duration_unit(char unit)
{
	switch (unit) {
	case '\0':
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	}
	return 0;
}

int duration_parse(const char *text, unsigned *seconds)
{
	const char *p = text;
	unsigned value = 0, unit;

	if (text == NULL || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		value = value * 10 + (unsigned)(*p - '0');
		if (value > DURATION_MAX)
			return -1;
	}
	unit = duration_unit(*p);
	if (unit == 0 || (*p != '\0' && p[1] != '\0'))
		return -1;
	if (value > DURATION_MAX / unit)
		return -1;
	*seconds = value * unit;
	return 0;
}
