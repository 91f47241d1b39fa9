/* reference.c — distribution/reference's grammar and Docker's normalisation,
 * written as small recognisers instead of one regular expression:
 *
 *   reference := name [":" tag] ["@" digest]
 *   name      := [domain "/"] path
 *   domain    := host [":" port]      host := dns-name | "[" ipv6 "]"
 *   path      := component ("/" component)*
 *   component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := [._] | "__" | "-"+
 *   tag       := [\w][\w.-]{0,127}
 */
#include "image/reference.h"

#include <stdarg.h>
#include <string.h>

#include "base/str.h"

#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_REPO_PREFIX  "library/"
#define LOCALHOST             "localhost"
/* Keep messages readable when the input is a megabyte of junk. */
#define QUOTE_MAX 300

static int ref_error(struct husk_error **err, const char *fmt, ...) _printf_(2, 3);
static int ref_error(struct husk_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *detail = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&detail, fmt, ap);
	va_end(ap);
	if (r < 0)
		return error_set(err, ENOMEM, "out of memory");
	return error_set(err, EINVAL, "invalid reference format: %s", detail);
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static bool has_upper(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

/* Length of the separator at s (".", "_", "__" or a run of "-"), 0 if none. */
static size_t separator_len(const char *s, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return 0;
	if (s[0] == '.')
		return 1;
	if (s[0] == '_')
		return len > 1 && s[1] == '_' ? 2 : 1;
	while (n < len && s[n] == '-')
		n++;
	return n;
}

/* component := [a-z0-9]+ (separator [a-z0-9]+)* */
static bool path_component_valid(const char *s, size_t len)
{
	size_t i = 0;

	for (;;) {
		size_t run = i;

		while (i < len && is_lower_alnum(s[i]))
			i++;
		if (i == run)
			return false;
		if (i == len)
			return true;
		run = separator_len(s + i, len - i);
		if (run == 0)
			return false;
		i += run;
	}
}

static int path_validate(const char *path, struct husk_error **err)
{
	const char *p = path;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 0)
			return ref_error(err, "empty path component in \"%.*s\"", QUOTE_MAX, path);
		if (!path_component_valid(p, len))
			return ref_error(
			        err,
			        "invalid path component \"%.*s\": expected lowercase "
			        "letters and digits separated by \".\", \"_\", \"__\" or \"-\"",
			        (int)MIN(len, QUOTE_MAX), p);
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

/* [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool domain_component_valid(const char *s, size_t len)
{
	if (len == 0 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool port_valid(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* "[" [a-fA-F0-9:]+ "]": zone identifiers and IPv4-mapped forms are refused,
 * as distribution/reference does. Returns the length consumed, 0 if invalid. */
static size_t ipv6_host_len(const char *s, size_t len)
{
	size_t i = 1;

	while (i < len && (is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f') ||
	                   (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':'))
		i++;
	if (i == 1 || i >= len || s[i] != ']')
		return 0;
	return i + 1;
}

static size_t dns_host_len(const char *s, size_t len)
{
	size_t host = 0;

	while (host < len && s[host] != ':')
		host++;
	for (size_t start = 0, i = 0; i <= host; i++) {
		if (i < host && s[i] != '.')
			continue;
		if (!domain_component_valid(s + start, i - start))
			return 0;
		start = i + 1;
	}
	return host;
}

static bool domain_valid(const char *s, size_t len)
{
	size_t host = s[0] == '[' ? ipv6_host_len(s, len) : dns_host_len(s, len);

	if (host == 0)
		return false;
	if (host == len)
		return true;
	return s[host] == ':' && port_valid(s + host + 1, len - host - 1);
}

static bool tag_chars_valid(const char *t)
{
	if (!is_word(t[0]))
		return false;
	for (size_t i = 1; t[i]; i++)
		if (!is_word(t[i]) && t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

static int tag_validate(const char *t, struct husk_error **err)
{
	if (strlen(t) > IMAGE_REF_TAG_MAX)
		return ref_error(err, "tag \"%.*s…\" is longer than %d characters", 32, t,
		                 IMAGE_REF_TAG_MAX);
	if (!tag_chars_valid(t))
		return ref_error(err,
		                 "invalid tag \"%.*s\": expected a letter, digit or \"_\", then "
		                 "letters, digits, \"_\", \".\" or \"-\"",
		                 QUOTE_MAX, t);
	return 0;
}

static bool is_hex_lower(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

bool image_ref_is_id(const char *s)
{
	if (!s)
		return false;
	return digest_valid(s) || digest_hex_valid(s);
}

bool image_id_prefix_valid(const char *s)
{
	const char *hex = startswith(s, "sha256:");
	size_t len;

	if (!s)
		return false;
	if (!hex)
		hex = s;
	len = strlen(hex);
	return len >= 1 && len <= DIGEST_HEX_LEN && is_hex_lower(hex, len);
}

/* Docker's splitDockerDomain: the first "/"-separated component is a domain
 * when it is "localhost", contains "." or ":", or has an upper-case letter
 * (namespaces on Docker Hub are lower-case, so it cannot be one). Names on
 * docker.io without a namespace get "library/". */
static int split_docker_domain(const char *s, char **ret_domain, char **ret_rest)
{
	const char *slash = strchr(s, '/');
	_cleanup_free_ char *domain = NULL;
	const char *rest = s;

	if (slash) {
		size_t n = (size_t)(slash - s);

		if ((n == strlen(LOCALHOST) && strncmp(s, LOCALHOST, n) == 0) ||
		    memchr(s, '.', n) || memchr(s, ':', n) || has_upper(s, n)) {
			domain = strndup(s, n);
			rest = slash + 1;
		}
	}
	if (!domain || streq(domain, LEGACY_DEFAULT_DOMAIN)) {
		free(domain);
		domain = strdup(IMAGE_REF_DEFAULT_DOMAIN);
	}
	if (!domain)
		return -ENOMEM;
	if (streq(domain, IMAGE_REF_DEFAULT_DOMAIN) && !strchr(rest, '/'))
		*ret_rest = str_printf("%s%s", OFFICIAL_REPO_PREFIX, rest);
	else
		*ret_rest = strdup(rest);
	if (!*ret_rest)
		return -ENOMEM;
	*ret_domain = TAKE_PTR(domain);
	return 0;
}

/* Docker checks the remote name up to the first ":" before anything else,
 * which is what gives its message the "(library/Foo)" detail. */
static int check_lowercase(const char *rest, struct husk_error **err)
{
	size_t n = strcspn(rest, ":");

	if (has_upper(rest, n))
		return error_set(
		        err, EINVAL,
		        "invalid reference format: repository name (%.*s) must be lowercase",
		        (int)MIN(n, QUOTE_MAX), rest);
	return 0;
}

/* rest is "path[:tag][@digest]"; cut it in place into its three parts. */
static void split_rest(char *rest, char **ret_tag, char **ret_digest)
{
	char *at = strchr(rest, '@'), *colon;

	*ret_digest = NULL;
	if (at) {
		*at = 0;
		*ret_digest = at + 1;
	}
	colon = strchr(rest, ':');
	*ret_tag = NULL;
	if (colon) {
		*colon = 0;
		*ret_tag = colon + 1;
	}
}

static int parse_digest_part(const char *s, struct digest *ret, struct husk_error **err)
{
	int r = digest_parse(s, ret, err);

	if (r < 0)
		error_wrap(err, "invalid reference format");
	return r;
}

static int validate_parts(const char *domain, const char *path, const char *tag, const char *digest,
                          struct digest *ret_digest, struct husk_error **err)
{
	int r;

	if (!domain_valid(domain, strlen(domain)))
		return ref_error(err, "invalid domain \"%.*s\"", QUOTE_MAX, domain);
	r = path_validate(path, err);
	if (r < 0)
		return r;
	if (tag) {
		r = tag_validate(tag, err);
		if (r < 0)
			return r;
	}
	if (strlen(path) > IMAGE_REF_NAME_MAX)
		return error_set(err, EINVAL, "repository name must not be more than %d characters",
		                 IMAGE_REF_NAME_MAX);
	if (digest)
		return parse_digest_part(digest, ret_digest, err);
	return 0;
}

int image_ref_parse(const char *s, struct image_ref *ret, struct husk_error **err)
{
	_cleanup_free_ char *domain = NULL, *rest = NULL, *tag_copy = NULL, *path = NULL;
	char *tag, *digest;
	struct digest d;
	int r;

	if (isempty(s))
		return ref_error(err, "empty reference");
	if (digest_hex_valid(s))
		return error_set(err, EINVAL,
		                 "invalid repository name (%s), cannot specify 64-byte hexadecimal "
		                 "strings",
		                 s);
	if (split_docker_domain(s, &domain, &rest) < 0)
		return error_set(err, ENOMEM, "out of memory");
	r = check_lowercase(rest, err);
	if (r < 0)
		return r;
	split_rest(rest, &tag, &digest);
	r = validate_parts(domain, rest, tag, digest, &d, err);
	if (r < 0)
		return r;
	tag_copy = strdup(tag ? tag : IMAGE_REF_DEFAULT_TAG);
	path = strdup(rest);
	if (!tag_copy || !path)
		return error_set(err, ENOMEM, "out of memory");
	*ret = (struct image_ref){
	        .domain = TAKE_PTR(domain),
	        .path = TAKE_PTR(path),
	        .tag = tag || !digest ? TAKE_PTR(tag_copy) : NULL,
	        .has_digest = digest != NULL,
	};
	if (digest)
		ret->digest = d;
	return 0;
}

int image_ref_with_tag(const char *repo, const char *tag, struct image_ref *ret,
                       struct husk_error **err)
{
	struct image_ref r = {};
	char *t;
	int k;

	k = image_ref_parse(repo, &r, err);
	if (k < 0)
		return k;
	if (r.has_digest) {
		image_ref_release(&r);
		return error_set(err, EINVAL, "refusing to create a tag with a digest reference");
	}
	if (!isempty(tag)) {
		if (strlen(tag) > IMAGE_REF_TAG_MAX || !tag_chars_valid(tag)) {
			image_ref_release(&r);
			return error_set(err, EINVAL, "invalid tag format");
		}
		t = strdup(tag);
		if (!t) {
			image_ref_release(&r);
			return error_set(err, ENOMEM, "out of memory");
		}
		free(r.tag);
		r.tag = t;
	}
	*ret = r;
	return 0;
}

/* The familiar form drops "docker.io/" and, for one-level official names,
 * "library/" ("docker.io/library/a/b" stays "library/a/b"). */
static const char *familiar_path(const struct image_ref *r, bool *ret_with_domain)
{
	const char *rest;

	*ret_with_domain = !streq(r->domain, IMAGE_REF_DEFAULT_DOMAIN);
	if (*ret_with_domain)
		return r->path;
	rest = startswith(r->path, OFFICIAL_REPO_PREFIX);
	return rest && !strchr(rest, '/') ? rest : r->path;
}

static char *format_ref(const struct image_ref *r, bool familiar, bool with_suffix)
{
	bool with_domain = true;
	const char *path = familiar ? familiar_path(r, &with_domain) : r->path;
	bool tag = with_suffix && r->tag, dig = with_suffix && r->has_digest;

	return str_printf("%s%s%s%s%s%s%s", with_domain ? r->domain : "", with_domain ? "/" : "",
	                  path, tag ? ":" : "", tag ? r->tag : "", dig ? "@" : "",
	                  dig ? r->digest.str : "");
}

char *image_ref_string(const struct image_ref *r)
{
	return format_ref(r, false, true);
}

char *image_ref_familiar(const struct image_ref *r)
{
	return format_ref(r, true, true);
}

char *image_ref_repository(const struct image_ref *r)
{
	return format_ref(r, false, false);
}

char *image_ref_familiar_repository(const struct image_ref *r)
{
	return format_ref(r, true, false);
}

int image_ref_copy(const struct image_ref *src, struct image_ref *ret)
{
	*ret = (struct image_ref){
	        .domain = strdup(src->domain),
	        .path = strdup(src->path),
	        .tag = src->tag ? strdup(src->tag) : NULL,
	        .has_digest = src->has_digest,
	        .digest = src->digest,
	};
	if (!ret->domain || !ret->path || (src->tag && !ret->tag)) {
		image_ref_release(ret);
		return -ENOMEM;
	}
	return 0;
}

void image_ref_release(struct image_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	*r = (struct image_ref){};
}

char *image_ref_familiar_of(const char *full, bool repo_only)
{
	struct image_ref ref = {0};
	char *f;

	if (image_ref_parse(full, &ref, NULL) < 0)
		return strdup(full);
	f = repo_only ? image_ref_familiar_repository(&ref) : image_ref_familiar(&ref);
	image_ref_release(&ref);
	return f;
}
