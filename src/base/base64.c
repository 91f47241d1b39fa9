/* base64.c — base64 over OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/macro.h"

char *base64_encode(const void *data, size_t len, bool url)
{
	char *out;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	if (url)
		for (char *p = out; *p; p++)
			*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
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
	size_t pad = 0, in_len;
	int r, n;

	r = normalise(s ? s : "", &in, &pad);
	if (r < 0)
		return r;
	in_len = strlen(in);
	if (in_len / 4 * 3 - pad > max)
		return -EFBIG;
	if (in_len > (size_t)INT32_MAX)
		return -EFBIG;
	out = malloc(in_len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	n = in_len ? EVP_DecodeBlock((unsigned char *)out, (unsigned char *)in, (int)in_len) : 0;
	if (n < 0 || (size_t)n < pad)
		return -EINVAL;
	n -= (int)pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	out[n] = 0;
	if (ret_len)
		*ret_len = (size_t)n;
	*ret = TAKE_PTR(out);
	return 0;
}
