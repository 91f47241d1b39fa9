/* fuzz_flags.c — flags_parse() of the input split on NUL bytes into argv,
 * against a small spec table with every flag type, in both modes; on
 * success every accessor is read.
 */
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "cli/flags.h"
#include "fuzz.h"

#define MAX_ARGS 64

static const struct flag_spec specs[] = {
        {.name = "all", .shorthand = 'a', .type = FLAG_BOOL},
        {.name = "detach", .shorthand = 'd', .type = FLAG_BOOL},
        {.name = "interactive", .shorthand = 'i', .type = FLAG_BOOL},
        {.name = "tty", .shorthand = 't', .type = FLAG_BOOL},
        {.name = "rm", .type = FLAG_BOOL, .defval = "true"},
        {.name = "name", .type = FLAG_STRING},
        {.name = "user", .shorthand = 'u', .type = FLAG_STRING, .defval = "root"},
        {.name = "tail", .shorthand = 'n', .type = FLAG_INT},
        {.name = "cpu-shares", .shorthand = 'c', .type = FLAG_INT, .defval = "1024"},
        {.name = "publish", .shorthand = 'p', .type = FLAG_LIST},
        {.name = "env", .shorthand = 'e', .type = FLAG_LIST, .defval = "A=1"},
        {.name = NULL},
};

static void read_all(const struct flags *f)
{
	for (const struct flag_spec *s = specs; s->name; s++) {
		flags_changed(f, s->name);
		switch (s->type) {
		case FLAG_BOOL:
			flags_bool(f, s->name);
			break;
		case FLAG_STRING:
			flags_string(f, s->name);
			break;
		case FLAG_INT:
			flags_int(f, s->name);
			flags_string(f, s->name);
			break;
		case FLAG_LIST:
			if (!flags_list(f, s->name))
				abort();
			break;
		}
	}
	flags_help(f);
	if (strv_length(flags_args(f)) != (size_t)flags_nargs(f))
		abort();
}

static void parse(int argc, char *const *argv, enum flags_mode mode)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(flags_freep) struct flags *f = NULL;

	if (flags_parse(specs, argc, argv, mode, &f, &err) < 0) {
		if (f || isempty(error_message(err)))
			abort();
		return;
	}
	read_all(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *buf = malloc(size + 1);
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	for (char *p = buf; argc < MAX_ARGS && p < buf + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	parse(argc, argv, FLAGS_INTERSPERSED);
	parse(argc, argv, FLAGS_STOP_AT_FIRST_ARG);
	return 0;
}
