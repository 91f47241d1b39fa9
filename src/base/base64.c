/* base64.c — base64 (RFC 4648), self-contained: the CLI links no
 * crypto library for it. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/macro.h"

static const char alphabet[2][65] = {
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
};

char *base64_encode(const void *data, size_t len, bool url)
{
	const unsigned char *in = data;
	const char *a = alphabet[url];
	char *out, *o;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = o = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = a[v >> 18];
		*o++ = a[(v >> 12) & 63];
		*o++ = i + 1 < len ? a[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? a[v & 63] : '=';
	}
	*o = 0;
	return out;
}

/* The value of a character of the standard alphabet. */
static unsigned value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (unsigned)(c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0' + 52);
	return c == '+' ? 62 : 63;
}

static bool is_b64(char c, char *ret)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/')
		*ret = c;
	else if (c == '-')
		*ret = '+';
	else if (c == '_')
		*ret = '/';
	else
		return false;
	return true;
}

/* s in the standard alphabet with its padding restored: a new string and
 * the number of '=' at its end; -EINVAL or -ENOMEM. */
static int normalise(const char *s, char **ret, size_t *ret_pad)
{
	size_t n = strlen(s), data, pad;
	_cleanup_free_ char *out = NULL;

	while (n > 0 && s[n - 1] == '=')
		n--;
	data = n;
	if (strlen(s) - data > 2 || data % 4 == 1)
		return -EINVAL;
	pad = (4 - data % 4) % 4;
	if (strlen(s) != data && strlen(s) != data + pad)
		return -EINVAL; /* some padding, but not the right amount */
	out = malloc(data + pad + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < data; i++)
		if (!is_b64(s[i], &out[i]))
			return -EINVAL;
	memset(out + data, '=', pad);
	out[data + pad] = 0;
	*ret = TAKE_PTR(out);
	*ret_pad = pad;
	return 0;
}

int base64_decode(const char *s, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *in = NULL, *out = NULL;
	size_t pad = 0, in_len, n = 0;
	int r;

	r = normalise(s ? s : "", &in, &pad);
	if (r < 0)
		return r;
	in_len = strlen(in);
	if (in_len / 4 * 3 - pad > max)
		return -EFBIG;
	out = malloc(in_len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	/* (normalise left whole quads of the standard alphabet, '=' only last) */
	for (size_t i = 0; i < in_len; i += 4) {
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++)
			v = v << 6 | (in[i + k] == '=' ? 0 : value_of(in[i + k]));
		out[n++] = (char)(v >> 16);
		out[n++] = (char)(v >> 8);
		out[n++] = (char)v;
	}
	n -= pad;
	out[n] = 0;
	if (ret_len)
		*ret_len = n;
	*ret = TAKE_PTR(out);
	return 0;
}
