/* flags.c — docker-style (spf13/pflag + cobra) command-line flag parsing.
 *
 * The parse follows pflag's parseArgs/parseLongArg/parseSingleShortArg
 * step by step, so the odd corners match docker too: `-a=` is `-a`
 * followed by an unknown shorthand '=', `-p=` gives `-p` the value "=",
 * and a value flag takes the next argument even when it starts with '-'.
 * `--help`/`-h` behave like cobra's help flag: an ordinary bool flag added
 * when the command does not declare one, so `--help=false` is allowed and a
 * bad flag after `--help` is still an error.
 *
 * Everything struct flags holds is copied (flag names, defaults, values and
 * positional arguments): neither argv nor the spec table needs to outlive
 * it.
 *
 * Asking for a flag by a name that is not in the specs (or as the wrong
 * type) is a programming error in the command, not bad user input: the
 * accessors assert() it. With NDEBUG they return false / NULL / 0 / an
 * empty vector instead.
 */
#include "cli/flags.h"

#include <assert.h>
#include <string.h>

#include "base/str.h"

#define TYPE_BIT(t) (1u << (t))
#define ANY_TYPE                                                                                   \
	(TYPE_BIT(FLAG_BOOL) | TYPE_BIT(FLAG_STRING) | TYPE_BIT(FLAG_INT) | TYPE_BIT(FLAG_LIST))

struct flag_state {
	char *name; /* long name, copied from the spec */
	char shorthand;
	enum flag_type type;
	bool changed;
	bool on;     /* FLAG_BOOL */
	int64_t num; /* FLAG_INT */
	char *value; /* FLAG_STRING, FLAG_INT: last text given, else the default */
	char **list; /* FLAG_LIST: values given, else the default; never NULL */
};

struct flags {
	struct flag_state *flags;
	size_t n;
	size_t help; /* index of the "help" flag in flags[] */
	char **args; /* positional arguments; never NULL */
};

struct parser {
	struct flags *f;
	int argc;
	char *const *argv;
	int i; /* next argv index */
	enum flags_mode mode;
	struct husk_error **err;
};

/* ---- quoting as Go's %q does, for messages that must match docker ---- */

/* Append ASCII byte c escaped like strconv.Quote (q is the quote in use);
 * bytes >= 0x80 pass through unchanged (assumed to be UTF-8). */
static int quote_byte(struct strbuf *sb, unsigned char c, char q)
{
	static const char esc[] = "\aa\bb\ff\nn\rr\tt\vv";

	if (c == (unsigned char)q || c == '\\')
		return strbuf_printf(sb, "\\%c", c);
	if ((c >= 0x20 && c < 0x7f) || c >= 0x80)
		return strbuf_append(sb, &c, 1);
	for (size_t i = 0; i + 1 < sizeof(esc); i += 2)
		if ((unsigned char)esc[i] == c)
			return strbuf_printf(sb, "\\%c", esc[i + 1]);
	return strbuf_printf(sb, "\\x%02x", c);
}

/* s as Go's %q prints a string: "a\"b". NULL on OOM. */
static char *quote_string(const char *s)
{
	struct strbuf sb = {0};
	int r = strbuf_puts(&sb, "\"");

	for (; r >= 0 && *s; s++)
		r = quote_byte(&sb, (unsigned char)*s, '"');
	if (r < 0 || strbuf_puts(&sb, "\"") < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_steal(&sb);
}

/* A byte as Go's %q prints it: pflag formats the byte as the rune
 * U+0000..U+00FF, so the lead byte of "é" (0xc3) shows as 'Ã'. NULL on OOM. */
static char *quote_char(unsigned char c)
{
	struct strbuf sb = {0};
	int r = strbuf_puts(&sb, "'");

	if (r >= 0 && c < 0x80)
		r = quote_byte(&sb, c, '\'');
	else if (r >= 0 && (c <= 0xa0 || c == 0xad)) /* not printable in Unicode */
		r = strbuf_printf(&sb, "\\u%04x", c);
	else if (r >= 0)
		r = strbuf_printf(&sb, "%c%c", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
	if (r < 0 || strbuf_puts(&sb, "'") < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_steal(&sb);
}

/* ---- error messages ---- */

static int error_oom(struct husk_error **err)
{
	return error_set(err, ENOMEM, "out of memory");
}

/* `invalid argument "v" for "-a, --all" flag: <why>` */
static int error_invalid(struct husk_error **err, const struct flag_state *st, const char *value,
                         const char *why)
{
	_cleanup_free_ char *q = quote_string(value);

	if (!q)
		return error_oom(err);
	if (st->shorthand)
		return error_set(err, EINVAL, "invalid argument %s for \"-%c, --%s\" flag: %s", q,
		                 st->shorthand, st->name, why);
	return error_set(err, EINVAL, "invalid argument %s for \"--%s\" flag: %s", q, st->name,
	                 why);
}

/* `<what>: 'x' in -xyz`, naming the rest of the shorthand run as pflag does. */
static int error_short(struct husk_error **err, const char *what, const char *shorthands)
{
	_cleanup_free_ char *q = quote_char((unsigned char)*shorthands);

	if (!q)
		return error_oom(err);
	return error_set(err, EINVAL, "%s: %s in -%s", what, q, shorthands);
}

/* ---- lookup ---- */

static struct flag_state *find_long(const struct flags *f, const char *name, size_t len)
{
	for (size_t i = 0; i < f->n; i++)
		if (strncmp(f->flags[i].name, name, len) == 0 && f->flags[i].name[len] == '\0')
			return &f->flags[i];
	return NULL;
}

static struct flag_state *find_short(const struct flags *f, char c)
{
	for (size_t i = 0; i < f->n; i++)
		if (c && f->flags[i].shorthand == c)
			return &f->flags[i];
	return NULL;
}

/* strconv.ParseBool */
static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (streq(s, yes[i]) || streq(s, no[i])) {
			*ret = streq(s, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- setting values ---- */

static int set_bool(struct flag_state *st, const char *value, struct husk_error **err)
{
	if (parse_bool(value, &st->on) < 0)
		return error_invalid(err, st, value, "expected true or false");
	return 0;
}

static int set_string(struct flag_state *st, const char *value, struct husk_error **err)
{
	char *copy = strdup(value);

	if (!copy)
		return error_oom(err);
	free(st->value);
	st->value = copy;
	return 0;
}

static int set_int(struct flag_state *st, const char *value, struct husk_error **err)
{
	int64_t num;
	int r = str_to_int64(value, &num);

	if (r == -ERANGE)
		return error_invalid(err, st, value, "value out of range");
	if (r < 0)
		return error_invalid(err, st, value, "expected an integer");
	r = set_string(st, value, err);
	if (r < 0)
		return r;
	st->num = num;
	return 0;
}

static int set_list(struct flag_state *st, const char *value, struct husk_error **err)
{
	if (!st->changed) { /* the first value given replaces the default */
		char **empty = strv_new();

		if (!empty)
			return error_oom(err);
		strv_free(st->list);
		st->list = empty;
	}
	if (strv_push(&st->list, value) < 0)
		return error_oom(err);
	return 0;
}

static int flag_set(struct parser *p, struct flag_state *st, const char *value)
{
	static int (*const setters[])(struct flag_state *, const char *, struct husk_error **) = {
	        [FLAG_BOOL] = set_bool,
	        [FLAG_STRING] = set_string,
	        [FLAG_INT] = set_int,
	        [FLAG_LIST] = set_list,
	};
	int r = setters[st->type](st, value, p->err);

	if (r < 0)
		return r;
	st->changed = true;
	return 0;
}

/* ---- parsing ---- */

/* Move argv[p->i..argc) to the positional arguments. */
static int take_rest(struct parser *p)
{
	for (; p->i < p->argc; p->i++)
		if (strv_push(&p->f->args, p->argv[p->i]) < 0)
			return error_oom(p->err);
	return 0;
}

static int parse_positional(struct parser *p, const char *s)
{
	if (strv_push(&p->f->args, s) < 0)
		return error_oom(p->err);
	if (p->mode & FLAGS_STOP_AT_FIRST_ARG)
		return take_rest(p);
	return 0;
}

/* `--name`, `--name=value`, `--name value` */
static int parse_long(struct parser *p, const char *s)
{
	const char *name = s + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	struct flag_state *st;

	if (name[0] == '-' || name[0] == '=')
		return error_set(p->err, EINVAL, "bad flag syntax: %s", s);
	st = find_long(p->f, name, len);
	if (!st)
		return error_set(p->err, EINVAL, "unknown flag: --%.*s", (int)len, name);
	if (eq)
		return flag_set(p, st, eq + 1);
	if (st->type == FLAG_BOOL)
		return flag_set(p, st, "true");
	if (p->i < p->argc)
		return flag_set(p, st, p->argv[p->i++]);
	return error_set(p->err, EINVAL, "flag needs an argument: %s", s);
}

/* The first letter of *rest, and its value if it takes one; advances *rest
 * past what was used. */
static int parse_short_one(struct parser *p, const char **rest)
{
	const char *sh = *rest, *end = sh + strlen(sh);
	struct flag_state *st = find_short(p->f, sh[0]);

	*rest = sh + 1;
	if (!st)
		return error_short(p->err, "unknown shorthand flag", sh);
	if (sh[1] == '=' && sh[2]) { /* -f=value */
		*rest = end;
		return flag_set(p, st, sh + 2);
	}
	if (st->type == FLAG_BOOL)
		return flag_set(p, st, "true");
	if (sh[1]) { /* -fvalue */
		*rest = end;
		return flag_set(p, st, sh + 1);
	}
	if (p->i < p->argc) /* -f value */
		return flag_set(p, st, p->argv[p->i++]);
	return error_short(p->err, "flag needs an argument", sh);
}

/* `-a`, `-it`, `-dp 80:80`, `-p80:80`, `-p=80:80` */
static int parse_short(struct parser *p, const char *s)
{
	const char *rest = s + 1;
	int r;

	while (*rest) {
		r = parse_short_one(p, &rest);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_arg(struct parser *p, const char *s)
{
	if (s[0] != '-' || s[1] == '\0') /* also "" and a lone "-" */
		return parse_positional(p, s);
	if (streq(s, "--"))
		return take_rest(p);
	if (s[1] == '-')
		return parse_long(p, s);
	return parse_short(p, s);
}

/* ---- struct flags ---- */

static int state_init(struct flag_state *st, const struct flag_spec *spec)
{
	const char *def = spec->defval;

	*st = (struct flag_state){.shorthand = spec->shorthand, .type = spec->type};
	st->name = strdup(spec->name);
	st->list = strv_new();
	if (!st->name || !st->list)
		return -ENOMEM;
	if (!def)
		return 0;
	switch (spec->type) {
	case FLAG_BOOL: /* on for "true" (any strconv.ParseBool truth), else off */
		(void)parse_bool(def, &st->on);
		return 0;
	case FLAG_LIST:
		return strv_push(&st->list, def);
	case FLAG_INT:
		if (str_to_int64(def, &st->num) < 0)
			assert(!"FLAG_INT default is not an integer");
		break;
	case FLAG_STRING:
		break;
	}
	st->value = strdup(def);
	return st->value ? 0 : -ENOMEM;
}

/* cobra's help flag: `--help`, plus `-h` unless the command uses 'h'. */
static int help_init(struct flags *f)
{
	struct flag_spec help = {
	        .name = "help",
	        .shorthand = find_short(f, 'h') ? 0 : 'h',
	        .type = FLAG_BOOL,
	};
	struct flag_state *st = find_long(f, "help", strlen("help"));

	if (st) { /* the command declares its own */
		assert(st->type == FLAG_BOOL);
		f->help = st - f->flags;
		return 0;
	}
	f->help = f->n++;
	return state_init(&f->flags[f->help], &help);
}

static int flags_new(const struct flag_spec *specs, struct flags **ret)
{
	_cleanup_(flags_freep) struct flags *f = calloc(1, sizeof(*f));
	size_t n = 0;

	while (specs && specs[n].name)
		n++;
	if (!f)
		return -ENOMEM;
	f->flags = calloc(n + 1, sizeof(*f->flags)); /* + 1 for help */
	f->args = strv_new();
	if (!f->flags || !f->args)
		return -ENOMEM;
	for (; f->n < n; f->n++)
		if (state_init(&f->flags[f->n], &specs[f->n]) < 0)
			return -ENOMEM;
	if (help_init(f) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(f);
	return 0;
}

int flags_parse(const struct flag_spec *specs, int argc, char *const *argv, enum flags_mode mode,
                struct flags **ret, struct husk_error **err)
{
	_cleanup_(flags_freep) struct flags *f = NULL;
	struct parser p = {.argc = argc, .argv = argv, .mode = mode, .err = err};
	int r;

	if (flags_new(specs, &f) < 0)
		return error_oom(err);
	p.f = f;
	while (p.i < p.argc) {
		r = parse_arg(&p, p.argv[p.i++]);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(f);
	return 0;
}

void flags_free(struct flags *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->flags[i].name);
		free(f->flags[i].value);
		strv_free(f->flags[i].list);
	}
	free(f->flags);
	strv_free(f->args);
	free(f);
}

/* ---- accessors ---- */

/* The flag called name if it has one of types; see the top of the file. */
static const struct flag_state *flag_get(const struct flags *f, const char *name, unsigned types)
{
	const struct flag_state *st;

	assert(f && name);
	st = find_long(f, name, strlen(name));
	assert(st && "flag not declared in the specs");
	assert((!st || (types & TYPE_BIT(st->type))) && "flag queried as the wrong type");
	return st && (types & TYPE_BIT(st->type)) ? st : NULL;
}

bool flags_help(const struct flags *f)
{
	return f->flags[f->help].on;
}

bool flags_changed(const struct flags *f, const char *name)
{
	const struct flag_state *st = flag_get(f, name, ANY_TYPE);

	return st && st->changed;
}

bool flags_bool(const struct flags *f, const char *name)
{
	const struct flag_state *st = flag_get(f, name, TYPE_BIT(FLAG_BOOL));

	return st && st->on;
}

const char *flags_string(const struct flags *f, const char *name)
{
	const struct flag_state *st = flag_get(f, name, TYPE_BIT(FLAG_STRING) | TYPE_BIT(FLAG_INT));

	return st ? st->value : NULL;
}

int64_t flags_int(const struct flags *f, const char *name)
{
	const struct flag_state *st = flag_get(f, name, TYPE_BIT(FLAG_INT));

	return st ? st->num : 0;
}

char *const *flags_list(const struct flags *f, const char *name)
{
	static char *const empty[] = {NULL};
	const struct flag_state *st = flag_get(f, name, TYPE_BIT(FLAG_LIST));

	return st ? st->list : empty;
}

char *const *flags_args(const struct flags *f)
{
	return f->args;
}

int flags_nargs(const struct flags *f)
{
	return (int)strv_length(f->args);
}

/* ---- usage, as pflag's FlagUsages prints it ---- */

static const char *spec_metavar(const struct flag_spec *s)
{
	static const char *const by_type[] = {
	        [FLAG_BOOL] = "",
	        [FLAG_STRING] = "string",
	        [FLAG_INT] = "int",
	        [FLAG_LIST] = "list",
	};

	if (s->type == FLAG_BOOL)
		return "";
	return s->metavar ? s->metavar : by_type[s->type];
}

/* Length of "  -a, --all" / "      --format string". */
static size_t usage_prefix_len(const struct flag_spec *s)
{
	size_t n = strlen("      --") + strlen(s->name);

	if (s->type != FLAG_BOOL)
		n += 1 + strlen(spec_metavar(s));
	return n;
}

/* The spec with the smallest name after prev's (the first when prev is
 * NULL): sorting without allocating, for the few flags a command has. */
static const struct flag_spec *usage_next(const struct flag_spec *specs,
                                          const struct flag_spec *prev)
{
	const struct flag_spec *best = NULL;

	for (const struct flag_spec *s = specs; s->name; s++) {
		if (prev && strcmp(s->name, prev->name) <= 0)
			continue;
		if (!best || strcmp(s->name, best->name) < 0)
			best = s;
	}
	return best;
}

/* " (default X)": strings quoted, lists in brackets, the rest plain. */
static void usage_print_default(FILE *out, const struct flag_spec *s)
{
	_cleanup_free_ char *q = NULL;

	if (isempty(s->defval) || streq(s->defval, "false"))
		return;
	if (s->type == FLAG_STRING)
		q = quote_string(s->defval);
	if (s->type == FLAG_LIST)
		fprintf(out, " (default [%s])", s->defval);
	else
		fprintf(out, " (default %s)", q ? q : s->defval);
}

static void usage_print_one(FILE *out, const struct flag_spec *s, size_t width)
{
	const char *metavar = spec_metavar(s);

	if (s->shorthand)
		fprintf(out, "  -%c, --%s", s->shorthand, s->name);
	else
		fprintf(out, "      --%s", s->name);
	if (*metavar)
		fprintf(out, " %s", metavar);
	/* pflag pads to the longest prefix and then adds three spaces */
	fprintf(out, "%*s%s", (int)(width - usage_prefix_len(s) + 3), "", s->usage ? s->usage : "");
	usage_print_default(out, s);
	fputc('\n', out);
}

void flags_print_usage(FILE *out, const struct flag_spec *specs)
{
	size_t width = 0;

	for (const struct flag_spec *s = specs; s && s->name; s++)
		width = MAX(width, usage_prefix_len(s));
	for (const struct flag_spec *s = specs ? usage_next(specs, NULL) : NULL; s;
	     s = usage_next(specs, s))
		usage_print_one(out, s, width);
}
