/* fuzz_subnet.c — ipam_subnet_parse() of network/ipam.h (a network's
 * --subnet) on the input as a string: a parsed subnet is written back
 * exactly as it was given, contains its first host, and overlaps itself;
 * the input cut at a NUL gives a second subnet to compare with.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "fuzz.h"
#include "network/ipam.h"

static bool parse(const char *s, struct ipam_subnet *ret)
{
	_cleanup_error_ struct husk_error *err = NULL;
	char buf[32];
	int r = ipam_subnet_parse(s, ret, &err);

	if (r < 0) {
		fuzz_check_failure(r, err);
		return false;
	}
	if (ret->prefix < 8 || ret->prefix > 30)
		abort();
	/* canonical: what was accepted is what is printed */
	if (!streq(ipam_subnet_format(ret, buf, sizeof(buf)), s))
		abort();
	if (!ipam_contains(ret, ret->net) || !ipam_contains(ret, ipam_first_host(ret)) ||
	    !ipam_overlaps(ret, ret))
		abort();
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipam_subnet a, b, picked;
	const char *parts[2];
	_cleanup_free_ char *buf = fuzz_split(data, size, parts, 2, NULL);
	bool have_a, have_b;

	if (!buf)
		return 0;
	have_a = parse(parts[0], &a);
	have_b = parse(parts[1], &b);
	if (have_a && have_b) {
		if (ipam_overlaps(&a, &b) != ipam_overlaps(&b, &a))
			abort();
		/* the wider one contains the narrower one's network when they overlap */
		if (ipam_overlaps(&a, &b) && !ipam_contains(a.prefix <= b.prefix ? &a : &b,
		                                            a.prefix <= b.prefix ? b.net : a.net))
			abort();
	}
	if (have_a && ipam_pick_subnet(&a, 1, &picked, NULL) == 0 && ipam_overlaps(&a, &picked))
		abort();
	return 0;
}
