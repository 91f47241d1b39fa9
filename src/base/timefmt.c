#include "base/timefmt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): exact for every year, no libc time zone involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*ret_d = doy - (153 * mp + 2) / 5 + 1;
	*ret_m = mp < 10 ? mp + 3 : mp - 9;
	*ret_y = (int64_t)yoe + era * 400 + (*ret_m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Exactly n decimal digits at *p; advances *p. */
static bool take_digits(const char **p, unsigned n, unsigned *ret)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*ret = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* ".123456789" (1..9 digits) or nothing. */
static int take_fraction(const char **p, long *ret_nsec)
{
	long ns = 0;
	unsigned n = 0;

	*ret_nsec = 0;
	if (!take_char(p, '.'))
		return 0;
	while (**p >= '0' && **p <= '9') {
		if (++n > 9)
			return -EINVAL;
		ns = ns * 10 + (**p - '0');
		(*p)++;
	}
	if (n == 0)
		return -EINVAL;
	for (; n < 9; n++)
		ns *= 10;
	*ret_nsec = ns;
	return 0;
}

/* "Z" or "+hh:mm" / "-hh:mm", as seconds east of UTC. */
static int take_offset(const char **p, int *ret)
{
	unsigned hh, mm;
	int sign;

	if (take_char(p, 'Z')) {
		*ret = 0;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return -EINVAL;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (!take_digits(p, 2, &hh) || !take_char(p, ':') || !take_digits(p, 2, &mm))
		return -EINVAL;
	if (hh > 23 || mm > 59)
		return -ERANGE;
	*ret = sign * (int)(hh * 3600 + mm * 60);
	return 0;
}

int rfc3339_parse(const char *s, struct timespec *ret)
{
	unsigned y, mo, d, h, mi, sec;
	long nsec;
	int off, r;
	const char *p = s;

	if (!s)
		return -EINVAL;
	if (!take_digits(&p, 4, &y) || !take_char(&p, '-') || !take_digits(&p, 2, &mo) ||
	    !take_char(&p, '-') || !take_digits(&p, 2, &d) || !take_char(&p, 'T') ||
	    !take_digits(&p, 2, &h) || !take_char(&p, ':') || !take_digits(&p, 2, &mi) ||
	    !take_char(&p, ':') || !take_digits(&p, 2, &sec))
		return -EINVAL;
	r = take_fraction(&p, &nsec);
	if (r < 0)
		return r;
	r = take_offset(&p, &off);
	if (r < 0)
		return r;
	if (*p)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -ERANGE;
	ret->tv_sec = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off);
	ret->tv_nsec = nsec;
	return 0;
}

char *rfc3339_format(const struct timespec *t)
{
	int64_t days, secs, y;
	unsigned m, d;
	char frac[11] = "";

	if (t->tv_nsec < 0 || t->tv_nsec > 999999999)
		return NULL;
	days = (int64_t)t->tv_sec / 86400;
	secs = (int64_t)t->tv_sec % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return NULL;
	if (t->tv_nsec) {
		size_t n;

		snprintf(frac, sizeof(frac), ".%09ld", (long)t->tv_nsec);
		/* tv_nsec != 0, so a non-zero digit stops this before the dot */
		for (n = strlen(frac); n > 2 && frac[n - 1] == '0'; n--)
			frac[n - 1] = 0;
	}
	return str_printf("%04lld-%02u-%02uT%02lld:%02lld:%02lld%sZ", (long long)y, m, d,
	                  (long long)(secs / 3600), (long long)(secs / 60 % 60),
	                  (long long)(secs % 60), frac);
}
