/* run_parse.c — the values of husk run's flags, parsed as the docker CLI
 * parses them (go-units sizes, Go durations, go-connections port specs,
 * the --mount CSV, ulimits, devices, restart policies, detach keys, log
 * timestamps), with the same error words. Pure text → JSON; only
 * security_opts_parse() reads a file (the seccomp profile). */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "cli/cmd_container.h"
#include "cli/run_internal.h"

#define SECCOMP_PROFILE_MAX (4u << 20)

static int oom(struct husk_error **err)
{
	return error_set(err, ENOMEM, "out of memory");
}

/* ---- numbers ---- */

/* go-units parseSize with the binary map (RAMInBytes); *why (if asked)
 * gets go-units' words on failure. */
int parse_ram_bytes_why(const char *s, int64_t *ret, char **why)
{
	static const char units[] = "kmgtp";
	const char *sep = NULL, *sfx;
	char num[64], low[4] = "";
	double size, mul = 1;
	char *end;

	if (why)
		*why = NULL;
	for (const char *p = s; *p; p++)
		if (strchr("0123456789. ", *p))
			sep = p;
	if (!sep) {
		if (why)
			*why = str_printf("invalid size: '%s'", s);
		return -EINVAL;
	}
	snprintf(num, sizeof(num), "%.*s", (int)MIN((size_t)(sep - s + (*sep != ' ')), 63), s);
	sfx = sep + 1;
	errno = 0;
	size = strtod(num, &end);
	if (!*num || *end || errno || strpbrk(num, "xXnNiI ") || isspace((unsigned char)num[0])) {
		if (why)
			*why = str_printf("strconv.ParseFloat: parsing \"%s\": invalid syntax",
			                  num);
		return -EDOM;
	}
	if (size < 0) {
		if (why)
			*why = str_printf("invalid size: '%s'", s);
		return -EINVAL;
	}
	for (size_t i = 0; sfx[i] && i < 3; i++)
		low[i] = (char)tolower((unsigned char)sfx[i]);
	if (strlen(sfx) > 3 || (low[0] == 'b' && low[1]) ||
	    (low[0] && low[0] != 'b' &&
	     (!strchr(units, low[0]) || (low[1] && !low[2] && low[1] != 'b') ||
	      (low[2] && strcmp(low + 1, "ib") != 0)))) {
		if (why) {
			_cleanup_free_ char *l = strdup(sfx);
			for (char *c = l; c && *c; c++)
				*c = (char)tolower((unsigned char)*c);
			*why = str_printf("invalid suffix: '%s'", l ?: sfx);
		}
		return -EBADMSG;
	}
	if (low[0] && low[0] != 'b')
		for (const char *x = units; x <= strchr(units, low[0]); x++)
			mul *= 1024;
	size *= mul;
	if (size >= 9.2233720368547758e18)
		return -ERANGE;
	*ret = (int64_t)size;
	return 0;
}

int parse_ram_bytes(const char *s, int64_t *ret)
{
	return parse_ram_bytes_why(s, ret, NULL);
}

int parse_nano_cpus(const char *s, int64_t *ret)
{
	const char *p = s, *dot;
	int64_t whole = 0, frac = 0;
	int digits = 0;

	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (INT64_MAX / 1000000000 - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (*p - '0');
	}
	dot = *p == '.' ? p++ : NULL;
	for (; dot && isdigit((unsigned char)*p); p++, digits++) {
		if (digits >= 9) {
			if (*p != '0')
				return -EDOM; /* "value is too precise" */
			continue;
		}
		frac = frac * 10 + (*p - '0');
	}
	if (*p)
		return -EINVAL;
	for (; digits < 9; digits++)
		frac *= 10;
	*ret = whole * 1000000000 + frac;
	return 0;
}

/* Go's time.ParseDuration. */
int parse_go_duration(const char *s, int64_t *ret)
{
	static const struct {
		const char *name;
		double ns;
	} units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
	             {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
	const char *p = s;
	bool neg = false;
	double total = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (streq(p, "0")) {
		*ret = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		char *end;
		double v;
		size_t ulen = 0, best = 0;
		double mul = 0;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -EINVAL;
		v = strtod(p, &end);
		if (end == p || (end == p + 1 && *p == '.'))
			return -EINVAL;
		p = end;
		for (size_t i = 0; i < ELEMENTSOF(units); i++) {
			ulen = strlen(units[i].name);
			if (strncmp(p, units[i].name, ulen) == 0 && ulen > best)
				best = ulen, mul = units[i].ns;
		}
		if (!best)
			return -EINVAL;
		p += best;
		total += v * mul;
	}
	if (total > 9.2233720368547758e18)
		return -ERANGE;
	*ret = (int64_t)(neg ? -total : total);
	return 0;
}

int parse_detach_keys(const char *s, unsigned char *buf, size_t size)
{
	static const char specials[] = "@[\\]^_";
	_cleanup_strv_ char **keys = strv_split(s, ",");
	size_t n = 0;

	if (!keys)
		return -ENOMEM;
	STRV_FOREACH (k, keys) {
		const char *c = startswith(*k, "ctrl-");
		int code;

		if (strlen(*k) == 1)
			code = (unsigned char)(*k)[0];
		else if (c && strlen(c) == 1 && c[0] >= 'a' && c[0] <= 'z')
			code = c[0] - 'a' + 1;
		else if (c && strlen(c) == 1 && strchr(specials, c[0]))
			code = c[0] == '@' ? 0 : 27 + (int)(strchr(specials, c[0]) - specials) - 1;
		else
			return -EINVAL;
		if (n == size)
			return -E2BIG;
		buf[n++] = (unsigned char)code;
	}
	return (int)n;
}

/* "YYYY-MM-DD[THH[:MM[:SS[.frac]]]]" in local time; -EINVAL. */
static int parse_local_time(const char *v, int64_t now, struct timespec *ret)
{
	struct tm tm = {0}, ref;
	time_t t = (time_t)now;
	long nsec = 0;
	int n = 0, used = 0;
	const char *rest;

	localtime_r(&t, &ref);
	if (sscanf(v, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &used) != 3)
		return -EINVAL;
	rest = v + used;
	if (*rest == 'T') {
		n = sscanf(rest, "T%2d%n:%2d%n:%2d%n", &tm.tm_hour, &used, &tm.tm_min, &used,
		           &tm.tm_sec, &used);
		if (n < 1)
			return -EINVAL;
		rest += used;
		if (*rest == '.') {
			int digits = 0;
			for (rest++; isdigit((unsigned char)*rest); rest++, digits++)
				if (digits < 9)
					nsec = nsec * 10 + (*rest - '0');
			for (; digits < 9; digits++)
				nsec *= 10;
		}
	}
	if (*rest || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	/* docker parses in the reference time's fixed zone */
	ret->tv_sec = timegm(&tm) - ref.tm_gmtoff;
	ret->tv_nsec = nsec;
	return 0;
}

char *parse_log_timestamp(const char *value, int64_t now, struct husk_error **err)
{
	struct timespec ts;
	int64_t d, t;
	bool zoned;
	int dashes = 0;

	if (!streq(value, "0") && parse_go_duration(value, &d) == 0) {
		/* time.Unix() of now - d: floored seconds */
		t = now * 1000000000 - d;
		return str_printf("%lld", (long long)(t / 1000000000 - (t % 1000000000 < 0)));
	}
	for (const char *p = value; *p; p++)
		dashes += *p == '-';
	zoned = strpbrk(value, "zZ+") || dashes == 3;
	if ((zoned ? rfc3339_parse(value, &ts) : parse_local_time(value, now, &ts)) == 0)
		return str_printf("%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
	if (!strchr(value, '-')) { /* unix seconds[.nanoseconds], passed on */
		const char *dot = strchr(value, '.');
		_cleanup_free_ char *sec = dot ? strndup(value, dot - value) : strdup(value);
		int64_t x;
		if (sec && str_to_int64(sec, &x) == 0 &&
		    (!dot || (dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1))))
			return strdup(value);
	}
	error_set(err, EINVAL, "failed to parse value as time or duration: \"%s\"", value);
	return NULL;
}

/* ---- CSV ---- */

char **csv_split(const char *line, struct husk_error **err)
{
	_cleanup_strv_ char **out = strv_new();
	const char *p = line;

	if (!out) {
		oom(err);
		return NULL;
	}
	for (;;) {
		struct strbuf sb = {0};
		int r = 0;

		if (*p == '"') {
			for (p++;; p++) {
				if (!*p) {
					strbuf_release(&sb);
					error_set(err, EINVAL,
					          "extraneous or missing \" in quoted-field");
					return NULL;
				}
				if (*p == '"' && p[1] == '"')
					r = strbuf_append(&sb, p++, 1);
				else if (*p == '"')
					break;
				else
					r = strbuf_append(&sb, p, 1);
			}
			p++;
			if (*p && *p != ',') {
				strbuf_release(&sb);
				error_set(err, EINVAL, "extraneous or missing \" in quoted-field");
				return NULL;
			}
		} else {
			size_t n = strcspn(p, ",");
			if (memchr(p, '"', n)) {
				error_set(err, EINVAL, "bare \" in non-quoted-field");
				return NULL;
			}
			r = strbuf_append(&sb, p, n);
			p += n;
		}
		if (r < 0 || strv_push_take(&out, strbuf_steal(&sb) ?: strdup("")) < 0) {
			oom(err);
			return NULL;
		}
		if (*p != ',')
			break;
		p++;
	}
	return TAKE_PTR(out);
}

/* ---- ports ---- */

/* nat.ParsePortRange: "80" or "8000-8010". */
static int port_range(const char *s, uint64_t *start, uint64_t *end)
{
	const char *dash = strchr(s, '-');
	_cleanup_free_ char *a = dash ? strndup(s, dash - s) : strdup(s);

	if (!a || str_to_uint64(a, start) < 0 || *start > 65535)
		return -EINVAL;
	*end = *start;
	if (dash && (str_to_uint64(dash + 1, end) < 0 || *end > 65535 || *end < *start))
		return -EINVAL;
	return 0;
}

/* nat.SplitProtoPort: "80/udp" → ("udp", "80"); "80" → ("tcp", "80"). */
static void split_proto(char *s, const char **proto, const char **port)
{
	char *slash = strchr(s, '/');

	*port = s;
	*proto = "tcp";
	if (slash) {
		*slash = 0;
		*proto = slash + 1;
	}
	if (!*s)
		*proto = "";
}

static bool valid_proto(const char *p)
{
	return strcasecmp(p, "tcp") == 0 || strcasecmp(p, "udp") == 0 || strcasecmp(p, "sctp") == 0;
}

static int add_binding(json_t *exposed, json_t *bindings, const char *key, const char *ip,
                       const char *host_port)
{
	json_t *list = json_object_get(bindings, key);

	if (!json_object_get(exposed, key) && json_object_set_new(exposed, key, json_object()) < 0)
		return -ENOMEM;
	if (!list) {
		list = json_array();
		if (!list || json_object_set_new(bindings, key, list) < 0)
			return -ENOMEM;
	}
	return json_array_append_new(
	               list, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", host_port)) < 0
	               ? -ENOMEM
	               : 0;
}

/* convertToStandardNotation: "target=80,published=8080,protocol=udp". */
static char *port_long_syntax(const char *spec, struct husk_error **err)
{
	_cleanup_strv_ char **fields = csv_split(spec, err);
	const char *target = NULL, *published = "", *proto = "tcp", *ip = NULL;

	if (!fields)
		return NULL;
	STRV_FOREACH (fl, fields) {
		char *eq = strchr(*fl, '=');
		if (!eq) {
			error_set(err, EINVAL, "invalid field %s", *fl);
			return NULL;
		}
		*eq = 0;
		if (streq(*fl, "target"))
			target = eq + 1;
		else if (streq(*fl, "published"))
			published = eq + 1;
		else if (streq(*fl, "protocol"))
			proto = eq + 1;
		else if (streq(*fl, "host_ip"))
			ip = eq + 1;
		else if (!streq(*fl, "mode")) {
			error_set(err, EINVAL, "invalid field key %s", *fl);
			return NULL;
		}
	}
	if (!target) {
		error_set(err, EINVAL, "missing mandatory field \"target\"");
		return NULL;
	}
	return ip ? str_printf("%s:%s:%s/%s", ip, published, target, proto)
	          : str_printf("%s:%s/%s", published, target, proto);
}

/* nat.splitParts: [ip:]host:container with ':' inside an IPv6 address. */
static void split_port_parts(char *s, const char **ip, const char **host, char **cont)
{
	char *last = strrchr(s, ':'), *prev;

	*ip = "";
	*host = "";
	*cont = s;
	if (!last)
		return;
	*last = 0;
	*cont = last + 1;
	prev = strrchr(s, ':');
	if (!prev) {
		*host = s;
		return;
	}
	*prev = 0;
	*host = prev + 1;
	*ip = s;
}

int ports_parse(const char *spec, json_t *exposed, json_t *bindings, struct husk_error **err)
{
	_cleanup_free_ char *s = NULL, *ipbuf = NULL;
	const char *ip, *host, *proto, *cport;
	char *cont;
	uint64_t start, end, hstart = 0, hend = 0;

	if (strchr(spec, '=')) {
		s = port_long_syntax(spec, err);
		if (!s)
			return -EINVAL;
	} else if (!(s = strdup(spec))) {
		return oom(err);
	}
	split_port_parts(s, &ip, &host, &cont);
	split_proto(cont, &proto, &cport);
	if (ip[0] == '[' && ip[strlen(ip) - 1] == ']') {
		ipbuf = strndup(ip + 1, strlen(ip) - 2);
		ip = ipbuf ? ipbuf : "";
	}
	if (*ip) {
		unsigned char a[16];
		if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
			return error_set(err, EINVAL, "invalid IP address: %s", ip);
	}
	if (!*cport)
		return error_set(err, EINVAL, "no port specified: %s<empty>", spec);
	if (port_range(cport, &start, &end) < 0)
		return error_set(err, EINVAL, "invalid containerPort: %s", cport);
	if (*host && port_range(host, &hstart, &hend) < 0)
		return error_set(err, EINVAL, "invalid hostPort: %s", host);
	if (*host && end - start != hend - hstart && end != start)
		return error_set(err, EINVAL,
		                 "invalid ranges specified for container and host Ports: %s and %s",
		                 cport, host);
	if (!valid_proto(proto))
		return error_set(err, EINVAL, "invalid proto: %s", proto);
	for (uint64_t i = 0; i <= end - start; i++) {
		_cleanup_free_ char *key = NULL, *hp = NULL, *lp = strdup(proto);
		for (char *c = lp; c && *c; c++)
			*c = (char)tolower((unsigned char)*c);
		key = lp ? str_printf("%llu/%s", (unsigned long long)(start + i), lp) : NULL;
		if (!*host)
			hp = strdup("");
		else if (start == end && hstart != hend)
			hp = str_printf("%llu-%llu", (unsigned long long)hstart,
			                (unsigned long long)hend);
		else
			hp = str_printf("%llu", (unsigned long long)(hstart + i));
		if (!key || !hp || add_binding(exposed, bindings, key, ip, hp) < 0)
			return oom(err);
	}
	return 0;
}

int expose_parse(const char *spec, json_t *exposed, struct husk_error **err)
{
	_cleanup_free_ char *s = strdup(spec);
	const char *proto, *port;
	uint64_t start, end;

	if (!s)
		return oom(err);
	if (strchr(spec, ':'))
		return error_set(err, EINVAL, "invalid port format for --expose: %s", spec);
	split_proto(s, &proto, &port);
	if (port_range(port, &start, &end) < 0)
		return error_set(err, EINVAL,
		                 "invalid range format for --expose: %s, error: invalid range "
		                 "specified for port: %s",
		                 spec, port);
	for (uint64_t i = start; i <= end; i++) {
		_cleanup_free_ char *key = str_printf("%llu/%s", (unsigned long long)i, proto);
		if (!key)
			return oom(err);
		if (!json_object_get(exposed, key) &&
		    json_object_set_new(exposed, key, json_object()))
			return oom(err);
	}
	return 0;
}

/* ---- --mount ---- */

/* What one --mount value says, before it becomes a mount.Mount. */
struct mount_parts {
	json_t *m;                            /* Type, Source, Target, ReadOnly, Consistency */
	json_t *bind, *vol, *tmpfs;           /* the *Options, NULL when not mentioned */
	json_t *vol_labels, *vol_driver_opts; /* maps */
	const char *vol_driver;               /* borrowed from the fields */
};

static int parse_bool_text(const char *s, bool *ret)
{
	if (streq(s, "1") || strcasecmp(s, "true") == 0 || streq(s, "t") || streq(s, "T"))
		*ret = true;
	else if (streq(s, "0") || strcasecmp(s, "false") == 0 || streq(s, "f") || streq(s, "F"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

/* Set key in *slot, creating the object first. */
static int put(json_t **slot, const char *key, json_t *v)
{
	if (!*slot)
		*slot = json_object();
	if (!*slot || !v || json_object_set_new(*slot, key, v) < 0)
		return -ENOMEM;
	return 0;
}

/* The keys of a --mount that may stand without a value. */
static int mount_flag(struct mount_parts *mp, const char *key, const char *val,
                      struct husk_error **err)
{
	bool b = true;

	if (val && parse_bool_text(val, &b) < 0)
		return error_set(err, EINVAL, "invalid value for %s: %s", key, val);
	if (streq(key, "volume-nocopy"))
		return put(&mp->vol, "NoCopy", json_boolean(b));
	if (streq(key, "bind-nonrecursive"))
		return put(&mp->bind, "NonRecursive", json_boolean(b));
	return put(&mp->m, "ReadOnly", json_boolean(b));
}

static int mount_bind_recursive(struct mount_parts *mp, const char *val, struct husk_error **err)
{
	if (streq(val, "enabled")) /* the default: an empty BindOptions */
		return mp->bind || (mp->bind = json_object()) ? 0 : -ENOMEM;
	if (streq(val, "disabled"))
		return put(&mp->bind, "NonRecursive", json_true());
	if (streq(val, "writable"))
		return put(&mp->bind, "ReadOnlyNonRecursive", json_true());
	if (streq(val, "readonly"))
		return put(&mp->bind, "ReadOnlyForceRecursive", json_true());
	return error_set(err, EINVAL,
	                 "invalid value for bind-recursive: %s (must be \"enabled\", \"disabled\", "
	                 "\"writable\", or \"readonly\")",
	                 val);
}

static int mount_map_entry(json_t **map, const char *val)
{
	const char *eq = strchr(val, '=');
	_cleanup_free_ char *k = eq ? strndup(val, eq - val) : strdup(val);

	return k ? put(map, k, json_string(eq ? eq + 1 : "")) : -ENOMEM;
}

static int mount_tmpfs(struct mount_parts *mp, const char *key, const char *val,
                       struct husk_error **err)
{
	if (streq(key, "tmpfs-size")) {
		int64_t sz;
		if (parse_ram_bytes(val, &sz) < 0)
			return error_set(err, EINVAL, "invalid value for %s: %s", key, val);
		return put(&mp->tmpfs, "SizeBytes", json_integer(sz));
	}
	char *end;
	unsigned long mode = strtoul(val, &end, 8);
	if (!*val || *end || mode > 07777)
		return error_set(err, EINVAL, "invalid value for %s: %s", key, val);
	return put(&mp->tmpfs, "Mode", json_integer((json_int_t)mode));
}

/* One field of a --mount; 0, or -EINVAL with docker's words. */
static int mount_field(struct mount_parts *mp, const char *field, struct husk_error **err)
{
	const char *val = strchr(field, '=');
	_cleanup_free_ char *key = val ? strndup(field, val - field) : strdup(field);
	bool flag;

	if (!key)
		return oom(err);
	val = val ? val + 1 : NULL;
	flag = streq(key, "readonly") || streq(key, "ro") || streq(key, "volume-nocopy") ||
	       streq(key, "bind-nonrecursive");
	if (flag)
		return mount_flag(mp, key, val, err);
	if (!val)
		return error_set(err, EINVAL, "invalid field '%s' must be a key=value pair", field);
	if (streq(key, "type"))
		return put(&mp->m, "Type", json_string(val));
	if (streq(key, "source") || streq(key, "src"))
		return put(&mp->m, "Source", json_string(val));
	if (streq(key, "target") || streq(key, "dst") || streq(key, "destination"))
		return put(&mp->m, "Target", json_string(val));
	if (streq(key, "consistency"))
		return put(&mp->m, "Consistency", json_string(val));
	if (streq(key, "bind-propagation"))
		return put(&mp->bind, "Propagation", json_string(val));
	if (streq(key, "bind-recursive"))
		return mount_bind_recursive(mp, val, err);
	if (streq(key, "volume-driver")) {
		mp->vol_driver = val;
		return put(&mp->vol, "DriverConfig", json_object());
	}
	if (streq(key, "volume-subpath"))
		return put(&mp->vol, "Subpath", json_string(val));
	if (streq(key, "volume-label"))
		return put(&mp->vol, "Labels", json_object())
		               ?: mount_map_entry(&mp->vol_labels, val);
	if (streq(key, "volume-opt"))
		return put(&mp->vol, "DriverConfig", json_object())
		               ?: mount_map_entry(&mp->vol_driver_opts, val);
	if (streq(key, "tmpfs-size") || streq(key, "tmpfs-mode"))
		return mount_tmpfs(mp, key, val, err);
	return error_set(err, EINVAL, "unexpected key '%s' in '%s'", key, field);
}

/* The members of src named in keys, in that order (Go's field order). */
static json_t *ordered(json_t *src, const char *const *keys)
{
	json_t *out = json_object();

	for (; out && *keys; keys++)
		if (json_object_get(src, *keys))
			json_object_set(out, *keys, json_object_get(src, *keys));
	return out;
}

static json_t *mount_volume_options(struct mount_parts *mp)
{
	static const char *const keys[] = {"NoCopy", "Labels", "Subpath", "DriverConfig", NULL};
	json_t *driver = json_object();

	if (!driver)
		return NULL;
	if (mp->vol_driver)
		json_object_set_new(driver, "Name", json_string(mp->vol_driver));
	if (mp->vol_driver_opts)
		json_object_set_new(driver, "Options",
		                    json_sorted(json_incref(mp->vol_driver_opts)));
	json_object_set_new(mp->vol, "DriverConfig", driver);
	if (mp->vol_labels)
		json_object_set_new(mp->vol, "Labels", json_sorted(json_incref(mp->vol_labels)));
	return ordered(mp->vol, keys);
}

static int mount_check(struct mount_parts *mp, const char *type, struct husk_error **err)
{
	if (!json_object_get(mp->m, "Target"))
		return error_set(err, EINVAL, "target is required");
	if (mp->vol && !streq(type, "volume"))
		return error_set(err, EINVAL, "cannot mix 'volume-*' options with mount type '%s'",
		                 type);
	if (mp->bind && !streq(type, "bind"))
		return error_set(err, EINVAL, "cannot mix 'bind-*' options with mount type '%s'",
		                 type);
	if (mp->tmpfs && !streq(type, "tmpfs"))
		return error_set(err, EINVAL, "cannot mix 'tmpfs-*' options with mount type '%s'",
		                 type);
	return 0;
}

char *path_absolute(const char *path)
{
	char cwd[PATH_MAX];
	_cleanup_free_ char *joined = NULL;
	_cleanup_strv_ char **parts = NULL, **out = strv_new();

	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return NULL;
	joined = path[0] == '/' ? strdup(path) : str_printf("%s/%s", cwd, path);
	parts = joined ? strv_split(joined, "/") : NULL;
	if (!parts || !out)
		return NULL;
	STRV_FOREACH (p, parts) { /* filepath.Clean: ".." never rises above "/" */
		size_t n = strv_length(out);
		if (!**p || streq(*p, "."))
			continue;
		if (streq(*p, "..")) {
			if (n) {
				free(out[n - 1]);
				out[n - 1] = NULL;
			}
			continue;
		}
		if (strv_push(&out, *p) < 0)
			return NULL;
	}
	_cleanup_free_ char *body = strv_join(out, "/");
	return body ? str_printf("/%s", body) : NULL;
}

/* A relative bind source as an absolute path, as docker does. */
static int mount_abs_source(json_t *m, struct husk_error **err)
{
	const char *src = json_string_value(json_object_get(m, "Source"));
	_cleanup_free_ char *abs = NULL;

	if (!streq(json_string_value(json_object_get(m, "Type")), "bind") || !src || src[0] == '/')
		return 0;
	abs = path_absolute(src);
	if (!abs)
		return error_set_errno(err, errno ?: ENOMEM, "make \"%s\" absolute", src);
	return json_object_set_new(m, "Source", json_string(abs));
}

static void mount_parts_release(struct mount_parts *mp)
{
	json_decref(mp->m);
	json_decref(mp->bind);
	json_decref(mp->vol);
	json_decref(mp->tmpfs);
	json_decref(mp->vol_labels);
	json_decref(mp->vol_driver_opts);
}

/* mount.Mount in its field order. */
static json_t *mount_assemble(struct mount_parts *mp, struct husk_error **err)
{
	static const char *const keys[] = {"Type",     "Source",      "Target",
	                                   "ReadOnly", "Consistency", NULL};
	static const char *const tmpfs_keys[] = {"SizeBytes", "Mode", NULL};
	const char *type = json_string_value(json_object_get(mp->m, "Type"));
	_cleanup_json_ json_t *out = NULL;

	if (mount_check(mp, type, err) < 0 || mount_abs_source(mp->m, err) < 0)
		return NULL;
	out = ordered(mp->m, keys);
	if (out && mp->bind)
		json_object_set(out, "BindOptions", mp->bind);
	if (out && mp->vol)
		json_object_set_new(out, "VolumeOptions", mount_volume_options(mp));
	if (out && mp->tmpfs)
		json_object_set_new(out, "TmpfsOptions", ordered(mp->tmpfs, tmpfs_keys));
	if (!out)
		oom(err);
	return TAKE_PTR(out);
}

json_t *mount_parse(const char *value, struct husk_error **err)
{
	_cleanup_strv_ char **fields = csv_split(value, err);
	struct mount_parts mp = {.m = json_pack("{s:s}", "Type", "volume")};
	json_t *out = NULL;
	int r = fields ? 0 : -EINVAL;

	if (r == 0 && !mp.m)
		r = oom(err);
	STRV_FOREACH (fl, fields)
		if (r == 0 && (r = mount_field(&mp, *fl, err)) == -ENOMEM)
			oom(err);
	if (r == 0)
		out = mount_assemble(&mp, err);
	mount_parts_release(&mp);
	return out;
}

/* ---- ulimits, devices, restart, hosts, caps ---- */

json_t *ulimit_parse(const char *value, struct husk_error **err)
{
	static const char *const names[] = {
	        "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
	        "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
	const char *eq = strchr(value, '=');
	_cleanup_free_ char *name = eq ? strndup(value, eq - value) : NULL;
	_cleanup_strv_ char **lim = eq ? strv_split(eq + 1, ":") : NULL;
	bool known = false;
	int64_t soft, hard;

	if (!eq) {
		error_set(err, EINVAL, "invalid ulimit argument: %s", value);
		return NULL;
	}
	for (size_t i = 0; name && i < ELEMENTSOF(names); i++)
		known = known || streq(name, names[i]);
	if (!name || !lim) {
		oom(err);
		return NULL;
	}
	if (!known) {
		error_set(err, EINVAL, "invalid ulimit type: %s", name);
		return NULL;
	}
	if (strv_length(lim) > 2) {
		error_set(err, EINVAL,
		          "too many limit value arguments - %s, can only have up to two, "
		          "`soft[:hard]`",
		          eq + 1);
		return NULL;
	}
	if (str_to_int64(lim[0], &soft) < 0 || (lim[1] && str_to_int64(lim[1], &hard) < 0)) {
		error_set(err, EINVAL, "strconv.ParseInt: parsing \"%s\": invalid syntax",
		          lim[1] && str_to_int64(lim[0], &soft) == 0 ? lim[1] : lim[0]);
		return NULL;
	}
	if (!lim[1])
		hard = soft;
	if (hard != -1 && soft > hard) {
		error_set(err, EINVAL,
		          "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
		          (long long)soft, (long long)hard);
		return NULL;
	}
	return json_pack("{s:s, s:I, s:I}", "Name", name, "Hard", (json_int_t)hard, "Soft",
	                 (json_int_t)soft);
}

static bool valid_device_mode(const char *m)
{
	static const char modes[] = "rwm";
	bool seen[3] = {false, false, false};

	if (!*m || strlen(m) > 3)
		return false;
	for (; *m; m++) {
		const char *p = strchr(modes, *m);
		if (!p || seen[p - modes])
			return false;
		seen[p - modes] = true;
	}
	return true;
}

json_t *device_parse(const char *value, struct husk_error **err)
{
	_cleanup_strv_ char **a = strv_split(value, ":");
	size_t n = strv_length(a);
	const char *src, *dst = NULL, *perms = "rwm";

	if (!a) {
		oom(err);
		return NULL;
	}
	if (n > 3 || !*a[0]) {
		error_set(err, EINVAL, "bad format for path: %s", value);
		return NULL;
	}
	src = a[0];
	if (n == 3 && !valid_device_mode(a[2])) {
		error_set(err, EINVAL, "bad mode specified: %s", a[2]);
		return NULL;
	}
	if (n == 3)
		perms = a[2];
	if (n >= 2 && valid_device_mode(a[1]))
		perms = a[1];
	else if (n >= 2)
		dst = a[1];
	if (!dst)
		dst = src;
	if (dst[0] != '/') {
		error_set(err, EINVAL, "%s is not an absolute path", dst);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s}", "PathOnHost", src, "PathInContainer", dst,
	                 "CgroupPermissions", perms);
}

json_t *restart_parse(const char *value, struct husk_error **err)
{
	const char *colon = strchr(value, ':');
	_cleanup_free_ char *name = colon ? strndup(value, colon - value) : strdup(value);
	int64_t count = 0;

	if (!name) {
		oom(err);
		return NULL;
	}
	if (colon && !*name) {
		error_set(err, EINVAL,
		          "invalid restart policy format: no policy provided before colon");
		return NULL;
	}
	if (colon && colon[1] &&
	    (str_to_int64(colon + 1, &count) < 0 || count > INT_MAX || count < INT_MIN)) {
		error_set(err, EINVAL,
		          "invalid restart policy format: maximum retry count must be an integer");
		return NULL;
	}
	return json_pack("{s:s, s:I}", "Name", name, "MaximumRetryCount", (json_int_t)count);
}

char *ip_canonical(const char *value, struct husk_error **err)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, value, a) == 1 && inet_ntop(AF_INET, a, buf, sizeof(buf)))
		return strdup(buf);
	if (inet_pton(AF_INET6, value, a) == 1 && inet_ntop(AF_INET6, a, buf, sizeof(buf)))
		return strdup(buf);
	error_set(err, EINVAL, "IP address is not correctly formatted: %s", value);
	return NULL;
}

char *extra_host_parse(const char *value, struct husk_error **err)
{
	const char *sep = strchr(value, '=');
	_cleanup_free_ char *name = NULL, *addr = NULL, *ip = NULL;
	size_t n;

	if (!sep)
		sep = strchr(value, ':');
	name = sep ? strndup(value, sep - value) : NULL;
	if (!sep || !name || !*name || strchr(name, ':')) {
		error_set(err, EINVAL, "bad format for add-host: \"%s\"", value);
		return NULL;
	}
	addr = strdup(sep + 1);
	n = addr ? strlen(addr) : 0;
	if (addr && n > 2 && addr[0] == '[' && addr[n - 1] == ']') {
		memmove(addr, addr + 1, n - 2);
		addr[n - 2] = 0;
	}
	if (!addr) {
		oom(err);
		return NULL;
	}
	if (!streq(addr, "host-gateway") && !(ip = ip_canonical(addr, NULL))) {
		error_set(err, EINVAL, "invalid IP address in add-host: \"%s\"", addr);
		return NULL;
	}
	return str_printf("%s:%s", name, addr);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* normalizeCaps: NULL (JSON null) when nothing is left. */
static json_t *caps_list(char *const *in, char ***ret)
{
	_cleanup_strv_ char **v = strv_new();
	json_t *out;
	size_t n;

	STRV_FOREACH (c, in) {
		_cleanup_free_ char *s = str_strip(*c);
		if (!v || !s)
			return NULL;
		for (char *p = s; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (!*s)
			continue;
		if (!streq(s, "ALL") && !startswith(s, "CAP_")) {
			char *t = str_printf("CAP_%s", s);
			free(s);
			s = t;
		}
		if (!s || strv_push(&v, s) < 0)
			return NULL;
	}
	n = strv_length(v);
	qsort(v, n, sizeof(*v), cmp_str);
	out = json_array();
	for (size_t i = 0; out && i < n; i++)
		if (i == 0 || !streq(v[i], v[i - 1]))
			json_array_append_new(out, json_string(v[i]));
	*ret = TAKE_PTR(v);
	return out;
}

int caps_normalize(char *const *add, char *const *drop, json_t **ret_add, json_t **ret_drop)
{
	_cleanup_strv_ char **va = NULL, **vd = NULL;
	_cleanup_json_ json_t *a = caps_list(add, &va), *d = caps_list(drop, &vd);
	json_t *nd;
	size_t i;
	json_t *x;

	if (!a || !d)
		return -ENOMEM;
	if (strv_contains(va, "ALL")) {
		json_decref(a);
		a = json_pack("[s]", "ALL");
	}
	if (strv_contains(vd, "ALL")) {
		json_decref(d);
		d = json_pack("[s]", "ALL");
	}
	nd = json_array();
	json_array_foreach (d, i, x) { /* adding wins over dropping */
		bool in_add = false;
		size_t j;
		json_t *y;
		json_array_foreach (a, j, y)
			in_add = in_add || json_equal(x, y);
		if (!in_add)
			json_array_append(nd, x);
	}
	*ret_add = json_array_size(a) ? json_incref(a) : json_null();
	*ret_drop = json_array_size(nd) ? nd : (json_decref(nd), json_null());
	return 0;
}

char *json_compact_text(const char *text, size_t len, struct husk_error **err)
{
	_cleanup_json_ json_t *check = json_loadb(text, len, JSON_DECODE_ANY, NULL);
	struct strbuf sb = {0};
	bool in_str = false;

	if (!check) {
		error_set(err, EINVAL, "invalid JSON");
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_str) {
			if (c == '\\' && i + 1 < len) {
				strbuf_append(&sb, text + i, 2);
				i++;
				continue;
			}
			in_str = c != '"';
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		} else if (c == '"') {
			in_str = true;
		}
		if (strbuf_append(&sb, &c, 1) < 0) {
			strbuf_release(&sb);
			oom(err);
			return NULL;
		}
	}
	return strbuf_steal(&sb) ?: strdup("");
}

json_t *security_opts_parse(char *const *values, struct husk_error **err)
{
	_cleanup_json_ json_t *out = json_array();

	if (!out || !*values)
		return out ? json_null() : NULL;
	STRV_FOREACH (v, values) {
		const char *sep = strchr(*v, '=');
		_cleanup_free_ char *key = NULL, *content = NULL, *compact = NULL;
		size_t len;

		if (!sep && !streq(*v, "no-new-privileges"))
			sep = strchr(*v, ':');
		if ((!sep || !sep[1]) && !streq(*v, "no-new-privileges")) {
			error_set(err, EINVAL, "Invalid --security-opt: \"%s\"", *v);
			return NULL;
		}
		key = sep ? strndup(*v, sep - *v) : strdup(*v);
		if (!key) {
			oom(err);
			return NULL;
		}
		if (!streq(key, "seccomp") || streq(sep + 1, "builtin") ||
		    streq(sep + 1, "unconfined")) {
			json_array_append_new(out, json_string(*v));
			continue;
		}
		if (read_file(sep + 1, SECCOMP_PROFILE_MAX, &content, &len, err) < 0) {
			error_wrap(err, "opening seccomp profile (%s) failed", sep + 1);
			return NULL;
		}
		compact = json_compact_text(content, len, NULL);
		if (!compact) {
			error_set(err, EINVAL,
			          "compacting json for seccomp profile (%s) failed: invalid JSON",
			          sep + 1);
			return NULL;
		}
		_cleanup_free_ char *opt = str_printf("seccomp=%s", compact);
		if (!opt || json_array_append_new(out, json_string(opt)) < 0) {
			oom(err);
			return NULL;
		}
	}
	return TAKE_PTR(out);
}

json_t *json_sorted(json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	_cleanup_free_ const char **keys = calloc(n + 1, sizeof(*keys));
	json_t *out = json_object(), *v;
	const char *k;

	if (!keys || !out) {
		json_decref(obj);
		json_decref(out);
		return NULL;
	}
	json_object_foreach (obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(obj, keys[i]));
	json_decref(obj);
	return out;
}
