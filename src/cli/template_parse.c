/* template_parse.c — the parser for Go's text/template syntax, the
 * template's arena, and tmpl_parse()/tmpl_free()/tmpl_fields().
 *
 * Follows text/template/parse/parse.go step by step so that what is
 * accepted, and the message for what is not, match Go's: it reads the
 * tokens of template_lex.c by recursive descent with Go's lookahead rules
 * and builds the tree of template_internal.h.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/template_internal.h"

/* Templates come from the command line, but a cap keeps a runaway
 * generated one (or `--format "$(cat big)"`) from eating memory. */
#define TEMPLATE_MAX (1 << 20)
/* Nesting of controls and parentheses, as Go's maxStackDepth. */
#define PARSE_MAX_DEPTH 1000

/* ---- arena ------------------------------------------------------------- */

struct arena_chunk {
	struct arena_chunk *next;
	max_align_t data[];
};

void *tmpl_alloc(struct tmpl *t, size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = calloc(1, sizeof(*c) + size);
	if (!c)
		return NULL;
	c->next = t->arena;
	t->arena = c;
	return c->data;
}

char *tmpl_strndup(struct tmpl *t, const char *s, size_t n)
{
	char *d = tmpl_alloc(t, n + 1);

	if (d)
		memcpy(d, s, n);
	return d;
}

void tmpl_free(struct tmpl *t)
{
	struct arena_chunk *c, *next;

	if (!t)
		return;
	for (c = t->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	json_decref(t->consts);
	free(t->text);
	free(t);
}

/* ---- parser ------------------------------------------------------------ */

struct parser {
	struct tmpl *t;
	const struct token *toks;
	size_t ntoks, i, furthest;
	const char **vars;
	size_t nvars, vars_cap;
	int range_depth, depth, action_line;
	struct husk_error **err;
};

enum item_end {
	ITEM_NODE,
	ITEM_END,
	ITEM_ELSE,
};

static const struct token *p_next(struct parser *p)
{
	size_t at = MIN(p->i, p->ntoks - 1);

	p->i++;
	p->furthest = MAX(p->furthest, at);
	return &p->toks[at];
}

static void p_backup(struct parser *p)
{
	p->i--;
}

static const struct token *p_peek(struct parser *p)
{
	const struct token *tok = p_next(p);

	p_backup(p);
	return tok;
}

static const struct token *p_next_non_space(struct parser *p)
{
	const struct token *tok;

	do
		tok = p_next(p);
	while (tok->type == TOK_SPACE);
	return tok;
}

static const struct token *p_peek_non_space(struct parser *p)
{
	const struct token *tok = p_next_non_space(p);

	p_backup(p);
	return tok;
}

static const char *tok_text(const struct parser *p, const struct token *tok)
{
	return p->t->text + tok->pos;
}

/* "template: :<line>: <message>", the line of the furthest token read. */
_printf_(2, 3) static int p_errorf(struct parser *p, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return error_set(p->err, ENOMEM, "out of memory");
	return error_set(p->err, EINVAL, "template: :%d: %s", p->toks[p->furthest].line, msg);
}

static int p_oom(struct parser *p)
{
	return error_set(p->err, ENOMEM, "template: out of memory");
}

/* How Go's item.String() shows a token in "unexpected …". */
static int tok_describe(const struct parser *p, const struct token *tok, struct strbuf *sb)
{
	if (tok->type == TOK_EOF)
		return strbuf_puts(sb, "EOF");
	if (tok->type == TOK_ERROR)
		return strbuf_puts(sb, tok->msg);
	if (tok->type > TOK_KEYWORD)
		return strbuf_printf(sb, "<%.*s>", (int)tok->len, tok_text(p, tok));
	if (tok->len > 10)
		return gofmt_quote(sb, tok_text(p, tok), tok->len, 10) ?: strbuf_puts(sb, "...");
	return gofmt_quote(sb, tok_text(p, tok), tok->len, SIZE_MAX);
}

static int p_unexpected(struct parser *p, const struct token *tok, const char *context)
{
	struct strbuf d = {0};
	int r;

	if (tok_describe(p, tok, &d) < 0) {
		strbuf_release(&d);
		return p_oom(p);
	}
	if (tok->type != TOK_ERROR)
		r = p_errorf(p, "unexpected %s in %s", d.buf, context);
	else if (p->action_line && p->action_line != tok->line)
		r = p_errorf(p, "%s%s started at :%d", d.buf,
		             endswith(d.buf, " action") ? "" : " in action", p->action_line);
	else
		r = p_errorf(p, "%s", d.buf);
	strbuf_release(&d);
	return r;
}

static int p_push_var(struct parser *p, const char *name)
{
	size_t cap = p->vars_cap ? p->vars_cap * 2 : 8;
	const char **nv;

	if (p->nvars == p->vars_cap) {
		nv = realloc(p->vars, cap * sizeof(*nv));
		if (!nv)
			return p_oom(p);
		p->vars = nv;
		p->vars_cap = cap;
	}
	p->vars[p->nvars++] = name;
	return 0;
}

static struct operand *new_operand(struct parser *p, enum operand_kind kind,
                                   const struct token *tok)
{
	struct operand *op = tmpl_alloc(p->t, sizeof(*op));

	if (op) {
		op->kind = kind;
		op->pos = op->loc = tok->pos;
		op->len = tok->len;
	}
	return op;
}

/* Keep a constant alive for the template's life; borrowed by operands. */
static json_t *p_const(struct parser *p, json_t *v)
{
	if (!v || json_array_append_new(p->t->consts, v) < 0)
		return NULL;
	return v;
}

static int p_quoted_errorf(struct parser *p, const char *fmt, const char *s, size_t len)
{
	struct strbuf q = {0};
	int r;

	if (gofmt_quote(&q, s, len, SIZE_MAX) < 0)
		r = p_oom(p);
	else
		r = p_errorf(p, fmt, q.buf);
	strbuf_release(&q);
	return r;
}

/* A character constant: its rune as an int. */
static int parse_char_constant(struct parser *p, const struct token *tok, json_t **ret)
{
	const char *s = tok_text(p, tok);
	struct strbuf sb = {0};
	uint32_t r = 0;
	int n = tmpl_unquote_char(s + 1, tok->len - 1, '\'', &sb, &r);

	strbuf_release(&sb);
	if (n == -ENOMEM)
		return p_oom(p);
	if (n < 0)
		return p_errorf(p, "invalid syntax");
	if ((size_t)n + 2 != tok->len)
		return p_errorf(p, "malformed character constant: %.*s", (int)tok->len, s);
	*ret = p_const(p, json_integer(r));
	return *ret ? 0 : p_oom(p);
}

/* An integer in Go's syntax (sign, 0x/0o/0b/0 prefix); false if it is not
 * one or does not fit in int64. */
static bool parse_go_int(const char *s, json_int_t *ret)
{
	bool neg = *s == '-';
	unsigned long long u;
	int base = 10;
	char *end;

	if (*s == '+' || *s == '-')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	/* strtoull would take a sign or white space here; Go does not */
	if (!isxdigit((unsigned char)*s))
		return false;
	errno = 0;
	u = strtoull(s, &end, base);
	if (*end || end == s || errno == ERANGE || u > (unsigned long long)LLONG_MAX + neg)
		return false;
	*ret = neg ? (json_int_t)(0 - u) : (json_int_t)u;
	return true;
}

/* Go's newNumber: an int unless the text looks like a float. */
static int parse_number(struct parser *p, const struct token *tok, json_t **ret)
{
	_cleanup_free_ char *s = malloc(tok->len + 1);
	const char *src = tok_text(p, tok), *digits;
	bool hex, floaty;
	json_int_t i;
	size_t n = 0;
	char *end;
	double d;

	if (tok->type == TOK_CHAR_CONSTANT)
		return parse_char_constant(p, tok, ret);
	if (!s)
		return p_oom(p);
	for (size_t k = 0; k < tok->len; k++)
		if (src[k] != '_')
			s[n++] = src[k];
	s[n] = 0;
	digits = s + (*s == '-' || *s == '+');
	hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
	floaty = strpbrk(s, hex ? ".pP" : ".eE") != NULL;
	if (n > 0 && s[n - 1] == 'i')
		return p_quoted_errorf(p, "complex constants are not supported: %s", src, tok->len);
	if (!floaty && parse_go_int(s, &i))
		*ret = p_const(p, json_integer(i));
	else {
		errno = 0;
		d = strtod(s, &end);
		if (*end || end == s || errno == ERANGE)
			return p_quoted_errorf(p, "illegal number syntax: %s", src, tok->len);
		if (!floaty)
			return p_quoted_errorf(p, "integer overflow: %s", src, tok->len);
		*ret = p_const(p, json_real(d));
	}
	return *ret ? 0 : p_oom(p);
}

static int parse_string(struct parser *p, const struct token *tok, json_t **ret)
{
	struct strbuf sb = {0};
	int r = tmpl_unquote(tok_text(p, tok), tok->len, &sb);

	if (r == 0)
		*ret = p_const(p, json_stringn_nocheck(sb.buf, sb.len));
	strbuf_release(&sb);
	if (r == -EINVAL)
		return p_errorf(p, "invalid syntax");
	return r < 0 || !*ret ? p_oom(p) : 0;
}

static int parse_pipeline(struct parser *p, const char *context, enum tok_type end,
                          struct pipe **ret);

static int parse_paren(struct parser *p, const struct token *tok, struct operand **ret)
{
	struct operand *op = new_operand(p, OP_PIPE, tok);
	const struct token *close;
	int r;

	if (!op)
		return p_oom(p);
	if (++p->depth > PARSE_MAX_DEPTH)
		return p_errorf(p, "max expression depth exceeded");
	r = parse_pipeline(p, "parenthesized pipeline", TOK_RIGHT_PAREN, &op->pipe);
	p->depth--;
	if (r < 0)
		return r;
	close = &p->toks[MIN(p->i, p->ntoks) - 1];
	op->len = close->pos + close->len - tok->pos;
	*ret = op;
	return 0;
}

static int parse_identifier(struct parser *p, const struct token *tok, struct operand **ret)
{
	struct operand *op = new_operand(p, OP_IDENT, tok);

	if (!op || !(op->name = tmpl_strndup(p->t, tok_text(p, tok), tok->len)))
		return p_oom(p);
	op->func = tmpl_func_lookup(op->name);
	if (!op->func)
		return p_quoted_errorf(p, "function %s not defined", op->name, tok->len);
	*ret = op;
	return 0;
}

static int parse_variable(struct parser *p, const struct token *tok, struct operand **ret)
{
	struct operand *op = new_operand(p, OP_VAR, tok);

	if (!op || !(op->name = tmpl_strndup(p->t, tok_text(p, tok), tok->len)))
		return p_oom(p);
	for (size_t i = 0; i < p->nvars; i++) {
		if (streq(p->vars[i], op->name)) {
			*ret = op;
			return 0;
		}
	}
	return p_quoted_errorf(p, "undefined variable %s", op->name, tok->len);
}

static int parse_constant(struct parser *p, const struct token *tok, struct operand **ret)
{
	enum operand_kind kind = tok->type == TOK_BOOL         ? OP_BOOL
	                         : tok->type == TOK_STRING     ? OP_STRING
	                         : tok->type == TOK_RAW_STRING ? OP_STRING
	                                                       : OP_NUMBER;
	struct operand *op = new_operand(p, kind, tok);
	int r;

	if (!op)
		return p_oom(p);
	if (kind == OP_BOOL)
		r = (op->value = p_const(p, json_boolean(tok->len == 4))) ? 0 : p_oom(p);
	else if (kind == OP_STRING)
		r = parse_string(p, tok, &op->value);
	else
		r = parse_number(p, tok, &op->value);
	if (r == 0)
		*ret = op;
	return r;
}

/* Go's term: a literal, field, variable, function name or ( pipeline ).
 * *ret stays NULL (token put back) when the next token is none of those. */
static int parse_term(struct parser *p, struct operand **ret)
{
	const struct token *tok = p_next_non_space(p);
	struct operand *op;

	*ret = NULL;
	switch (tok->type) {
	case TOK_IDENTIFIER:
		return parse_identifier(p, tok, ret);
	case TOK_VARIABLE:
		return parse_variable(p, tok, ret);
	case TOK_LEFT_PAREN:
		return parse_paren(p, tok, ret);
	case TOK_BOOL:
	case TOK_STRING:
	case TOK_RAW_STRING:
	case TOK_NUMBER:
	case TOK_CHAR_CONSTANT:
		return parse_constant(p, tok, ret);
	case TOK_DOT:
	case TOK_NIL:
	case TOK_FIELD:
		op = new_operand(p,
		                 tok->type == TOK_DOT   ? OP_DOT
		                 : tok->type == TOK_NIL ? OP_NIL
		                                        : OP_FIELD,
		                 tok);
		if (!op)
			return p_oom(p);
		*ret = op;
		return 0;
	default:
		p_backup(p);
		return 0;
	}
}

static enum tok_type p_type_at(const struct parser *p, size_t i)
{
	return p->toks[MIN(i, p->ntoks - 1)].type;
}

/* The fields of an operand: ".A" of a field token itself, then every
 * ".B" that follows it directly. Like Go, a chain points messages at its
 * first chained field. */
static int parse_chain(struct parser *p, struct operand *op)
{
	size_t n = op->kind == OP_FIELD, k = 0;

	for (size_t i = p->i; p_type_at(p, i) == TOK_FIELD; i++)
		n++;
	op->fields = tmpl_alloc(p->t, (n + 1) * sizeof(char *));
	if (!op->fields)
		return p_oom(p);
	if (op->kind == OP_FIELD &&
	    !(op->fields[k++] = tmpl_strndup(p->t, p->t->text + op->pos + 1, op->len - 1)))
		return p_oom(p);
	if (p_peek(p)->type == TOK_FIELD)
		op->loc = p_peek(p)->pos;
	for (; p_peek(p)->type == TOK_FIELD; k++) {
		const struct token *f = p_next(p);

		op->fields[k] = tmpl_strndup(p->t, tok_text(p, f) + 1, f->len - 1);
		if (!op->fields[k])
			return p_oom(p);
		op->len = f->pos + f->len - op->pos;
	}
	return 0;
}

/* Go's operand: a term and the fields chained to it. */
static int parse_operand(struct parser *p, struct operand **ret)
{
	struct operand *op;
	int r = parse_term(p, &op);

	*ret = NULL;
	if (r < 0 || !op)
		return r;
	if (op->kind != OP_FIELD && p_peek(p)->type == TOK_FIELD) {
		switch (op->kind) {
		case OP_BOOL:
		case OP_STRING:
		case OP_NUMBER:
		case OP_NIL:
		case OP_DOT:
			p_next(p);
			return p_quoted_errorf(p, "unexpected . after term %s",
			                       p->t->text + op->pos, op->len);
		default:
			break;
		}
	}
	if (op->kind == OP_FIELD || p_peek(p)->type == TOK_FIELD)
		r = parse_chain(p, op);
	*ret = op;
	return r;
}

static int parse_command(struct parser *p, struct command **ret)
{
	struct command *cmd = tmpl_alloc(p->t, sizeof(*cmd));
	struct operand **tail;
	const struct token *tok;
	int r;

	if (!cmd)
		return p_oom(p);
	tail = &cmd->args;
	for (;;) {
		p_peek_non_space(p);
		r = parse_operand(p, tail);
		if (r < 0)
			return r;
		if (*tail)
			tail = &(*tail)->next;
		tok = p_next(p);
		if (tok->type == TOK_SPACE)
			continue;
		if (tok->type == TOK_RIGHT_DELIM || tok->type == TOK_RIGHT_PAREN)
			p_backup(p);
		else if (tok->type != TOK_PIPE)
			return p_unexpected(p, tok, "operand");
		break;
	}
	if (!cmd->args)
		return p_errorf(p, "empty command");
	*ret = cmd;
	return 0;
}

static int check_pipeline(struct parser *p, const struct pipe *pipe, const char *context)
{
	int stage = 1;

	if (!pipe->cmds)
		return p_errorf(p, "missing value for %s", context);
	for (const struct command *c = pipe->cmds->next; c; c = c->next) {
		stage++;
		switch (c->args->kind) {
		case OP_BOOL:
		case OP_DOT:
		case OP_NIL:
		case OP_NUMBER:
		case OP_STRING:
			return p_errorf(p, "non executable command in pipeline stage %d", stage);
		default:
			break;
		}
	}
	return 0;
}

static int pipe_declare(struct parser *p, struct pipe *pipe, const struct token *v)
{
	const char *name = tmpl_strndup(p->t, tok_text(p, v), v->len);

	if (!name)
		return p_oom(p);
	pipe->decl[pipe->ndecl++] = name;
	return p_push_var(p, name);
}

/* "$x :=", "$x =" or, in range, "$i, $v :=": 1 when a declaration was
 * taken (and another may follow), 0 when there is none. */
static int parse_decl(struct parser *p, struct pipe *pipe, const char *context)
{
	const struct token *v = p_peek_non_space(p), *next;
	size_t at = p->i;
	int r;

	if (v->type != TOK_VARIABLE)
		return 0;
	p_next(p);
	next = p_peek_non_space(p);
	if (next->type == TOK_ASSIGN || next->type == TOK_DECLARE) {
		pipe->is_assign = next->type == TOK_ASSIGN;
		p_next_non_space(p);
		r = pipe_declare(p, pipe, v);
		return r < 0 ? r : 0;
	}
	if (next->type == TOK_CHAR && tok_text(p, next)[0] == ',') {
		p_next_non_space(p);
		r = pipe_declare(p, pipe, v);
		if (r < 0)
			return r;
		if (streq(context, "range") && pipe->ndecl < 2) {
			enum tok_type t = p_peek_non_space(p)->type;

			if (t == TOK_VARIABLE || t == TOK_RIGHT_DELIM || t == TOK_RIGHT_PAREN)
				return 1;
			return p_errorf(p, "range can only initialize variables");
		}
		return p_errorf(p, "too many declarations in %s", context);
	}
	p->i = at; /* not a declaration: the variable starts the pipeline */
	return 0;
}

static int parse_pipeline(struct parser *p, const char *context, enum tok_type end,
                          struct pipe **ret)
{
	struct pipe *pipe = tmpl_alloc(p->t, sizeof(*pipe));
	struct command **tail;
	const struct token *tok;
	int r;

	if (!pipe)
		return p_oom(p);
	pipe->pos = p_peek_non_space(p)->pos;
	while ((r = parse_decl(p, pipe, context)) > 0)
		;
	if (r < 0)
		return r;
	for (tail = &pipe->cmds;;) {
		tok = p_next_non_space(p);
		if (tok->type == end)
			break;
		switch (tok->type) {
		case TOK_BOOL:
		case TOK_CHAR_CONSTANT:
		case TOK_DOT:
		case TOK_FIELD:
		case TOK_IDENTIFIER:
		case TOK_NUMBER:
		case TOK_NIL:
		case TOK_RAW_STRING:
		case TOK_STRING:
		case TOK_VARIABLE:
		case TOK_LEFT_PAREN:
			p_backup(p);
			r = parse_command(p, tail);
			if (r < 0)
				return r;
			tail = &(*tail)->next;
			break;
		default:
			return p_unexpected(p, tok, context);
		}
	}
	pipe->len = tok->pos > pipe->pos ? tok->pos - pipe->pos : 0;
	r = check_pipeline(p, pipe, context);
	if (r == 0)
		*ret = pipe;
	return r;
}

static int parse_text_or_action(struct parser *p, struct node **ret, enum item_end *ret_end);

/* Go's itemList: nodes up to {{end}} or {{else}}, which *ret_end says. */
static int parse_list(struct parser *p, struct node **ret, enum item_end *ret_end)
{
	struct node *head = NULL, **tail = &head, *n;
	enum item_end end;
	int r;

	while (p_peek_non_space(p)->type != TOK_EOF) {
		r = parse_text_or_action(p, &n, &end);
		if (r < 0)
			return r;
		if (end != ITEM_NODE) {
			*ret = head;
			*ret_end = end;
			return 0;
		}
		*tail = n;
		tail = &n->next;
	}
	return p_errorf(p, "unexpected EOF");
}

static int parse_control(struct parser *p, const char *context, enum node_kind kind,
                         struct node **ret);

/* After {{else}}: "else if"/"else with" chains, or a plain else list. */
static int parse_else(struct parser *p, const char *context, enum node_kind kind, struct node **ret)
{
	enum tok_type t = p_peek(p)->type;
	enum item_end end = ITEM_NODE;
	int r;

	if ((kind == NODE_IF && t == TOK_IF) || (kind == NODE_WITH && t == TOK_WITH)) {
		p_next(p);
		return parse_control(p, context, kind, ret);
	}
	r = parse_list(p, ret, &end);
	if (r == 0 && end != ITEM_END)
		return p_errorf(p, "expected end; found {{else}}");
	return r;
}

static int parse_control(struct parser *p, const char *context, enum node_kind kind,
                         struct node **ret)
{
	struct node *n = tmpl_alloc(p->t, sizeof(*n));
	size_t nvars = p->nvars;
	enum item_end end = ITEM_NODE;
	int r;

	if (!n)
		return p_oom(p);
	if (++p->depth > PARSE_MAX_DEPTH)
		return p_errorf(p, "max expression depth exceeded");
	n->kind = kind;
	r = parse_pipeline(p, context, TOK_RIGHT_DELIM, &n->pipe);
	if (r < 0)
		return r;
	p->range_depth += kind == NODE_RANGE;
	r = parse_list(p, &n->list, &end);
	p->range_depth -= kind == NODE_RANGE;
	if (r == 0 && end == ITEM_ELSE)
		r = parse_else(p, context, kind, &n->else_list);
	p->nvars = nvars;
	p->depth--;
	if (r == 0)
		*ret = n;
	return r;
}

static int expect(struct parser *p, enum tok_type type, const char *context)
{
	const struct token *tok = p_next_non_space(p);

	return tok->type == type ? 0 : p_unexpected(p, tok, context);
}

static int parse_break_continue(struct parser *p, enum node_kind kind, struct node **ret)
{
	const char *word = kind == NODE_BREAK ? "{{break}}" : "{{continue}}";
	struct node *n;
	int r = expect(p, TOK_RIGHT_DELIM, word);

	if (r < 0)
		return r;
	if (p->range_depth == 0)
		return p_errorf(p, "%s outside {{range}}", word);
	n = tmpl_alloc(p->t, sizeof(*n));
	if (!n)
		return p_oom(p);
	n->kind = kind;
	*ret = n;
	return 0;
}

static int parse_action(struct parser *p, struct node **ret, enum item_end *ret_end)
{
	const struct token *tok = p_next_non_space(p);
	struct node *n;
	enum tok_type t;
	int r;

	switch (tok->type) {
	case TOK_IF:
		return parse_control(p, "if", NODE_IF, ret);
	case TOK_RANGE:
		return parse_control(p, "range", NODE_RANGE, ret);
	case TOK_WITH:
		return parse_control(p, "with", NODE_WITH, ret);
	case TOK_BREAK:
		return parse_break_continue(p, NODE_BREAK, ret);
	case TOK_CONTINUE:
		return parse_break_continue(p, NODE_CONTINUE, ret);
	case TOK_END:
		*ret_end = ITEM_END;
		return expect(p, TOK_RIGHT_DELIM, "end");
	case TOK_ELSE:
		*ret_end = ITEM_ELSE;
		t = p_peek_non_space(p)->type;
		/* "{{else if …" is "{{else}}{{if …": leave the if pending */
		return t == TOK_IF || t == TOK_WITH ? 0 : expect(p, TOK_RIGHT_DELIM, "else");
	case TOK_DEFINE:
	case TOK_TEMPLATE:
	case TOK_BLOCK:
		return p_errorf(p, "{{%.*s}} is not supported", (int)tok->len, tok_text(p, tok));
	default:
		break;
	}
	p_backup(p);
	n = tmpl_alloc(p->t, sizeof(*n));
	if (!n)
		return p_oom(p);
	n->kind = NODE_ACTION;
	r = parse_pipeline(p, "command", TOK_RIGHT_DELIM, &n->pipe);
	if (r == 0)
		*ret = n;
	return r;
}

static int parse_text_or_action(struct parser *p, struct node **ret, enum item_end *ret_end)
{
	const struct token *tok = p_next_non_space(p);
	struct node *n;
	int r;

	*ret_end = ITEM_NODE;
	switch (tok->type) {
	case TOK_TEXT:
		n = tmpl_alloc(p->t, sizeof(*n));
		if (!n)
			return p_oom(p);
		n->kind = NODE_TEXT;
		n->text = tok_text(p, tok);
		n->len = tok->len;
		*ret = n;
		return 0;
	case TOK_LEFT_DELIM:
		p->action_line = tok->line;
		r = parse_action(p, ret, ret_end);
		p->action_line = 0;
		return r;
	default:
		return p_unexpected(p, tok, "input");
	}
}

static int parse_root(struct parser *p)
{
	struct node **tail = &p->t->root, *n;
	enum item_end end;
	int r;

	while (p_peek(p)->type != TOK_EOF) {
		r = parse_text_or_action(p, &n, &end);
		if (r < 0)
			return r;
		if (end != ITEM_NODE)
			return p_errorf(p, "unexpected %s",
			                end == ITEM_END ? "{{end}}" : "{{else}}");
		*tail = n;
		tail = &n->next;
	}
	return 0;
}

struct tmpl *tmpl_parse(const char *text, struct husk_error **err)
{
	_cleanup_(tmpl_freep) struct tmpl *t = NULL;
	_cleanup_free_ struct token *toks = NULL;
	struct parser p = {0};
	size_t len = strlen(text), ntoks = 0;
	int r;

	if (len > TEMPLATE_MAX) {
		error_set(err, EFBIG, "template: %zu bytes is too long (at most %d)", len,
		          TEMPLATE_MAX);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t) {
		t->len = len;
		t->text = strndup(text, len);
		t->consts = json_array();
	}
	if (!t || !t->text || !t->consts || tmpl_lex(t, &toks, &ntoks) < 0) {
		error_set(err, ENOMEM, "template: out of memory");
		return NULL;
	}
	p = (struct parser){.t = t, .toks = toks, .ntoks = ntoks, .err = err};
	r = p_push_var(&p, "$");
	if (r == 0)
		r = parse_root(&p);
	free(p.vars);
	return r < 0 ? NULL : TAKE_PTR(t);
}

/* ---- what the template reads ------------------------------------------- */

static int fields_of_pipe(const struct pipe *pipe, char ***v);

static int fields_of_operand(const struct operand *op, char ***v)
{
	bool rooted = op->kind == OP_FIELD || (op->kind == OP_VAR && streq(op->name, "$"));

	if (op->kind == OP_PIPE && fields_of_pipe(op->pipe, v) < 0)
		return -ENOMEM;
	if (!rooted || !op->fields || !op->fields[0] || strv_contains(*v, op->fields[0]))
		return 0;
	return strv_push(v, op->fields[0]);
}

static int fields_of_pipe(const struct pipe *pipe, char ***v)
{
	for (const struct command *c = pipe ? pipe->cmds : NULL; c; c = c->next)
		for (const struct operand *op = c->args; op; op = op->next)
			if (fields_of_operand(op, v) < 0)
				return -ENOMEM;
	return 0;
}

static int fields_of_list(const struct node *n, char ***v)
{
	for (; n; n = n->next)
		if (fields_of_pipe(n->pipe, v) < 0 || fields_of_list(n->list, v) < 0 ||
		    fields_of_list(n->else_list, v) < 0)
			return -ENOMEM;
	return 0;
}

char **tmpl_fields(const struct tmpl *t)
{
	_cleanup_strv_ char **v = strv_new();

	if (!v || fields_of_list(t->root, &v) < 0)
		return NULL;
	return TAKE_PTR(v);
}
