#include "base/digest.h"

#include <openssl/evp.h>
#include <string.h>

#include "base/str.h"

struct sha256 {
	EVP_MD_CTX *ctx;
};

static void digest_from_md(const unsigned char md[32], struct digest *ret)
{
	static const char hexd[] = "0123456789abcdef";

	memcpy(ret->str, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++) {
		ret->str[7 + 2 * i] = hexd[md[i] >> 4];
		ret->str[8 + 2 * i] = hexd[md[i] & 15];
	}
	ret->str[DIGEST_STR_LEN] = 0;
}

bool digest_hex_valid(const char *s)
{
	size_t i;

	for (i = 0; s && s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s && i == DIGEST_HEX_LEN;
}

bool digest_valid(const char *s)
{
	const char *hex = startswith(s, "sha256:");

	return hex && digest_hex_valid(hex);
}

int digest_parse(const char *s, struct digest *ret, struct husk_error **err)
{
	const char *colon = s ? strchr(s, ':') : NULL;

	if (!colon)
		return error_set(err, EINVAL,
		                 "invalid digest \"%s\": expected sha256:<64 hex digits>",
		                 s ? s : "");
	if ((size_t)(colon - s) != 6 || strncmp(s, "sha256", 6) != 0) {
		/* algorithm names per the OCI spec: [a-z0-9]+([+._-][a-z0-9]+)* */
		return error_set(err, EINVAL, "unsupported digest algorithm \"%.*s\" in \"%s\"",
		                 (int)MIN(colon - s, 32), s, s);
	}
	if (!digest_hex_valid(colon + 1))
		return error_set(err, EINVAL,
		                 "invalid digest \"%s\": expected sha256:<64 hex digits>", s);
	memcpy(ret->str, s, DIGEST_STR_LEN);
	ret->str[DIGEST_STR_LEN] = 0;
	return 0;
}

bool digest_equal(const struct digest *a, const struct digest *b)
{
	return memcmp(a->str, b->str, DIGEST_STR_LEN) == 0;
}

struct sha256 *sha256_new(void)
{
	struct sha256 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		sha256_free(h);
		return NULL;
	}
	return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void sha256_final(struct sha256 *h, struct digest *ret)
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	digest_from_md(md, ret);
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void digest_buf(const void *data, size_t len, struct digest *ret)
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	digest_from_md(md, ret);
}

int digest_fd(int fd, struct digest *ret, uint64_t *ret_size)
{
	_cleanup_(sha256_freep) struct sha256 *h = sha256_new();
	char buf[65536];
	uint64_t total = 0;

	if (!h)
		return -ENOMEM;
	for (;;) {
		ssize_t n = RETRY_EINTR(read(fd, buf, sizeof(buf)));
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		sha256_update(h, buf, n);
		total += n;
	}
	sha256_final(h, ret);
	if (ret_size)
		*ret_size = total;
	return 0;
}

int digest_verify_buf(const void *data, size_t len, const struct digest *expected,
                      struct husk_error **err)
{
	struct digest got;

	digest_buf(data, len, &got);
	if (!digest_equal(&got, expected))
		return error_set(err, EILSEQ, "digest mismatch: expected %s, got %s", expected->str,
		                 got.str);
	return 0;
}
