/* template_lex.c — Go's text/template lexer, and the decoding of the
 * string and character constants it finds.
 *
 * A step-by-step port of text/template/parse/lex.go: the same states, the
 * same trim-marker and comment rules and the same error texts ("unclosed
 * action", "bad character U+007D '}'"). It cuts the whole template into
 * tokens up front; the parser (template_parse.c) then reads them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/template_internal.h"

#define EOF_RUNE (-1)

/* ---- lexer ------------------------------------------------------------- */

static const struct {
	const char *word;
	enum tok_type type;
} keywords[] = {
        {"block", TOK_BLOCK},
        {"break", TOK_BREAK},
        {"continue", TOK_CONTINUE},
        {"define", TOK_DEFINE},
        {"else", TOK_ELSE},
        {"end", TOK_END},
        {"if", TOK_IF},
        {"nil", TOK_NIL},
        {"range", TOK_RANGE},
        {"template", TOK_TEMPLATE},
        {"with", TOK_WITH},
};

struct lexer {
	struct tmpl *t;
	const char *in;
	size_t len, pos, start;
	bool at_eof;
	int paren_depth;
	size_t line_pos; /* line is the line number at line_pos */
	int line;
	struct token *toks;
	size_t ntoks, cap;
	int err; /* -ENOMEM */
};

enum lex_state {
	LX_TEXT,
	LX_LEFT_DELIM,
	LX_COMMENT,
	LX_RIGHT_DELIM,
	LX_INSIDE,
	LX_SPACE,
	LX_IDENTIFIER,
	LX_FIELD,
	LX_VARIABLE,
	LX_CHAR,
	LX_NUMBER,
	LX_QUOTE,
	LX_RAW_QUOTE,
	LX_DONE,
};

static bool is_space(int r)
{
	return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

/* Go's isAlphaNumeric; every non-ASCII byte counts as a letter. */
static bool is_alnum(int r)
{
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
	       (r >= '0' && r <= '9') || r >= 0x80;
}

static bool lx_at(const struct lexer *l, size_t at, const char *s)
{
	size_t n = strlen(s);

	return at <= l->len && l->len - at >= n && !memcmp(l->in + at, s, n);
}

static int lx_next(struct lexer *l)
{
	if (l->pos >= l->len) {
		l->at_eof = true;
		return EOF_RUNE;
	}
	return (unsigned char)l->in[l->pos++];
}

static void lx_backup(struct lexer *l)
{
	if (!l->at_eof && l->pos > 0)
		l->pos--;
}

static int lx_peek(struct lexer *l)
{
	int r = lx_next(l);

	lx_backup(l);
	return r;
}

static bool lx_accept(struct lexer *l, const char *valid)
{
	int r = lx_next(l);

	if (r > 0 && strchr(valid, r))
		return true;
	lx_backup(l);
	return false;
}

static void lx_accept_run(struct lexer *l, const char *valid)
{
	while (lx_accept(l, valid))
		;
}

/* The line of pos; positions asked for never go backwards. */
static int lx_line_at(struct lexer *l, size_t pos)
{
	for (; l->line_pos < pos; l->line_pos++)
		if (l->in[l->line_pos] == '\n')
			l->line++;
	return l->line;
}

static void lx_push(struct lexer *l, enum tok_type type, size_t pos, size_t len, const char *msg)
{
	size_t cap = l->cap ? l->cap * 2 : 64;
	struct token *nt;

	if (l->err)
		return;
	if (l->ntoks == l->cap) {
		nt = realloc(l->toks, cap * sizeof(*nt));
		if (!nt) {
			l->err = -ENOMEM;
			return;
		}
		l->toks = nt;
		l->cap = cap;
	}
	l->toks[l->ntoks++] = (struct token){type, pos, len, lx_line_at(l, pos), msg};
}

static void lx_emit(struct lexer *l, enum tok_type type)
{
	lx_push(l, type, l->start, l->pos - l->start, NULL);
	l->start = l->pos;
}

static void lx_ignore(struct lexer *l)
{
	l->start = l->pos;
}

/* An error token, then EOF: lexing stops here, as Go's errorf does. */
_printf_(2, 3) static enum lex_state lx_errorf(struct lexer *l, const char *fmt, ...)
{
	char *msg = NULL, *copy = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) >= 0)
		copy = tmpl_strndup(l->t, msg, strlen(msg));
	va_end(ap);
	free(msg);
	if (!copy) {
		l->err = -ENOMEM;
		return LX_DONE;
	}
	lx_push(l, TOK_ERROR, l->start, 0, copy);
	lx_push(l, TOK_EOF, l->pos, 0, NULL);
	return LX_DONE;
}

/* Go's %#U: "U+0023 '#'". */
static const char *go_rune_name(int r, char buf[static 16])
{
	if (r == EOF_RUNE)
		r = 0xfffd;
	if (r >= 0x20 && r < 0x7f)
		snprintf(buf, 16, "U+%04X '%c'", (unsigned)r, r);
	else
		snprintf(buf, 16, "U+%04X", (unsigned)r);
	return buf;
}

static bool has_left_trim(const struct lexer *l, size_t at)
{
	return at + 1 < l->len && l->in[at] == '-' && is_space(l->in[at + 1]);
}

static bool has_right_trim(const struct lexer *l, size_t at)
{
	return at + 1 < l->len && is_space(l->in[at]) && l->in[at + 1] == '-';
}

static bool at_right_delim(const struct lexer *l, bool *ret_trim)
{
	*ret_trim = has_right_trim(l, l->pos) && lx_at(l, l->pos + 2, "}}");
	return *ret_trim || lx_at(l, l->pos, "}}");
}

static size_t left_trim_length(const struct lexer *l, size_t at)
{
	size_t n = 0;

	while (at + n < l->len && is_space(l->in[at + n]))
		n++;
	return n;
}

static enum lex_state lex_text(struct lexer *l)
{
	const char *p = memmem(l->in + l->pos, l->len - l->pos, "{{", 2);
	size_t trim = 0;

	if (!p) {
		l->pos = l->len;
		if (l->pos > l->start)
			lx_emit(l, TOK_TEXT);
		lx_emit(l, TOK_EOF);
		return LX_DONE;
	}
	l->pos = p - l->in;
	if (l->pos > l->start) {
		/* "{{- " trims the white space before it */
		if (has_left_trim(l, l->pos + 2))
			while (trim < l->pos - l->start && is_space(l->in[l->pos - trim - 1]))
				trim++;
		l->pos -= trim;
		if (l->pos > l->start)
			lx_emit(l, TOK_TEXT);
		l->pos += trim;
		lx_ignore(l);
	}
	return LX_LEFT_DELIM;
}

static enum lex_state lex_left_delim(struct lexer *l)
{
	size_t after;

	l->pos += 2;
	after = has_left_trim(l, l->pos) ? 2 : 0;
	if (lx_at(l, l->pos + after, "/*")) {
		l->pos += after;
		lx_ignore(l);
		return LX_COMMENT;
	}
	lx_emit(l, TOK_LEFT_DELIM);
	l->pos += after;
	lx_ignore(l);
	l->paren_depth = 0;
	return LX_INSIDE;
}

static enum lex_state lex_comment(struct lexer *l)
{
	const char *end;
	bool trim;

	l->pos += 2;
	end = memmem(l->in + l->pos, l->len - l->pos, "*/", 2);
	if (!end)
		return lx_errorf(l, "unclosed comment");
	l->pos = end - l->in + 2;
	if (!at_right_delim(l, &trim))
		return lx_errorf(l, "comment ends before closing delimiter");
	l->pos += trim ? 4 : 2;
	if (trim)
		l->pos += left_trim_length(l, l->pos);
	lx_ignore(l);
	return LX_TEXT;
}

static enum lex_state lex_right_delim(struct lexer *l)
{
	bool trim;

	at_right_delim(l, &trim);
	if (trim) {
		l->pos += 2;
		lx_ignore(l);
	}
	l->pos += 2;
	lx_emit(l, TOK_RIGHT_DELIM);
	if (trim) {
		l->pos += left_trim_length(l, l->pos);
		lx_ignore(l);
	}
	return LX_TEXT;
}

static enum lex_state lex_inside_punct(struct lexer *l, int r)
{
	char name[16];

	switch (r) {
	case '=':
		lx_emit(l, TOK_ASSIGN);
		return LX_INSIDE;
	case ':':
		if (lx_next(l) != '=')
			return lx_errorf(l, "expected :=");
		lx_emit(l, TOK_DECLARE);
		return LX_INSIDE;
	case '|':
		lx_emit(l, TOK_PIPE);
		return LX_INSIDE;
	case '(':
		l->paren_depth++;
		lx_emit(l, TOK_LEFT_PAREN);
		return LX_INSIDE;
	case ')':
		if (--l->paren_depth < 0)
			return lx_errorf(l, "unexpected right paren");
		lx_emit(l, TOK_RIGHT_PAREN);
		return LX_INSIDE;
	}
	if (r >= 0x20 && r < 0x7f) {
		lx_emit(l, TOK_CHAR);
		return LX_INSIDE;
	}
	return lx_errorf(l, "unrecognized character in action: %s", go_rune_name(r, name));
}

static enum lex_state lex_inside(struct lexer *l)
{
	bool trim;
	int r;

	if (at_right_delim(l, &trim)) {
		if (l->paren_depth == 0)
			return LX_RIGHT_DELIM;
		return lx_errorf(l, "unclosed left paren");
	}
	r = lx_next(l);
	if (r == EOF_RUNE)
		return lx_errorf(l, "unclosed action");
	if (is_space(r)) {
		lx_backup(l); /* it may be the space of " -}}" */
		return LX_SPACE;
	}
	switch (r) {
	case '"':
		return LX_QUOTE;
	case '`':
		return LX_RAW_QUOTE;
	case '$':
		return LX_VARIABLE;
	case '\'':
		return LX_CHAR;
	case '.':
		/* ".field", unless a digit follows: then '.' starts a number */
		if (l->pos < l->len && (l->in[l->pos] < '0' || l->in[l->pos] > '9'))
			return LX_FIELD;
		/* fall through */
	case '+':
	case '-':
	case '0' ... '9':
		lx_backup(l);
		return LX_NUMBER;
	}
	if (is_alnum(r)) {
		lx_backup(l);
		return LX_IDENTIFIER;
	}
	return lex_inside_punct(l, r);
}

static enum lex_state lex_space(struct lexer *l)
{
	int n = 0;

	while (is_space(lx_peek(l))) {
		lx_next(l);
		n++;
	}
	/* a trim-marked closing delimiter: " -}}" */
	if (has_right_trim(l, l->pos - 1) && lx_at(l, l->pos + 1, "}}")) {
		lx_backup(l);
		if (n == 1)
			return LX_RIGHT_DELIM;
	}
	lx_emit(l, TOK_SPACE);
	return LX_INSIDE;
}

static bool at_terminator(struct lexer *l)
{
	int r = lx_peek(l);

	if (is_space(r))
		return true;
	switch (r) {
	case EOF_RUNE:
	case '.':
	case ',':
	case '|':
	case ':':
	case ')':
	case '(':
		return true;
	}
	return lx_at(l, l->pos, "}}");
}

static int lx_scan_alnum(struct lexer *l)
{
	int r;

	while (is_alnum(r = lx_next(l)))
		;
	lx_backup(l);
	return r;
}

static enum lex_state lex_identifier(struct lexer *l)
{
	int r = lx_scan_alnum(l);
	size_t n = l->pos - l->start;
	const char *w = l->in + l->start;
	char name[16];

	if (!at_terminator(l))
		return lx_errorf(l, "bad character %s", go_rune_name(r, name));
	for (size_t i = 0; i < ELEMENTSOF(keywords); i++) {
		if (strlen(keywords[i].word) == n && !memcmp(keywords[i].word, w, n)) {
			lx_emit(l, keywords[i].type);
			return LX_INSIDE;
		}
	}
	if ((n == 4 && !memcmp(w, "true", 4)) || (n == 5 && !memcmp(w, "false", 5)))
		lx_emit(l, TOK_BOOL);
	else
		lx_emit(l, TOK_IDENTIFIER);
	return LX_INSIDE;
}

/* ".Field" or "$var"; a lone "." or "$" when nothing follows. */
static enum lex_state lex_field_or_variable(struct lexer *l, enum tok_type type)
{
	char name[16];
	int r;

	if (at_terminator(l)) {
		lx_emit(l, type == TOK_VARIABLE ? TOK_VARIABLE : TOK_DOT);
		return LX_INSIDE;
	}
	r = lx_scan_alnum(l);
	if (!at_terminator(l))
		return lx_errorf(l, "bad character %s", go_rune_name(r, name));
	lx_emit(l, type);
	return LX_INSIDE;
}

static enum lex_state lex_field(struct lexer *l)
{
	return lex_field_or_variable(l, TOK_FIELD);
}

static enum lex_state lex_variable(struct lexer *l)
{
	return lex_field_or_variable(l, TOK_VARIABLE);
}

/* Up to the closing quote, honouring backslashes; false at EOF/newline. */
static bool lx_scan_quoted(struct lexer *l, int quote)
{
	for (;;) {
		int r = lx_next(l);

		if (r == '\\') {
			r = lx_next(l);
			if (r != EOF_RUNE && r != '\n')
				continue;
		}
		if (r == EOF_RUNE || r == '\n')
			return false;
		if (r == quote)
			return true;
	}
}

static enum lex_state lex_char(struct lexer *l)
{
	if (!lx_scan_quoted(l, '\''))
		return lx_errorf(l, "unterminated character constant");
	lx_emit(l, TOK_CHAR_CONSTANT);
	return LX_INSIDE;
}

static enum lex_state lex_quote(struct lexer *l)
{
	if (!lx_scan_quoted(l, '"'))
		return lx_errorf(l, "unterminated quoted string");
	lx_emit(l, TOK_STRING);
	return LX_INSIDE;
}

static enum lex_state lex_raw_quote(struct lexer *l)
{
	const char *end = memchr(l->in + l->pos, '`', l->len - l->pos);

	if (!end) {
		l->pos = l->len;
		return lx_errorf(l, "unterminated raw quoted string");
	}
	l->pos = end - l->in + 1;
	lx_emit(l, TOK_RAW_STRING);
	return LX_INSIDE;
}

/* Go's scanNumber: sign, base prefix, digits, fraction, exponent. */
static bool lx_scan_number(struct lexer *l)
{
	const char *digits = "0123456789_";

	lx_accept(l, "+-");
	if (lx_accept(l, "0")) {
		if (lx_accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (lx_accept(l, "oO"))
			digits = "01234567_";
		else if (lx_accept(l, "bB"))
			digits = "01_";
	}
	lx_accept_run(l, digits);
	if (lx_accept(l, "."))
		lx_accept_run(l, digits);
	if (strlen(digits) == 11 && lx_accept(l, "eE")) {
		lx_accept(l, "+-");
		lx_accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && lx_accept(l, "pP")) {
		lx_accept(l, "+-");
		lx_accept_run(l, "0123456789_");
	}
	lx_accept(l, "i");
	if (is_alnum(lx_peek(l))) {
		lx_next(l);
		return false;
	}
	return true;
}

static enum lex_state lex_bad_number(struct lexer *l)
{
	struct strbuf q = {0};
	enum lex_state s;

	if (gofmt_quote(&q, l->in + l->start, l->pos - l->start, SIZE_MAX) < 0) {
		l->err = -ENOMEM;
		return LX_DONE;
	}
	s = lx_errorf(l, "bad number syntax: %s", q.buf);
	strbuf_release(&q);
	return s;
}

static enum lex_state lex_number(struct lexer *l)
{
	int sign;

	if (!lx_scan_number(l))
		return lex_bad_number(l);
	sign = lx_peek(l);
	/* a complex constant "1+2i": lexed as Go does, rejected by the parser */
	if ((sign == '+' || sign == '-') && (!lx_scan_number(l) || l->in[l->pos - 1] != 'i'))
		return lex_bad_number(l);
	lx_emit(l, TOK_NUMBER);
	return LX_INSIDE;
}

typedef enum lex_state (*lex_fn)(struct lexer *l);

static const lex_fn lex_states[] = {
        [LX_TEXT] = lex_text,
        [LX_LEFT_DELIM] = lex_left_delim,
        [LX_COMMENT] = lex_comment,
        [LX_RIGHT_DELIM] = lex_right_delim,
        [LX_INSIDE] = lex_inside,
        [LX_SPACE] = lex_space,
        [LX_IDENTIFIER] = lex_identifier,
        [LX_FIELD] = lex_field,
        [LX_VARIABLE] = lex_variable,
        [LX_CHAR] = lex_char,
        [LX_NUMBER] = lex_number,
        [LX_QUOTE] = lex_quote,
        [LX_RAW_QUOTE] = lex_raw_quote,
};

int tmpl_lex(struct tmpl *t, struct token **ret, size_t *ret_n)
{
	struct lexer l = {.t = t, .in = t->text, .len = t->len, .line = 1};
	enum lex_state s = LX_TEXT;

	while (s != LX_DONE && !l.err)
		s = lex_states[s](&l);
	if (l.err) {
		free(l.toks);
		return l.err;
	}
	*ret = l.toks;
	*ret_n = l.ntoks;
	return 0;
}

/* ---- strconv.Unquote --------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \x, \u, \U and octal escapes at s (after the backslash and letter). */
static int unquote_numeric(const char *s, size_t len, char kind, uint32_t *ret, size_t *ret_n)
{
	size_t n = kind == 'x' ? 2 : kind == 'u' ? 4 : kind == 'U' ? 8 : 3;
	int base = kind >= '0' && kind <= '7' ? 8 : 16;
	uint32_t v = 0;

	if (len < n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(s[i]);

		if (d < 0 || d >= base)
			return -EINVAL;
		v = v * base + d;
	}
	if ((base == 8 && v > 255) || v > 0x10ffff ||
	    (kind != 'x' && base == 16 && v >= 0xd800 && v <= 0xdfff))
		return -EINVAL;
	*ret = v;
	*ret_n = n;
	return 0;
}

static int simple_escape(char c)
{
	switch (c) {
	case 'a':
		return '\a';
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'v':
		return '\v';
	case '\\':
		return '\\';
	}
	return -1;
}

/* strconv.UnquoteChar: one (possibly escaped) character of s, appended to
 * sb and its value in *ret; the bytes consumed, -EINVAL or -ENOMEM. */
int tmpl_unquote_char(const char *s, size_t len, char quote, struct strbuf *sb, uint32_t *ret)
{
	bool octal;
	size_t n;
	int r;

	if (s[0] == quote && (quote == '\'' || quote == '"'))
		return -EINVAL;
	if (s[0] != '\\') {
		n = utf8_decode(s, len, ret);
		return strbuf_append(sb, s, n) < 0 ? -ENOMEM : (int)n;
	}
	if (len < 2)
		return -EINVAL;
	if (simple_escape(s[1]) >= 0 || s[1] == '\'' || s[1] == '"') {
		if ((s[1] == '\'' || s[1] == '"') && s[1] != quote)
			return -EINVAL;
		*ret = simple_escape(s[1]) >= 0 ? (uint32_t)simple_escape(s[1]) : (uint32_t)s[1];
		return strbuf_append(sb, (char[]){(char)*ret}, 1) < 0 ? -ENOMEM : 2;
	}
	octal = s[1] >= '0' && s[1] <= '7';
	if (!octal && s[1] != 'x' && s[1] != 'u' && s[1] != 'U')
		return -EINVAL;
	if (octal)
		r = unquote_numeric(s + 1, len - 1, '0', ret, &n);
	else
		r = unquote_numeric(s + 2, len - 2, s[1], ret, &n);
	if (r < 0)
		return r;
	n += octal ? 1 : 2;
	/* \x and octal escapes are bytes, \u and \U runes */
	if (octal || s[1] == 'x')
		r = strbuf_append(sb, (char[]){(char)*ret}, 1);
	else
		r = utf8_put(sb, *ret);
	return r < 0 ? -ENOMEM : (int)n;
}

/* The value of a quoted or raw string token. */
int tmpl_unquote(const char *s, size_t len, struct strbuf *sb)
{
	uint32_t r;
	int n;

	if (strbuf_append(sb, "", 0) < 0)
		return -ENOMEM;
	if (s[0] == '`') {
		for (size_t i = 1; i + 1 < len; i++)
			if (s[i] != '\r' && strbuf_append(sb, &s[i], 1) < 0)
				return -ENOMEM;
		return 0;
	}
	for (size_t i = 1; i + 1 < len; i += n) {
		if (s[i] == '\n')
			return -EINVAL;
		n = tmpl_unquote_char(s + i, len - 1 - i, '"', sb, &r);
		if (n < 0)
			return n;
	}
	return 0;
}
