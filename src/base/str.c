#include "base/str.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *startswith(const char *s, const char *prefix)
{
	size_t n;

	if (!s || !prefix)
		return NULL;
	n = strlen(prefix);
	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

bool endswith(const char *s, const char *suffix)
{
	size_t a, b;

	if (!s || !suffix)
		return false;
	a = strlen(s);
	b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *str_printf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

char *str_strip(const char *s)
{
	const char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return strndup(s, e - s);
}

int str_to_int64(const char *s, int64_t *ret)
{
	char *end = NULL;
	long long v;

	if (isempty(s) || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || !end || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int str_to_uint64(const char *s, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	if (isempty(s) || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || !end || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

void str_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1000.0 && u + 1 < ELEMENTSOF(units)) {
		v /= 1000.0;
		u++;
	}
	/* `docker images` uses go-units HumanSizeWithPrecision(size, 3), i.e.
	 * Go's "%.3g": "1.23MB", "12.3kB", "999B" (and, like it, "1e+03kB") */
	snprintf(buf, len, "%.3g%s", v, units[u]);
}

char **strv_new(void)
{
	return calloc(1, sizeof(char *));
}

int strv_push_take(char ***v, char *s)
{
	size_t n = strv_length(*v);
	char **nv;

	if (!s)
		return -ENOMEM;
	nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[n] = s;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int strv_push(char ***v, const char *s)
{
	return strv_push_take(v, strdup(s));
}

size_t strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

bool strv_contains(char *const *v, const char *s)
{
	STRV_FOREACH (i, v)
		if (streq(*i, s))
			return true;
	return false;
}

char *strv_join(char *const *v, const char *sep)
{
	struct strbuf sb = {0};

	if (strbuf_puts(&sb, "") < 0)
		return NULL;
	STRV_FOREACH (i, v) {
		if ((i != v && strbuf_puts(&sb, sep) < 0) || strbuf_puts(&sb, *i) < 0) {
			strbuf_release(&sb);
			return NULL;
		}
	}
	return strbuf_steal(&sb);
}

char **strv_split(const char *s, const char *sep)
{
	_cleanup_strv_ char **v = strv_new();
	size_t n = strlen(sep);
	const char *p;

	if (!v)
		return NULL;
	if (n == 0)
		return strv_push(&v, s) < 0 ? NULL : TAKE_PTR(v);
	while ((p = strstr(s, sep))) {
		if (strv_push_take(&v, strndup(s, p - s)) < 0)
			return NULL;
		s = p + n;
	}
	if (strv_push(&v, s) < 0)
		return NULL;
	return TAKE_PTR(v);
}

char **strv_copy(char *const *v)
{
	_cleanup_strv_ char **c = strv_new();

	if (!c)
		return NULL;
	STRV_FOREACH (i, v)
		if (strv_push(&c, *i) < 0)
			return NULL;
	return TAKE_PTR(c);
}

void strv_free(char **v)
{
	STRV_FOREACH (i, v)
		free(*i);
	free(v);
}

static int strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want, cap;
	char *nb;

	/* no object may exceed PTRDIFF_MAX; checking first also keeps the sum
	 * and the doubling below from wrapping around */
	if (extra >= PTRDIFF_MAX - sb->len)
		return -ENOMEM;
	want = sb->len + extra + 1;
	if (want <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 64;
	while (cap < want)
		cap = cap > PTRDIFF_MAX / 2 ? want : cap * 2;
	nb = realloc(sb->buf, cap);
	if (!nb)
		return -ENOMEM;
	nb[sb->len] = 0; /* a fresh buffer is terminated too */
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

int strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	if (strbuf_grow(sb, len) < 0)
		return -ENOMEM;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = 0;
	return 0;
}

int strbuf_puts(struct strbuf *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || strbuf_grow(sb, n) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, n + 1, fmt, ap);
	va_end(ap);
	sb->len += n;
	return 0;
}

char *strbuf_steal(struct strbuf *sb)
{
	char *s;

	if (!sb->buf && strbuf_grow(sb, 0) < 0)
		return NULL;
	s = sb->buf;
	*sb = (struct strbuf){0};
	return s;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf){0};
}
