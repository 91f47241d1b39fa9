/* cmd_events.c — husk events: the daemon's event stream, one line per
 * event as docker prints it:
 *   2026-11-28T00:00:00.000000000Z container start 3f4e… (image=busybox, name=c1)
 * or through a --format template over the event (Go field names: .Type,
 * .Action, .Actor.ID, .Actor.Attributes, .Status, .ID, .From, .Scope,
 * .Time, .TimeNano), "json" for the event's JSON. */
#include <string.h>
#include <time.h>

#include "api/client.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_volume.h"
#include "cli/template.h"

#define EVENT_LINE_MAX (1u << 20)

const struct flag_spec cli_events_flags[] = {
        {"filter", 'f', FLAG_LIST, NULL, "Filter output based on conditions provided", "filter"},
        {"format", 0, FLAG_STRING, NULL,
         "Format output using a custom template: 'json', 'TEMPLATE'", NULL},
        {"since", 0, FLAG_STRING, NULL, "Show all events created since timestamp", NULL},
        {"until", 0, FLAG_STRING, NULL, "Stream events until this timestamp", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

struct events_out {
	struct cli *cli;
	struct tmpl *tmpl; /* NULL: docker's line, or raw JSON when json */
	bool json;
};

/* Go's "2006-01-02T15:04:05.000000000Z07:00" in local time. */
static void format_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	long off;
	size_t n;

	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(buf + n, len - n, ".%09lld", (long long)(ns % 1000000000));
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60,
		         labs(off) % 60);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* docker's prettyPrintEvent. */
static void print_event(FILE *out, json_t *e)
{
	json_t *actor = json_object_get(e, "Actor"), *attrs = json_object_get(actor, "Attributes");
	int64_t ns = json_integer_value(json_object_get(e, "timeNano"));
	_cleanup_strv_ char **kv = strv_new();
	const char *k;
	json_t *v;
	char when[64];

	if (!ns)
		ns = json_integer_value(json_object_get(e, "time")) * 1000000000;
	if (ns) {
		format_time(ns, when, sizeof(when));
		fprintf(out, "%s ", when);
	}
	fprintf(out, "%s %s %s", json_string_value(json_object_get(e, "Type")) ?: "",
	        json_string_value(json_object_get(e, "Action")) ?: "",
	        json_string_value(json_object_get(actor, "ID")) ?: "");
	json_object_foreach (attrs, k, v) {
		_cleanup_free_ char *s = str_printf("%s=%s", k, json_string_value(v) ?: "");
		if (!kv || !s || strv_push(&kv, s) < 0)
			break;
	}
	if (strv_length(kv) > 0) {
		qsort(kv, strv_length(kv), sizeof(char *), compare_strings);
		_cleanup_free_ char *joined = strv_join(kv, ", ");
		fprintf(out, " (%s)", joined ? joined : "");
	}
	fputc('\n', out);
}

/* The dot of a template: the Go struct's field names. */
static json_t *go_event(json_t *e)
{
	json_t *actor = json_object_get(e, "Actor");

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:O}, s:s, s:I, s:I}", "Status",
	                 json_string_value(json_object_get(e, "status")) ?: "", "ID",
	                 json_string_value(json_object_get(e, "id")) ?: "", "From",
	                 json_string_value(json_object_get(e, "from")) ?: "", "Type",
	                 json_string_value(json_object_get(e, "Type")) ?: "", "Action",
	                 json_string_value(json_object_get(e, "Action")) ?: "", "Actor", "ID",
	                 json_string_value(json_object_get(actor, "ID")) ?: "", "Attributes",
	                 json_object_get(actor, "Attributes") ?: json_null(), "Scope",
	                 json_string_value(json_object_get(e, "scope")) ?: "", "Time",
	                 json_integer_value(json_object_get(e, "time")), "TimeNano",
	                 json_integer_value(json_object_get(e, "timeNano")));
}

static int on_event(const char *line, size_t len, void *data, struct husk_error **err)
{
	struct events_out *o = data;
	_cleanup_json_ json_t *e = NULL, *dot = NULL;

	if (len == 0 || json_parse("event", line, len, EVENT_LINE_MAX, &e, NULL) < 0 ||
	    !json_is_object(e))
		return 0; /* not an event: skip it, as docker does */
	if (o->json) {
		_cleanup_free_ char *s = json_compact(e);
		fprintf(o->cli->out, "%s\n", s ? s : "");
	} else if (o->tmpl) {
		struct strbuf sb = {0};
		int r;

		dot = go_event(e);
		r = dot ? tmpl_exec(o->tmpl, dot, &sb, err)
		        : error_set(err, ENOMEM, "out of memory");
		if (r < 0) {
			strbuf_release(&sb);
			return r;
		}
		fprintf(o->cli->out, "%s\n", sb.buf ? sb.buf : "");
		strbuf_release(&sb);
	} else
		print_event(o->cli->out, e);
	fflush(o->cli->out);
	return 0;
}

/* "&key=value", escaped, or "" when value is empty. */
static char *query_arg(const char *key, const char *value)
{
	_cleanup_free_ char *e = NULL;

	if (isempty(value))
		return strdup("");
	e = api_client_escape(value);
	return e ? str_printf("&%s=%s", key, e) : NULL;
}

int cmd_events(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	_cleanup_free_ char *filters = NULL, *since = NULL, *until = NULL, *path = NULL;
	_cleanup_(tmpl_freep) struct tmpl *t = NULL;
	const char *fmt = flags_string(f, "format");
	struct events_out o = {.cli = cli};
	struct api_client *c = NULL;
	int r = cli_filters_query(flags_list(f, "filter"), &filters, err);

	if (r < 0)
		return r;
	if (streq_ptr(fmt, "json") || streq_ptr(fmt, "{{json .}}"))
		o.json = true;
	else if (!isempty(fmt)) {
		_cleanup_free_ char *text = str_strip(fmt);
		t = text ? tmpl_parse(text, err) : NULL;
		if (!t)
			return text ? -EINVAL : error_set(err, ENOMEM, "out of memory");
		o.tmpl = t;
	}
	since = query_arg("since", flags_string(f, "since"));
	until = query_arg("until", flags_string(f, "until"));
	path = since && until ? str_printf("/events?filters=%s%s%s", filters, since, until) : NULL;
	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	r = cli_connect(cli, &c, err);
	return r ?: api_client_stream(c, "GET", path, NULL, NULL, on_event, &o, NULL, err);
}
