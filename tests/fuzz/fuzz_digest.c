/* fuzz_digest.c — digest_parse(), digest_valid() and digest_hex_valid() on
 * the input as a string (up to its first NUL): the three must agree, and a
 * parsed digest must read back as its input.
 */
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/str.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest d;
	int r;

	if (!s)
		return 0;
	r = digest_parse(s, &d, &err);
	if ((r == 0) != digest_valid(s))
		abort();
	if (r == 0 && (!streq(d.str, s) || !digest_hex_valid(digest_hex(&d))))
		abort();
	if (r < 0 && (r != -EINVAL || isempty(error_message(err))))
		abort();
	/* a bare image ID is no digest string, and the reverse */
	if (digest_hex_valid(s) && r == 0)
		abort();
	if (r == 0 && strlen(s) != DIGEST_STR_LEN)
		abort();
	return 0;
}
