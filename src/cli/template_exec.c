/* template_exec.c — evaluation of a parsed template over a JSON dot, and
 * the function table: docker's functions (templates.go) and Go's builtins
 * (text/template funcs.go). Mirrors exec.go: values flow as jansson
 * references, NULL standing for Go's invalid value (a missing field, which
 * prints as <no value>); break and continue travel up as walk statuses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/template_internal.h"

/* What walking a node ends with besides 0 / -errno. */
enum {
	WALK_BREAK = 1,
	WALK_CONTINUE = 2,
};

/* pad's and similar allocations are capped: a template cannot ask for
 * gigabytes of spaces. */
#define FUNC_MAX_OUTPUT (1 << 20)

struct var {
	const char *name;
	json_t *value; /* owned; NULL when missing */
};

struct exec {
	const struct tmpl *t;
	json_t *root;
	unsigned flags;
	struct strbuf *out;
	struct var *vars;
	size_t nvars, vars_cap;
	size_t at_loc, at_pos, at_len; /* the node being evaluated, for messages */
	struct husk_error **err;
};

struct call {
	struct exec *x;
	const char *name;
	json_t **argv; /* owned; NULL entries are missing values */
	size_t argc;
	const struct operand **ops; /* where each argument came from, for messages */
};

typedef int (*tmpl_fn)(struct call *c, json_t **ret);

struct tmpl_func {
	const char *name;
	int min_args, max_args; /* max_args -1: variadic */
	tmpl_fn fn;
	bool header_identity; /* docker's HeaderFunctions return their first argument */
};

/* ---- errors and state -------------------------------------------------- */

/* Go's ExecError: "template: :line:col: executing "" at <node>: msg". */
_printf_(2, 3) static int exec_errorf(struct exec *x, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	const char *text = x->t->text, *ctx = text + x->at_pos;
	size_t line = 1, col = x->at_loc, n = 0, runes = 0;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return error_set(x->err, ENOMEM, "template: out of memory");
	for (size_t i = 0; i < x->at_loc && i < x->t->len; i++) {
		if (text[i] == '\n') {
			line++;
			col = x->at_loc - i - 1;
		}
	}
	while (n < x->at_len && runes < 20) {
		n += utf8_seq_len(ctx + n, x->at_len - n);
		runes++;
	}
	return error_set(x->err, EINVAL, "template: :%zu:%zu: executing \"\" at <%.*s%s>: %s", line,
	                 col, (int)n, ctx, n < x->at_len ? "..." : "", msg);
}

static int exec_oom(struct exec *x)
{
	return error_set(x->err, ENOMEM, "template: out of memory");
}

_printf_(2, 3) static int call_errorf(struct call *c, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return exec_oom(c->x);
	return exec_errorf(c->x, "error calling %s: %s", c->name, msg);
}

static void at_operand(struct exec *x, const struct operand *op)
{
	x->at_loc = op->loc;
	x->at_pos = op->pos;
	x->at_len = op->len;
}

static void at_pipe(struct exec *x, const struct pipe *p)
{
	x->at_loc = x->at_pos = p->pos;
	x->at_len = p->len;
}

static int var_push(struct exec *x, const char *name, json_t *value)
{
	size_t cap = x->vars_cap ? x->vars_cap * 2 : 8;
	struct var *nv;

	if (x->nvars == x->vars_cap) {
		nv = realloc(x->vars, cap * sizeof(*nv));
		if (!nv)
			return exec_oom(x);
		x->vars = nv;
		x->vars_cap = cap;
	}
	x->vars[x->nvars++] = (struct var){name, json_incref(value)};
	return 0;
}

static void var_pop(struct exec *x, size_t mark)
{
	while (x->nvars > mark)
		json_decref(x->vars[--x->nvars].value);
}

static struct var *var_find(struct exec *x, const char *name)
{
	for (size_t i = x->nvars; i > 0; i--)
		if (streq(x->vars[i - 1].name, name))
			return &x->vars[i - 1];
	return NULL;
}

static int var_set(struct exec *x, const char *name, json_t *value)
{
	struct var *v = var_find(x, name);

	if (!v)
		return exec_errorf(x, "undefined variable: %s", name);
	json_decref(v->value);
	v->value = json_incref(value);
	return 0;
}

/* Go's setTopVar: the n-th variable from the top of the stack. */
static void var_set_top(struct exec *x, size_t n, json_t *value)
{
	struct var *v = &x->vars[x->nvars - n];

	json_decref(v->value);
	v->value = json_incref(value);
}

static int var_value(struct exec *x, const char *name, json_t **ret)
{
	struct var *v = var_find(x, name);

	if (!v)
		return exec_errorf(x, "undefined variable: %s", name);
	*ret = v->value;
	return 0;
}

/* Go's isTrue: zero values and empty containers are false. */
static bool is_true(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_TRUE:
		return true;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

static bool is_nil(const json_t *v)
{
	return !v || json_is_null(v);
}

/* ---- evaluation -------------------------------------------------------- */

static int eval_pipe(struct exec *x, json_t *dot, const struct pipe *pipe, json_t **ret);
static int eval_call(struct exec *x, json_t *dot, const struct operand *ident,
                     const struct operand *args, json_t *final, bool has_final, json_t **ret);

/* Go's evalField on a decoded JSON value: a key of an object. */
static int eval_field(struct exec *x, const char *name, json_t *recv, bool has_args, json_t **ret)
{
	*ret = NULL;
	if (!recv)
		return 0;
	if ((x->flags & TMPL_EXEC_HEADER) && json_is_string(recv)) {
		*ret = json_incref(recv);
		return 0;
	}
	if (json_is_object(recv)) {
		if (has_args)
			return exec_errorf(x, "%s is not a method but has arguments", name);
		*ret = json_incref(json_object_get(recv, name));
		return 0;
	}
	if (json_is_null(recv))
		return exec_errorf(x, "nil pointer evaluating interface {}.%s", name);
	return exec_errorf(x, "can't evaluate field %s in type %s", name, gofmt_type(recv));
}

/* The fields of recv in turn; only the last one sees the arguments. */
static int eval_chain(struct exec *x, json_t *recv, const char *const *fields, bool has_args,
                      json_t **ret)
{
	json_t *cur = json_incref(recv), *next;
	int r;

	for (size_t i = 0; fields && fields[i]; i++) {
		r = eval_field(x, fields[i], cur, has_args && !fields[i + 1], &next);
		json_decref(cur);
		if (r < 0)
			return r;
		cur = next;
	}
	*ret = cur;
	return 0;
}

/* The value an operand stands for before its fields are applied. */
static int eval_base(struct exec *x, json_t *dot, const struct operand *op, json_t **ret)
{
	json_t *v = NULL;
	int r;

	switch (op->kind) {
	case OP_DOT:
		*ret = json_incref(dot);
		return 0;
	case OP_NIL:
		*ret = json_null();
		return 0;
	case OP_FIELD:
		*ret = json_incref(dot);
		return 0;
	case OP_VAR:
		r = var_value(x, op->name, &v);
		*ret = json_incref(v);
		return r;
	case OP_PIPE:
		return eval_pipe(x, dot, op->pipe, ret);
	case OP_IDENT:
		return eval_call(x, dot, op, NULL, NULL, false, ret);
	default:
		*ret = json_incref(op->value);
		return 0;
	}
}

/* An operand as a function argument (Go's evalArg). */
static int eval_arg(struct exec *x, json_t *dot, const struct operand *op, json_t **ret)
{
	_cleanup_(json_decrefp) json_t *base = NULL;
	int r;

	*ret = NULL;
	r = eval_base(x, dot, op, &base);
	if (r < 0)
		return r;
	at_operand(x, op);
	if (!op->fields) {
		*ret = TAKE_PTR(base);
		return 0;
	}
	return eval_chain(x, base, op->fields, false, ret);
}

static int not_a_function(struct exec *x, const struct operand *first, bool has_final)
{
	if (!first->next && !has_final)
		return 0;
	return exec_errorf(x, "can't give argument to non-function %.*s", (int)first->len,
	                   x->t->text + first->pos);
}

/* One command of a pipeline; final is the previous command's value. */
static int eval_command(struct exec *x, json_t *dot, const struct command *cmd, json_t *final,
                        bool has_final, json_t **ret)
{
	const struct operand *first = cmd->args;
	bool has_args = first->next || has_final;
	_cleanup_(json_decrefp) json_t *base = NULL;
	int r;

	*ret = NULL;
	if (first->kind == OP_IDENT && !first->fields)
		return eval_call(x, dot, first, first->next, final, has_final, ret);
	at_operand(x, first);
	if (first->kind == OP_NIL)
		return exec_errorf(x, "nil is not a command");
	if (!first->fields) {
		r = not_a_function(x, first, has_final);
		return r < 0 ? r : eval_arg(x, dot, first, ret);
	}
	r = eval_base(x, dot, first, &base);
	if (r < 0)
		return r;
	at_operand(x, first);
	return eval_chain(x, base, first->fields, has_args, ret);
}

static int eval_pipe(struct exec *x, json_t *dot, const struct pipe *pipe, json_t **ret)
{
	json_t *val = NULL, *next;
	int r;

	*ret = NULL;
	at_pipe(x, pipe);
	for (const struct command *c = pipe->cmds; c; c = c->next) {
		r = eval_command(x, dot, c, val, c != pipe->cmds, &next);
		json_decref(val);
		if (r < 0)
			return r;
		val = next;
	}
	for (int i = 0; i < pipe->ndecl; i++) {
		r = pipe->is_assign ? var_set(x, pipe->decl[i], val)
		                    : var_push(x, pipe->decl[i], val);
		if (r < 0) {
			json_decref(val);
			return r;
		}
	}
	*ret = val;
	return 0;
}

static size_t count_operands(const struct operand *op)
{
	size_t n = 0;

	for (; op; op = op->next)
		n++;
	return n;
}

static int check_arity(struct exec *x, const struct tmpl_func *fn, size_t n)
{
	if (fn->max_args < 0 && n < (size_t)fn->min_args)
		return exec_errorf(x, "wrong number of args for %s: want at least %d got %zu",
		                   fn->name, fn->min_args, n);
	if (fn->max_args >= 0 && n != (size_t)fn->min_args)
		return exec_errorf(x, "wrong number of args for %s: want %d got %zu", fn->name,
		                   fn->min_args, n);
	return 0;
}

/* and/or stop at the first argument that decides, and return it. */
static int eval_and_or(struct exec *x, json_t *dot, const struct operand *args, bool is_or,
                       json_t *final, bool has_final, json_t **ret)
{
	json_t *v = NULL;
	int r;

	for (; args; args = args->next) {
		json_decref(v);
		r = eval_arg(x, dot, args, &v);
		if (r < 0)
			return r;
		if (is_true(v) == is_or) {
			*ret = v;
			return 0;
		}
	}
	if (has_final) {
		json_decref(v);
		v = json_incref(final);
	}
	*ret = v;
	return 0;
}

static int want_string(struct call *c, size_t i, const char **ret, size_t *ret_len);

/* docker's HeaderFunctions: json, split, join, … take the header string
 * and give it back unchanged. */
static int header_identity(struct call *c, json_t **ret)
{
	const char *s;
	size_t len;
	int r = want_string(c, 0, &s, &len);

	if (r == 0)
		*ret = json_incref(c->argv[0]);
	return r;
}

static void free_argv(json_t **argv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(argv[i]);
	free(argv);
}

static int eval_call(struct exec *x, json_t *dot, const struct operand *ident,
                     const struct operand *args, json_t *final, bool has_final, json_t **ret)
{
	const struct tmpl_func *fn = ident->func;
	size_t n = count_operands(args) + has_final, i = 0;
	struct call c = {.x = x, .name = fn->name, .argc = n};
	const struct operand *last = ident;
	int r;

	*ret = NULL;
	at_operand(x, ident);
	r = check_arity(x, fn, n);
	if (r < 0)
		return r;
	if (streq(fn->name, "and") || streq(fn->name, "or"))
		return eval_and_or(x, dot, args, fn->name[0] == 'o', final, has_final, ret);
	c.argv = calloc(n + 1, sizeof(json_t *));
	c.ops = calloc(n + 1, sizeof(*c.ops));
	if (!c.argv || !c.ops) {
		r = exec_oom(x);
		goto out;
	}
	for (; args; args = args->next, i++) {
		c.ops[i] = last = args;
		r = eval_arg(x, dot, args, &c.argv[i]);
		if (r < 0)
			goto out;
	}
	/* a piped value is checked where Go checks it: after the last argument */
	if (has_final) {
		c.argv[i] = json_incref(final);
		c.ops[i] = last;
	}
	at_operand(x, ident);
	if ((x->flags & TMPL_EXEC_HEADER) && fn->header_identity)
		r = header_identity(&c, ret);
	else
		r = fn->fn(&c, ret);
out:
	free_argv(c.argv, n);
	free(c.ops);
	return r;
}

/* ---- walking the tree -------------------------------------------------- */

static int walk_list(struct exec *x, json_t *dot, const struct node *n);

static int print_value(struct exec *x, const json_t *v)
{
	int r = v ? gofmt_print(x->out, v) : strbuf_puts(x->out, "<no value>");

	return r < 0 ? exec_oom(x) : 0;
}

static int walk_action(struct exec *x, json_t *dot, const struct node *n)
{
	_cleanup_(json_decrefp) json_t *val = NULL;
	int r = eval_pipe(x, dot, n->pipe, &val);

	/* an action that declares variables prints nothing */
	if (r < 0 || n->pipe->ndecl > 0)
		return r;
	return print_value(x, val);
}

static int walk_if_with(struct exec *x, json_t *dot, const struct node *n)
{
	_cleanup_(json_decrefp) json_t *val = NULL;
	size_t mark = x->nvars;
	int r = eval_pipe(x, dot, n->pipe, &val);

	if (r == 0 && is_true(val))
		r = walk_list(x, n->kind == NODE_WITH ? val : dot, n->list);
	else if (r == 0)
		r = walk_list(x, dot, n->else_list);
	var_pop(x, mark);
	return r;
}

/* One pass of a range body with the loop variables set as Go sets them. */
static int range_once(struct exec *x, const struct node *n, size_t mark, json_t *index,
                      json_t *elem)
{
	const struct pipe *p = n->pipe;
	int r = 0;

	if (p->ndecl > 0 && p->is_assign)
		r = var_set(x, p->decl[0], p->ndecl > 1 ? index : elem);
	else if (p->ndecl > 0)
		var_set_top(x, 1, elem);
	if (r == 0 && p->ndecl > 1 && p->is_assign)
		r = var_set(x, p->decl[1], elem);
	else if (r == 0 && p->ndecl > 1)
		var_set_top(x, 2, index);
	if (r == 0)
		r = walk_list(x, elem, n->list);
	var_pop(x, mark);
	return r == WALK_CONTINUE ? 0 : r;
}

static int range_array(struct exec *x, const struct node *n, json_t *val, size_t mark)
{
	size_t i;
	json_t *e;
	int r;

	json_array_foreach (val, i, e) {
		_cleanup_(json_decrefp) json_t *index = json_integer(i);

		if (!index)
			return exec_oom(x);
		r = range_once(x, n, mark, index, e);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Objects are visited in sorted key order, as Go ranges over maps. */
static int range_object(struct exec *x, const struct node *n, json_t *val, size_t mark)
{
	_cleanup_free_ const char **keys = NULL;
	size_t nkeys;
	int r;

	keys = gofmt_sorted_keys(val, &nkeys);
	if (!keys)
		return exec_oom(x);
	for (size_t i = 0; i < nkeys; i++) {
		_cleanup_(json_decrefp) json_t *key = json_string_nocheck(keys[i]);

		if (!key)
			return exec_oom(x);
		r = range_once(x, n, mark, key, json_object_get(val, keys[i]));
		if (r != 0)
			return r;
	}
	return 0;
}

static int range_cannot(struct exec *x, const json_t *val)
{
	struct strbuf sb = {0};
	int r;

	if (gofmt_print(&sb, val) < 0) {
		strbuf_release(&sb);
		return exec_oom(x);
	}
	r = exec_errorf(x, "range can't iterate over %s", sb.buf);
	strbuf_release(&sb);
	return r;
}

static bool is_empty(const json_t *v)
{
	return is_nil(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

static int walk_range(struct exec *x, json_t *dot, const struct node *n)
{
	_cleanup_(json_decrefp) json_t *val = NULL;
	size_t outer = x->nvars;
	int r = eval_pipe(x, dot, n->pipe, &val);

	if (r == 0 && is_empty(val))
		r = walk_list(x, dot, n->else_list);
	else if (r == 0 && json_is_array(val))
		r = range_array(x, n, val, x->nvars);
	else if (r == 0 && json_is_object(val))
		r = range_object(x, n, val, x->nvars);
	else if (r == 0)
		r = range_cannot(x, val);
	var_pop(x, outer);
	return r == WALK_BREAK ? 0 : r;
}

static int walk(struct exec *x, json_t *dot, const struct node *n)
{
	switch (n->kind) {
	case NODE_TEXT:
		return strbuf_append(x->out, n->text, n->len) < 0 ? exec_oom(x) : 0;
	case NODE_ACTION:
		return walk_action(x, dot, n);
	case NODE_IF:
	case NODE_WITH:
		return walk_if_with(x, dot, n);
	case NODE_RANGE:
		return walk_range(x, dot, n);
	case NODE_BREAK:
		return WALK_BREAK;
	case NODE_CONTINUE:
		return WALK_CONTINUE;
	}
	return 0;
}

static int walk_list(struct exec *x, json_t *dot, const struct node *n)
{
	int r;

	for (; n; n = n->next) {
		r = walk(x, dot, n);
		if (r != 0)
			return r;
	}
	return 0;
}

int tmpl_exec_flags(const struct tmpl *t, json_t *dot, unsigned flags, struct strbuf *out,
                    struct husk_error **err)
{
	struct exec x = {.t = t, .root = dot, .flags = flags, .out = out, .err = err};
	int r;

	if (strbuf_append(out, "", 0) < 0)
		return exec_oom(&x);
	r = var_push(&x, "$", dot);
	if (r == 0)
		r = walk_list(&x, dot, t->root);
	var_pop(&x, 0);
	free(x.vars);
	return r < 0 ? r : 0;
}

int tmpl_exec(const struct tmpl *t, json_t *dot, struct strbuf *out, struct husk_error **err)
{
	return tmpl_exec_flags(t, dot, 0, out, err);
}

char *tmpl_render(const char *text, json_t *dot, struct husk_error **err)
{
	_cleanup_(tmpl_freep) struct tmpl *t = tmpl_parse(text, err);
	struct strbuf sb = {0};

	if (!t)
		return NULL;
	if (tmpl_exec(t, dot, &sb, err) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_steal(&sb);
}

/* ---- argument helpers -------------------------------------------------- */

/* Go's validateType for a string parameter. */
static int want_string(struct call *c, size_t i, const char **ret, size_t *ret_len)
{
	const json_t *v = c->argv[i];

	*ret = "";
	*ret_len = 0;
	if (v && json_is_string(v)) {
		*ret = json_string_value(v);
		*ret_len = json_string_length(v);
		return 0;
	}
	at_operand(c->x, c->ops[i]);
	if (!v)
		return exec_errorf(c->x, "invalid value; expected string");
	return exec_errorf(c->x, "wrong type for value; expected string; got %s", gofmt_type(v));
}

/* An int parameter; integral floats are accepted as Go accepts 5.0. */
static int want_int(struct call *c, size_t i, json_int_t *ret)
{
	const json_t *v = c->argv[i];

	*ret = 0;
	if (v && json_is_integer(v)) {
		*ret = json_integer_value(v);
		return 0;
	}
	if (v && json_is_real(v) && json_real_value(v) == (double)(json_int_t)json_real_value(v)) {
		*ret = (json_int_t)json_real_value(v);
		return 0;
	}
	at_operand(c->x, c->ops[i]);
	if (!v)
		return exec_errorf(c->x, "invalid value; expected int");
	return exec_errorf(c->x, "wrong type for value; expected int; got %s", gofmt_type(v));
}

static int ret_string(struct call *c, const char *s, size_t len, json_t **ret)
{
	*ret = json_stringn_nocheck(s ? s : "", len);
	return *ret ? 0 : exec_oom(c->x);
}

/* Hand a finished strbuf over as the call's string result. */
static int ret_strbuf(struct call *c, struct strbuf *sb, int r, json_t **ret)
{
	if (r == 0)
		r = ret_string(c, sb->buf, sb->len, ret);
	else
		r = exec_oom(c->x);
	strbuf_release(sb);
	return r;
}

/* ---- docker's functions ------------------------------------------------ */

static int fn_json(struct call *c, json_t **ret)
{
	struct strbuf sb = {0};
	unsigned flags = 0;

	/* a docker list context is marshalled as a map by MarshalJSON, which
	 * json.Marshal escapes and sorts; everything else goes through an
	 * Encoder with SetEscapeHTML(false) */
	if ((c->x->flags & TMPL_EXEC_CONTEXT_JSON) && c->argv[0] && c->argv[0] == c->x->root)
		flags = GOJSON_ESCAPE_HTML | GOJSON_SORT_KEYS;
	return ret_strbuf(c, &sb, gojson_encode(&sb, c->argv[0], flags), ret);
}

/* strings.Split: an empty separator splits into UTF-8 sequences. */
static int split_into(json_t *arr, const char *s, size_t len, const char *sep, size_t seplen)
{
	const char *p;
	size_t n;

	if (seplen == 0) {
		for (size_t i = 0; i < len; i += n) {
			n = utf8_seq_len(s + i, len - i);
			if (json_array_append_new(arr, json_stringn_nocheck(s + i, n)) < 0)
				return -ENOMEM;
		}
		return 0;
	}
	while ((p = memmem(s, len, sep, seplen))) {
		if (json_array_append_new(arr, json_stringn_nocheck(s, p - s)) < 0)
			return -ENOMEM;
		len -= p + seplen - s;
		s = p + seplen;
	}
	return json_array_append_new(arr, json_stringn_nocheck(s, len)) < 0 ? -ENOMEM : 0;
}

static int fn_split(struct call *c, json_t **ret)
{
	const char *s, *sep;
	size_t len, seplen;
	int r = want_string(c, 0, &s, &len);

	if (r == 0)
		r = want_string(c, 1, &sep, &seplen);
	if (r < 0)
		return r;
	*ret = json_array();
	if (!*ret || split_into(*ret, s, len, sep, seplen) < 0)
		return exec_oom(c->x);
	return 0;
}

/* strings.Join; elements that are not strings print as %v (Go would
 * refuse anything but a []string). */
static int fn_join(struct call *c, json_t **ret)
{
	const json_t *arr = c->argv[0], *e;
	struct strbuf sb = {0};
	const char *sep;
	size_t seplen, i;
	int r = want_string(c, 1, &sep, &seplen);

	if (r < 0)
		return r;
	if (!arr || !json_is_array(arr)) {
		at_operand(c->x, c->ops[0]);
		return exec_errorf(c->x, "wrong type for value; expected []string; got %s",
		                   arr ? gofmt_type(arr) : "<nil>");
	}
	r = strbuf_append(&sb, "", 0);
	json_array_foreach (arr, i, e) {
		if (r == 0 && i > 0)
			r = strbuf_append(&sb, sep, seplen);
		if (r == 0)
			r = gofmt_print(&sb, e);
	}
	return ret_strbuf(c, &sb, r, ret);
}

/* Simple case mapping for the scripts docker output meets (ASCII, Latin-1,
 * Latin Extended-A, Greek, Cyrillic). Every pair here keeps its UTF-8
 * length; letters whose other case would not (ß, ſ, ı) stay as they are. */
static uint32_t rune_upper(uint32_t r)
{
	if ((r >= 'a' && r <= 'z') || (r >= 0xe0 && r <= 0xfe && r != 0xf7) ||
	    (r >= 0x3b1 && r <= 0x3cb && r != 0x3c2) || (r >= 0x430 && r <= 0x44f))
		return r - 0x20;
	if (r == 0xff)
		return 0x178;
	if (r == 0x3c2)
		return 0x3a3;
	if (r >= 0x450 && r <= 0x45f)
		return r - 0x50;
	if (((r >= 0x100 && r <= 0x12f) || (r >= 0x132 && r <= 0x137) ||
	     (r >= 0x14a && r <= 0x177)) &&
	    (r & 1))
		return r - 1;
	if (((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e)) && !(r & 1))
		return r - 1;
	return r;
}

static uint32_t rune_lower(uint32_t r)
{
	if ((r >= 'A' && r <= 'Z') || (r >= 0xc0 && r <= 0xde && r != 0xd7) ||
	    (r >= 0x391 && r <= 0x3ab && r != 0x3a2) || (r >= 0x410 && r <= 0x42f))
		return r + 0x20;
	if (r == 0x178)
		return 0xff;
	if (r >= 0x400 && r <= 0x40f)
		return r + 0x50;
	if (((r >= 0x100 && r <= 0x12f) || (r >= 0x132 && r <= 0x137) ||
	     (r >= 0x14a && r <= 0x177)) &&
	    !(r & 1))
		return r + 1;
	if (((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17e)) && (r & 1))
		return r + 1;
	return r;
}

/* Write r over the n bytes of the rune it replaces, when it takes as many. */
static void put_rune_at(char *d, size_t n, uint32_t r)
{
	if (n == 1 && r < 0x80) {
		d[0] = (char)r;
	} else if (n == 2 && r >= 0x80 && r < 0x800) {
		d[0] = (char)(0xc0 | r >> 6);
		d[1] = (char)(0x80 | (r & 0x3f));
	}
}

/* strings.Title's isSeparator: ASCII other than letters, digits and '_';
 * beyond ASCII only white space separates words. */
static bool title_separator(uint32_t r)
{
	if (r < 0x80)
		return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') ||
		         (r >= 'A' && r <= 'Z') || r == '_');
	return r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
	       r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000;
}

enum case_map {
	CASE_UPPER,
	CASE_LOWER,
	CASE_TITLE,
};

static uint32_t map_rune(enum case_map how, uint32_t prev, uint32_t r)
{
	if (how == CASE_LOWER)
		return rune_lower(r);
	if (how == CASE_UPPER || title_separator(prev))
		return rune_upper(r);
	return r;
}

static int map_case(struct call *c, json_t **ret, enum case_map how)
{
	uint32_t prev = ' ', r, m;
	const char *s;
	size_t len, n;
	int rc = want_string(c, 0, &s, &len);
	char *d;

	if (rc < 0)
		return rc;
	d = malloc(len + 1);
	if (!d)
		return exec_oom(c->x);
	memcpy(d, s, len);
	for (size_t i = 0; i < len; i += n) {
		n = utf8_decode(s + i, len - i, &r);
		m = map_rune(how, prev, r);
		if (m != r)
			put_rune_at(d + i, n, m);
		prev = r;
	}
	rc = ret_string(c, d, len, ret);
	free(d);
	return rc;
}

static int fn_upper(struct call *c, json_t **ret)
{
	return map_case(c, ret, CASE_UPPER);
}

static int fn_lower(struct call *c, json_t **ret)
{
	return map_case(c, ret, CASE_LOWER);
}

static int fn_title(struct call *c, json_t **ret)
{
	return map_case(c, ret, CASE_TITLE);
}

static int append_spaces(struct strbuf *sb, json_int_t n)
{
	static const char spaces[] = "                                ";

	for (; n > 0; n -= MIN(n, (json_int_t)sizeof(spaces) - 1))
		if (strbuf_append(sb, spaces, MIN(n, (json_int_t)sizeof(spaces) - 1)) < 0)
			return -ENOMEM;
	return 0;
}

/* docker's pad: spaces around a non-empty string. */
static int fn_pad(struct call *c, json_t **ret)
{
	json_int_t before, after;
	struct strbuf sb = {0};
	const char *s;
	size_t len;
	int r = want_string(c, 0, &s, &len);

	if (r == 0)
		r = want_int(c, 1, &before);
	if (r == 0)
		r = want_int(c, 2, &after);
	if (r < 0)
		return r;
	if (len == 0)
		return ret_string(c, "", 0, ret);
	if (before < 0 || after < 0)
		return call_errorf(c, "strings: negative Repeat count");
	if (before > FUNC_MAX_OUTPUT || after > FUNC_MAX_OUTPUT)
		return call_errorf(c, "padding of %lld is too large",
		                   (long long)MAX(before, after));
	r = append_spaces(&sb, before);
	if (r == 0)
		r = strbuf_append(&sb, s, len);
	if (r == 0)
		r = append_spaces(&sb, after);
	return ret_strbuf(c, &sb, r, ret);
}

/* docker's truncate: the first n bytes, as Go slices a string. */
static int fn_truncate(struct call *c, json_t **ret)
{
	const char *s;
	size_t len;
	json_int_t n;
	int r = want_string(c, 0, &s, &len);

	if (r == 0)
		r = want_int(c, 1, &n);
	if (r < 0)
		return r;
	if (n < 0)
		return call_errorf(c, "runtime error: slice bounds out of range [:%lld]",
		                   (long long)n);
	return ret_string(c, s, MIN((size_t)n, len), ret);
}

/* ---- Go's builtins ----------------------------------------------------- */

static int fn_len(struct call *c, json_t **ret)
{
	const json_t *v = c->argv[0];
	size_t n;

	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		n = json_string_length(v);
		break;
	case JSON_ARRAY:
		n = json_array_size(v);
		break;
	case JSON_OBJECT:
		n = json_object_size(v);
		break;
	case JSON_NULL:
		return call_errorf(c, "len of nil pointer");
	default:
		return call_errorf(c, "len of type %s", gofmt_type(v));
	}
	*ret = json_integer(n);
	return *ret ? 0 : exec_oom(c->x);
}

/* Go's indexArg: an int index in [0, cap]. */
static int index_arg(struct call *c, const json_t *idx, size_t cap, size_t *ret)
{
	json_int_t i;

	*ret = 0;
	if (is_nil(idx))
		return call_errorf(c, "cannot index slice/array with nil");
	if (!json_is_integer(idx))
		return call_errorf(c, "cannot index slice/array with type %s", gofmt_type(idx));
	i = json_integer_value(idx);
	if (i < 0 || (size_t)i > cap)
		return call_errorf(c, "index out of range: %lld", (long long)i);
	*ret = i;
	return 0;
}

/* A key missing from an object gives the zero value of the map's element
 * type: "" when every value is a string (map[string]string, like docker's
 * Labels), else Go's nil interface, which prints as <no value>. */
static json_t *missing_key_value(const json_t *obj)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)obj, k, v)
		if (!json_is_string(v))
			return NULL;
	return json_string("");
}

static int index_one(struct call *c, json_t *item, const json_t *idx, json_t **ret)
{
	size_t i = 0;
	int r;

	if (json_is_null(item))
		return call_errorf(c, "index of nil pointer");
	if (json_is_array(item) || json_is_string(item)) {
		size_t len = json_is_array(item) ? json_array_size(item) : json_string_length(item);

		r = index_arg(c, idx, len, &i);
		if (r == 0 && i == len)
			r = call_errorf(c, "index out of range: %zu", i);
		if (r < 0)
			return r;
		/* a string indexes to a byte, which prints as a number */
		*ret = json_is_array(item)
		               ? json_incref(json_array_get(item, i))
		               : json_integer((unsigned char)json_string_value(item)[i]);
		return 0;
	}
	if (!json_is_object(item))
		return call_errorf(c, "can't index item of type %s", gofmt_type(item));
	if (is_nil(idx))
		return call_errorf(c, "value is nil; should be of type string");
	if (!json_is_string(idx))
		return call_errorf(c, "value has type %s; should be string", gofmt_type(idx));
	*ret = json_incref(json_object_get(item, json_string_value(idx)));
	if (!*ret)
		*ret = missing_key_value(item);
	return 0;
}

static int fn_index(struct call *c, json_t **ret)
{
	json_t *item = json_incref(c->argv[0]), *next = NULL;
	int r;

	if (!item)
		return call_errorf(c, "index of untyped nil");
	for (size_t i = 1; i < c->argc; i++) {
		if (!item)
			return call_errorf(c, "index of nil pointer");
		r = index_one(c, item, c->argv[i], &next);
		json_decref(item);
		if (r < 0)
			return r;
		item = next;
	}
	*ret = item;
	return 0;
}

static int fn_slice(struct call *c, json_t **ret)
{
	json_t *item = c->argv[0];
	size_t idx[3] = {0}, cap;
	int r;

	if (is_nil(item))
		return call_errorf(c, "slice of untyped nil");
	if (c->argc > 4)
		return call_errorf(c, "too many slice indexes: %zu", c->argc - 1);
	if (json_is_string(item) && c->argc == 4)
		return call_errorf(c, "cannot 3-index slice a string");
	if (!json_is_string(item) && !json_is_array(item))
		return call_errorf(c, "can't slice item of type %s", gofmt_type(item));
	cap = json_is_string(item) ? json_string_length(item) : json_array_size(item);
	idx[1] = idx[2] = cap;
	for (size_t i = 1; i < c->argc; i++) {
		r = index_arg(c, c->argv[i], cap, &idx[i - 1]);
		if (r < 0)
			return r;
	}
	if (idx[0] > idx[1])
		return call_errorf(c, "invalid slice index: %zu > %zu", idx[0], idx[1]);
	if (c->argc == 4 && idx[1] > idx[2])
		return call_errorf(c, "invalid slice index: %zu > %zu", idx[1], idx[2]);
	if (json_is_string(item))
		return ret_string(c, json_string_value(item) + idx[0], idx[1] - idx[0], ret);
	*ret = json_array();
	for (size_t i = idx[0]; *ret && i < idx[1]; i++)
		if (json_array_append(*ret, json_array_get(item, i)) < 0)
			return exec_oom(c->x);
	return *ret ? 0 : exec_oom(c->x);
}

static int fn_not(struct call *c, json_t **ret)
{
	*ret = json_boolean(!is_true(c->argv[0]));
	return 0;
}

/* Only for the table; and/or are evaluated lazily by eval_and_or(). */
static int fn_and_or(struct call *c, json_t **ret)
{
	*ret = json_incref(c->argv[0]);
	return 0;
}

static int fn_print(struct call *c, json_t **ret)
{
	struct strbuf sb = {0};

	return ret_strbuf(c, &sb, gofmt_sprint(&sb, c->argv, c->argc, false), ret);
}

static int fn_println(struct call *c, json_t **ret)
{
	struct strbuf sb = {0};

	return ret_strbuf(c, &sb, gofmt_sprint(&sb, c->argv, c->argc, true), ret);
}

static int fn_printf(struct call *c, json_t **ret)
{
	struct strbuf sb = {0};
	const char *f;
	size_t len;
	int r = want_string(c, 0, &f, &len);

	if (r < 0)
		return r;
	r = strbuf_append(&sb, "", 0);
	if (r == 0)
		r = gofmt_sprintf(&sb, f, len, c->argv + 1, c->argc - 1);
	return ret_strbuf(c, &sb, r, ret);
}

/* ---- comparisons (Go's eq, lt and friends) ----------------------------- */

enum basic_kind {
	KIND_NIL,
	KIND_BOOL,
	KIND_NUMBER,
	KIND_STRING,
	KIND_OTHER,
};

static enum basic_kind basic_kind(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_TRUE:
	case JSON_FALSE:
		return KIND_BOOL;
	case JSON_INTEGER:
	case JSON_REAL:
		return KIND_NUMBER;
	case JSON_STRING:
		return KIND_STRING;
	case JSON_NULL:
		return KIND_NIL;
	default:
		return KIND_OTHER;
	}
}

/* <0, 0, >0 for two numbers; integers compare exactly, and an integer
 * against a float compares as floats (Go would call that incompatible). */
static int cmp_numbers(const json_t *a, const json_t *b)
{
	json_int_t i = json_integer_value(a), j = json_integer_value(b);
	double x = json_number_value(a), y = json_number_value(b);

	if (json_is_integer(a) && json_is_integer(b))
		return (i > j) - (i < j);
	return (x > y) - (x < y);
}

static int cmp_strings(const json_t *a, const json_t *b)
{
	size_t la = json_string_length(a), lb = json_string_length(b);
	int r = memcmp(json_string_value(a), json_string_value(b), MIN(la, lb));

	return r ? r : (la > lb) - (la < lb);
}

/* Whether a equals b, or an error. */
static int equal(struct call *c, const json_t *a, const json_t *b, bool *ret)
{
	enum basic_kind ka = basic_kind(a), kb = basic_kind(b);

	*ret = false;
	if (ka == KIND_NIL || kb == KIND_NIL) {
		*ret = ka == kb;
		return 0;
	}
	if (ka != kb)
		return call_errorf(c, "incompatible types for comparison");
	switch (ka) {
	case KIND_BOOL:
		*ret = json_is_true(a) == json_is_true(b);
		return 0;
	case KIND_NUMBER:
		*ret = cmp_numbers(a, b) == 0;
		return 0;
	case KIND_STRING:
		*ret = cmp_strings(a, b) == 0;
		return 0;
	default:
		return call_errorf(c, "non-comparable type %s", gofmt_type(a));
	}
}

static int fn_eq(struct call *c, json_t **ret)
{
	bool same = false;
	int r;

	if (c->argc < 2)
		return call_errorf(c, "missing argument for comparison");
	for (size_t i = 1; i < c->argc && !same; i++) {
		r = equal(c, c->argv[0], c->argv[i], &same);
		if (r < 0)
			return r;
	}
	*ret = json_boolean(same);
	return 0;
}

static int fn_ne(struct call *c, json_t **ret)
{
	bool same;
	int r = equal(c, c->argv[0], c->argv[1], &same);

	if (r == 0)
		*ret = json_boolean(!same);
	return r;
}

/* Whether a < b for two numbers or two strings, or an error. */
static int less(struct call *c, const json_t *a, const json_t *b, bool *ret)
{
	enum basic_kind ka = basic_kind(a), kb = basic_kind(b);

	if (ka != KIND_NUMBER && ka != KIND_STRING)
		return call_errorf(c, "invalid type for comparison");
	if (ka != kb)
		return call_errorf(c, kb == KIND_NUMBER || kb == KIND_STRING
		                              ? "incompatible types for comparison"
		                              : "invalid type for comparison");
	*ret = ka == KIND_NUMBER ? cmp_numbers(a, b) < 0 : cmp_strings(a, b) < 0;
	return 0;
}

enum order {
	ORDER_LT,
	ORDER_LE,
	ORDER_GT,
	ORDER_GE,
};

static int order(struct call *c, enum order o, json_t **ret)
{
	bool lt = false, eq = false;
	int r = less(c, c->argv[0], c->argv[1], &lt);

	if (r == 0 && (o == ORDER_LE || o == ORDER_GT) && !lt)
		r = equal(c, c->argv[0], c->argv[1], &eq);
	if (r < 0)
		return r;
	switch (o) {
	case ORDER_LT:
		*ret = json_boolean(lt);
		break;
	case ORDER_LE:
		*ret = json_boolean(lt || eq);
		break;
	case ORDER_GT:
		*ret = json_boolean(!(lt || eq));
		break;
	case ORDER_GE:
		*ret = json_boolean(!lt);
		break;
	}
	return 0;
}

static int fn_lt(struct call *c, json_t **ret)
{
	return order(c, ORDER_LT, ret);
}

static int fn_le(struct call *c, json_t **ret)
{
	return order(c, ORDER_LE, ret);
}

static int fn_gt(struct call *c, json_t **ret)
{
	return order(c, ORDER_GT, ret);
}

static int fn_ge(struct call *c, json_t **ret)
{
	return order(c, ORDER_GE, ret);
}

/* ---- the table --------------------------------------------------------- */

static const struct tmpl_func funcs[] = {
        /* docker/cli templates.go */
        {"json", 1, 1, fn_json, true},
        {"split", 2, 2, fn_split, true},
        {"join", 2, 2, fn_join, true},
        {"title", 1, 1, fn_title, true},
        {"lower", 1, 1, fn_lower, true},
        {"upper", 1, 1, fn_upper, true},
        {"pad", 3, 3, fn_pad, false},
        {"truncate", 2, 2, fn_truncate, true},
        /* text/template builtins */
        {"and", 1, -1, fn_and_or, false},
        {"or", 1, -1, fn_and_or, false},
        {"not", 1, 1, fn_not, false},
        {"len", 1, 1, fn_len, false},
        {"index", 1, -1, fn_index, false},
        {"slice", 1, -1, fn_slice, false},
        {"print", 0, -1, fn_print, false},
        {"printf", 1, -1, fn_printf, false},
        {"println", 0, -1, fn_println, false},
        {"eq", 1, -1, fn_eq, false},
        {"ne", 2, 2, fn_ne, false},
        {"lt", 2, 2, fn_lt, false},
        {"le", 2, 2, fn_le, false},
        {"gt", 2, 2, fn_gt, false},
        {"ge", 2, 2, fn_ge, false},
};

const struct tmpl_func *tmpl_func_lookup(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(funcs); i++)
		if (streq(funcs[i].name, name))
			return &funcs[i];
	return NULL;
}
