/* fuzz_registry_client.c — what the registry client reads from a registry's
 * answers (registry/internal.h): reg_challenges_parse() of two
 * WWW-Authenticate values, reg_error_message() of an error body with them,
 * reg_token_parse() of a token server's body, reg_content_range_parse()
 * and reg_resume_decide() of a Content-Range, and reg_scope_merge(). The
 * input is cut at NUL bytes into those four values.
 */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "fuzz.h"
#include "registry/internal.h"

static void check_challenges(const struct reg_challenge *v, size_t n)
{
	if (n > REG_MAX_CHALLENGES)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (isempty(v[i].scheme))
			abort();
		for (const char *c = v[i].scheme; *c; c++)
			if ((*c >= 'A' && *c <= 'Z') || *c == ' ' || *c == ',' || *c == '=')
				abort();
	}
}

static void challenges(const char *a, const char *b)
{
	struct reg_challenge *v = NULL;
	size_t n = 0, before;
	int r = reg_challenges_parse(a, &v, &n);

	if ((r < 0 && n != 0) || (r == 0 && !*a && n != 0))
		abort();
	before = n;
	r = reg_challenges_parse(b, &v, &n);
	if (r < 0 && n != before)
		abort();
	check_challenges(v, n);
	reg_challenges_free(v, n);
}

static void token(const char *body)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *tok = NULL, *refresh = NULL;
	int64_t ttl = 0;
	int r = reg_token_parse(body, strlen(body), &tok, &ttl, &refresh, &err);

	if (r < 0) {
		fuzz_check_failure(r, err);
		return;
	}
	if (isempty(tok) || ttl < REG_TOKEN_DEFAULT_TTL || (refresh && !*refresh))
		abort();
}

static void content_range(const char *v)
{
	uint64_t start = 0, end = 0;
	int64_t total = 0;
	enum reg_resume d;

	if (reg_content_range_parse(v, &start, &end, &total) == 0) {
		if (start > end || total < -1 || (total >= 0 && (uint64_t)total <= end))
			abort();
		if (reg_resume_decide(206, v, start) != REG_RESUME_CONTINUE)
			abort();
		if (start != UINT64_MAX &&
		    reg_resume_decide(206, v, start + 1) != REG_RESUME_INVALID)
			abort();
	} else if (reg_resume_decide(206, v, 0) != REG_RESUME_INVALID) {
		abort();
	}
	d = reg_resume_decide(200, v, 5);
	if (d != REG_RESUME_RESTART)
		abort();
}

static void error_messages(const char *body, const char *a, const char *b)
{
	static const long statuses[] = {401, 403, 404, 429, 500};
	char *headers[] = {(char *)a, (char *)b, NULL};

	for (size_t i = 0; i < ELEMENTSOF(statuses); i++) {
		char *msg = reg_error_message(statuses[i], body, strlen(body), headers);

		if (!msg)
			abort(); /* out of memory, at these sizes a bug */
		free(msg);
	}
}

/* Merging scopes is idempotent: a merged list merges into itself. */
static void scopes(const char *a, const char *b)
{
	_cleanup_free_ char *m = reg_scope_merge(a, b), *again = NULL;

	if (!m)
		abort();
	if (strstr(m, "  ") || m[0] == ' ' || (*m && m[strlen(m) - 1] == ' '))
		abort();
	again = reg_scope_merge(m, NULL);
	if (!again || !streq(again, m))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[4];
	_cleanup_free_ char *buf = fuzz_split(data, size, parts, 4, NULL);

	if (!buf)
		return 0;
	challenges(parts[0], parts[1]);
	error_messages(parts[2], parts[0], parts[1]);
	token(parts[2]);
	content_range(parts[3]);
	scopes(parts[0], parts[3]);
	return 0;
}
