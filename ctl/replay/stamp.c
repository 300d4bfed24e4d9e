/*
 * stamp.c - syslog timestamps to Unix seconds.  See replay.h.
 *
 * Classic stamps ("Dec  1 15:33:11", "Dec 01 15:33:11.123456") carry no
 * year and are local time.  The year starts as the reference time's
 * (the file's modification time: its last line is not later), one less
 * when the first month is after the reference month.  Then a month more
 * than six before the last one is the next year (December, then
 * January), and a month more than six after it is a late line of the
 * year before, which does not change the running year.
 *
 * mktime() is slow and every line has a stamp: the Unix time of each
 * (year, month, day, hour) is computed once and cached.
 *
 * RFC 3339 stamps ("2024-12-31T23:59:59.5+01:00", 'Z' or an offset)
 * carry everything; a fraction of a second is dropped.
 */
#include <string.h>

#include "replay.h"

static const char stamp_months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

void stamp_init(struct stamp_state *st, time_t reference)
{
	struct tm tm;

	memset(st, 0, sizeof(*st));
	localtime_r(&reference, &tm);
	st->ref_year = tm.tm_year + 1900;
	st->ref_month = tm.tm_mon;
	st->month = -1;
	st->cache_hour = -1;
}

static bool stamp_digits(const char *p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* Days from 1970-01-01 to the given date (proleptic Gregorian). */
static int64_t stamp_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool stamp_valid(int mon, int day, int hour, int min, int sec)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour <= 23 &&
	    min <= 59 && sec <= 60;
}

/* Skip ".123456" after the seconds. */
static size_t stamp_fraction(const char *p)
{
	size_t n = 0;

	if (p[0] != '.')
		return 0;
	while (p[n + 1] >= '0' && p[n + 1] <= '9')
		n++;
	return n > 0 ? n + 1 : 0;
}

/* The year of a classic stamp of month mon (0..11). */
static int stamp_year(struct stamp_state *st, int mon)
{
	if (st->month < 0) {
		st->year = mon > st->ref_month ? st->ref_year - 1 : st->ref_year;
	} else if (mon < st->month - 6) {
		st->year++;
	} else if (mon > st->month + 6) {
		return st->year - 1;
	}
	st->month = mon;
	return st->year;
}

static int64_t stamp_local_hour(struct stamp_state *st, int year, int mon,
    int day, int hour)
{
	int64_t key = (((int64_t)year * 12 + mon) * 32 + day) * 24 + hour;
	struct tm tm = { 0 };

	if (key == st->cache_hour)
		return st->cache_base;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_isdst = -1;
	st->cache_base = (int64_t)mktime(&tm);
	st->cache_hour = key;
	return st->cache_base;
}

static size_t stamp_classic(struct stamp_state *st, const char *p,
    int64_t *out)
{
	const char *m;
	int mon, day, hour, min, sec, year;
	size_t n;

	if (strnlen(p, 16) < 15 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' ||
	    p[12] != ':')
		return 0;
	m = strstr(stamp_months, (char[4]){ p[0], p[1], p[2], '\0' });
	if (m == NULL || (m - stamp_months) % 3 != 0)
		return 0;
	mon = (int)(m - stamp_months) / 3;
	if (!(p[4] == ' ' ? stamp_digits(p + 5, 1, &day) :
	    stamp_digits(p + 4, 2, &day)) || !stamp_digits(p + 7, 2, &hour) ||
	    !stamp_digits(p + 10, 2, &min) || !stamp_digits(p + 13, 2, &sec) ||
	    !stamp_valid(mon + 1, day, hour, min, sec))
		return 0;
	n = 15 + stamp_fraction(p + 15);
	year = stamp_year(st, mon);
	*out = stamp_local_hour(st, year, mon, day, hour) + min * 60 + sec;
	return n;
}

static size_t stamp_rfc3339(const char *p, int64_t *out)
{
	int year, mon, day, hour, min, sec, oh = 0, om = 0, sign = 0;
	size_t n;

	if (strnlen(p, 24) < 20 || p[4] != '-' || p[7] != '-' ||
	    (p[10] != 'T' && p[10] != 't') || p[13] != ':' || p[16] != ':' ||
	    !stamp_digits(p, 4, &year) || !stamp_digits(p + 5, 2, &mon) ||
	    !stamp_digits(p + 8, 2, &day) || !stamp_digits(p + 11, 2, &hour) ||
	    !stamp_digits(p + 14, 2, &min) || !stamp_digits(p + 17, 2, &sec) ||
	    !stamp_valid(mon, day, hour, min, sec))
		return 0;
	n = 19 + stamp_fraction(p + 19);
	if (p[n] == 'Z' || p[n] == 'z') {
		n++;
	} else if ((p[n] == '+' || p[n] == '-') &&
	    stamp_digits(p + n + 1, 2, &oh) && p[n + 3] == ':' &&
	    stamp_digits(p + n + 4, 2, &om) &&
	    oh <= 23 && om <= 59) {
		sign = p[n] == '+' ? 1 : -1;
		n += 6;
	} else {
		return 0;
	}
	*out = stamp_days(year, mon, day) * 86400 + hour * 3600 + min * 60 +
	    sec - sign * (oh * 3600 + om * 60);
	return n;
}

size_t stamp_parse(struct stamp_state *st, const char *text, int64_t *out)
{
	if (text[0] >= '0' && text[0] <= '9')
		return stamp_rfc3339(text, out);
	return stamp_classic(st, text, out);
}
