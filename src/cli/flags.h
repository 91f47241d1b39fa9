/* flags.h — docker-style command-line flag parsing for husk's commands.
 *
 * Accepts what the docker CLI (spf13/pflag) accepts: `-a`, `--all`,
 * `--name=x`, `--name x`, `-n x`, `-nx`, `-n=x`, stacked short booleans
 * (`-it`, `-itd`, `-dp 80:80`), `--all=false`, repeatable list flags
 * (`-e A -e B`), `--` to end flags, and flags after positional arguments
 * unless the command stops at its first argument (`run IMAGE CMD…`).
 * It only parses: it never prints and never exits.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "base/error.h"

enum flag_type {
	FLAG_BOOL,   /* no value; `--x=false` allowed */
	FLAG_STRING, /* last occurrence wins */
	FLAG_INT,    /* signed 64-bit decimal, last occurrence wins */
	FLAG_LIST,   /* repeatable; every occurrence kept in order */
};

struct flag_spec {
	const char *name; /* long name without "--"; NULL ends a spec array */
	char shorthand;   /* single letter, or 0 */
	enum flag_type type;
	const char *defval;  /* default as text, or NULL; shown in help */
	const char *usage;   /* one line of help */
	const char *metavar; /* value name in help ("string", "list"); NULL = from type */
};

enum flags_mode {
	FLAGS_INTERSPERSED = 0, /* flags may follow positional arguments */
	FLAGS_STOP_AT_FIRST_ARG = 1
	                          << 0, /* everything from the first positional on is an argument */
};

struct flags;

/* Parse argv[0..argc) (argv[0] is NOT skipped: pass the arguments only)
 * against the NULL-name-terminated specs. `--help` (and `-h` when no spec
 * uses 'h') is always accepted and sets flags_help(). Returns 0, or
 * -EINVAL with *err naming the flag, e.g. `unknown flag: --foo`,
 * `unknown shorthand flag: 'x' in -x`, `flag needs an argument: --name`,
 * `invalid argument "abc" for "-n, --tail" flag: expected an integer`,
 * `invalid argument "maybe" for "-a, --all" flag: expected true or false`. */
int flags_parse(const struct flag_spec *specs, int argc, char *const *argv, enum flags_mode mode,
                struct flags **ret, struct husk_error **err);

bool flags_help(const struct flags *f);
/* True when the flag appeared on the command line. */
bool flags_changed(const struct flags *f, const char *name);
/* The value of a FLAG_BOOL (default from defval "true"/"false", else false). */
bool flags_bool(const struct flags *f, const char *name);
/* The last value given, else the default, else NULL (FLAG_STRING, FLAG_INT). */
const char *flags_string(const struct flags *f, const char *name);
/* The parsed FLAG_INT value, else the default, else 0. */
int64_t flags_int(const struct flags *f, const char *name);
/* Every value given for a FLAG_LIST in order, NULL-terminated (never NULL:
 * an empty vector when not given and no default). */
char *const *flags_list(const struct flags *f, const char *name);
/* Positional arguments, NULL-terminated, and their count. */
char *const *flags_args(const struct flags *f);
int flags_nargs(const struct flags *f);

void flags_free(struct flags *f);
DEFINE_CLEANUP_FUNC(struct flags *, flags_free)

/* Write the "Options:" block as docker prints it:
 *   "  -a, --all             Show all containers (default shows just running)"
 *   "      --format string   Format output using a custom template"
 * sorted by long name, with " (default X)" appended where defval is set and
 * not "false"/"". */
void flags_print_usage(FILE *out, const struct flag_spec *specs);
