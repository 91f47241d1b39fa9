/* template_fmt.c — Go's fmt verbs and encoding/json output for JSON values.
 *
 * Templates print what Go's fmt prints for the values encoding/json decodes
 * into (string, int, float64, bool, nil, []interface{}, map[string]any), so
 * this mirrors fmt.Sprint/Sprintf/Sprintln (flags, width and precision in
 * runes, %!verb(type=value) for mismatches) and json.Marshal's compact
 * form. Floats use the shortest digits that round-trip, as strconv does.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/template_internal.h"

/* Propagate -ENOMEM from a strbuf call; every writer here returns 0/-errno. */
#define TRY(expr)                                                                                  \
	do {                                                                                       \
		int _r = (expr);                                                                   \
		if (_r < 0)                                                                        \
			return _r;                                                                 \
	} while (0)

static const char lowerhex[] = "0123456789abcdef";
static const char upperhex[] = "0123456789ABCDEF";

/* ---- UTF-8 ------------------------------------------------------------- */

size_t utf8_decode(const char *s, size_t len, uint32_t *ret)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	uint32_t r;

	if (u[0] < 0x80) {
		*ret = u[0];
		return 1;
	}
	if (u[0] < 0xc2 || u[0] > 0xf4)
		goto bad;
	n = u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
	if (n > len)
		goto bad;
	r = u[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			goto bad;
		r = r << 6 | (u[i] & 0x3f);
	}
	if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10ffff)) ||
	    (r >= 0xd800 && r <= 0xdfff))
		goto bad;
	*ret = r;
	return n;
bad:
	*ret = 0xfffd;
	return 1;
}

size_t utf8_seq_len(const char *s, size_t len)
{
	uint32_t r;

	return utf8_decode(s, len, &r);
}

static size_t count_runes(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i += utf8_seq_len(s + i, len - i))
		n++;
	return n;
}

/* Bytes of the first max runes of s. */
static size_t rune_prefix(const char *s, size_t len, size_t max)
{
	size_t i = 0;

	while (i < len && max-- > 0)
		i += utf8_seq_len(s + i, len - i);
	return i;
}

int utf8_put(struct strbuf *sb, uint32_t r)
{
	char b[4];

	if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = 0xfffd;
	if (r < 0x80)
		return strbuf_append(sb, (char[]){(char)r}, 1);
	if (r < 0x800) {
		b[0] = 0xc0 | r >> 6;
		b[1] = 0x80 | (r & 0x3f);
		return strbuf_append(sb, b, 2);
	}
	if (r < 0x10000) {
		b[0] = 0xe0 | r >> 12;
		b[1] = 0x80 | (r >> 6 & 0x3f);
		b[2] = 0x80 | (r & 0x3f);
		return strbuf_append(sb, b, 3);
	}
	b[0] = 0xf0 | r >> 18;
	b[1] = 0x80 | (r >> 12 & 0x3f);
	b[2] = 0x80 | (r >> 6 & 0x3f);
	b[3] = 0x80 | (r & 0x3f);
	return strbuf_append(sb, b, 4);
}

static int put_repeat(struct strbuf *sb, char c, size_t n)
{
	char chunk[64], *big;
	int r;

	if (n <= sizeof(chunk)) {
		memset(chunk, c, n);
		return strbuf_append(sb, chunk, n);
	}
	/* widths reach 9999999 as in Go: fill them in one go */
	big = malloc(n);
	if (!big)
		return -ENOMEM;
	memset(big, c, n);
	r = strbuf_append(sb, big, n);
	free(big);
	return r;
}

/* ---- strconv.Quote ----------------------------------------------------- */

/* unicode.IsPrint, approximately: controls, format characters, spaces
 * other than U+0020 and private use are not printable. */
static bool rune_is_print(uint32_t r)
{
	if (r < 0x80)
		return r >= 0x20 && r < 0x7f;
	if (r < 0xa1 || r == 0xad || (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
	    (r >= 0x205f && r <= 0x206f) || r == 0x3000 || r == 0xfeff ||
	    (r >= 0xe000 && r <= 0xf8ff) || (r >= 0xfff9 && r <= 0xfffb))
		return false;
	return r != 0x1680 && r != 0x180e;
}

static int put_hex_rune(struct strbuf *sb, const char *prefix, uint32_t r, int digits)
{
	TRY(strbuf_puts(sb, prefix));
	for (int s = (digits - 1) * 4; s >= 0; s -= 4)
		TRY(strbuf_append(sb, &lowerhex[r >> s & 0xf], 1));
	return 0;
}

static int quote_rune(struct strbuf *sb, uint32_t r, char quote)
{
	static const char esc[] = {['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
	                           ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v'};

	if (r == (uint32_t)quote || r == '\\') {
		TRY(strbuf_append(sb, "\\", 1));
		return utf8_put(sb, r);
	}
	if (rune_is_print(r))
		return utf8_put(sb, r);
	if (r < sizeof(esc) && esc[r])
		return strbuf_append(sb, (char[]){'\\', esc[r]}, 2);
	if (r < ' ' || r == 0x7f)
		return put_hex_rune(sb, "\\x", r, 2);
	if (r < 0x10000)
		return put_hex_rune(sb, "\\u", r, 4);
	return put_hex_rune(sb, "\\U", r, 8);
}

int gofmt_quote(struct strbuf *sb, const char *s, size_t len, size_t max_runes)
{
	len = rune_prefix(s, len, max_runes);
	TRY(strbuf_append(sb, "\"", 1));
	for (size_t i = 0, n; i < len; i += n) {
		uint32_t r;

		n = utf8_decode(s + i, len - i, &r);
		if (n == 1 && r == 0xfffd)
			TRY(put_hex_rune(sb, "\\x", (unsigned char)s[i], 2));
		else
			TRY(quote_rune(sb, r, '"'));
	}
	return strbuf_append(sb, "\"", 1);
}

/* ---- floats as strconv formats them ------------------------------------ */

/* A decimal d[0..nd) * 10^(dp-nd), d without trailing zeros; 0 is nd = 0. */
struct decimal {
	char d[24];
	int nd, dp;
};

/* The shortest digits that read back as v (v >= 0, finite). */
static void decimal_shortest(double v, struct decimal *dec)
{
	char buf[40], *e;
	int n = 0;

	dec->nd = dec->dp = 0;
	if (v == 0)
		return;
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	e = strchr(buf, 'e');
	for (char *p = buf; p < e; p++)
		if (*p >= '0' && *p <= '9')
			dec->d[n++] = *p;
	while (n > 1 && dec->d[n - 1] == '0')
		n--;
	dec->nd = n;
	dec->dp = atoi(e + 1) + 1;
}

/* %e with prec digits after the point (strconv's fmtE). */
static int decimal_fmt_e(struct strbuf *sb, const struct decimal *dec, int prec, char e)
{
	int exp = dec->nd == 0 ? 0 : dec->dp - 1;

	TRY(strbuf_append(sb, dec->nd ? dec->d : "0", 1));
	if (prec > 0) {
		TRY(strbuf_append(sb, ".", 1));
		for (int i = 1; i <= prec; i++)
			TRY(strbuf_append(sb, i < dec->nd ? &dec->d[i] : "0", 1));
	}
	return strbuf_printf(sb, "%c%c%02d", e, exp < 0 ? '-' : '+', abs(exp));
}

/* %f with prec digits after the point (strconv's fmtF). */
static int decimal_fmt_f(struct strbuf *sb, const struct decimal *dec, int prec)
{
	if (dec->dp > 0) {
		int m = MIN(dec->nd, dec->dp);

		TRY(strbuf_append(sb, dec->d, m));
		TRY(put_repeat(sb, '0', dec->dp - m));
	} else {
		TRY(strbuf_append(sb, "0", 1));
	}
	if (prec > 0) {
		TRY(strbuf_append(sb, ".", 1));
		for (int i = 0; i < prec; i++) {
			int j = dec->dp + i;

			TRY(strbuf_append(sb, j >= 0 && j < dec->nd ? &dec->d[j] : "0", 1));
		}
	}
	return 0;
}

/* strconv.FormatFloat(v, verb, -1, 64) of |v| for e, E, f, F, g, G. */
static int float_shortest(struct strbuf *sb, double v, char verb)
{
	struct decimal dec;
	int exp;

	decimal_shortest(fabs(v), &dec);
	switch (verb) {
	case 'e':
	case 'E':
		return decimal_fmt_e(sb, &dec, MAX(dec.nd - 1, 0), verb);
	case 'f':
	case 'F':
		return decimal_fmt_f(sb, &dec, MAX(dec.nd - dec.dp, 0));
	}
	/* %g: shortest digits decide with precision 6 (strconv's eprec) */
	exp = dec.dp - 1;
	if (exp < -4 || exp >= 6)
		return decimal_fmt_e(sb, &dec, MAX(dec.nd - 1, 0), verb == 'G' ? 'E' : 'e');
	return decimal_fmt_f(sb, &dec, MAX(dec.nd - dec.dp, 0));
}

/* encoding/json's float64: %f, or %e outside [1e-6, 1e21) with "e-07"
 * shortened to "e-7". */
static int json_float(struct strbuf *sb, double v)
{
	double a = fabs(v);
	char *b;
	size_t n;

	if (signbit(v))
		TRY(strbuf_append(sb, "-", 1));
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		TRY(float_shortest(sb, a, 'e'));
		b = sb->buf;
		n = sb->len;
		if (b[n - 4] == 'e' && b[n - 3] == '-' && b[n - 2] == '0') {
			b[n - 2] = b[n - 1];
			b[--sb->len] = 0;
		}
		return 0;
	}
	return float_shortest(sb, a, 'f');
}

/* ---- fmt's verbs ------------------------------------------------------- */

struct spec {
	bool minus, plus, sharp, space, zero, sharp_v;
	bool has_width, has_prec;
	int width, prec;
	uint32_t verb;
};

/* fmt's f.pad: s padded to the width in runes; zeros only when asked and
 * only on the left. */
static int pad_with(struct strbuf *sb, const struct spec *sp, const char *s, size_t len, bool zero)
{
	size_t runes, fill = 0;

	if (sp->has_width) {
		runes = count_runes(s, len);
		fill = (size_t)sp->width > runes ? sp->width - runes : 0;
	}
	if (!sp->minus)
		TRY(put_repeat(sb, zero && sp->zero ? '0' : ' ', fill));
	TRY(strbuf_append(sb, s, len));
	if (sp->minus)
		TRY(put_repeat(sb, ' ', fill));
	return 0;
}

/* Strings, booleans and <nil> are never zero-padded (Go >= 1.23). */
static int pad_text(struct strbuf *sb, const struct spec *sp, const char *s, size_t len)
{
	return pad_with(sb, sp, s, len, false);
}

static int fmt_value(struct strbuf *sb, const struct spec *sp, const json_t *v, int depth);

/* %!d(string=abc): the value printed with %v but the same flags. */
static int bad_verb(struct strbuf *sb, const struct spec *sp, const json_t *v)
{
	struct spec vs = *sp;

	TRY(strbuf_append(sb, "%!", 2));
	TRY(utf8_put(sb, sp->verb));
	if (!v || json_is_null(v))
		return strbuf_puts(sb, "(<nil>)");
	TRY(strbuf_printf(sb, "(%s=", gofmt_type(v)));
	vs.verb = 'v';
	TRY(fmt_value(sb, &vs, v, 1));
	return strbuf_append(sb, ")", 1);
}

static int fmt_hex_bytes(struct strbuf *sb, const struct spec *sp, const char *s, size_t len)
{
	const char *digits = sp->verb == 'X' ? upperhex : lowerhex;
	struct strbuf hex = {0};
	int r = 0;

	if (sp->has_prec && (size_t)sp->prec < len)
		len = sp->prec;
	for (size_t i = 0; i < len && r == 0; i++) {
		unsigned char c = s[i];

		if (sp->space && i > 0)
			r = strbuf_append(&hex, " ", 1);
		if (r == 0 && sp->sharp && (sp->space || i == 0))
			r = strbuf_append(&hex, sp->verb == 'X' ? "0X" : "0x", 2);
		if (r == 0)
			r = strbuf_append(&hex, (char[]){digits[c >> 4], digits[c & 0xf]}, 2);
	}
	if (r == 0)
		r = pad_text(sb, sp, hex.buf ? hex.buf : "", hex.len);
	strbuf_release(&hex);
	return r;
}

static int fmt_string(struct strbuf *sb, const struct spec *sp, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	struct strbuf q = {0};
	int r;

	switch (sp->verb) {
	case 'v':
		if (!sp->sharp_v)
			break;
		/* %#v quotes */
		/* fall through */
	case 'q':
		r = gofmt_quote(&q, s, len, sp->has_prec ? (size_t)sp->prec : SIZE_MAX);
		if (r == 0)
			r = pad_text(sb, sp, q.buf, q.len);
		strbuf_release(&q);
		return r;
	case 's':
		break;
	case 'x':
	case 'X':
		return fmt_hex_bytes(sb, sp, s, len);
	default:
		return bad_verb(sb, sp, v);
	}
	if (sp->has_prec)
		len = rune_prefix(s, len, sp->prec);
	return pad_text(sb, sp, s, len);
}

static int fmt_rune_verbs(struct strbuf *sb, const struct spec *sp, long long n)
{
	uint32_t r = n < 0 || n > 0x10ffff ? 0xfffd : (uint32_t)n;
	struct strbuf t = {0};
	int ret;

	if (sp->verb == 'c')
		ret = utf8_put(&t, r);
	else if (sp->verb == 'q')
		ret = strbuf_append(&t, "'", 1) ?: quote_rune(&t, r, '\'') ?: strbuf_append(&t, "'", 1);
	else
		ret = strbuf_printf(&t, "U+%04llX", (unsigned long long)n);
	if (ret == 0)
		ret = pad_text(sb, sp, t.buf, t.len);
	strbuf_release(&t);
	return ret;
}

/* fmt's fmtInteger: digits right to left, zero padding as precision. */
static int fmt_int(struct strbuf *sb, const struct spec *sp, const json_t *v)
{
	long long n = json_integer_value(v);
	unsigned long long u = n < 0 ? -(unsigned long long)n : (unsigned long long)n;
	const char *digits = sp->verb == 'X' ? upperhex : lowerhex;
	char buf[200], *p = buf + sizeof(buf);
	int base, prec = 0;
	struct spec ps = *sp;

	switch (sp->verb) {
	case 'v':
	case 'd':
		base = 10;
		break;
	case 'b':
		base = 2;
		break;
	case 'o':
	case 'O':
		base = 8;
		break;
	case 'x':
	case 'X':
		base = 16;
		break;
	case 'c':
	case 'q':
	case 'U':
		return fmt_rune_verbs(sb, sp, n);
	default:
		return bad_verb(sb, sp, v);
	}
	if (sp->has_prec) {
		prec = MIN(sp->prec, 120);
		if (prec == 0 && u == 0)
			return put_repeat(sb, ' ', sp->has_width ? sp->width : 0);
	} else if (sp->zero && !sp->minus && sp->has_width) {
		prec = MIN(sp->width, 120) - (n < 0 || sp->plus || sp->space);
	}
	do {
		*--p = digits[u % base];
		u /= base;
	} while (u);
	while (buf + sizeof(buf) - p < prec)
		*--p = '0';
	if (sp->sharp && base == 2) {
		*--p = 'b';
		*--p = '0';
	} else if (sp->sharp && base == 8 && *p != '0') {
		*--p = '0';
	} else if (sp->sharp && base == 16) {
		*--p = sp->verb == 'X' ? 'X' : 'x';
		*--p = '0';
	}
	if (sp->verb == 'O') {
		*--p = 'o';
		*--p = '0';
	}
	if (n < 0)
		*--p = '-';
	else if (sp->plus)
		*--p = '+';
	else if (sp->space)
		*--p = ' ';
	ps.zero = false;
	return pad_text(sb, &ps, p, buf + sizeof(buf) - p);
}

/* |v| with an explicit precision: C's printf agrees with strconv here. */
static int float_with_prec(struct strbuf *sb, double a, char verb, int prec)
{
	char cfmt[8];

	snprintf(cfmt, sizeof(cfmt), "%%.*%c", verb);
	return strbuf_printf(sb, cfmt, MIN(prec, 1000), a);
}

/* fmt's fmtFloat: sign handling, then zero padding after the sign. */
static int fmt_float(struct strbuf *sb, const struct spec *sp, const json_t *v)
{
	double d = json_real_value(v);
	char verb = sp->verb == 'v' ? 'g' : (char)sp->verb;
	struct strbuf num = {0};
	char sign = signbit(d) ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
	int r;

	if (sp->verb > 0x7f || !verb || !strchr("eEfFgG", verb))
		return bad_verb(sb, sp, v);
	if (sign)
		r = strbuf_append(&num, &sign, 1);
	else
		r = strbuf_append(&num, "", 0);
	if (r == 0 && (sp->has_prec || (verb != 'g' && verb != 'G')))
		r = float_with_prec(&num, fabs(d), verb, sp->has_prec ? sp->prec : 6);
	else if (r == 0)
		r = float_shortest(&num, d, verb);
	if (r == 0 && sign && sp->zero && !sp->minus && sp->has_width &&
	    (size_t)sp->width > num.len) {
		r = strbuf_append(sb, &sign, 1) ?: put_repeat(sb, '0', sp->width - num.len);
		if (r == 0)
			r = strbuf_append(sb, num.buf + 1, num.len - 1);
	} else if (r == 0) {
		r = pad_with(sb, sp, num.buf, num.len, true);
	}
	strbuf_release(&num);
	return r;
}

static int fmt_bool(struct strbuf *sb, const struct spec *sp, const json_t *v)
{
	if (sp->verb != 'v' && sp->verb != 't')
		return bad_verb(sb, sp, v);
	return pad_text(sb, sp, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
}

static int fmt_array(struct strbuf *sb, const struct spec *sp, const json_t *v, int depth)
{
	size_t i;
	json_t *e;

	TRY(strbuf_append(sb, "[", 1));
	json_array_foreach (v, i, e) {
		if (i > 0)
			TRY(strbuf_append(sb, " ", 1));
		TRY(fmt_value(sb, sp, e, depth + 1));
	}
	return strbuf_append(sb, "]", 1);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **gofmt_sorted_keys(const json_t *obj, size_t *ret_n)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = calloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *val;

	if (!keys)
		return NULL;
	json_object_foreach ((json_t *)obj, k, val)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	*ret_n = n;
	return keys;
}

static int fmt_map(struct strbuf *sb, const struct spec *sp, const json_t *v, int depth)
{
	_cleanup_free_ const char **keys = NULL;
	size_t n;

	keys = gofmt_sorted_keys(v, &n);
	if (!keys)
		return -ENOMEM;
	TRY(strbuf_append(sb, "map[", 4));
	for (size_t i = 0; i < n; i++) {
		_cleanup_(json_decrefp) json_t *k = json_string_nocheck(keys[i]);

		if (!k)
			return -ENOMEM;
		if (i > 0)
			TRY(strbuf_append(sb, " ", 1));
		TRY(fmt_value(sb, sp, k, depth + 1));
		TRY(strbuf_append(sb, ":", 1));
		TRY(fmt_value(sb, sp, json_object_get(v, keys[i]), depth + 1));
	}
	return strbuf_append(sb, "]", 1);
}

/* fmt's printValue for one value; depth > 0 inside arrays and maps, where
 * nil prints as <nil> whatever the verb. */
static int fmt_value(struct strbuf *sb, const struct spec *sp, const json_t *v, int depth)
{
	if (!v || json_is_null(v)) {
		if (depth > 0 || sp->verb == 'v')
			return pad_text(sb, sp, "<nil>", 5);
		return bad_verb(sb, sp, v);
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		return fmt_string(sb, sp, v);
	case JSON_INTEGER:
		return fmt_int(sb, sp, v);
	case JSON_REAL:
		return fmt_float(sb, sp, v);
	case JSON_TRUE:
	case JSON_FALSE:
		return fmt_bool(sb, sp, v);
	case JSON_ARRAY:
		return fmt_array(sb, sp, v, depth);
	default:
		return fmt_map(sb, sp, v, depth);
	}
}

const char *gofmt_type(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "int";
	case JSON_REAL:
		return "float64";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	case JSON_ARRAY:
		return "[]interface {}";
	case JSON_OBJECT:
		return "map[string]interface {}";
	default:
		return "interface {}";
	}
}

/* fmt's printArg: %T first, then the value. */
static int print_arg(struct strbuf *sb, const struct spec *sp, const json_t *v)
{
	if (sp->verb == 'T') {
		const char *t = !v || json_is_null(v) ? "<nil>" : gofmt_type(v);

		return pad_text(sb, sp, t, strlen(t));
	}
	return fmt_value(sb, sp, v, 0);
}

int gofmt_print(struct strbuf *sb, const json_t *v)
{
	struct spec sp = {.verb = 'v'};

	return print_arg(sb, &sp, v);
}

int gofmt_sprint(struct strbuf *sb, json_t *const *argv, size_t argc, bool ln)
{
	bool prev_string = false;

	for (size_t i = 0; i < argc; i++) {
		bool is_string = argv[i] && json_is_string(argv[i]);

		/* Sprint separates two operands when neither is a string;
		 * Sprintln always does */
		if (i > 0 && (ln || (!is_string && !prev_string)))
			TRY(strbuf_append(sb, " ", 1));
		TRY(gofmt_print(sb, argv[i]));
		prev_string = is_string;
	}
	return ln ? strbuf_append(sb, "\n", 1) : 0;
}

/* ---- Sprintf ----------------------------------------------------------- */

struct printf_state {
	const char *f;
	size_t i, end;
	json_t *const *argv;
	size_t argc, argn;
	bool reordered, good_argn;
};

static bool too_large(int n)
{
	return n > 1000000 || n < -1000000;
}

/* fmt's parsenum: digits at i, advancing i. */
static bool parse_num(struct printf_state *ps, int *ret)
{
	bool any = false;
	int n = 0;

	while (ps->i < ps->end && ps->f[ps->i] >= '0' && ps->f[ps->i] <= '9') {
		if (too_large(n)) {
			ps->i = ps->end;
			return false;
		}
		n = n * 10 + (ps->f[ps->i++] - '0');
		any = true;
	}
	*ret = n;
	return any;
}

/* fmt's intFromArg for '*'. */
static bool int_from_arg(struct printf_state *ps, int *ret)
{
	const json_t *a;
	json_int_t n;

	*ret = 0;
	if (ps->argn >= ps->argc)
		return false;
	a = ps->argv[ps->argn++];
	if (!a || !json_is_integer(a))
		return false;
	n = json_integer_value(a);
	if (n > 1000000 || n < -1000000)
		return false;
	*ret = (int)n;
	return true;
}

/* fmt's argNumber: an explicit "[n]" index. */
static bool arg_number(struct printf_state *ps)
{
	size_t j;
	int n = 0;

	if (ps->i >= ps->end || ps->f[ps->i] != '[')
		return false;
	ps->reordered = true;
	for (j = ps->i + 1; j < ps->end && ps->f[j] != ']'; j++) {
		if (ps->f[j] < '0' || ps->f[j] > '9' || too_large(n)) {
			n = -1;
			break;
		}
		n = n * 10 + (ps->f[j] - '0');
	}
	if (j >= ps->end || ps->f[j] != ']' || n <= 0 || j == ps->i + 1) {
		ps->good_argn = false;
		while (j < ps->end && ps->f[j] != ']')
			j++;
		ps->i = j < ps->end ? j + 1 : ps->end;
		return false;
	}
	ps->i = j + 1;
	if ((size_t)n > ps->argc) {
		ps->good_argn = false;
		return true;
	}
	ps->argn = n - 1;
	return true;
}

static void parse_flags(struct printf_state *ps, struct spec *sp)
{
	for (; ps->i < ps->end; ps->i++) {
		switch (ps->f[ps->i]) {
		case '#':
			sp->sharp = true;
			break;
		case '0':
			sp->zero = !sp->minus;
			break;
		case '+':
			sp->plus = true;
			break;
		case '-':
			sp->minus = true;
			sp->zero = false;
			break;
		case ' ':
			sp->space = true;
			break;
		default:
			return;
		}
	}
}

static int parse_width(struct printf_state *ps, struct spec *sp, bool *after_index,
                       struct strbuf *sb)
{
	if (ps->i < ps->end && ps->f[ps->i] == '*') {
		ps->i++;
		sp->has_width = int_from_arg(ps, &sp->width);
		if (!sp->has_width)
			TRY(strbuf_puts(sb, "%!(BADWIDTH)"));
		if (sp->width < 0) {
			sp->width = -sp->width;
			sp->minus = true;
			sp->zero = false;
		}
		*after_index = false;
	} else {
		sp->has_width = parse_num(ps, &sp->width);
		if (*after_index && sp->has_width)
			ps->good_argn = false;
	}
	return 0;
}

static int parse_prec(struct printf_state *ps, struct spec *sp, bool *after_index,
                      struct strbuf *sb)
{
	if (ps->i + 1 >= ps->end || ps->f[ps->i] != '.')
		return 0;
	ps->i++;
	if (*after_index)
		ps->good_argn = false;
	*after_index = arg_number(ps);
	if (ps->i < ps->end && ps->f[ps->i] == '*') {
		ps->i++;
		sp->has_prec = int_from_arg(ps, &sp->prec);
		if (sp->prec < 0) {
			sp->prec = 0;
			sp->has_prec = false;
		}
		if (!sp->has_prec)
			TRY(strbuf_puts(sb, "%!(BADPREC)"));
		*after_index = false;
	} else {
		parse_num(ps, &sp->prec);
		sp->has_prec = true;
	}
	return 0;
}

/* One %… directive, ps->i just past the '%'. */
static int printf_directive(struct strbuf *sb, struct printf_state *ps)
{
	struct spec sp = {0};
	bool after_index;
	size_t n;

	ps->good_argn = true;
	parse_flags(ps, &sp);
	after_index = arg_number(ps);
	TRY(parse_width(ps, &sp, &after_index, sb));
	TRY(parse_prec(ps, &sp, &after_index, sb));
	if (!after_index)
		after_index = arg_number(ps);
	if (ps->i >= ps->end)
		return strbuf_puts(sb, "%!(NOVERB)");
	n = utf8_decode(ps->f + ps->i, ps->end - ps->i, &sp.verb);
	ps->i += n;
	if (sp.verb == '%')
		return strbuf_append(sb, "%", 1);
	if (!ps->good_argn)
		return strbuf_puts(sb, "%!") ?: utf8_put(sb, sp.verb) ?: strbuf_puts(sb, "(BADINDEX)");
	if (ps->argn >= ps->argc)
		return strbuf_puts(sb, "%!") ?: utf8_put(sb, sp.verb) ?: strbuf_puts(sb, "(MISSING)");
	if (sp.verb == 'v') {
		/* %#v is Go syntax and %+v names struct fields: neither flag
		 * keeps its plain meaning */
		sp.sharp_v = sp.sharp;
		sp.sharp = false;
		sp.plus = false;
	}
	return print_arg(sb, &sp, ps->argv[ps->argn++]);
}

static int printf_extra(struct strbuf *sb, const struct printf_state *ps)
{
	TRY(strbuf_puts(sb, "%!(EXTRA "));
	for (size_t i = ps->argn; i < ps->argc; i++) {
		const json_t *a = ps->argv[i];

		if (i > ps->argn)
			TRY(strbuf_puts(sb, ", "));
		if (!a || json_is_null(a)) {
			TRY(strbuf_puts(sb, "<nil>"));
			continue;
		}
		TRY(strbuf_printf(sb, "%s=", gofmt_type(a)));
		TRY(gofmt_print(sb, a));
	}
	return strbuf_append(sb, ")", 1);
}

int gofmt_sprintf(struct strbuf *sb, const char *fmt, size_t len, json_t *const *argv, size_t argc)
{
	struct printf_state ps = {.f = fmt, .end = len, .argv = argv, .argc = argc};

	while (ps.i < ps.end) {
		const char *pct = memchr(fmt + ps.i, '%', ps.end - ps.i);
		size_t lit = pct ? (size_t)(pct - (fmt + ps.i)) : ps.end - ps.i;

		TRY(strbuf_append(sb, fmt + ps.i, lit));
		ps.i += lit;
		if (ps.i >= ps.end)
			break;
		ps.i++;
		TRY(printf_directive(sb, &ps));
	}
	if (!ps.reordered && ps.argn < ps.argc)
		TRY(printf_extra(sb, &ps));
	return 0;
}

/* ---- encoding/json ----------------------------------------------------- */

static int json_put_string(struct strbuf *sb, const char *s, size_t len, unsigned flags)
{
	static const char esc[] = {['"'] = '"',  ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
	                           ['\n'] = 'n', ['\r'] = 'r',  ['\t'] = 't'};
	bool html = flags & GOJSON_ESCAPE_HTML;

	TRY(strbuf_append(sb, "\"", 1));
	for (size_t i = 0, n; i < len; i += n) {
		unsigned char c = s[i];
		uint32_t r;

		n = utf8_decode(s + i, len - i, &r);
		if (c < sizeof(esc) && esc[c])
			TRY(strbuf_append(sb, (char[]){'\\', esc[c]}, 2));
		else if (c < 0x20 || (html && (c == '<' || c == '>' || c == '&')))
			TRY(put_hex_rune(sb, "\\u", c, 4));
		else if ((n == 1 && r == 0xfffd) || r == 0x2028 || r == 0x2029)
			/* invalid UTF-8 becomes U+FFFD; the line and paragraph
			 * separators are escaped for JSONP, even without html */
			TRY(put_hex_rune(sb, "\\u", r, 4));
		else
			TRY(strbuf_append(sb, s + i, n));
	}
	return strbuf_append(sb, "\"", 1);
}

static int json_put_object(struct strbuf *sb, const json_t *v, unsigned flags)
{
	_cleanup_free_ const char **keys = NULL;
	const char *k;
	json_t *val;
	size_t n, i = 0;

	TRY(strbuf_append(sb, "{", 1));
	if (flags & GOJSON_SORT_KEYS) {
		keys = gofmt_sorted_keys(v, &n);
		if (!keys)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			if (i > 0)
				TRY(strbuf_append(sb, ",", 1));
			TRY(json_put_string(sb, keys[i], strlen(keys[i]), flags));
			TRY(strbuf_append(sb, ":", 1));
			TRY(gojson_encode(sb, json_object_get(v, keys[i]), flags));
		}
		return strbuf_append(sb, "}", 1);
	}
	json_object_foreach ((json_t *)v, k, val) {
		if (i++ > 0)
			TRY(strbuf_append(sb, ",", 1));
		TRY(json_put_string(sb, k, strlen(k), flags));
		TRY(strbuf_append(sb, ":", 1));
		TRY(gojson_encode(sb, val, flags));
	}
	return strbuf_append(sb, "}", 1);
}

int gojson_encode(struct strbuf *sb, const json_t *v, unsigned flags)
{
	size_t i;
	json_t *e;

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		return json_put_string(sb, json_string_value(v), json_string_length(v), flags);
	case JSON_INTEGER:
		return strbuf_printf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return json_float(sb, json_real_value(v));
	case JSON_TRUE:
		return strbuf_puts(sb, "true");
	case JSON_FALSE:
		return strbuf_puts(sb, "false");
	case JSON_ARRAY:
		TRY(strbuf_append(sb, "[", 1));
		json_array_foreach (v, i, e) {
			if (i > 0)
				TRY(strbuf_append(sb, ",", 1));
			TRY(gojson_encode(sb, e, flags));
		}
		return strbuf_append(sb, "]", 1);
	case JSON_OBJECT:
		return json_put_object(sb, v, flags);
	default:
		return strbuf_puts(sb, "null");
	}
}
