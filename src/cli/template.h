/* template.h — Go text/template, the part docker users write, over JSON.
 *
 * A `--format` string is parsed once (tmpl_parse) and evaluated with a
 * jansson value as the dot (tmpl_exec): field chains (`.State.Pid`), `.`,
 * `$` and `$x := …` variables, literals, pipelines, parenthesised
 * pipelines, if/else if/else, range (with else, break, continue), with,
 * `{{- trim -}}` markers and comments. Functions: docker's (json, join,
 * split, upper, lower, title, pad, truncate) and Go's builtins (len, index,
 * slice, print, printf, println, not, and, or, eq, ne, lt, le, gt, ge).
 * Errors carry Go's text (`template: :1: function "foo" not defined`).
 *
 * Values print as Go's fmt prints their Go counterparts: integers as
 * integers, reals as %v of a float64, null as `<nil>`, a missing field as
 * `<no value>`, arrays as `[a b]`, objects as `map[k:v]` with sorted keys.
 * `json` writes JSON as docker's json function does (encoding/json with
 * HTML escaping off), keeping jansson's key (insertion) order.
 *
 * Not supported: {{define}}, {{template}} and {{block}} (a parse error
 * says so); methods with arguments (docker's `.Label "k"`: a field is only
 * an object key); Go's html, js, urlquery and call; range over an integer;
 * complex constants; %#v beyond quoting strings. Deliberately lenient
 * where Go would refuse: join takes any array (elements print as %v), eq
 * and lt compare an integer with a float numerically, upper/lower/title
 * map ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic only.
 *
 * This module only computes strings: it never prints, never reads files
 * and never looks at anything but the template and the dot.
 */
#pragma once

#include <jansson.h>
#include "base/error.h"
#include "base/str.h"

struct tmpl;

/* Parse text (at most 1 MiB). NULL with -EINVAL in *err on a syntax error
 * (Go's message: `template: :1: unexpected "}" in operand`), or -ENOMEM. */
struct tmpl *tmpl_parse(const char *text, struct husk_error **err);

enum tmpl_exec_flags {
	/* docker's table headers: json, split, join, title, lower, upper and
	 * truncate return their first argument unchanged, and a field of a
	 * string is the string itself. */
	TMPL_EXEC_HEADER = 1 << 0,
	/* docker's list contexts (ps, images, …) marshal as Go maps: `json`
	 * of the dot itself sorts keys and escapes <, > and & as \u003c… */
	TMPL_EXEC_CONTEXT_JSON = 1 << 1,
};

/* Evaluate t with dot as `.` and `$`, appending to out. On error returns
 * -EINVAL (-ENOMEM) with Go's message (`template: :1:2: executing "" at
 * <index .A 5>: error calling index: index out of range: 5`); out keeps
 * what was written before the error, as Go's does. */
int tmpl_exec(const struct tmpl *t, json_t *dot, struct strbuf *out, struct husk_error **err);
int tmpl_exec_flags(const struct tmpl *t, json_t *dot, unsigned flags, struct strbuf *out,
                    struct husk_error **err);

/* Parse and evaluate in one go; the result string, or NULL with *err. */
char *tmpl_render(const char *text, json_t *dot, struct husk_error **err);

/* The names of the fields the template reads from the dot or `$` (the
 * first name of each chain: "State" for `.State.Pid`), in order of first
 * use, without duplicates. NULL on OOM. */
char **tmpl_fields(const struct tmpl *t);

void tmpl_free(struct tmpl *t);
DEFINE_CLEANUP_FUNC(struct tmpl *, tmpl_free)
