/* fuzz_template.c — the Go template parser of cli/template.h (--format):
 * tmpl_parse() of the input up to its first NUL, tmpl_fields() of what
 * parsed, and tmpl_exec_flags() with every flag over a small container-like
 * dot, or over the JSON after the NUL when it is short. Go's templates have
 * no limit on what they print ({{range}} in {{range}} with %9999999d), so
 * execution is skipped for templates that could print gigabytes: more than
 * one range, or a number of five digits or more.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "cli/template.h"
#include "fuzz.h"

#define DOT_MAX 128

static const char default_dot[] =
        "{\"Id\":\"4fa6e0f0c678\",\"Name\":\"/web\",\"State\":{\"Running\":true,\"Pid\":12,"
        "\"Health\":null},\"Config\":{\"Env\":[\"A=1\",\"B=<&>\"],\"Labels\":{\"k\":\"v\"}},"
        "\"Ratio\":2.5,\"Big\":-9007199254740993,\"Mounts\":[{\"RW\":true},{\"RW\":false}]}";

static bool bounded(const char *text)
{
	const char *p = strstr(text, "range");
	size_t digits = 0;

	if (p && strstr(p + 5, "range"))
		return false;
	for (; *text; text++) {
		digits = isdigit((unsigned char)*text) ? digits + 1 : 0;
		if (digits >= 5)
			return false;
	}
	return true;
}

static void run(const struct tmpl *t, json_t *dot)
{
	static const unsigned flags[] = {0, TMPL_EXEC_HEADER, TMPL_EXEC_CONTEXT_JSON};

	for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
		_cleanup_error_ struct husk_error *err = NULL;
		struct strbuf sb = {0};
		int r = tmpl_exec_flags(t, dot, flags[i], &sb, &err);

		if (r < 0)
			fuzz_check_failure(r, err);
		else if (err)
			abort();
		strbuf_release(&sb);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[2];
	size_t n;
	_cleanup_free_ char *buf = fuzz_split(data, size, parts, 2, &n);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(tmpl_freep) struct tmpl *t = NULL;
	_cleanup_json_ json_t *dot = NULL;
	_cleanup_strv_ char **fields = NULL;

	if (!buf)
		return 0;
	t = tmpl_parse(parts[0], &err);
	if (!t) {
		fuzz_check_failure(-1, err);
		if (!startswith(err->msg, "template: ") && err->code != ENOMEM)
			abort();
		return 0;
	}
	fields = tmpl_fields(t);
	for (size_t i = 0; fields && fields[i]; i++)
		if (!*fields[i])
			abort();
	if (!bounded(parts[0]))
		return 0;
	if (n < 2 || strlen(parts[1]) > DOT_MAX ||
	    json_parse("dot", parts[1], strlen(parts[1]), DOT_MAX, &dot, NULL) < 0)
		if (json_parse("dot", default_dot, strlen(default_dot), sizeof(default_dot), &dot,
		               NULL) < 0)
			abort();
	run(t, dot);
	run(t, json_null());
	return 0;
}
