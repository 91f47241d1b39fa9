/* auth.c — authorisation against a registry: WWW-Authenticate challenges
 * (RFC 7235: several challenges per header, quoted strings, token68),
 * basic credentials, and bearer tokens from the challenge's realm (the
 * distribution token spec: GET with basic credentials, or the OAuth2 POST
 * with a refresh token), cached per realm, service and scope until they
 * expire. Credentials go to the registry and its token realm only, and
 * never into a message.
 */
#include "registry/internal.h"

#include <openssl/evp.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/str.h"

#define CLIENT_ID "husk"

void registry_auth_release(struct registry_auth *a)
{
	char *const fields[] = {a->username, a->password, a->identity_token, a->registry_token};

	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		if (fields[i])
			explicit_bzero(fields[i], strlen(fields[i]));
		free(fields[i]);
	}
	*a = (struct registry_auth){0};
}

/* ---- challenges ---- */

void reg_challenges_free(struct reg_challenge *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].scheme);
		free(v[i].realm);
		free(v[i].service);
		free(v[i].scope);
		free(v[i].error);
		free(v[i].error_description);
	}
	free(v);
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~+/", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *skip_token(const char *p)
{
	while (is_tchar(*p))
		p++;
	return p;
}

/* A quoted-string at p (after the quote): its unescaped value, *end past
 * the closing quote; NULL when unterminated or on OOM. */
static char *quoted(const char *p, const char **end)
{
	struct strbuf sb = {0};

	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (strbuf_append(&sb, p, 1) < 0) {
			strbuf_release(&sb);
			return NULL;
		}
	}
	if (*p != '"') {
		strbuf_release(&sb);
		return NULL;
	}
	*end = p + 1;
	return sb.buf ? strbuf_steal(&sb) : strdup("");
}

/* Does a "name=value" auth-param (not a new challenge, not token68)
 * start at p? */
static bool param_ahead(const char *p)
{
	const char *q = skip_token(p);

	if (q == p)
		return false;
	q = skip_ows(q);
	if (*q != '=')
		return false;
	q = skip_ows(q + 1);
	return *q && *q != '=' && *q != ',';
}

static int param_set(struct reg_challenge *ch, const char *name, size_t len, char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
	        {"realm", offsetof(struct reg_challenge, realm)},
	        {"service", offsetof(struct reg_challenge, service)},
	        {"scope", offsetof(struct reg_challenge, scope)},
	        {"error", offsetof(struct reg_challenge, error)},
	        {"error_description", offsetof(struct reg_challenge, error_description)},
	};

	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		if (strlen(known[i].name) == len && strncasecmp(known[i].name, name, len) == 0) {
			char **slot = (char **)((char *)ch + known[i].off);
			free(*slot);
			*slot = value;
			return 0;
		}
	free(value);
	return 0;
}

/* The parameters of one challenge; p is past the scheme. */
static const char *challenge_params(const char *p, struct reg_challenge *ch, int *r)
{
	for (;;) {
		const char *name, *name_end;
		char *value;

		p = skip_ows(p);
		if (!param_ahead(p)) {
			/* token68, or nothing: skip it to the next comma */
			while (is_token68(*p) || *p == '=')
				p++;
			return p;
		}
		name = p;
		name_end = skip_token(p);
		p = skip_ows(skip_ows(name_end) + 1);
		if (*p == '"')
			value = quoted(p + 1, &p);
		else {
			const char *v = p;
			p = skip_token(p);
			value = strndup(v, p - v);
		}
		if (!value) {
			*r = -EINVAL;
			return NULL;
		}
		param_set(ch, name, name_end - name, value);
		p = skip_ows(p);
		if (*p != ',')
			return p;
		/* a comma: another parameter of this challenge, or the next challenge */
		if (!param_ahead(skip_ows(p + 1)))
			return p;
		p++;
	}
}

int reg_challenges_parse(const char *header, struct reg_challenge **v, size_t *n)
{
	struct reg_challenge *out = NULL;
	size_t count = 0;
	const char *p = header;
	int r = 0;

	while (p && *p && r == 0) {
		const char *s;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		s = p;
		p = skip_token(p);
		if (p == s || (*p && *p != ' ' && *p != '\t' && *p != ',')) {
			r = -EINVAL;
			break;
		}
		if (*n + count >= REG_MAX_CHALLENGES) {
			r = -E2BIG;
			break;
		}
		struct reg_challenge *grown = reallocarray(out, count + 1, sizeof(*out));
		if (!grown) {
			r = -ENOMEM;
			break;
		}
		out = grown;
		out[count] = (struct reg_challenge){.scheme = strndup(s, p - s)};
		if (!out[count++].scheme) {
			r = -ENOMEM;
			break;
		}
		for (char *c = out[count - 1].scheme; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c += 'a' - 'A';
		p = challenge_params(p, &out[count - 1], &r);
		if (p && *p && *p != ',')
			r = -EINVAL;
	}
	if (r == 0 && count) {
		struct reg_challenge *all = reallocarray(*v, *n + count, sizeof(**v));
		if (!all)
			r = -ENOMEM;
		else {
			memcpy(all + *n, out, count * sizeof(*out));
			*v = all;
			*n += count;
			free(out);
			return 0;
		}
	}
	reg_challenges_free(out, count);
	return r;
}

/* ---- tokens ---- */

int reg_token_parse(const char *body, size_t len, char **ret_token, int64_t *ret_ttl,
                    char **ret_refresh, struct husk_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	const char *token = NULL, *access = NULL, *refresh = NULL;
	int64_t ttl = 0;
	int r;

	r = json_parse("token response", body, len, REG_TOKEN_BODY_MAX, &j, err);
	if (r < 0)
		return r;
	if (!json_is_object(j))
		return error_set(err, EINVAL, "token response: expected an object");
	if ((r = json_get_string(j, "token response", "token", false, &token, err)) < 0 ||
	    (r = json_get_string(j, "token response", "access_token", false, &access, err)) < 0 ||
	    (r = json_get_string(j, "token response", "refresh_token", false, &refresh, err)) < 0)
		return r;
	if (json_is_integer(json_object_get(j, "expires_in")))
		ttl = json_integer_value(json_object_get(j, "expires_in"));
	if (isempty(token))
		token = access;
	if (isempty(token))
		return error_set(err, EINVAL, "token response: no token");
	*ret_token = strdup(token);
	*ret_ttl = ttl < REG_TOKEN_DEFAULT_TTL ? REG_TOKEN_DEFAULT_TTL : ttl;
	if (ret_refresh)
		*ret_refresh = isempty(refresh) ? NULL : strdup(refresh);
	if (!*ret_token || (ret_refresh && !isempty(refresh) && !*ret_refresh)) {
		free(*ret_token);
		*ret_token = NULL;
		return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the actions of one "type:name:actions" item into the list. */
static int scope_add(char ***items, const char *item)
{
	const char *last = strrchr(item, ':');
	size_t prefix;

	if (!last || last == item)
		return strv_contains(*items, item) ? 0 : strv_push(items, item);
	prefix = last - item + 1;
	for (char **p = *items; p && *p; p++) {
		if (strncmp(*p, item, prefix) != 0 || strchr(*p + prefix, ':'))
			continue;
		_cleanup_strv_ char **acts = strv_split(*p + prefix, ",");
		_cleanup_strv_ char **more = strv_split(last + 1, ",");
		_cleanup_free_ char *joined = NULL;

		if (!acts || !more)
			return -ENOMEM;
		STRV_FOREACH (a, more)
			if (!isempty(*a) && !strv_contains(acts, *a) && strv_push(&acts, *a) < 0)
				return -ENOMEM;
		qsort(acts, strv_length(acts), sizeof(char *), cmp_str);
		joined = strv_join(acts, ",");
		if (!joined)
			return -ENOMEM;
		free(*p);
		*p = str_printf("%.*s%s", (int)prefix, item, joined);
		return *p ? 0 : -ENOMEM;
	}
	return strv_push(items, item);
}

char *reg_scope_merge(const char *a, const char *b)
{
	_cleanup_strv_ char **items = strv_new();
	const char *lists[] = {a, b};

	if (!items)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
		_cleanup_strv_ char **parts = lists[i] ? strv_split(lists[i], " ") : strv_new();

		if (!parts)
			return NULL;
		STRV_FOREACH (p, parts)
			if (!isempty(*p) && scope_add(&items, *p) < 0)
				return NULL;
	}
	qsort(items, strv_length(items), sizeof(char *), cmp_str);
	return strv_join(items, " ");
}

static int64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static char *token_key(const struct reg_challenge *ch, const char *scope)
{
	return str_printf("%s\n%s\n%s", ch->realm ?: "", ch->service ?: "", scope ?: "");
}

/* Under c->lock. A copy of a live cached token, or NULL. */
static char *cache_get(struct reg_client *c, const char *key)
{
	for (size_t i = 0; i < c->n_tokens; i++)
		if (streq(c->tokens[i].key, key) && c->tokens[i].expires > now_s() + 5)
			return strdup(c->tokens[i].token);
	return NULL;
}

static void cache_drop_at(struct reg_client *c, size_t i)
{
	free(c->tokens[i].key);
	free(c->tokens[i].token);
	c->tokens[i] = c->tokens[--c->n_tokens];
}

/* Under c->lock; takes key and token. */
static void cache_put(struct reg_client *c, char *key, char *token, int64_t ttl)
{
	for (size_t i = 0; i < c->n_tokens; i++)
		if (streq(c->tokens[i].key, key)) {
			cache_drop_at(c, i);
			break;
		}
	if (c->n_tokens == REG_MAX_TOKENS)
		cache_drop_at(c, 0);
	c->tokens[c->n_tokens++] =
	        (struct reg_token){.key = key, .token = token, .expires = now_s() + ttl};
}

static char *base64(const char *s)
{
	size_t len = strlen(s);
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	return out;
}

static char *basic_header(const struct registry_auth *a)
{
	_cleanup_free_ char *pair = NULL, *enc = NULL;
	char *ret;

	if (isempty(a->username) || !a->password)
		return NULL;
	pair = str_printf("%s:%s", a->username, a->password);
	enc = pair ? base64(pair) : NULL;
	if (pair)
		explicit_bzero(pair, strlen(pair));
	ret = enc ? str_printf("Basic %s", enc) : NULL;
	if (enc)
		explicit_bzero(enc, strlen(enc));
	return ret;
}

static int form_escape(struct strbuf *sb, const char *name, const char *value)
{
	if (sb->len && strbuf_puts(sb, "&") < 0)
		return -ENOMEM;
	if (strbuf_printf(sb, "%s=", name) < 0)
		return -ENOMEM;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		             (*p >= '0' && *p <= '9') || strchr("-._~", *p);
		if ((plain ? strbuf_append(sb, p, 1) : strbuf_printf(sb, "%%%02X", *p)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The OAuth2 POST with a refresh token (an identity token from login). */
static int token_post(struct reg_endpoint *ep, const struct reg_challenge *ch, const char *scope,
                      bool offline, struct reg_response *rs, struct husk_error **err)
{
	struct strbuf form = {0};
	int r = 0;

	if (form_escape(&form, "grant_type", "refresh_token") < 0 ||
	    form_escape(&form, "refresh_token", ep->auth.identity_token) < 0 ||
	    form_escape(&form, "client_id", CLIENT_ID) < 0 ||
	    (ch->service && form_escape(&form, "service", ch->service) < 0) ||
	    (!isempty(scope) && form_escape(&form, "scope", scope) < 0) ||
	    (offline && form_escape(&form, "access_type", "offline") < 0))
		r = error_set(err, ENOMEM, "out of memory");
	if (r == 0) {
		struct reg_request rq = {.method = "POST",
		                         .url = ch->realm,
		                         .content_type = "application/x-www-form-urlencoded",
		                         .body = form.buf,
		                         .body_len = form.len,
		                         .max_body = REG_TOKEN_BODY_MAX};
		r = reg_fetch_url(ep->c, &rq, NULL, rs, err);
	}
	if (form.buf)
		explicit_bzero(form.buf, form.len);
	strbuf_release(&form);
	return r;
}

/* The token GET: realm?service=&scope=… with basic credentials if any. */
static int token_get(struct reg_endpoint *ep, const struct reg_challenge *ch, const char *scope,
                     bool offline, struct reg_response *rs, struct husk_error **err)
{
	_cleanup_free_ char *url = strdup(ch->realm), *authz = basic_header(&ep->auth);
	_cleanup_strv_ char **scopes = scope ? strv_split(scope, " ") : strv_new();
	struct reg_request rq = {.method = "GET", .max_body = REG_TOKEN_BODY_MAX};
	int r;

#define ADD_QUERY(name, value)                                                                     \
	do {                                                                                       \
		char *next = url ? reg_url_add_query(url, name, value) : NULL;                     \
		free(url);                                                                         \
		url = next;                                                                        \
	} while (0)
	if (!isempty(ep->auth.username) && authz)
		ADD_QUERY("account", ep->auth.username);
	if (ch->service)
		ADD_QUERY("service", ch->service);
	STRV_FOREACH (s, scopes)
		if (!isempty(*s))
			ADD_QUERY("scope", *s);
	if (offline) {
		ADD_QUERY("client_id", CLIENT_ID);
		ADD_QUERY("offline_token", "true");
	}
#undef ADD_QUERY
	if (!url || !scopes)
		return error_set(err, ENOMEM, "out of memory");
	rq.url = url;
	r = reg_fetch_url(ep->c, &rq, authz, rs, err);
	if (authz)
		explicit_bzero(authz, strlen(authz));
	return r;
}

int reg_token_get(struct reg_endpoint *ep, const struct reg_challenge *ch, const char *scope,
                  bool offline, char **ret_token, char **ret_refresh, struct husk_error **err)
{
	struct reg_response rs = {.content_length = -1};
	int64_t ttl = 0;
	int r;

	if (isempty(ch->realm))
		return error_set(err, EPROTO, "%s: bearer challenge without a realm", ep->origin);
	r = ep->auth.identity_token ? token_post(ep, ch, scope, offline, &rs, err)
	                            : token_get(ep, ch, scope, offline, &rs, err);
	if (r == 0 && rs.status != 200)
		r = reg_status_error(&rs, err, "%s", "");
	if (r == 0)
		r = reg_token_parse(rs.body, rs.body_len, ret_token, &ttl, ret_refresh, err);
	if (r == 0) {
		struct reg_client *c = ep->c;
		char *key = token_key(ch, scope), *copy = strdup(*ret_token);

		pthread_mutex_lock(&c->lock);
		if (key && copy)
			cache_put(c, key, copy, ttl);
		else {
			free(key);
			free(copy);
		}
		pthread_mutex_unlock(&c->lock);
	}
	if (rs.body)
		explicit_bzero(rs.body, rs.body_len);
	reg_response_release(&rs);
	return r;
}

/* Under c->lock: the challenge to answer (bearer before basic), copied. */
static int challenge_pick(const struct reg_endpoint *ep, struct reg_challenge *ret)
{
	const struct reg_challenge *pick = NULL;

	for (size_t i = 0; i < ep->n_challenges; i++) {
		const struct reg_challenge *ch = &ep->challenges[i];
		if (streq(ch->scheme, "bearer") || (!pick && streq(ch->scheme, "basic")))
			pick = pick && streq(pick->scheme, "bearer") ? pick : ch;
	}
	if (!pick)
		return 0;
	*ret = (struct reg_challenge){.scheme = strdup(pick->scheme),
	                              .realm = pick->realm ? strdup(pick->realm) : NULL,
	                              .service = pick->service ? strdup(pick->service) : NULL};
	if (!ret->scheme || (pick->realm && !ret->realm) || (pick->service && !ret->service))
		return -ENOMEM;
	return 1;
}

int reg_auth_header(struct reg_endpoint *ep, const char *scope, char **ret, struct husk_error **err)
{
	struct reg_challenge ch = {0};
	_cleanup_free_ char *key = NULL, *token = NULL;
	struct reg_client *c = ep->c;
	int r;

	*ret = NULL;
	pthread_mutex_lock(&c->lock);
	r = challenge_pick(ep, &ch);
	pthread_mutex_unlock(&c->lock);
	if (r <= 0) {
		free(ch.scheme);
		return r < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
	}
	if (streq(ch.scheme, "basic")) {
		*ret = basic_header(&ep->auth);
		r = 0;
		goto out;
	}
	if (ep->auth.registry_token) {
		*ret = str_printf("Bearer %s", ep->auth.registry_token);
		r = *ret ? 0 : error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	key = token_key(&ch, scope);
	pthread_mutex_lock(&c->lock);
	token = key ? cache_get(c, key) : NULL;
	pthread_mutex_unlock(&c->lock);
	r = 0;
	if (!token)
		r = reg_token_get(ep, &ch, scope, false, &token, NULL, err);
	if (r == 0 && !(*ret = str_printf("Bearer %s", token)))
		r = error_set(err, ENOMEM, "out of memory");
out:
	free(ch.scheme);
	free(ch.realm);
	free(ch.service);
	return r;
}

int reg_auth_challenged(struct reg_endpoint *ep, const struct reg_response *rs, const char *scope,
                        const char *sent, char **ret_scope)
{
	struct reg_challenge *v = NULL;
	size_t n = 0;
	struct reg_client *c = ep->c;
	int useful = 0;

	*ret_scope = NULL;
	STRV_FOREACH (h, rs->www_authenticate)
		(void)reg_challenges_parse(*h, &v, &n);
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		/* the same credentials again would be refused again */
		if (streq(v[i].scheme, "basic") && !isempty(ep->auth.username) &&
		    !startswith(sent ?: "", "Basic "))
			useful = 1;
		if (streq(v[i].scheme, "bearer") && !isempty(v[i].realm)) {
			useful = 1;
			if (!isempty(v[i].scope) && !*ret_scope)
				*ret_scope = reg_scope_merge(scope, v[i].scope);
		}
	}
	pthread_mutex_lock(&c->lock);
	/* the registry's latest word replaces what the ping said; the tokens
	 * made for this scope evidently no longer do */
	reg_challenges_free(ep->challenges, ep->n_challenges);
	ep->challenges = v;
	ep->n_challenges = n;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *key = token_key(&v[i], scope);
		for (size_t t = 0; key && t < c->n_tokens; t++)
			if (streq(c->tokens[t].key, key)) {
				cache_drop_at(c, t);
				break;
			}
	}
	pthread_mutex_unlock(&c->lock);
	return useful;
}
