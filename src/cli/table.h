/* table.h — docker's list output: `--format` handling, table alignment and
 * the human-readable cells (sizes, "2 hours ago", short IDs).
 *
 * table_format() does what docker/cli's formatter.Context does with a list:
 * "table …" formats get a header row and are aligned like Go's tabwriter as
 * docker configures it (minwidth 10, padding 3, spaces); "json" prints one
 * compact JSON object per item; anything else is a template run once per
 * item, each followed by a newline. It formats into memory and writes only
 * to the stream table_render() is given.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "base/error.h"
#include "base/str.h"

/* A field of the items and the header docker shows for it in a table
 * ({"ID", "CONTAINER ID"}); arrays of them end with a NULL field. */
struct table_column {
	const char *field;
	const char *header;
};

/* Format items (an array of objects whose display fields are already
 * strings) with format:
 *   NULL, "" or "table": default_format (e.g. "table {{.ID}}\t{{.Names}}");
 *   "json": `{{json .}}` per item (keys sorted, <>& escaped, as docker);
 *   "table <template>": a header row, then a row per item, aligned; the
 *     header is the template run over {field: header text}, with fields
 *     missing from headers shown upper-cased, and docker's header
 *     functions (json, upper, … return their argument);
 *   anything else: the template per item.
 * As docker does, `\t` and `\n` written as two characters become a tab and
 * a newline, and spaces around the template are trimmed. Appends to out;
 * -EINVAL with `template parsing error: template: :1: …` when the template
 * does not parse or fails on an item (nothing is appended then). */
int table_format(struct strbuf *out, const char *format, const char *default_format,
                 const struct table_column *headers, json_t *items, struct husk_error **err);

/* table_format() written to out; -EIO (with errno's text) when writing
 * fails. */
int table_render(FILE *out, const char *format, const char *default_format,
                 const struct table_column *headers, json_t *items, struct husk_error **err);

/* Go's text/tabwriter with padchar ' ' and no flags: cells end with a tab,
 * a column's width is its widest cell plus padding (at least minwidth),
 * the last cell of a line is not padded. Widths count terminal columns
 * (wide CJK characters as 2, combining marks as 0), like docker's fork.
 * Appends to out; -ENOMEM. */
int tabwriter_format(struct strbuf *out, const char *text, size_t len, int minwidth, int padding);

/* go-units HumanDuration: "Less than a second", "1 second", "5 seconds",
 * "About a minute", "5 minutes", "About an hour", "5 hours", "3 days",
 * "2 weeks", "3 months", "2 years". NULL on OOM. */
char *format_human_duration(int64_t seconds);

/* docker's CreatedSince: HumanDuration(now - unix_secs) + " ago". */
char *format_since(int64_t unix_secs, int64_t now);

/* go-units HumanSizeWithPrecision(bytes, 3): "0B", "999B", "1kB",
 * "1.23MB". NULL on OOM. */
char *format_size(uint64_t bytes);

/* stringid.TruncateID: what follows the first ':' ("sha256:"), cut to 12
 * characters; with no_trunc the ID as it is (docker's `--no-trunc` shows
 * "sha256:…" in full). NULL id gives "". NULL on OOM. */
char *format_id(const char *id, bool no_trunc);
