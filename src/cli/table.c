/* table.c — docker's formatter.Context for lists, a Go tabwriter, and the
 * go-units/stringid helpers that shape the cells. */
#include "cli/table.h"

#include <errno.h>
#include <string.h>

#include "base/json.h"
#include "cli/template.h"

/* docker/cli formatter.go: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
#define TABLE_MINWIDTH 10
#define TABLE_PADDING  3

/* ---- display width ----------------------------------------------------- */

/* Decode one UTF-8 sequence; an invalid byte is one rune of its own. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *ret)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	uint32_t r;

	if (n == 0 || n > len || s[0] > 0xf4)
		goto bad;
	r = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		r = r << 6 | (s[i] & 0x3f);
	}
	*ret = r;
	return n;
bad:
	*ret = 0xfffd;
	return 1;
}

static bool in_ranges(uint32_t r, const uint32_t (*ranges)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r >= ranges[i][0] && r <= ranges[i][1])
			return true;
	return false;
}

/* go-runewidth's RuneWidth (East Asian ambiguous as narrow), by its main
 * ranges: controls and combining marks take no column, wide and
 * fullwidth characters and most emoji take two. */
static int rune_width(uint32_t r)
{
	static const uint32_t zero[][2] = {
	        {0x0300, 0x036f}, {0x0483, 0x0489},   {0x0591, 0x05bd}, {0x0610, 0x061a},
	        {0x064b, 0x065f}, {0x0e31, 0x0e31},   {0x0e34, 0x0e3a}, {0x0e47, 0x0e4e},
	        {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff},   {0x200b, 0x200f}, {0x2028, 0x202e},
	        {0x2060, 0x2064}, {0x20d0, 0x20ff},   {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f},
	        {0xfeff, 0xfeff}, {0xe0100, 0xe01ef},
	};
	static const uint32_t wide[][2] = {
	        {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},
	        {0x23f0, 0x23f0},   {0x23f3, 0x23f3},   {0x25fd, 0x25fe},   {0x2614, 0x2615},
	        {0x2648, 0x2653},   {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},
	        {0x26ce, 0x26ce},   {0x26d4, 0x26d4},   {0x26ea, 0x26ea},   {0x26f2, 0x26f5},
	        {0x26fa, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},   {0x2728, 0x2728},
	        {0x274c, 0x274c},   {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
	        {0x27b0, 0x27b0},   {0x27bf, 0x27bf},   {0x2b1b, 0x2b1c},   {0x2b50, 0x2b50},
	        {0x2b55, 0x2b55},   {0x2e80, 0x303e},   {0x3041, 0x33ff},   {0x3400, 0x4dbf},
	        {0x4e00, 0x9fff},   {0xa000, 0xa4cf},   {0xa960, 0xa97f},   {0xac00, 0xd7a3},
	        {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},   {0xff00, 0xff60},
	        {0xffe0, 0xffe6},   {0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e},
	        {0x1f191, 0x1f19a}, {0x1f200, 0x1f2ff}, {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff},
	        {0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x3fffd},
	};

	if (r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0xad)
		return 0;
	if (r < 0x300)
		return 1;
	if (in_ranges(r, zero, ELEMENTSOF(zero)))
		return 0;
	return in_ranges(r, wide, ELEMENTSOF(wide)) ? 2 : 1;
}

/* Columns taken by s; tabwriter's Escape bytes (0xff) take none. */
static int text_width(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	int w = 0;
	uint32_t r;

	for (size_t i = 0, n; i < len; i += n) {
		n = decode(u + i, len - i, &r);
		if (u[i] != 0xff)
			w += rune_width(r);
	}
	return w;
}

/* ---- tabwriter --------------------------------------------------------- */

struct tw_cell {
	size_t off, size;
	int width;
};

struct tw_line {
	struct tw_cell *cells;
	size_t n, cap;
};

struct tabwriter {
	const char *text;
	struct tw_line *lines;
	size_t nlines, cap;
	int *widths; /* a stack, one entry per column being laid out */
	size_t nwidths, max_cells;
	int minwidth, padding;
	struct strbuf *out;
};

static int tw_add_line(struct tabwriter *tw)
{
	size_t cap = tw->cap ? tw->cap * 2 : 16;
	struct tw_line *nl;

	if (tw->nlines == tw->cap) {
		nl = realloc(tw->lines, cap * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		tw->lines = nl;
		tw->cap = cap;
	}
	tw->lines[tw->nlines++] = (struct tw_line){0};
	return 0;
}

static int tw_add_cell(struct tabwriter *tw, size_t off, size_t size)
{
	struct tw_line *line = &tw->lines[tw->nlines - 1];
	size_t cap = line->cap ? line->cap * 2 : 8;
	struct tw_cell *nc;

	if (line->n == line->cap) {
		nc = realloc(line->cells, cap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		line->cells = nc;
		line->cap = cap;
	}
	line->cells[line->n++] = (struct tw_cell){off, size, text_width(tw->text + off, size)};
	tw->max_cells = MAX(tw->max_cells, line->n);
	return 0;
}

/* Cut text into lines of cells, as tabwriter's Write and Flush do. */
static int tw_split(struct tabwriter *tw, size_t len)
{
	const char *text = tw->text, *end;
	size_t start = 0;
	int r = tw_add_line(tw);

	for (size_t i = 0; r == 0 && i < len; i++) {
		char ch = text[i];

		if ((unsigned char)ch == 0xff) {
			/* an escaped segment: its tabs and newlines are text */
			end = memchr(text + i + 1, 0xff, len - i - 1);
			i = end ? (size_t)(end - text) : len - 1;
		} else if (ch == '\t' || ch == '\v' || ch == '\n' || ch == '\f') {
			r = tw_add_cell(tw, start, i - start);
			start = i + 1;
			if (r == 0 && (ch == '\n' || ch == '\f'))
				r = tw_add_line(tw);
		}
	}
	/* the text after the last terminator is a cell of the last line */
	if (r == 0 && start < len)
		r = tw_add_cell(tw, start, len - start);
	return r;
}

static int tw_write_lines(struct tabwriter *tw, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct tw_line *line = &tw->lines[i];

		for (size_t j = 0; j < line->n; j++) {
			const struct tw_cell *c = &line->cells[j];

			if (strbuf_append(tw->out, tw->text + c->off, c->size) < 0)
				return -ENOMEM;
			for (int k = c->width; j < tw->nwidths && k < tw->widths[j]; k++)
				if (strbuf_append(tw->out, " ", 1) < 0)
					return -ENOMEM;
		}
		/* the last line has no newline: it is what followed the last one */
		if (i + 1 < tw->nlines && strbuf_append(tw->out, "\n", 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* tabwriter's format(): lay out column nwidths of lines [line0, line1) in
 * blocks of consecutive lines that have a cell there, then recurse for
 * the columns to its right. */
static int tw_format(struct tabwriter *tw, size_t line0, size_t line1)
{
	size_t column = tw->nwidths;
	int width, r;

	for (size_t this = line0; this < line1; this ++) {
		if (column + 1 >= tw->lines[this].n)
			continue;
		r = tw_write_lines(tw, line0, this);
		if (r < 0)
			return r;
		line0 = this;
		width = tw->minwidth;
		for (; this < line1 && column + 1 < tw->lines[this].n; this ++)
			width = MAX(width, tw->lines[this].cells[column].width + tw->padding);
		tw->widths[tw->nwidths++] = width;
		r = tw_format(tw, line0, this);
		tw->nwidths--;
		if (r < 0)
			return r;
		line0 = this;
	}
	return tw_write_lines(tw, line0, line1);
}

int tabwriter_format(struct strbuf *out, const char *text, size_t len, int minwidth, int padding)
{
	struct tabwriter tw = {.text = text, .minwidth = minwidth, .padding = padding, .out = out};
	int r = tw_split(&tw, len);

	if (r == 0) {
		tw.widths = calloc(tw.max_cells + 1, sizeof(int));
		r = tw.widths ? tw_format(&tw, 0, tw.nlines) : -ENOMEM;
	}
	for (size_t i = 0; i < tw.nlines; i++)
		free(tw.lines[i].cells);
	free(tw.lines);
	free(tw.widths);
	return r;
}

/* ---- docker's formatter ------------------------------------------------ */

/* formatter.Context.preFormat: trim spaces, then `\t` and `\n` as written
 * on a command line become a tab and a newline. */
static char *prepare_format(const char *f)
{
	size_t len = strlen(f);
	char *d, *p;

	while (*f == ' ')
		f++, len--;
	while (len > 0 && f[len - 1] == ' ')
		len--;
	d = p = malloc(len + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (f[i] == '\\' && i + 1 < len && (f[i + 1] == 't' || f[i + 1] == 'n')) {
			*p++ = f[++i] == 't' ? '\t' : '\n';
			continue;
		}
		*p++ = f[i];
	}
	*p = 0;
	return d;
}

static const char *header_for(const struct table_column *headers, const char *field)
{
	for (; headers && headers->field; headers++)
		if (streq(headers->field, field))
			return headers->header;
	return NULL;
}

/* {field: header} for every field the template reads; a field without a
 * header is shown upper-cased. */
static json_t *header_context(const struct tmpl *t, const struct table_column *headers)
{
	_cleanup_strv_ char **fields = tmpl_fields(t);
	_cleanup_json_ json_t *ctx = json_object();

	if (!fields || !ctx)
		return NULL;
	STRV_FOREACH (f, fields) {
		const char *h = header_for(headers, *f);
		_cleanup_free_ char *up = strdup(*f);

		if (!up)
			return NULL;
		for (char *c = up; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = *c - 'a' + 'A';
		if (json_object_set_new(ctx, *f, json_string_nocheck(h ? h : up)) < 0)
			return NULL;
	}
	return TAKE_PTR(ctx);
}

/* The header row. docker ignores errors here and keeps what the template
 * wrote before failing; only running out of memory is reported. */
static int render_header(const struct tmpl *t, const struct table_column *headers,
                         struct strbuf *out, struct husk_error **err)
{
	_cleanup_json_ json_t *ctx = header_context(t, headers);
	_cleanup_error_ struct husk_error *ignored = NULL;
	int r;

	if (!ctx)
		return error_set(err, ENOMEM, "table header: out of memory");
	r = tmpl_exec_flags(t, ctx, TMPL_EXEC_HEADER, out, &ignored);
	if (r == -ENOMEM)
		return error_set(err, ENOMEM, "table header: out of memory");
	return strbuf_append(out, "\n", 1) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
}

static int render_rows(const struct tmpl *t, json_t *items, struct strbuf *out,
                       struct husk_error **err)
{
	size_t i;
	json_t *item;
	int r;

	if (items && !json_is_array(items))
		return error_set(err, EINVAL, "table: items must be an array");
	json_array_foreach (items, i, item) {
		r = tmpl_exec_flags(t, item, TMPL_EXEC_CONTEXT_JSON, out, err);
		if (r < 0)
			return r == -ENOMEM ? r : error_wrap(err, "template parsing error");
		if (strbuf_append(out, "\n", 1) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int table_format(struct strbuf *out, const char *format, const char *default_format,
                 const struct table_column *headers, json_t *items, struct husk_error **err)
{
	_cleanup_(tmpl_freep) struct tmpl *t = NULL;
	_cleanup_free_ char *text = NULL;
	struct strbuf buf = {0};
	bool table;
	int r;

	if (isempty(format) || streq(format, "table"))
		format = default_format ? default_format : "";
	if (streq(format, "json"))
		format = "{{json .}}";
	table = startswith(format, "table") != NULL;
	text = prepare_format(table ? format + strlen("table") : format);
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	t = tmpl_parse(text, err);
	if (!t)
		return error_wrap(err, "template parsing error");
	r = table ? render_header(t, headers, &buf, err) : 0;
	if (r == 0)
		r = render_rows(t, items, &buf, err);
	if (r == 0 && table)
		r = tabwriter_format(out, buf.buf, buf.len, TABLE_MINWIDTH, TABLE_PADDING);
	else if (r == 0)
		r = strbuf_append(out, buf.buf ? buf.buf : "", buf.len);
	strbuf_release(&buf);
	if (r == -ENOMEM)
		return error_set(err, ENOMEM, "out of memory");
	return r;
}

int table_render(FILE *out, const char *format, const char *default_format,
                 const struct table_column *headers, json_t *items, struct husk_error **err)
{
	struct strbuf sb = {0};
	int r = table_format(&sb, format, default_format, headers, items, err);

	if (r == 0 && (fwrite(sb.buf, 1, sb.len, out) != sb.len || fflush(out) != 0))
		r = error_set_errno(err, errno ? errno : EIO, "write output");
	strbuf_release(&sb);
	return r;
}

/* ---- cells ------------------------------------------------------------- */

char *format_human_duration(int64_t s)
{
	int64_t minutes, hours;

	if (s < 1)
		return strdup("Less than a second");
	if (s == 1)
		return strdup("1 second");
	if (s < 60)
		return str_printf("%lld seconds", (long long)s);
	minutes = s / 60;
	if (minutes == 1)
		return strdup("About a minute");
	if (minutes < 60)
		return str_printf("%lld minutes", (long long)minutes);
	/* d.Round(time.Hour): to the nearest hour, halves up */
	hours = s / 3600 + (s % 3600 >= 1800);
	if (hours == 1)
		return strdup("About an hour");
	if (hours < 48)
		return str_printf("%lld hours", (long long)hours);
	if (hours < 24 * 7 * 2)
		return str_printf("%lld days", (long long)(hours / 24));
	if (hours < 24 * 30 * 2)
		return str_printf("%lld weeks", (long long)(hours / 24 / 7));
	if (hours < 24 * 365 * 2)
		return str_printf("%lld months", (long long)(hours / 24 / 30));
	return str_printf("%lld years", (long long)(s / 3600 / 24 / 365));
}

char *format_since(int64_t unix_secs, int64_t now)
{
	_cleanup_free_ char *d = NULL;
	int64_t diff;

	if (__builtin_sub_overflow(now, unix_secs, &diff))
		diff = now > unix_secs ? INT64_MAX : 0;
	d = format_human_duration(diff);
	return d ? str_printf("%s ago", d) : NULL;
}

char *format_size(uint64_t bytes)
{
	char buf[32];

	str_human_size(bytes, buf, sizeof(buf));
	return strdup(buf);
}

char *format_id(const char *id, bool no_trunc)
{
	const char *colon;

	if (!id)
		return strdup("");
	if (no_trunc)
		return strdup(id);
	colon = strchr(id, ':');
	if (colon)
		id = colon + 1;
	return strndup(id, 12);
}
