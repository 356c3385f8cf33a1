// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* HTTP dates, freshness lifetime and age (RFC 9111 4.2). */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cache/cache.h"

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static int month_of(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!strncasecmp(s, months[i], 3))
			return i;
	return -1;
}

/* num() - exactly @n digits at @s, or -1. */
static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* days_from_civil() - days since 1970-01-01 of a proleptic Gregorian date (no timezone, no libc state). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int64_t mk(int y, int mon, int d, int hh, int mm, int ss)
{
	if (mon < 0 || d < 1 || d > 31 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 || y < 1970)
		return -1;
	return days_from_civil(y, mon + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

int64_t cache_http_date(const char *s, size_t len)
{
	const char *c;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	c = memchr(s, ',', len < 12 ? len : 12);
	if (c && c - s == 3 && len == 29) {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		if (memcmp(s + 25, " GMT", 4))
			return -1;
		return mk(num(s + 12, 4), month_of(s + 8), num(s + 5, 2), num(s + 17, 2), num(s + 20, 2),
			  num(s + 23, 2));
	}
	if (c) {
		/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		const char *p = c + 2;
		size_t rest = len - (size_t)(p - s);
		int y;

		if (rest != 22 || p[2] != '-' || p[6] != '-' || memcmp(p + 18, " GMT", 4))
			return -1;
		y = num(p + 7, 2);
		if (y < 0)
			return -1;
		y += y < 70 ? 2000 : 1900;   /* RFC 9110 5.6.7: 50 years rule, simplified */
		return mk(y, month_of(p + 3), num(p, 2), num(p + 10, 2), num(p + 13, 2), num(p + 16, 2));
	}
	if (len == 24) {
		/* asctime: Sun Nov  6 08:49:37 1994 */
		int d = s[8] == ' ' ? num(s + 9, 1) : num(s + 8, 2);

		return mk(num(s + 20, 4), month_of(s + 4), d, num(s + 11, 2), num(s + 14, 2), num(s + 17, 2));
	}
	return -1;
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void cache_fmt_date(int64_t t, char *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	memcpy(out, days[tm.tm_wday], 3);
	memcpy(out + 3, ", ", 2);
	put2(out + 5, tm.tm_mday);
	out[7] = ' ';
	memcpy(out + 8, months[tm.tm_mon], 3);
	out[11] = ' ';
	put2(out + 12, (tm.tm_year + 1900) / 100);
	put2(out + 14, (tm.tm_year + 1900) % 100);
	out[16] = ' ';
	put2(out + 17, tm.tm_hour);
	out[19] = ':';
	put2(out + 20, tm.tm_min);
	out[22] = ':';
	put2(out + 23, tm.tm_sec);
	memcpy(out + 25, " GMT", 5);
}

bool cache_status_heuristic(int status)
{
	switch (status) {
	case 200: case 203: case 204: case 300: case 301: case 308:
	case 404: case 405: case 410: case 414: case 501:
		return true;
	default:
		return false;   /* 206 too: ranges are not stored */
	}
}

int64_t cache_freshness_lifetime(const struct cache_cc *cc, const struct cache_times *t, int status, bool *heuristic)
{
	int64_t h;

	*heuristic = false;
	if (cc->s_maxage >= 0)
		return cc->s_maxage;
	if (cc->max_age >= 0)
		return cc->max_age;
	if (t->expires >= 0)
		return t->expires > t->date ? t->expires - t->date : 0;
	/* heuristics only for statuses cacheable by default, or any marked public (RFC 9111 4.2.2) */
	if (t->last_modified < 0 || !(cache_status_heuristic(status) || cc->flags & CC_PUBLIC) ||
	    t->last_modified > t->date)
		return 0;
	h = (t->date - t->last_modified) / 10;
	*heuristic = true;
	return h > CACHE_HEURISTIC_MAX ? CACHE_HEURISTIC_MAX : h;
}

int64_t cache_initial_age(const struct cache_times *t)
{
	int64_t apparent = t->response_time - t->date;
	int64_t delay = t->response_time - t->request_time;
	int64_t corrected = t->age_value + (delay > 0 ? delay : 0);

	if (apparent < 0)
		apparent = 0;
	return apparent > corrected ? apparent : corrected;
}
