/* Unit tests for src/cli/template*.c and src/cli/table.c: Go text/template
 * as docker users write it, Go's fmt and JSON output, parse and execution
 * errors with Go's messages, docker's table layout and the cell helpers.
 * Expected outputs come from Go's documented behaviour and, for tables,
 * from tabwriter's rules applied by hand (see each test). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "cli/table.h"
#include "cli/template.h"

/* A container as `docker inspect` shows it, trimmed. */
static const char container_json[] =
        "{\"Id\":\"4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2\","
        "\"Name\":\"/web\","
        "\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,\"Pid\":1234,"
        "\"ExitCode\":0,\"Health\":null},"
        "\"Config\":{\"Hostname\":\"4fa6e0f0c678\",\"Env\":[\"PATH=/usr/bin\",\"A=1\"],"
        "\"Cmd\":[\"sh\",\"-c\",\"echo a > b && c < d\"],"
        "\"Labels\":{\"com.example.vendor\":\"ACME\",\"version\":\"1.0\"},\"Image\":\"nginx:"
        "latest\"},"
        "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/src\",\"Destination\":\"/dst\",\"RW\":true},"
        "{\"Type\":\"volume\",\"Source\":\"/var/lib/x\",\"Destination\":\"/data\",\"RW\":false}],"
        "\"NetworkSettings\":{\"Ports\":{\"80/"
        "tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]},"
        "\"Networks\":{\"bridge\":{\"IPAddress\":\"172.17.0.2\"}}},"
        "\"RestartCount\":0,\"Ratio\":2.0}";

static json_t *load(const char *json)
{
	json_error_t je;
	json_t *v;

	if (!json)
		return NULL;
	v = json_loads(json, JSON_DECODE_ANY, &je);
	if (!v)
		fail_msg("bad test JSON %s: %s", json, je.text);
	return v;
}

static void expect_render(const char *text, const char *json, const char *want)
{
	_cleanup_json_ json_t *dot = load(json);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *got = tmpl_render(text, dot, &err);

	if (!got)
		fail_msg("%s: %s", text, error_message(err));
	assert_string_equal(got, want);
}

static void expect_c(const char *text, const char *want)
{
	expect_render(text, container_json, want);
}

static void expect_parse_error(const char *text, const char *want)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(tmpl_freep) struct tmpl *t = tmpl_parse(text, &err);

	if (t)
		fail_msg("%s: parsed, expected %s", text, want);
	assert_int_equal(error_code(err), EINVAL);
	assert_string_equal(error_message(err), want);
}

static void expect_exec_error(const char *text, const char *json, const char *want)
{
	_cleanup_json_ json_t *dot = load(json);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *got = tmpl_render(text, dot, &err);

	if (got)
		fail_msg("%s: rendered \"%s\", expected %s", text, got, want);
	assert_int_equal(error_code(err), EINVAL);
	assert_string_equal(error_message(err), want);
}

/* ---- fields and values ------------------------------------------------- */

static void test_field_chain(void **state)
{
	expect_c("{{.State.Pid}}", "1234");
	expect_c("{{.Config.Image}} {{.Name}}", "nginx:latest /web");
	expect_c("{{.State.Running}}/{{.State.Paused}}", "true/false");
	expect_c("{{.NetworkSettings.Networks.bridge.IPAddress}}", "172.17.0.2");
}

static void test_missing_field_no_value(void **state)
{
	expect_c("{{.Nope}}", "<no value>");
	expect_c("{{.State.Nope}}|{{.Nope.Deeper.Still}}", "<no value>|<no value>");
	expect_c("{{.Config.Labels.nope}}", "<no value>");
}

static void test_null_prints_nil(void **state)
{
	expect_c("{{.State.Health}}", "<nil>");
	expect_render("{{.}}", "null", "<nil>");
	expect_render("{{.}}", NULL, "<no value>");
}

static void test_dot(void **state)
{
	expect_render("{{.}}", "\"plain\"", "plain");
	expect_render("{{.}}", "42", "42");
	expect_render("[{{.}}]", "[]", "[[]]");
	expect_render("{{.}}", "{\"b\":1,\"a\":\"x\",\"c\":null}", "map[a:x b:1 c:<nil>]");
}

static void test_print_arrays_and_maps(void **state)
{
	expect_c("{{.Config.Env}}", "[PATH=/usr/bin A=1]");
	expect_c("{{.Config.Labels}}", "map[com.example.vendor:ACME version:1.0]");
	expect_c("{{.Mounts}}", "[map[Destination:/dst RW:true Source:/src Type:bind] "
	                        "map[Destination:/data RW:false Source:/var/lib/x Type:volume]]");
	expect_render("{{.}}", "[[1,[2]],{},[],null]", "[[1 [2]] map[] [] <nil>]");
}

static void test_literals(void **state)
{
	expect_render("{{\"a\"}} {{1}} {{true}} {{false}} {{1.5}} {{'a'}} {{0x1F}} {{-3}}", NULL,
	              "a 1 true false 1.5 97 31 -3");
	expect_render("{{0o17}} {{0b101}} {{1_000}} {{017}} {{'\\n'}}", NULL, "15 5 1000 15 10");
}

static void test_string_escapes(void **state)
{
	expect_render("{{\"a\\tb\\\"c\\\\\\x41\\u00e9\\101\"}}", NULL,
	              "a\tb\"c\\Aé"
	              "A");
	expect_render("{{`raw\\n \"q\"`}}", NULL, "raw\\n \"q\"");
}

static void test_float_formatting(void **state)
{
	/* %v of a float64: shortest digits, %e from an exponent of 21 down
	 * to -4 as Go decides with precision 6 */
	expect_render("{{1e6}} {{123456.0}} {{1234567.0}} {{0.0001}} {{0.00001}} {{100.0}}", NULL,
	              "1e+06 123456 1.234567e+06 0.0001 1e-05 100");
	expect_c("{{.Ratio}}", "2");
	expect_render("{{.}}", "[0.1,-2.5,1e21,3.0e-7]", "[0.1 -2.5 1e+21 3e-07]");
}

/* ---- json -------------------------------------------------------------- */

static void test_json_array(void **state)
{
	/* docker's json uses an Encoder with SetEscapeHTML(false) */
	expect_c("{{json .Config.Cmd}}", "[\"sh\",\"-c\",\"echo a > b && c < d\"]");
	expect_c("{{json .Config.Env}}", "[\"PATH=/usr/bin\",\"A=1\"]");
}

static void test_json_object_insertion_order(void **state)
{
	expect_c("{{json .Config.Labels}}",
	         "{\"com.example.vendor\":\"ACME\",\"version\":\"1.0\"}");
	expect_render("{{json .}}", "{\"b\":1,\"a\":{\"z\":[],\"y\":{}}}",
	              "{\"b\":1,\"a\":{\"z\":[],\"y\":{}}}");
	expect_c("{{json .State}}", "{\"Status\":\"running\",\"Running\":true,\"Paused\":false,"
	                            "\"Pid\":1234,\"ExitCode\":0,\"Health\":null}");
}

static void test_json_string_escapes(void **state)
{
	expect_render("{{json .}}", "\"\\u0001\\n\\t\\b\\f\\r\\\"\\\\/é\\u2028\\u2029\"",
	              "\"\\u0001\\n\\t\\b\\f\\r\\\"\\\\/é\\u2028\\u2029\"");
}

static void test_json_scalars(void **state)
{
	expect_render("{{json .}}", "[1,2.5,100.0,1e21,1e-7,0.000001,-0.5,null,true,false]",
	              "[1,2.5,100,1e+21,1e-7,0.000001,-0.5,null,true,false]");
	expect_c("{{json .Nope}} {{json .State.Health}} {{json 3}} {{json \"x\"}}",
	         "null null 3 \"x\"");
}

static void test_json_context_sorted_escaped(void **state)
{
	_cleanup_json_ json_t *dot = load("{\"b\":\"<a&b>\",\"a\":1}");
	_cleanup_(tmpl_freep) struct tmpl *t = tmpl_parse("{{json .}} {{json .b}}", NULL);
	struct strbuf sb = {0};

	/* docker's list contexts marshal as maps through json.Marshal */
	assert_non_null(t);
	assert_int_equal(tmpl_exec_flags(t, dot, TMPL_EXEC_CONTEXT_JSON, &sb, NULL), 0);
	assert_string_equal(sb.buf, "{\"a\":1,\"b\":\"\\u003ca\\u0026b\\u003e\"} \"<a&b>\"");
	strbuf_release(&sb);
}

/* ---- range ------------------------------------------------------------- */

static void test_range_array(void **state)
{
	expect_c("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}",
	         "/src:/dst /var/lib/x:/data ");
	expect_c("{{range .Config.Env}}[{{.}}]{{end}}", "[PATH=/usr/bin][A=1]");
}

static void test_range_variables(void **state)
{
	expect_c("{{range $i, $m := .Mounts}}{{$i}}={{$m.Type}};{{end}}", "0=bind;1=volume;");
	expect_c("{{range $e := .Config.Env}}<{{$e}}>{{end}}", "<PATH=/usr/bin><A=1>");
	expect_c("{{range $i, $e := .Config.Env}}{{$.Name}}{{$i}}{{end}}", "/web0/web1");
}

static void test_range_object_sorted(void **state)
{
	expect_c("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}",
	         "com.example.vendor=ACME,version=1.0,");
	expect_render("{{range .}}{{.}}{{end}}", "{\"z\":1,\"a\":2,\"m\":3}", "231");
	expect_c("{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> "
	         "{{(index $conf 0).HostPort}}{{end}}",
	         "80/tcp -> 8080");
}

static void test_range_else(void **state)
{
	expect_render("{{range .L}}x{{else}}empty{{end}}", "{\"L\":[]}", "empty");
	expect_render("{{range .L}}x{{else}}empty{{end}}", "{\"L\":null}", "empty");
	expect_render("{{range .L}}x{{else}}empty{{end}}", "{}", "empty");
	expect_render("{{range .L}}x{{else}}empty{{end}}", "{\"L\":{}}", "empty");
}

static void test_range_break_continue(void **state)
{
	expect_render("{{range .}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}", "[1,2,3,4]", "12");
	expect_render("{{range .}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", "[1,2,3]", "13");
}

/* ---- if / with --------------------------------------------------------- */

static void test_if_falsy_kinds(void **state)
{
	static const char *const falsy[] = {"false", "0", "0.0", "\"\"", "null", "[]", "{}"};
	static const char *const truthy[] = {"true", "1", "-0.5", "\" \"", "[0]", "{\"a\":0}"};
	char json[64];

	for (size_t i = 0; i < ELEMENTSOF(falsy); i++) {
		snprintf(json, sizeof(json), "{\"V\":%s}", falsy[i]);
		expect_render("{{if .V}}T{{else}}F{{end}}", json, "F");
	}
	for (size_t i = 0; i < ELEMENTSOF(truthy); i++) {
		snprintf(json, sizeof(json), "{\"V\":%s}", truthy[i]);
		expect_render("{{if .V}}T{{else}}F{{end}}", json, "T");
	}
	expect_render("{{if .Missing}}T{{else}}F{{end}}", "{}", "F");
}

static void test_if_else_chain(void **state)
{
	const char *t = "{{if eq .S \"a\"}}A{{else if eq .S \"b\"}}B{{else if .S}}other{{else}}none"
	                "{{end}}";

	expect_render(t, "{\"S\":\"a\"}", "A");
	expect_render(t, "{\"S\":\"b\"}", "B");
	expect_render(t, "{\"S\":\"c\"}", "other");
	expect_render(t, "{\"S\":\"\"}", "none");
	expect_c("{{if .State.Running}}up{{else}}down{{end}}", "up");
}

static void test_with(void **state)
{
	expect_c("{{with .State}}{{.Status}} {{.Pid}}{{end}}", "running 1234");
	expect_c("{{with .State.Health}}{{.Status}}{{else}}no health{{end}}", "no health");
	expect_c("{{with .Nope}}a{{else with .Name}}{{.}}{{end}}", "/web");
	expect_c("{{with $s := .State.Status}}{{$s}}{{end}}", "running");
}

/* ---- variables and pipelines ------------------------------------------- */

static void test_variables(void **state)
{
	expect_c("{{$n := .Name}}{{$n}}", "/web");
	expect_c("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2");
	expect_c("{{with .State}}{{$.Name}}:{{.Pid}}{{end}}", "/web:1234");
	expect_c("{{$}}",
	         "map[Config:map[Cmd:[sh -c echo a > b && c < d] Env:[PATH=/usr/bin A=1] "
	         "Hostname:4fa6e0f0c678 Image:nginx:latest Labels:map[com.example.vendor:ACME "
	         "version:1.0]] Id:4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f"
	         "1d6e2 Mounts:[map[Destination:/dst RW:true Source:/src Type:bind] "
	         "map[Destination:/data RW:false Source:/var/lib/x Type:volume]] Name:/web "
	         "NetworkSettings:map[Networks:map[bridge:map[IPAddress:172.17.0.2]] "
	         "Ports:map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]]] Ratio:2 "
	         "RestartCount:0 State:map[ExitCode:0 Health:<nil> Paused:false Pid:1234 "
	         "Running:true Status:running]]");
}

static void test_pipelines(void **state)
{
	expect_c("{{.Name | printf \"%.3s\"}}", "/we");
	expect_c("{{.Config.Env | len}}", "2");
	expect_render("{{\"x\" | printf \"%s-%s\" \"a\"}}", NULL, "a-x");
	/* the piped value is the last argument: split ":" "nginx:latest" */
	expect_c("{{.Config.Image | split \":\" | len}}", "1");
}

static void test_parenthesized(void **state)
{
	expect_c("{{(index .Mounts 1).Source}}", "/var/lib/x");
	expect_c("{{len (index .Config.Env 0)}}", "13");
	expect_c("{{printf \"%s/%d\" (upper .State.Status) (len .Mounts)}}", "RUNNING/2");
}

/* ---- docker's functions ------------------------------------------------ */

static void test_join(void **state)
{
	expect_c("{{join .Config.Env \",\"}}", "PATH=/usr/bin,A=1");
	expect_c("{{join .Config.Cmd \" \"}}", "sh -c echo a > b && c < d");
	expect_render("{{join . \"-\"}}", "[]", "");
	expect_render("{{join . \"+\"}}", "[1,\"a\",true]", "1+a+true");
}

static void test_split(void **state)
{
	expect_c("{{split .Config.Image \":\"}}", "[nginx latest]");
	expect_c("{{index (split .Config.Image \":\") 1}}", "latest");
	expect_render("{{split \"a,,b\" \",\"}} {{len (split \"\" \",\")}} {{split \"héj\" \"\"}}",
	              NULL, "[a  b] 1 [h é j]");
}

static void test_upper_lower_title(void **state)
{
	expect_c("{{upper .State.Status}} {{lower \"MiXeD\"}}", "RUNNING mixed");
	expect_render("{{title \"hello world-foo_bar 3rd élan\"}}", NULL,
	              "Hello World-Foo_bar 3rd Élan");
	expect_render("{{upper \"straße ÿ ωσ жё\"}}|{{lower \"ÀÉÎ ΣΩ ЖЁ\"}}", NULL,
	              "STRAßE Ÿ ΩΣ ЖЁ|àéî σω жё");
}

static void test_len(void **state)
{
	expect_c("{{len .Name}} {{len .Mounts}} {{len .Config.Labels}} {{len \"é\"}}", "4 2 2 2");
}

static void test_index(void **state)
{
	expect_c("{{index .Config.Labels \"com.example.vendor\"}}", "ACME");
	expect_c("{{index .Config.Env 1}}", "A=1");
	expect_c("{{index .NetworkSettings.Networks \"bridge\" \"IPAddress\"}}", "172.17.0.2");
	/* a label that is not set: "" as for docker's map[string]string */
	expect_c("[{{index .Config.Labels \"missing\"}}]", "[]");
	expect_c("{{index .NetworkSettings.Networks \"host\"}}", "<no value>");
	expect_render("{{index . 1}}", "\"abc\"", "98");
}

static void test_printf_verbs(void **state)
{
	expect_render("{{printf \"%s|%d|%v|%q|%.2s|%-5s|%5s|\" \"str\" 42 true \"q\" \"abc\" \"l\" "
	              "\"r\"}}",
	              NULL, "str|42|true|\"q\"|ab|l    |    r|");
	expect_render(
	        "{{printf \"%5.2f|%x|%X|%o|%b|%c|%t|%%|%e|%g|%+d|%05d|%#x|%T|%T\" 3.14159 255 "
	        "255 8 5 65 false 1234.5678 0.000012345 7 -42 255 1.5 .}}",
	        "[1]",
	        " 3.14|ff|FF|10|101|A|false|%|1.234568e+03|1.2345e-05|+7|-0042|0xff|float64|"
	        "[]interface {}");
	expect_render("{{printf \"%v %s %d\" . . .}}", "[1,\"a\"]",
	              "[1 a] [%!s(int=1) a] [1 %!d(string=a)]");
}

static void test_printf_widths_runes(void **state)
{
	expect_render("{{printf \"%5s|%-4s|%.2s|%3d|%-3d|%6.1f|%-8v|\" \"é\" \"日\" \"日本語\" 7 7 "
	              "2.25 .}}",
	              "true", "    é|日   |日本|  7|7  |   2.2|true    |");
	expect_render("{{printf \"%*d|%-*d|%.*f\" 4 1 3 2 1 3.14159}}", NULL, "   1|2  |3.1");
}

static void test_printf_mismatches(void **state)
{
	expect_render("{{printf \"%d\" \"abc\"}}", NULL, "%!d(string=abc)");
	expect_render("{{printf \"%s %s\" \"a\"}}", NULL, "a %!s(MISSING)");
	expect_render("{{printf \"%s\" \"a\" 3 \"b\"}}", NULL, "a%!(EXTRA int=3, string=b)");
	expect_render("{{printf \"x%\"}}", NULL, "x%!(NOVERB)");
	expect_render("{{printf \"%s %d %v\" .N .N .M}}", "{\"N\":null}",
	              "%!s(<nil>) %!d(<nil>) <nil>");
	expect_render("{{printf \"%[2]s %[1]s\" \"a\" \"b\"}}", NULL, "b a");
}

static void test_printf_quote(void **state)
{
	expect_render("{{printf \"%q\" .}}", "\"a\\\"b\\n\\u0001é\\t\\\\\"",
	              "\"a\\\"b\\n\\x01é\\t\\\\\"");
	expect_render("{{printf \"%q\" .}}", "[\"a\",\"b\"]", "[\"a\" \"b\"]");
}

static void test_print_println(void **state)
{
	expect_render("{{print 1 2 \"a\" \"b\" 3}}", NULL, "1 2ab3");
	expect_render("{{println 1 \"a\" .}}", "null", "1 a <nil>\n");
	expect_c("{{print}}|{{println}}|", "|\n|");
}

static void test_pad_truncate(void **state)
{
	expect_c("[{{pad .State.Status 2 3}}]", "[  running   ]");
	expect_render("[{{pad \"\" 2 3}}]", NULL, "[]");
	expect_c("{{truncate .Id 12}}", "4fa6e0f0c678");
	expect_c("{{truncate .Name 100}}|{{truncate .Name 0}}|", "/web||");
}

static void test_comparisons(void **state)
{
	expect_render(
	        "{{eq 1 1}} {{eq \"a\" \"b\" \"a\"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt 1 2}} "
	        "{{ge \"b\" \"a\"}} {{eq .M \"x\"}} {{eq .M .N}} {{eq 1 1.0}}",
	        "{\"N\":null}", "true true true true true false true false true true");
	expect_c("{{if eq .State.Status \"running\"}}ok{{end}}", "ok");
}

static void test_and_or_not(void **state)
{
	expect_render(
	        "{{and 1 0}} {{and 1 \"x\"}} {{or 0 \"\"}} {{or 0 \"y\"}} {{not 0}} {{not .}}",
	        "[1]", "0 x  y true false");
	/* and/or stop early: the failing call after the deciding argument
	 * never runs */
	expect_render("{{or 1 (index . 9)}} {{and 0 (index . 9)}}", "[1]", "1 0");
}

static void test_slice(void **state)
{
	expect_render("{{slice . 1 3}} {{slice . 2}} {{slice .}}", "[1,2,3,4]",
	              "[2 3] [3 4] [1 2 3 4]");
	expect_render("{{slice \"abcdef\" 1 3}}", NULL, "bc");
}

/* ---- whitespace and comments ------------------------------------------- */

static void test_trim_markers(void **state)
{
	expect_render("a  {{- .X -}}  b", "{\"X\":1}", "a1b");
	expect_render("{{range .}}\n  {{- . -}}\n{{end}}", "[1,2]", "12");
	expect_render("a {{- 3}} {{-3}}", NULL, "a3 -3");
	expect_render("x\n\t {{- \"\" }}\n", NULL, "x\n");
}

static void test_comments(void **state)
{
	expect_render("a{{/* a comment */}}b", NULL, "ab");
	expect_render("a {{- /* trimmed */ -}} b", NULL, "ab");
	expect_render("{{/* multi\nline */}}x", NULL, "x");
}

/* ---- parse errors ------------------------------------------------------ */

static void test_parse_error_function(void **state)
{
	expect_parse_error("{{foo}}", "template: :1: function \"foo\" not defined");
	expect_parse_error("{{.X | bar 1}}", "template: :1: function \"bar\" not defined");
}

static void test_parse_error_operand(void **state)
{
	expect_parse_error("{{ . }", "template: :1: unexpected \"}\" in operand");
	expect_parse_error("{{.X}", "template: :1: bad character U+007D '}'");
	expect_parse_error("{{\"a\".X}}", "template: :1: unexpected . after term \"\\\"a\\\"\"");
	expect_parse_error("{{3x}}", "template: :1: bad number syntax: \"3x\"");
}

static void test_parse_error_unclosed(void **state)
{
	expect_parse_error("{{.X", "template: :1: unclosed action");
	expect_parse_error("a\nb\n{{.X", "template: :3: unclosed action");
	expect_parse_error("{{.X\n\n", "template: :3: unclosed action started at :1");
	expect_parse_error("{{if .X}}a", "template: :1: unexpected EOF");
	expect_parse_error("{{/* x", "template: :1: unclosed comment");
	expect_parse_error("{{/* x */ }}", "template: :1: comment ends before closing delimiter");
	expect_parse_error("{{\"abc}}", "template: :1: unterminated quoted string");
	expect_parse_error("{{(.X}}", "template: :1: unclosed left paren");
}

static void test_parse_error_structure(void **state)
{
	expect_parse_error("{{end}}", "template: :1: unexpected {{end}}");
	expect_parse_error("{{else}}", "template: :1: unexpected {{else}}");
	expect_parse_error("{{if}}x{{end}}", "template: :1: missing value for if");
	expect_parse_error("{{}}", "template: :1: missing value for command");
	expect_parse_error("{{range .X}}{{else}}{{else}}{{end}}",
	                   "template: :1: expected end; found {{else}}");
	expect_parse_error("{{break}}", "template: :1: {{break}} outside {{range}}");
	expect_parse_error("{{.X | \"a\"}}",
	                   "template: :1: non executable command in pipeline stage 2");
	expect_parse_error("{{define \"x\"}}{{end}}", "template: :1: {{define}} is not supported");
	expect_parse_error("{{if .X}}\n{{end}}{{end}}", "template: :2: unexpected {{end}}");
}

static void test_parse_error_variables(void **state)
{
	expect_parse_error("{{$x}}", "template: :1: undefined variable \"$x\"");
	expect_parse_error("{{with $x := 1}}{{end}}{{$x}}",
	                   "template: :1: undefined variable \"$x\"");
	expect_parse_error("{{range $a, $b, $c := .}}{{end}}",
	                   "template: :1: too many declarations in range");
	expect_parse_error("{{with $a, $b := .}}{{end}}",
	                   "template: :1: too many declarations in with");
}

static void test_parse_limits(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *big = malloc((1 << 20) + 2), *deep = malloc(4100);
	struct tmpl *t;

	assert_non_null(big);
	memset(big, 'a', (1 << 20) + 1);
	big[(1 << 20) + 1] = 0;
	t = tmpl_parse(big, &err);
	assert_null(t);
	assert_int_equal(error_code(err), EFBIG);

	assert_non_null(deep);
	strcpy(deep, "{{");
	for (int i = 0; i < 1001; i++)
		strcat(deep, "(");
	expect_parse_error(deep, "template: :1: max expression depth exceeded");
}

/* ---- execution errors -------------------------------------------------- */

static void test_exec_error_fields(void **state)
{
	expect_exec_error("{{.Name.X}}", container_json,
	                  "template: :1:7: executing \"\" at <.Name.X>: can't evaluate field X in "
	                  "type string");
	expect_exec_error("{{.State.Health.Status}}", container_json,
	                  "template: :1:8: executing \"\" at <.State.Health.Status>: nil pointer "
	                  "evaluating interface {}.Status");
	expect_exec_error("\n  {{.Name \"x\"}}", container_json,
	                  "template: :2:4: executing \"\" at <.Name>: Name is not a method but has "
	                  "arguments");
}

static void test_exec_error_calls(void **state)
{
	expect_exec_error(
	        "{{index .Config.Env 5}}", container_json,
	        "template: :1:2: executing \"\" at <index>: error calling index: index out of "
	        "range: 5");
	expect_exec_error(
	        "{{printf}}", NULL,
	        "template: :1:2: executing \"\" at <printf>: wrong number of args for printf: "
	        "want at least 1 got 0");
	expect_exec_error("{{upper 1}}", NULL,
	                  "template: :1:8: executing \"\" at <1>: wrong type for value; expected "
	                  "string; got int");
	expect_exec_error(
	        "{{eq 1 \"a\"}}", NULL,
	        "template: :1:2: executing \"\" at <eq>: error calling eq: incompatible types "
	        "for comparison");
	expect_exec_error(
	        "{{len 3}}", NULL,
	        "template: :1:2: executing \"\" at <len>: error calling len: len of type int");
	expect_exec_error("{{\"x\" 1}}", NULL,
	                  "template: :1:2: executing \"\" at <\"x\">: can't give argument to "
	                  "non-function \"x\"");
}

static void test_exec_error_range(void **state)
{
	expect_exec_error("{{range .}}{{end}}", "\"hello\"",
	                  "template: :1:8: executing \"\" at <.>: range can't iterate over hello");
	expect_exec_error(
	        "{{index .State.Pid 0}}", container_json,
	        "template: :1:2: executing \"\" at <index>: error calling index: can't index "
	        "item of type int");
	/* the node shown is cut to 20 characters */
	expect_exec_error("{{.Config.Labels.version.x}}", container_json,
	                  "template: :1:9: executing \"\" at <.Config.Labels.versi...>: can't "
	                  "evaluate field x in type string");
}

static void test_exec_keeps_partial_output(void **state)
{
	_cleanup_json_ json_t *dot = load("[1]");
	_cleanup_(tmpl_freep) struct tmpl *t = tmpl_parse("a{{index . 9}}b", NULL);
	_cleanup_error_ struct husk_error *err = NULL;
	struct strbuf sb = {0};

	assert_non_null(t);
	assert_int_equal(tmpl_exec(t, dot, &sb, &err), -EINVAL);
	assert_string_equal(sb.buf, "a");
	strbuf_release(&sb);
}

static void test_exec_reuse(void **state)
{
	_cleanup_(tmpl_freep) struct tmpl *t = tmpl_parse("{{.A}};", NULL);
	struct strbuf sb = {0};

	assert_non_null(t);
	for (int i = 0; i < 3; i++) {
		_cleanup_json_ json_t *dot = json_pack("{s:i}", "A", i);

		assert_int_equal(tmpl_exec(t, dot, &sb, NULL), 0);
	}
	assert_string_equal(sb.buf, "0;1;2;");
	strbuf_release(&sb);
}

/* ---- header mode and fields -------------------------------------------- */

static void test_header_mode(void **state)
{
	_cleanup_json_ json_t *h =
	        load("{\"ID\":\"IMAGE ID\",\"Names\":\"NAMES\",\"L\":\"LABELS\"}");
	_cleanup_(tmpl_freep) struct tmpl *t = tmpl_parse(
	        "{{.ID}}|{{upper .Names}}|{{json .L}}|{{truncate .ID 2}}|{{join .L \",\"}}|"
	        "{{pad .Names 1 1}}|{{.L.sub}}",
	        NULL);
	struct strbuf sb = {0};

	assert_non_null(t);
	assert_int_equal(tmpl_exec_flags(t, h, TMPL_EXEC_HEADER, &sb, NULL), 0);
	assert_string_equal(sb.buf, "IMAGE ID|NAMES|LABELS|IMAGE ID|LABELS| NAMES |LABELS");
	strbuf_release(&sb);
}

static void test_fields(void **state)
{
	_cleanup_(tmpl_freep) struct tmpl *t = tmpl_parse(
	        "{{.ID}} {{.State.Pid}} {{if .Running}}{{range .Mounts}}{{.Inner}}{{end}}{{end}} "
	        "{{printf \"%s\" (.ID)}} {{$.Root}} {{$x := 1}}{{$x}}",
	        NULL);
	_cleanup_strv_ char **f = NULL;
	_cleanup_free_ char *joined = NULL;

	assert_non_null(t);
	f = tmpl_fields(t);
	assert_non_null(f);
	joined = strv_join(f, ",");
	assert_string_equal(joined, "ID,State,Running,Mounts,Inner,Root");
}

/* ---- tables ------------------------------------------------------------ */

static const struct table_column image_headers[] = {
        {"Repository", "REPOSITORY"}, {"Tag", "TAG"},   {"ID", "IMAGE ID"},
        {"CreatedSince", "CREATED"},  {"Size", "SIZE"}, {NULL, NULL},
};

static const char images_default[] =
        "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";

static void expect_table(const char *format, const char *def, const struct table_column *headers,
                         const char *items, const char *want)
{
	_cleanup_json_ json_t *v = load(items);
	_cleanup_error_ struct husk_error *err = NULL;
	struct strbuf sb = {0};

	if (table_format(&sb, format, def, headers, v, &err) < 0)
		fail_msg("%s: %s", format ? format : "(null)", error_message(err));
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

/* Column widths by tabwriter's rule: max(10, widest cell + 3); the last
 * column is never padded. REPOSITORY is 10 wide, so 13; TAG and latest fit
 * in 10; IMAGE ID column 12+3; CREATED column "2 months ago" 12+3. */
static void test_table_images_header(void **state)
{
	expect_table(NULL, images_default, image_headers,
	             "[{\"Repository\":\"busybox\",\"Tag\":\"latest\",\"ID\":\"3f57d9401f8d\","
	             "\"CreatedSince\":\"2 months ago\",\"Size\":\"4.26MB\"}]",
	             "REPOSITORY   TAG       IMAGE ID       CREATED        SIZE\n"
	             "busybox      latest    3f57d9401f8d   2 months ago   4.26MB\n");
}

/* Two rows: TAG grows to 11+3 with "1.25-alpine". */
static void test_table_images_two_rows(void **state)
{
	expect_table("table", images_default, image_headers,
	             "[{\"Repository\":\"busybox\",\"Tag\":\"latest\",\"ID\":\"3f57d9401f8d\","
	             "\"CreatedSince\":\"2 weeks ago\",\"Size\":\"4.26MB\"},"
	             "{\"Repository\":\"nginx\",\"Tag\":\"1.25-alpine\",\"ID\":\"a6ac09e4234c\","
	             "\"CreatedSince\":\"3 months ago\",\"Size\":\"43.2MB\"}]",
	             "REPOSITORY   TAG           IMAGE ID       CREATED        SIZE\n"
	             "busybox      latest        3f57d9401f8d   2 weeks ago    4.26MB\n"
	             "nginx        1.25-alpine   a6ac09e4234c   3 months ago   43.2MB\n");
}

static void test_table_ps_custom(void **state)
{
	static const struct table_column ps[] = {
	        {"ID", "CONTAINER ID"}, {"Names", "NAMES"}, {"Status", "STATUS"}, {NULL, NULL}};

	/* CONTAINER ID is 12 wide: 15; NAMES column: "web" < 7 → 10 */
	expect_table(
	        "table {{.ID}}\t{{.Names}}\t{{.Status}}", NULL, ps,
	        "[{\"ID\":\"4fa6e0f0c678\",\"Names\":\"web\",\"Status\":\"Up 2 hours\"},"
	        "{\"ID\":\"0123456789ab\",\"Names\":\"db\",\"Status\":\"Exited (0) 3 days ago\"}]",
	        "CONTAINER ID   NAMES     STATUS\n"
	        "4fa6e0f0c678   web       Up 2 hours\n"
	        "0123456789ab   db        Exited (0) 3 days ago\n");
}

static void test_table_unknown_header_upper(void **state)
{
	/* no header known for Foo: FOO; header functions leave it alone */
	expect_table("table {{.Foo}}\\t{{upper .ID}}:{{lower .ID}}", NULL, image_headers,
	             "[{\"Foo\":\"x\",\"ID\":\"Ab\"}]",
	             "FOO       IMAGE ID:IMAGE ID\n"
	             "x         AB:ab\n");
}

static void test_table_no_items(void **state)
{
	expect_table(NULL, images_default, image_headers, "[]",
	             "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
}

static void test_table_json_format(void **state)
{
	expect_table("json", images_default, image_headers,
	             "[{\"Tag\":\"<b>\",\"ID\":\"x\"},{\"ID\":\"y\",\"Tag\":\"1\"}]",
	             "{\"ID\":\"x\",\"Tag\":\"\\u003cb\\u003e\"}\n{\"ID\":\"y\",\"Tag\":\"1\"}\n");
}

static void test_table_plain_format(void **state)
{
	/* not a table: one templated line per item, no alignment, and the
	 * two-character \t of a command line is a tab */
	expect_table("{{.Repository}}:{{.Tag}}\\t{{.ID}}", images_default, image_headers,
	             "[{\"Repository\":\"busybox\",\"Tag\":\"latest\",\"ID\":\"3f57\"},"
	             "{\"Repository\":\"a\",\"Tag\":\"b\",\"ID\":\"c\"}]",
	             "busybox:latest\t3f57\na:b\tc\n");
	expect_table("  {{.ID}}  ", NULL, NULL, "[{\"ID\":\"x\"}]", "x\n");
}

static void test_table_header_error_kept(void **state)
{
	/* docker's header json() wants a string: with the whole header map
	 * it fails, and the header keeps what was written before */
	expect_table("table {{.ID}}\\t{{json .}}", NULL, image_headers, "[{\"ID\":\"x\"}]",
	             "IMAGE ID   \n"
	             "x          {\"ID\":\"x\"}\n");
}

static void test_table_errors(void **state)
{
	_cleanup_json_ json_t *items = load("[{\"ID\":\"x\"},{\"ID\":3}]");
	_cleanup_error_ struct husk_error *e1 = NULL, *e2 = NULL;
	struct strbuf sb = {0};

	assert_int_equal(table_format(&sb, "{{.ID}", NULL, NULL, items, &e1), -EINVAL);
	assert_string_equal(error_message(e1),
	                    "template parsing error: template: :1: bad character U+007D '}'");
	assert_int_equal(table_format(&sb, "table {{upper .ID}}", NULL, NULL, items, &e2), -EINVAL);
	assert_string_equal(
	        error_message(e2),
	        "template parsing error: template: :1:8: executing \"\" at <.ID>: wrong "
	        "type for value; expected string; got int");
	/* nothing is written when an item fails */
	assert_null(sb.buf);
	strbuf_release(&sb);
}

static void test_table_render_file(void **state)
{
	_cleanup_json_ json_t *items = load("[{\"ID\":\"abc\"}]");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(
	        table_render(f, "table {{.ID}}\t{{.ID}}", NULL, image_headers, items, NULL), 0);
	fclose(f);
	assert_string_equal(buf, "IMAGE ID   IMAGE ID\nabc        abc\n");
	free(buf);
}

static void expect_tabwriter(const char *in, int minwidth, int padding, const char *want)
{
	struct strbuf sb = {0};

	assert_int_equal(tabwriter_format(&sb, in, strlen(in), minwidth, padding), 0);
	assert_string_equal(sb.buf ? sb.buf : "", want);
	strbuf_release(&sb);
}

static void test_tabwriter_blocks(void **state)
{
	/* column 0 spans lines 1-2 (width 4+1); line 3 has no tab and ends
	 * the block; line 4 starts a new one (width 1+1). Column 1 exists
	 * only on line 1. */
	expect_tabwriter("a\tb\tc\naaaa\tbb\nx\ny\tz\n", 0, 1, "a    b c\naaaa bb\nx\ny z\n");
	/* a trailing tab pads the cell before it; no final newline kept as is */
	expect_tabwriter("a\t\nbb\tc", 10, 3, "a         \nbb        c");
	expect_tabwriter("", 10, 3, "");
}

static void test_tabwriter_width(void **state)
{
	/* wide characters take two columns, combining marks none */
	expect_tabwriter("日本\tx\nab\ty\n", 0, 1, "日本 x\nab   y\n");
	expect_tabwriter("e\xcc\x81\tx\nab\ty\n", 0, 1, "e\xcc\x81  x\nab y\n");
}

/* ---- cells ------------------------------------------------------------- */

static void expect_since(int64_t ago, const char *want)
{
	_cleanup_free_ char *s = format_since(1700000000 - ago, 1700000000);

	assert_non_null(s);
	assert_string_equal(s, want);
}

static void test_format_since_short(void **state)
{
	expect_since(0, "Less than a second ago");
	expect_since(-30, "Less than a second ago");
	expect_since(1, "1 second ago");
	expect_since(2, "2 seconds ago");
	expect_since(59, "59 seconds ago");
	expect_since(60, "About a minute ago");
	expect_since(119, "About a minute ago");
	expect_since(120, "2 minutes ago");
	expect_since(3599, "59 minutes ago");
}

static void test_format_since_hours_days(void **state)
{
	expect_since(3600, "About an hour ago");
	expect_since(3600 + 29 * 60, "About an hour ago");
	expect_since(3600 + 30 * 60, "2 hours ago");
	expect_since(3 * 3600 + 29 * 60, "3 hours ago");
	expect_since(3 * 3600 + 31 * 60, "4 hours ago");
	expect_since(47 * 3600, "47 hours ago");
	expect_since(47 * 3600 + 30 * 60, "2 days ago");
	expect_since(13 * 86400 + 5 * 3600, "13 days ago");
}

static void test_format_since_weeks_years(void **state)
{
	expect_since(14 * 86400, "2 weeks ago");
	expect_since(30 * 86400, "4 weeks ago");
	expect_since(59 * 86400, "8 weeks ago");
	expect_since(60 * 86400, "2 months ago");
	expect_since(3 * 30 * 86400 + 7 * 86400, "3 months ago");
	expect_since(24 * 30 * 86400, "24 months ago");
	expect_since(729 * 86400, "24 months ago");
	expect_since(730 * 86400, "2 years ago");
	expect_since(3 * 365 * 86400 + 60 * 86400, "3 years ago");
}

static void test_human_duration(void **state)
{
	_cleanup_free_ char *a = format_human_duration(45), *b = format_human_duration(-1),
	                    *c = format_human_duration(INT64_MAX);

	assert_string_equal(a, "45 seconds");
	assert_string_equal(b, "Less than a second");
	assert_non_null(c);
	assert_true(endswith(c, " years"));
}

static void expect_size(uint64_t bytes, const char *want)
{
	_cleanup_free_ char *s = format_size(bytes);

	assert_non_null(s);
	assert_string_equal(s, want);
}

static void test_format_size(void **state)
{
	expect_size(0, "0B");
	expect_size(999, "999B");
	expect_size(1000, "1kB");
	expect_size(1234567, "1.23MB");
	expect_size(4260000, "4.26MB");
	expect_size(12345, "12.3kB");
	expect_size(1000000000, "1GB");
	/* go-units prints this as Go's %.3g does */
	expect_size(999999, "1e+03kB");
	expect_size(UINT64_MAX, "18.4EB");
}

static void test_format_id(void **state)
{
	const char *id = "sha256:4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2";
	_cleanup_free_ char *a = format_id(id, false), *b = format_id(id, true),
	                    *c = format_id("abc", false), *d = format_id(NULL, false),
	                    *e = format_id(id + 7, false);

	assert_string_equal(a, "4fa6e0f0c678");
	assert_string_equal(b, id);
	assert_string_equal(c, "abc");
	assert_string_equal(d, "");
	assert_string_equal(e, "4fa6e0f0c678");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_field_chain),
	        cmocka_unit_test(test_missing_field_no_value),
	        cmocka_unit_test(test_null_prints_nil),
	        cmocka_unit_test(test_dot),
	        cmocka_unit_test(test_print_arrays_and_maps),
	        cmocka_unit_test(test_literals),
	        cmocka_unit_test(test_string_escapes),
	        cmocka_unit_test(test_float_formatting),
	        cmocka_unit_test(test_json_array),
	        cmocka_unit_test(test_json_object_insertion_order),
	        cmocka_unit_test(test_json_string_escapes),
	        cmocka_unit_test(test_json_scalars),
	        cmocka_unit_test(test_json_context_sorted_escaped),
	        cmocka_unit_test(test_range_array),
	        cmocka_unit_test(test_range_variables),
	        cmocka_unit_test(test_range_object_sorted),
	        cmocka_unit_test(test_range_else),
	        cmocka_unit_test(test_range_break_continue),
	        cmocka_unit_test(test_if_falsy_kinds),
	        cmocka_unit_test(test_if_else_chain),
	        cmocka_unit_test(test_with),
	        cmocka_unit_test(test_variables),
	        cmocka_unit_test(test_pipelines),
	        cmocka_unit_test(test_parenthesized),
	        cmocka_unit_test(test_join),
	        cmocka_unit_test(test_split),
	        cmocka_unit_test(test_upper_lower_title),
	        cmocka_unit_test(test_len),
	        cmocka_unit_test(test_index),
	        cmocka_unit_test(test_printf_verbs),
	        cmocka_unit_test(test_printf_widths_runes),
	        cmocka_unit_test(test_printf_mismatches),
	        cmocka_unit_test(test_printf_quote),
	        cmocka_unit_test(test_print_println),
	        cmocka_unit_test(test_pad_truncate),
	        cmocka_unit_test(test_comparisons),
	        cmocka_unit_test(test_and_or_not),
	        cmocka_unit_test(test_slice),
	        cmocka_unit_test(test_trim_markers),
	        cmocka_unit_test(test_comments),
	        cmocka_unit_test(test_parse_error_function),
	        cmocka_unit_test(test_parse_error_operand),
	        cmocka_unit_test(test_parse_error_unclosed),
	        cmocka_unit_test(test_parse_error_structure),
	        cmocka_unit_test(test_parse_error_variables),
	        cmocka_unit_test(test_parse_limits),
	        cmocka_unit_test(test_exec_error_fields),
	        cmocka_unit_test(test_exec_error_calls),
	        cmocka_unit_test(test_exec_error_range),
	        cmocka_unit_test(test_exec_keeps_partial_output),
	        cmocka_unit_test(test_exec_reuse),
	        cmocka_unit_test(test_header_mode),
	        cmocka_unit_test(test_fields),
	        cmocka_unit_test(test_table_images_header),
	        cmocka_unit_test(test_table_images_two_rows),
	        cmocka_unit_test(test_table_ps_custom),
	        cmocka_unit_test(test_table_unknown_header_upper),
	        cmocka_unit_test(test_table_no_items),
	        cmocka_unit_test(test_table_json_format),
	        cmocka_unit_test(test_table_plain_format),
	        cmocka_unit_test(test_table_header_error_kept),
	        cmocka_unit_test(test_table_errors),
	        cmocka_unit_test(test_table_render_file),
	        cmocka_unit_test(test_tabwriter_blocks),
	        cmocka_unit_test(test_tabwriter_width),
	        cmocka_unit_test(test_format_since_short),
	        cmocka_unit_test(test_format_since_hours_days),
	        cmocka_unit_test(test_format_since_weeks_years),
	        cmocka_unit_test(test_human_duration),
	        cmocka_unit_test(test_format_size),
	        cmocka_unit_test(test_format_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
