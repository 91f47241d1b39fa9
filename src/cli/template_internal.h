/* template_internal.h — tokens and the parsed form of a template, shared
 * by the lexer (template_lex.c), the parser (template_parse.c), the
 * evaluator (template_exec.c) and Go-style value formatting
 * (template_fmt.c). Nothing outside src/cli/template*.c includes this;
 * callers use template.h.
 *
 * All nodes live in the template's arena and are freed with it; constants
 * (strings, numbers, booleans) are jansson values held by tmpl->consts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "base/str.h"
#include "cli/template.h"

/* ---- the tree ---------------------------------------------------------- */

enum operand_kind {
	OP_FIELD,  /* .A.B: fields of the dot */
	OP_VAR,    /* $x or $x.A.B */
	OP_DOT,    /* . */
	OP_IDENT,  /* a function name */
	OP_PIPE,   /* ( pipeline ), possibly followed by fields */
	OP_STRING, /* constants: value holds them */
	OP_NUMBER,
	OP_BOOL,
	OP_NIL,
};

struct pipe;

struct operand {
	enum operand_kind kind;
	size_t pos, len;              /* source span, for "at <…>" in messages */
	size_t loc;                   /* where messages point (Go's node position) */
	const char *name;             /* OP_VAR: "$x"; OP_IDENT: the function */
	const struct tmpl_func *func; /* OP_IDENT */
	json_t *value;                /* constants, borrowed from tmpl->consts */
	struct pipe *pipe;            /* OP_PIPE */
	const char **fields;          /* NULL-terminated; OP_FIELD has at least one */
	struct operand *next;         /* next argument of the command */
};

struct command {
	struct operand *args; /* function or value first, then its arguments */
	struct command *next;
};

struct pipe {
	size_t pos, len;
	const char *decl[2]; /* $x := …, or range $i, $v := … */
	int ndecl;
	bool is_assign; /* `=` instead of `:=` */
	struct command *cmds;
};

enum node_kind {
	NODE_TEXT,
	NODE_ACTION,
	NODE_IF,
	NODE_RANGE,
	NODE_WITH,
	NODE_BREAK,
	NODE_CONTINUE,
};

struct node {
	enum node_kind kind;
	const char *text; /* NODE_TEXT */
	size_t len;
	struct pipe *pipe;             /* ACTION, IF, RANGE, WITH */
	struct node *list, *else_list; /* IF, RANGE, WITH */
	struct node *next;
};

struct arena_chunk;

struct tmpl {
	char *text; /* the source, kept for messages */
	size_t len;
	struct node *root;
	json_t *consts; /* array owning every constant */
	struct arena_chunk *arena;
};

/* Allocate zeroed memory owned by t; NULL on OOM. */
void *tmpl_alloc(struct tmpl *t, size_t size);
/* A NUL-terminated copy of n bytes of s owned by t; NULL on OOM. */
char *tmpl_strndup(struct tmpl *t, const char *s, size_t n);

/* ---- tokens (template_lex.c) ------------------------------------------- */

enum tok_type {
	TOK_ERROR,
	TOK_EOF,
	TOK_TEXT,
	TOK_LEFT_DELIM,
	TOK_RIGHT_DELIM,
	TOK_SPACE,
	TOK_FIELD,
	TOK_VARIABLE,
	TOK_IDENTIFIER,
	TOK_STRING,
	TOK_RAW_STRING,
	TOK_CHAR_CONSTANT,
	TOK_NUMBER,
	TOK_BOOL,
	TOK_PIPE,
	TOK_LEFT_PAREN,
	TOK_RIGHT_PAREN,
	TOK_DECLARE,
	TOK_ASSIGN,
	TOK_CHAR,
	TOK_KEYWORD, /* the keywords follow; messages show them as <word> */
	TOK_BLOCK,
	TOK_BREAK,
	TOK_CONTINUE,
	TOK_DOT,
	TOK_DEFINE,
	TOK_ELSE,
	TOK_END,
	TOK_IF,
	TOK_NIL,
	TOK_RANGE,
	TOK_TEMPLATE,
	TOK_WITH,
};

struct token {
	enum tok_type type;
	size_t pos, len;
	int line;
	const char *msg; /* TOK_ERROR */
};

/* Cut t->text into tokens, the last one TOK_EOF (after a TOK_ERROR whose
 * msg says what was wrong, when the text does not lex). *ret is malloc'd
 * for the caller; 0 or -ENOMEM. */
int tmpl_lex(struct tmpl *t, struct token **ret, size_t *ret_n);

/* strconv.Unquote of a "…" or `…` token into sb; -EINVAL when it is not
 * valid Go syntax, -ENOMEM. */
int tmpl_unquote(const char *s, size_t len, struct strbuf *sb);
/* strconv.UnquoteChar: one (possibly escaped) character of s appended to
 * sb and its value in *ret; the bytes used, -EINVAL or -ENOMEM. */
int tmpl_unquote_char(const char *s, size_t len, char quote, struct strbuf *sb, uint32_t *ret);

/* ---- functions (template_exec.c) --------------------------------------- */

struct tmpl_func;
/* The function called name, or NULL when there is none. */
const struct tmpl_func *tmpl_func_lookup(const char *name);

/* ---- Go's fmt and encoding/json (template_fmt.c) ----------------------- */
/* Each returns 0 or -ENOMEM. A NULL value stands for Go's nil. */

/* fmt.Sprint of one value (%v). */
int gofmt_print(struct strbuf *sb, const json_t *v);
/* fmt.Sprint / fmt.Sprintln of argc values. */
int gofmt_sprint(struct strbuf *sb, json_t *const *argv, size_t argc, bool ln);
/* fmt.Sprintf. */
int gofmt_sprintf(struct strbuf *sb, const char *fmt, size_t len, json_t *const *argv, size_t argc);
/* strconv.Quote of s, cut to max_runes runes first (SIZE_MAX: all). */
int gofmt_quote(struct strbuf *sb, const char *s, size_t len, size_t max_runes);
/* The Go type a decoded JSON value has: "string", "int", "float64", "bool",
 * "[]interface {}", "map[string]interface {}"; "interface {}" for NULL/null. */
const char *gofmt_type(const json_t *v);

enum gojson_flags {
	GOJSON_ESCAPE_HTML = 1 << 0, /* <, >, & as \u003c, \u003e, \u0026 */
	GOJSON_SORT_KEYS = 1 << 1,   /* objects in key order, as Go maps */
};
/* encoding/json's compact output for v (NULL: "null"). */
int gojson_encode(struct strbuf *sb, const json_t *v, unsigned flags);

/* The keys of an object sorted bytewise, as Go orders map keys; a calloc'd
 * array the caller frees (the strings stay the object's), NULL on OOM. */
const char **gofmt_sorted_keys(const json_t *obj, size_t *ret_n);

/* Decode the rune at s (len > 0): its length in bytes, and U+FFFD with
 * length 1 for a byte that starts no valid sequence (Go's DecodeRune). */
size_t utf8_decode(const char *s, size_t len, uint32_t *ret);
/* Bytes of the UTF-8 sequence starting at s (1 for an invalid byte). */
size_t utf8_seq_len(const char *s, size_t len);
/* Append the UTF-8 encoding of r (U+FFFD for a surrogate or past
 * U+10FFFF); 0 or -ENOMEM. */
int utf8_put(struct strbuf *sb, uint32_t r);
