/* login.c — registry_login(): check credentials against a registry as
 * `docker login` does: GET /v2/, then answer its challenge (basic: the
 * credentials themselves; bearer: a token from the realm, asking for
 * offline access so that an identity token may come back), and GET /v2/
 * again with it. Errors read like dockerd's; the credentials never appear.
 */
#include "registry/internal.h"

#include <string.h>

#include "base/str.h"

static int auth_copy(const struct registry_auth *src, struct registry_auth *dst)
{
	const char *from[] = {src->username, src->password, src->identity_token,
	                      src->registry_token};
	char **to[] = {&dst->username, &dst->password, &dst->identity_token, &dst->registry_token};

	registry_auth_release(dst);
	for (size_t i = 0; i < ELEMENTSOF(from); i++)
		if (from[i] && !(*to[i] = strdup(from[i]))) {
			registry_auth_release(dst);
			return -ENOMEM;
		}
	return 0;
}

static int failed(const struct reg_endpoint *ep, long status, struct husk_error **err)
{
	return error_set(err, status == 401 || status == 403 ? EACCES : reg_status_errno(status),
	                 "login attempt to %s/v2/ failed with status: %ld %s", ep->origin, status,
	                 reg_status_text(status));
}

/* Under no lock (a login has one thread): ep's bearer challenge, if any. */
static const struct reg_challenge *bearer_of(const struct reg_endpoint *ep)
{
	for (size_t i = 0; i < ep->n_challenges; i++)
		if (streq(ep->challenges[i].scheme, "bearer"))
			return &ep->challenges[i];
	return NULL;
}

static int login_at(struct reg_endpoint *ep, char **ret_identity_token, struct husk_error **err)
{
	const struct reg_challenge *bearer = bearer_of(ep);
	struct reg_request rq = {.method = "GET", .url = "/v2/"};
	struct reg_response rs = {.content_length = -1};
	_cleanup_free_ char *token = NULL, *refresh = NULL;
	int r;

	if (ep->n_challenges == 0)
		return 0; /* the registry asks for nothing */
	if (bearer && !ep->auth.registry_token) {
		_cleanup_error_ struct husk_error *e = NULL;

		r = reg_token_get(ep, bearer, NULL, true, &token, &refresh, &e);
		if (r < 0)
			return error_set(err, error_code(e), "Get \"%s/v2/\": %s", ep->origin,
			                 error_message(e));
	}
	r = reg_send(ep, &rq, &rs, err);
	if (r == 0 && rs.status != 200)
		r = failed(ep, rs.status, err);
	reg_response_release(&rs);
	if (r == 0 && ret_identity_token)
		*ret_identity_token = TAKE_PTR(refresh);
	if (refresh)
		explicit_bzero(refresh, strlen(refresh));
	if (token)
		explicit_bzero(token, strlen(token));
	return r;
}

int registry_login(const struct registry_options *o, const char *server,
                   const struct registry_auth *auth, char **ret_identity_token,
                   struct husk_error **err)
{
	_cleanup_(reg_client_freep) struct reg_client *c = NULL;
	_cleanup_free_ char *key = registry_host_key(server);
	struct reg_endpoint **eps = NULL;
	size_t n_eps = 0;
	int r;

	if (ret_identity_token)
		*ret_identity_token = NULL;
	if (!key)
		return error_set(err, ENOMEM, "out of memory");
	if (isempty(key) || strchr(key, '@') || strchr(key, ' '))
		return error_set(err, EINVAL, "invalid registry \"%s\"", server);
	r = reg_client_new(o, NULL, NULL, &c, err);
	if (r == 0)
		r = reg_endpoints(c, key, false, &eps, &n_eps, err);
	for (size_t i = 0; r == 0 && i < n_eps; i++)
		if (auth_copy(auth, &eps[i]->auth) < 0)
			r = error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n_eps; i++) {
		_cleanup_error_ struct husk_error *e = NULL;

		r = reg_ping(eps[i], &e);
		if (r < 0 && i + 1 < n_eps) {
			r = 0; /* https refused: plain http next, for an insecure registry */
			continue;
		}
		if (r == 0)
			r = login_at(eps[i], ret_identity_token, &e);
		if (r < 0 && err && !*err)
			*err = TAKE_PTR(e);
		break;
	}
	reg_endpoints_free(eps, n_eps);
	return r;
}
