/*
 * isotime.c - see isotime.h.
 */
#include <stdio.h>
#include <time.h>

#include "isotime.h"

char *isotime_format(int64_t when, char *buf, size_t len)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (len == 0)
		return buf;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)when);
	return buf;
}
