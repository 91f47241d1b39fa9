/* fuzz_base64.c — base64_decode() of base/base64.h on the input as a
 * string, under several caps, and base64_encode() of the input bytes in
 * both alphabets, which must decode back to them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/str.h"
#include "fuzz.h"

static void decode(const char *s, size_t max)
{
	_cleanup_free_ char *out = NULL, *again = NULL, *back = NULL;
	size_t len = 0, back_len = 0, data = strcspn(s, "=");
	int r = base64_decode(s, max, &out, &len);

	if (r < 0) {
		if (out || (r != -EINVAL && r != -EFBIG && r != -ENOMEM))
			abort();
		return;
	}
	/* every 4 characters make 3 bytes, a tail of 2 or 3 makes 1 or 2 */
	if (!out || len > max || len != data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0) ||
	    out[len] != 0)
		abort();
	again = base64_encode(out, len, false);
	if (!again)
		return;
	if (strlen(again) != (len + 2) / 3 * 4)
		abort();
	if (base64_decode(again, len, &back, &back_len) < 0 || back_len != len ||
	    memcmp(back, out, len) != 0)
		abort();
}

static void encode(const uint8_t *data, size_t size, bool url)
{
	_cleanup_free_ char *s = base64_encode(data, size, url), *back = NULL;
	size_t len = 0;

	if (!s)
		return;
	if (strpbrk(s, url ? "+/" : "-_"))
		abort();
	if (base64_decode(s, size, &back, &len) < 0 || len != size || memcmp(back, data, size) != 0)
		abort();
	if (size > 0) {
		_cleanup_free_ char *small = NULL;

		if (base64_decode(s, size - 1, &small, &len) != -EFBIG || small)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {0, 1, 2, 3, 64, 4096, SIZE_MAX / 2};
	_cleanup_free_ char *s = strndup((const char *)data, size);

	if (!s)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(caps); i++)
		decode(s, caps[i]);
	encode(data, size, false);
	encode(data, size, true);
	return 0;
}
