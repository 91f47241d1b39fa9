/* fuzz_registry_auth.c — api_registry_auth_decode() of api/handlers.h, the
 * X-Registry-Auth header of pull and push: once on the input as the header
 * itself, once on the input bytes base64url-encoded (so that the fuzzer
 * writes the AuthConfig JSON directly). A refused header leaves nothing
 * behind; an accepted one gives non-empty credentials or none.
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "base/base64.h"
#include "base/str.h"
#include "fuzz.h"
#include "registry/registry.h"

static void check_field(const char *s)
{
	if (s && !*s)
		abort();
}

static void decode(const char *header)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct registry_auth a = {(char *)1, (char *)1, (char *)1, (char *)1};
	char *server = (char *)1;
	int r = api_registry_auth_decode(header, &a, &server, &err);

	if (r < 0) {
		fuzz_check_failure(r, err);
		if (a.username || a.password || a.identity_token || a.registry_token || server)
			abort();
		return;
	}
	/* "auth" (base64 of user:password) may give an empty user or
	 * password; every other field is absent rather than empty */
	check_field(a.identity_token);
	check_field(a.registry_token);
	check_field(server);
	if (isempty(header) && (a.username || a.password || server))
		abort();
	free(server);
	registry_auth_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = strndup((const char *)data, size);
	_cleanup_free_ char *b64 = base64_encode(data, size, true);

	if (s)
		decode(s);
	if (b64)
		decode(b64);
	return 0;
}
