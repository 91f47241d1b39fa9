/* Unit tests for src/cli/flags.c: docker (spf13/pflag + cobra) flag syntax,
 * the exact error texts, defaults and the "Options:" block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/str.h"
#include "cli/flags.h"

static const struct flag_spec specs[] = {
        {.name = "all", .shorthand = 'a', .type = FLAG_BOOL, .usage = "Show all containers"},
        {.name = "detach", .shorthand = 'd', .type = FLAG_BOOL},
        {.name = "interactive", .shorthand = 'i', .type = FLAG_BOOL},
        {.name = "tty", .shorthand = 't', .type = FLAG_BOOL},
        {.name = "force", .shorthand = 'f', .type = FLAG_BOOL},
        {.name = "quiet", .type = FLAG_BOOL},
        {.name = "rm", .type = FLAG_BOOL, .defval = "true"},
        {.name = "name", .type = FLAG_STRING},
        {.name = "log-driver", .type = FLAG_STRING, .defval = "json-file"},
        {.name = "user", .shorthand = 'u', .type = FLAG_STRING},
        {.name = "tail", .shorthand = 'n', .type = FLAG_INT},
        {.name = "cpu-shares", .shorthand = 'c', .type = FLAG_INT, .defval = "1024"},
        {.name = "timeout", .type = FLAG_INT},
        {.name = "publish", .shorthand = 'p', .type = FLAG_LIST},
        {.name = "env", .shorthand = 'e', .type = FLAG_LIST},
        {.name = "dns", .type = FLAG_LIST, .defval = "8.8.8.8"},
        {.name = NULL},
};

/* docker run: -h is --hostname, so help is --help only */
static const struct flag_spec h_specs[] = {
        {.name = "hostname", .shorthand = 'h', .type = FLAG_STRING},
        {.name = "detach", .shorthand = 'd', .type = FLAG_BOOL},
        {.name = NULL},
};

#define ARGV(...)                 ((char *const[]){__VA_ARGS__, NULL})
#define ARGC(...)                 ((int)ELEMENTSOF(ARGV(__VA_ARGS__)) - 1)
#define PARSE(sp, mode, ...)      parse_ok(sp, mode, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))
#define FAILS(sp, mode, msg, ...) parse_fails(sp, mode, msg, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static struct flags *parse_ok(const struct flag_spec *sp, enum flags_mode mode, int argc,
                              char *const *argv)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct flags *f = NULL;

	if (flags_parse(sp, argc, argv, mode, &f, &err) < 0)
		fail_msg("unexpected error: %s", error_message(err));
	assert_null(err);
	assert_non_null(f);
	return f;
}

static void parse_fails(const struct flag_spec *sp, enum flags_mode mode, const char *msg, int argc,
                        char *const *argv)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct flags *f = NULL;

	assert_int_equal(flags_parse(sp, argc, argv, mode, &f, &err), -EINVAL);
	assert_null(f);
	assert_non_null(err);
	assert_int_equal(error_code(err), EINVAL);
	assert_string_equal(error_message(err), msg);
}

static void assert_strv(char *const *v, char *const *want)
{
	_cleanup_free_ char *got = strv_join(v, "|"), *exp = strv_join(want, "|");

	assert_non_null(v);
	assert_string_equal(got, exp);
	assert_int_equal(strv_length(v), strv_length(want));
}

static void assert_args(const struct flags *f, char *const *want)
{
	assert_strv(flags_args(f), want);
	assert_int_equal(flags_nargs(f), (int)strv_length(want));
}

#define NO_ARGS ((char *const[]){NULL})

/* ---- long flags ---- */

static void test_long_bool(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, "--all");

	assert_true(flags_bool(f, "all"));
	assert_true(flags_changed(f, "all"));
	assert_false(flags_bool(f, "quiet"));
	assert_false(flags_changed(f, "quiet"));
	assert_args(f, NO_ARGS);
}

static void test_long_bool_values(void **state)
{
	static const char *const yes[] = {"true", "1", "t", "T", "TRUE", "True"};
	static const char *const no[] = {"false", "0", "f", "F", "FALSE", "False"};

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		_cleanup_free_ char *y = str_printf("--all=%s", yes[i]);
		_cleanup_free_ char *n = str_printf("--rm=%s", no[i]);
		_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, y, n);

		assert_true(flags_bool(f, "all"));
		assert_false(flags_bool(f, "rm"));
		assert_true(flags_changed(f, "rm"));
	}
}

static void test_long_bool_invalid(void **state)
{
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"maybe\" for \"-a, --all\" flag: expected true or false",
	      "--all=maybe");
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"yes\" for \"--quiet\" flag: expected true or false",
	      "--quiet=yes");
	/* `--all=` is an empty value, not "true" */
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"\" for \"-a, --all\" flag: expected true or false", "--all=");
	/* the value is quoted the way Go's %q does it */
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"a\\\"b\\\\c\\n\" for \"-a, --all\" flag: expected true or false",
	      "--all=a\"b\\c\n");
}

static void test_long_bool_does_not_take_next_arg(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, "--all", "false");

	assert_true(flags_bool(f, "all"));
	assert_args(f, ARGV("false"));
}

static void test_long_value_eq_and_space(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "--name=web", "--user", "root");

	assert_string_equal(flags_string(f, "name"), "web");
	assert_string_equal(flags_string(f, "user"), "root");
	assert_args(f, NO_ARGS);
}

static void test_long_value_starting_with_dash(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "--cpu-shares", "-1", "--name", "--all");

	assert_string_equal(flags_string(f, "cpu-shares"), "-1");
	assert_int_equal(flags_int(f, "cpu-shares"), -1);
	assert_string_equal(flags_string(f, "name"), "--all");
	assert_false(flags_changed(f, "all"));
}

static void test_long_value_empty(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "--name=", "--log-driver=", "--env=");

	assert_string_equal(flags_string(f, "name"), "");
	assert_string_equal(flags_string(f, "log-driver"), "");
	assert_strv(flags_list(f, "env"), ARGV(""));
	assert_true(flags_changed(f, "name"));
}

static void test_long_value_keeps_later_equals(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "--env=FOO=bar=baz");

	assert_strv(flags_list(f, "env"), ARGV("FOO=bar=baz"));
}

static void test_long_needs_argument(void **state)
{
	FAILS(specs, FLAGS_INTERSPERSED, "flag needs an argument: --name", "--name");
	FAILS(specs, FLAGS_INTERSPERSED, "flag needs an argument: --tail", "-a", "--tail");
}

static void test_unknown_long(void **state)
{
	FAILS(specs, FLAGS_INTERSPERSED, "unknown flag: --foo", "--foo");
	FAILS(specs, FLAGS_INTERSPERSED, "unknown flag: --foo", "-a", "--foo=bar", "x");
	/* names match whole, never by prefix */
	FAILS(specs, FLAGS_INTERSPERSED, "unknown flag: --nam", "--nam=x");
}

static void test_bad_long_syntax(void **state)
{
	FAILS(specs, FLAGS_INTERSPERSED, "bad flag syntax: ---all", "---all");
	FAILS(specs, FLAGS_INTERSPERSED, "bad flag syntax: --=x", "--=x");
}

/* ---- short flags ---- */

static void test_short_bool(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, "-a");

	assert_true(flags_bool(f, "all"));
	assert_true(flags_changed(f, "all"));
}

static void test_short_stacked_bools(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, "-it", "-da");

	assert_true(flags_bool(f, "interactive"));
	assert_true(flags_bool(f, "tty"));
	assert_true(flags_bool(f, "detach"));
	assert_true(flags_bool(f, "all"));
	assert_false(flags_changed(f, "force"));
}

static void test_short_stack_last_takes_next(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "-dp", "80:80", "img");

	assert_true(flags_bool(f, "detach"));
	assert_strv(flags_list(f, "publish"), ARGV("80:80"));
	assert_args(f, ARGV("img"));
}

static void test_short_attached_value(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "-p80:80", "-dn5", "-ualice");

	assert_strv(flags_list(f, "publish"), ARGV("80:80"));
	assert_true(flags_bool(f, "detach"));
	assert_int_equal(flags_int(f, "tail"), 5);
	assert_string_equal(flags_string(f, "user"), "alice");
}

static void test_short_eq_value(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "-p=80:80", "-e=FOO=bar", "-dn=7");

	assert_strv(flags_list(f, "publish"), ARGV("80:80"));
	assert_strv(flags_list(f, "env"), ARGV("FOO=bar"));
	assert_int_equal(flags_int(f, "tail"), 7);
	assert_true(flags_bool(f, "detach"));
}

static void test_short_value_quirks(void **state)
{
	/* pflag: `-p=` is "-p" with the rest of the token, "=", as its value */
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "-p=", "-n", "-5", "-u", "-");

	assert_strv(flags_list(f, "publish"), ARGV("="));
	assert_int_equal(flags_int(f, "tail"), -5);
	assert_string_equal(flags_string(f, "user"), "-");
	assert_args(f, NO_ARGS);
}

static void test_short_bool_eq_value(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "-a=false", "-i=1", "-dt=TRUE");

	assert_false(flags_bool(f, "all"));
	assert_true(flags_changed(f, "all"));
	assert_true(flags_bool(f, "interactive"));
	assert_true(flags_bool(f, "detach"));
	assert_true(flags_bool(f, "tty"));
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"maybe\" for \"-a, --all\" flag: expected true or false",
	      "-a=maybe");
	/* `-a=` is -a followed by an unknown shorthand '=' (pflag) */
	FAILS(specs, FLAGS_INTERSPERSED, "unknown shorthand flag: '=' in -=", "-a=");
}

static void test_short_needs_argument(void **state)
{
	FAILS(specs, FLAGS_INTERSPERSED, "flag needs an argument: 'n' in -n", "-n");
	/* like pflag, the message names the rest of the run from the letter on */
	FAILS(specs, FLAGS_INTERSPERSED, "flag needs an argument: 'n' in -n", "-dn");
}

static void test_unknown_short(void **state)
{
	FAILS(specs, FLAGS_INTERSPERSED, "unknown shorthand flag: 'x' in -x", "-x");
	FAILS(specs, FLAGS_INTERSPERSED, "unknown shorthand flag: 'x' in -xa", "-xa");
	/* pflag reports the letter and the run left from it: `-ax` → "-x" */
	FAILS(specs, FLAGS_INTERSPERSED, "unknown shorthand flag: 'x' in -x", "-ax");
	FAILS(specs, FLAGS_INTERSPERSED, "unknown shorthand flag: 'x' in -xit", "-dxit");
	FAILS(specs, FLAGS_INTERSPERSED, "unknown shorthand flag: '\\'' in -'", "-'");
	/* Go's %q of the lead byte of "é" */
	FAILS(specs, FLAGS_INTERSPERSED, "unknown shorthand flag: '\xc3\x83' in -\xc3\xa9",
	      "-\xc3\xa9");
}

/* ---- positional arguments ---- */

static void test_double_dash_ends_flags(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "-a", "c1", "--", "-i", "--name", "x", "--");

	assert_true(flags_bool(f, "all"));
	assert_false(flags_changed(f, "interactive"));
	assert_false(flags_changed(f, "name"));
	assert_args(f, ARGV("c1", "-i", "--name", "x", "--"));
}

static void test_double_dash_stop_mode(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_STOP_AT_FIRST_ARG, "-d", "--", "busybox", "-x");

	assert_true(flags_bool(f, "detach"));
	assert_args(f, ARGV("busybox", "-x"));
}

static void test_lone_dash_is_positional(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "-", "-a", "", "-f");
	_cleanup_(flags_freep) struct flags *g = PARSE(specs, FLAGS_STOP_AT_FIRST_ARG, "-", "-a");

	assert_args(f, ARGV("-", ""));
	assert_true(flags_bool(f, "all"));
	assert_true(flags_bool(f, "force"));
	assert_args(g, ARGV("-", "-a"));
	assert_false(flags_changed(g, "all"));
}

static void test_interspersed(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "c1", "-f", "c2", "--name", "n", "c3");

	assert_true(flags_bool(f, "force"));
	assert_string_equal(flags_string(f, "name"), "n");
	assert_args(f, ARGV("c1", "c2", "c3"));
}

static void test_stop_at_first_arg(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_STOP_AT_FIRST_ARG, "-d", "busybox", "ls", "-l", "--all");

	assert_true(flags_bool(f, "detach"));
	assert_false(flags_changed(f, "all"));
	assert_args(f, ARGV("busybox", "ls", "-l", "--all"));
}

static void test_stop_at_first_arg_empty_string(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_STOP_AT_FIRST_ARG, "", "-a");

	assert_args(f, ARGV("", "-a"));
	assert_false(flags_bool(f, "all"));
}

static void test_no_arguments(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(flags_freep) struct flags *f = NULL;

	assert_int_equal(flags_parse(specs, 0, NULL, FLAGS_INTERSPERSED, &f, &err), 0);
	assert_non_null(f);
	assert_args(f, NO_ARGS);
	assert_false(flags_help(f));
}

static void test_argv_is_copied(void **state)
{
	char name[] = "--name=web", env[] = "A=1", arg[] = "img";
	char *argv[] = {name, "-e", env, arg, NULL};
	_cleanup_(flags_freep) struct flags *f = parse_ok(specs, FLAGS_INTERSPERSED, 4, argv);

	memset(name, 'X', sizeof(name) - 1);
	memset(env, 'X', sizeof(env) - 1);
	memset(arg, 'X', sizeof(arg) - 1);
	assert_string_equal(flags_string(f, "name"), "web");
	assert_strv(flags_list(f, "env"), ARGV("A=1"));
	assert_args(f, ARGV("img"));
}

/* ---- values and defaults ---- */

static void test_list_keeps_order(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "-e", "A", "--env", "B", "-e=C", "--env=D", "-eE");

	assert_strv(flags_list(f, "env"), ARGV("A", "B", "C", "D", "E"));
	assert_true(flags_changed(f, "env"));
}

static void test_list_defaults(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, "x");
	_cleanup_(flags_freep) struct flags *g =
	        PARSE(specs, FLAGS_INTERSPERSED, "--dns", "1.1.1.1", "--dns=9.9.9.9");

	assert_strv(flags_list(f, "env"), NO_ARGS);
	assert_strv(flags_list(f, "dns"), ARGV("8.8.8.8"));
	assert_false(flags_changed(f, "dns"));
	/* values given replace the default, they are not appended to it */
	assert_strv(flags_list(g, "dns"), ARGV("1.1.1.1", "9.9.9.9"));
}

static void test_last_value_wins(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "--name", "a", "--name=b", "-n", "1", "--tail=2",
	              "--all", "--all=false");

	assert_string_equal(flags_string(f, "name"), "b");
	assert_int_equal(flags_int(f, "tail"), 2);
	assert_string_equal(flags_string(f, "tail"), "2");
	assert_false(flags_bool(f, "all"));
}

static void test_defaults(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, "x");

	assert_string_equal(flags_string(f, "log-driver"), "json-file");
	assert_null(flags_string(f, "name"));
	assert_int_equal(flags_int(f, "cpu-shares"), 1024);
	assert_string_equal(flags_string(f, "cpu-shares"), "1024");
	assert_int_equal(flags_int(f, "tail"), 0);
	assert_null(flags_string(f, "tail"));
	assert_true(flags_bool(f, "rm"));
	assert_false(flags_bool(f, "all"));
	assert_false(flags_changed(f, "rm"));
	assert_false(flags_changed(f, "log-driver"));
}

static void test_int_range(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(specs, FLAGS_INTERSPERSED, "--tail=9223372036854775807", "--timeout",
	              "-9223372036854775808", "-c+3");

	assert_int_equal(flags_int(f, "tail"), INT64_MAX);
	assert_true(flags_int(f, "timeout") == INT64_MIN);
	assert_int_equal(flags_int(f, "cpu-shares"), 3);
}

static void test_int_invalid(void **state)
{
	static const struct flag_spec tail_only[] = {
	        {.name = "tail", .type = FLAG_INT},
	        {.name = NULL},
	};

	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"abc\" for \"-n, --tail\" flag: expected an integer", "-n", "abc");
	FAILS(tail_only, FLAGS_INTERSPERSED,
	      "invalid argument \"abc\" for \"--tail\" flag: expected an integer", "--tail=abc");
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"12x\" for \"-n, --tail\" flag: expected an integer", "-n12x");
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"\" for \"-n, --tail\" flag: expected an integer", "--tail=");
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \" 1\" for \"--timeout\" flag: expected an integer", "--timeout",
	      " 1");
}

static void test_int_overflow(void **state)
{
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"99999999999999999999\" for \"-n, --tail\" flag: "
	      "value out of range",
	      "--tail", "99999999999999999999");
	FAILS(specs, FLAGS_INTERSPERSED,
	      "invalid argument \"-9223372036854775809\" for \"--timeout\" flag: "
	      "value out of range",
	      "--timeout=-9223372036854775809");
}

static void test_error_after_good_flags(void **state)
{
	/* values already parsed are freed with the half-built result */
	FAILS(specs, FLAGS_INTERSPERSED, "unknown flag: --nope", "--name", "x", "-e", "A", "c1",
	      "--nope");
}

/* ---- help ---- */

static void test_help_long(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, "x", "--help");
	_cleanup_(flags_freep) struct flags *g = PARSE(specs, FLAGS_INTERSPERSED, "-a");
	_cleanup_(flags_freep) struct flags *h =
	        PARSE(specs, FLAGS_INTERSPERSED, "--help", "--help=false");

	assert_true(flags_help(f));
	assert_args(f, ARGV("x"));
	assert_false(flags_help(g));
	assert_false(flags_help(h));
}

static void test_help_short(void **state)
{
	_cleanup_(flags_freep) struct flags *f = PARSE(specs, FLAGS_INTERSPERSED, "-h");
	_cleanup_(flags_freep) struct flags *g = PARSE(specs, FLAGS_INTERSPERSED, "-ah");

	assert_true(flags_help(f));
	assert_true(flags_help(g));
	assert_true(flags_bool(g, "all"));
}

static void test_help_with_h_spec(void **state)
{
	_cleanup_(flags_freep) struct flags *f =
	        PARSE(h_specs, FLAGS_STOP_AT_FIRST_ARG, "-h", "box", "-d", "img");
	_cleanup_(flags_freep) struct flags *g = PARSE(h_specs, FLAGS_STOP_AT_FIRST_ARG, "--help");

	assert_false(flags_help(f));
	assert_string_equal(flags_string(f, "hostname"), "box");
	assert_true(flags_bool(f, "detach"));
	assert_args(f, ARGV("img"));
	assert_true(flags_help(g));
}

static void test_help_does_not_hide_errors(void **state)
{
	FAILS(specs, FLAGS_INTERSPERSED, "unknown flag: --foo", "--help", "--foo");
	FAILS(h_specs, FLAGS_INTERSPERSED, "flag needs an argument: 'h' in -h", "-h");
}

static void test_help_declared_by_command(void **state)
{
	static const struct flag_spec own_help[] = {
	        {.name = "help", .type = FLAG_BOOL},
	        {.name = NULL},
	};
	_cleanup_(flags_freep) struct flags *f = PARSE(own_help, FLAGS_INTERSPERSED, "--help");

	assert_true(flags_help(f));
	assert_true(flags_bool(f, "help"));
	/* no shorthand declared, so none is added */
	FAILS(own_help, FLAGS_INTERSPERSED, "unknown shorthand flag: 'h' in -h", "-h");
}

static void test_free_null(void **state)
{
	flags_free(NULL);
}

/* ---- usage ---- */

static char *usage_of(const struct flag_spec *sp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	flags_print_usage(out, sp);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void test_usage_docker_ps(void **state)
{
	static const struct flag_spec ps[] = {
	        {.name = "size",
	         .shorthand = 's',
	         .type = FLAG_BOOL,
	         .usage = "Display total file sizes"},
	        {.name = "all",
	         .shorthand = 'a',
	         .type = FLAG_BOOL,
	         .usage = "Show all containers (default shows just running)"},
	        {.name = "format",
	         .type = FLAG_STRING,
	         .usage = "Format output using a custom template"},
	        {.name = "filter",
	         .shorthand = 'f',
	         .type = FLAG_LIST,
	         .metavar = "filter",
	         .usage = "Filter output based on conditions provided"},
	        {.name = "quiet",
	         .shorthand = 'q',
	         .type = FLAG_BOOL,
	         .usage = "Only display container IDs"},
	        {.name = "last",
	         .shorthand = 'n',
	         .type = FLAG_INT,
	         .defval = "-1",
	         .usage = "Show n last created containers (includes all states)"},
	        {.name = "no-trunc",
	         .type = FLAG_BOOL,
	         .defval = "false",
	         .usage = "Don't truncate output"},
	        {.name = "latest",
	         .shorthand = 'l',
	         .type = FLAG_BOOL,
	         .usage = "Show the latest created container (includes all states)"},
	        {.name = NULL},
	};
	_cleanup_free_ char *got = usage_of(ps);

	assert_string_equal(
	        got,
	        "  -a, --all             Show all containers (default shows just running)\n"
	        "  -f, --filter filter   Filter output based on conditions provided\n"
	        "      --format string   Format output using a custom template\n"
	        "  -n, --last int        Show n last created containers (includes all states) "
	        "(default -1)\n"
	        "  -l, --latest          Show the latest created container (includes all states)\n"
	        "      --no-trunc        Don't truncate output\n"
	        "  -q, --quiet           Only display container IDs\n"
	        "  -s, --size            Display total file sizes\n");
}

static void test_usage_defaults(void **state)
{
	static const struct flag_spec sp[] = {
	        {.name = "rm", .type = FLAG_BOOL, .defval = "true", .usage = "Remove"},
	        {.name = "log-driver",
	         .type = FLAG_STRING,
	         .defval = "json-file",
	         .usage = "Logging driver for the container"},
	        {.name = "label",
	         .shorthand = 'l',
	         .type = FLAG_LIST,
	         .defval = "a=b",
	         .usage = "Set metadata"},
	        {.name = "entrypoint",
	         .type = FLAG_STRING,
	         .defval = "",
	         .usage = "Overwrite the default ENTRYPOINT"},
	        {.name = "format", .type = FLAG_STRING, .defval = "{{\"x\"}}", .usage = "Template"},
	        {.name = "memory",
	         .shorthand = 'm',
	         .type = FLAG_INT,
	         .metavar = "bytes",
	         .usage = "Memory limit"},
	        {.name = NULL},
	};
	_cleanup_free_ char *got = usage_of(sp);

	assert_string_equal(got,
	                    "      --entrypoint string   Overwrite the default ENTRYPOINT\n"
	                    "      --format string       Template (default \"{{\\\"x\\\"}}\")\n"
	                    "  -l, --label list          Set metadata (default [a=b])\n"
	                    "      --log-driver string   Logging driver for the container "
	                    "(default \"json-file\")\n"
	                    "  -m, --memory bytes        Memory limit\n"
	                    "      --rm                  Remove (default true)\n");
}

static void test_usage_empty(void **state)
{
	static const struct flag_spec none[] = {{.name = NULL}};
	_cleanup_free_ char *got = usage_of(none);

	assert_string_equal(got, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_long_bool),
	        cmocka_unit_test(test_long_bool_values),
	        cmocka_unit_test(test_long_bool_invalid),
	        cmocka_unit_test(test_long_bool_does_not_take_next_arg),
	        cmocka_unit_test(test_long_value_eq_and_space),
	        cmocka_unit_test(test_long_value_starting_with_dash),
	        cmocka_unit_test(test_long_value_empty),
	        cmocka_unit_test(test_long_value_keeps_later_equals),
	        cmocka_unit_test(test_long_needs_argument),
	        cmocka_unit_test(test_unknown_long),
	        cmocka_unit_test(test_bad_long_syntax),
	        cmocka_unit_test(test_short_bool),
	        cmocka_unit_test(test_short_stacked_bools),
	        cmocka_unit_test(test_short_stack_last_takes_next),
	        cmocka_unit_test(test_short_attached_value),
	        cmocka_unit_test(test_short_eq_value),
	        cmocka_unit_test(test_short_value_quirks),
	        cmocka_unit_test(test_short_bool_eq_value),
	        cmocka_unit_test(test_short_needs_argument),
	        cmocka_unit_test(test_unknown_short),
	        cmocka_unit_test(test_double_dash_ends_flags),
	        cmocka_unit_test(test_double_dash_stop_mode),
	        cmocka_unit_test(test_lone_dash_is_positional),
	        cmocka_unit_test(test_interspersed),
	        cmocka_unit_test(test_stop_at_first_arg),
	        cmocka_unit_test(test_stop_at_first_arg_empty_string),
	        cmocka_unit_test(test_no_arguments),
	        cmocka_unit_test(test_argv_is_copied),
	        cmocka_unit_test(test_list_keeps_order),
	        cmocka_unit_test(test_list_defaults),
	        cmocka_unit_test(test_last_value_wins),
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_int_range),
	        cmocka_unit_test(test_int_invalid),
	        cmocka_unit_test(test_int_overflow),
	        cmocka_unit_test(test_error_after_good_flags),
	        cmocka_unit_test(test_help_long),
	        cmocka_unit_test(test_help_short),
	        cmocka_unit_test(test_help_with_h_spec),
	        cmocka_unit_test(test_help_does_not_hide_errors),
	        cmocka_unit_test(test_help_declared_by_command),
	        cmocka_unit_test(test_free_null),
	        cmocka_unit_test(test_usage_docker_ps),
	        cmocka_unit_test(test_usage_defaults),
	        cmocka_unit_test(test_usage_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
