/* fuzz_htpasswd.c — htpasswd_parse() of registry/htpasswd.h on the input as
 * an htpasswd file. Only parsing: checking a password runs bcrypt at the
 * file's cost, which an input could set to 2^31 rounds. A refused line
 * may hold a password in the clear: the message must not repeat it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "fuzz.h"
#include "registry/htpasswd.h"

/* Line n (from 1) of data, NUL-terminated without its "\r\n"; NULL if none. */
static char *line_of(const uint8_t *data, size_t size, unsigned n)
{
	const char *p = (const char *)data, *end = p + size, *nl;

	for (; n > 1; n--) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	nl = memchr(p, '\n', end - p);
	if (!nl)
		nl = end;
	if (nl > p && nl[-1] == '\r')
		nl--;
	return strndup(p, nl - p);
}

static bool alnum_only(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static void check_refusal(const uint8_t *data, size_t size, const char *msg)
{
	const char *at = strstr(msg, "line ");
	_cleanup_free_ char *line = NULL;
	unsigned n;
	char *colon;

	if (!at || sscanf(at, "line %u", &n) != 1)
		return; /* a refusal of the whole file (a NUL byte) */
	line = line_of(data, size, n);
	if (!line)
		abort(); /* the message names a line the file does not have */
	colon = strchr(line, ':');
	if (!colon)
		return;
	*colon = 0;
	/* a long alphanumeric secret cannot come from the message's own words */
	if (strlen(colon + 1) >= 16 && alnum_only(colon + 1) && !strstr(line, colon + 1) &&
	    strstr(msg, colon + 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(htpasswd_freep) struct htpasswd *h = NULL;
	int r = htpasswd_parse("fuzz", (const char *)data, size, &h, &err);
	size_t lines = 1;

	if (r < 0) {
		fuzz_check_failure(r, err);
		if (h)
			abort();
		check_refusal(data, size, err->msg);
		return 0;
	}
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	/* one user per line at most, each line at least "u:" and a 60-byte hash */
	if (!h || htpasswd_count(h) > lines || htpasswd_count(h) * 62 > size + 1)
		abort();
	return 0;
}
