/* credentials.c — config.json `auths` for husk login/logout and the
 * X-Registry-Auth of pull and push (see credentials.h). */
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base64.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/credentials.h"

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void cred_release(struct cred *c)
{
	secret_free(c->username);
	secret_free(c->password);
	secret_free(c->identity_token);
	*c = (struct cred){0};
}

/* ---- keys ---- */

static bool is_docker_hub(const char *host)
{
	return isempty(host) || streq(host, "docker.io") || streq(host, "index.docker.io") ||
	       streq(host, "registry-1.docker.io");
}

char *cred_key(const char *server)
{
	const char *s = server ? server : "", *rest;
	size_t n;
	_cleanup_free_ char *host = NULL;

	if ((rest = startswith(s, "https://")) || (rest = startswith(s, "http://")))
		s = rest;
	n = strcspn(s, "/");
	host = strndup(s, n);
	if (!host)
		return NULL;
	if (is_docker_hub(host))
		return strdup(CRED_DOCKER_HUB_KEY);
	return TAKE_PTR(host);
}

char *cred_key_of_image(const char *image)
{
	size_t n = strcspn(image, "/");
	_cleanup_free_ char *first = NULL;

	/* docker's splitDockerDomain: the first component is a registry
	 * when it has a '.' or a ':' or is "localhost" (or has upper case,
	 * which a repository name cannot) */
	if (!image[n])
		return strdup(CRED_DOCKER_HUB_KEY);
	first = strndup(image, n);
	if (!first)
		return NULL;
	if (!strpbrk(first, ".:ABCDEFGHIJKLMNOPQRSTUVWXYZ") && !streq(first, "localhost"))
		return strdup(CRED_DOCKER_HUB_KEY);
	return cred_key(first);
}

/* ---- files ---- */

static char *config_path(const char *env, const char *dot, struct husk_error **err)
{
	const char *dir = getenv(env), *home = getenv("HOME");
	struct passwd *pw;

	if (!isempty(dir))
		return path_join(dir, "config.json");
	if (isempty(home) && (pw = getpwuid(geteuid())))
		home = pw->pw_dir;
	if (isempty(home)) {
		error_set(err, ENOENT, "cannot find the config file: neither %s nor HOME is set",
		          env);
		return NULL;
	}
	return str_printf("%s/%s/config.json", home, dot);
}

char *cred_husk_config_path(struct husk_error **err)
{
	return config_path("HUSK_CONFIG", ".husk", err);
}

char *cred_docker_config_path(struct husk_error **err)
{
	return config_path("DOCKER_CONFIG", ".docker", err);
}

/* The file as a JSON object; a missing file gives an empty one. */
static int config_load(const char *path, json_t **ret, struct husk_error **err)
{
	_cleanup_error_ struct husk_error *e = NULL;
	json_t *j = NULL;
	int r = json_load_path(path, CRED_CONFIG_MAX, &j, &e);

	if (r == -ENOENT) {
		*ret = json_object();
		return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
	}
	if (r < 0)
		return error_set(err, -r, "config file %s: %s", path, error_message(e));
	if (!json_is_object(j)) {
		json_decref(j);
		return error_set(err, EINVAL, "config file %s: expected a JSON object", path);
	}
	*ret = j;
	return 0;
}

/* The entry of auths filed under key, in any spelling ("http://h:5000",
 * "h:5000/v2/"): the exact key first, as docker looks. */
static json_t *auths_find(json_t *auths, const char *key, const char **ret_name)
{
	const char *name;
	json_t *v;

	if ((v = json_object_get(auths, key))) {
		*ret_name = key;
		return v;
	}
	json_object_foreach (auths, name, v) {
		_cleanup_free_ char *k = cred_key(name);

		if (k && streq(k, key)) {
			*ret_name = name;
			return v;
		}
	}
	return NULL;
}

/* An auths entry into c: "auth" (base64 of user:password) and
 * "identitytoken". -ENOENT when it holds neither. */
static int entry_parse(const char *path, const char *name, const json_t *e, struct cred *c,
                       struct husk_error **err)
{
	const char *auth = json_string_value(json_object_get(e, "auth"));
	const char *token = json_string_value(json_object_get(e, "identitytoken"));
	char *plain = NULL, *colon;

	if (isempty(auth) && isempty(token))
		return -ENOENT;
	if (!isempty(auth)) {
		if (base64_decode(auth, 4096, &plain, NULL) < 0 || !(colon = strchr(plain, ':'))) {
			secret_free(plain);
			return error_set(err, EINVAL,
			                 "config file %s: auths[\"%s\"].auth: expected base64 of "
			                 "user:password",
			                 path, name);
		}
		*colon = 0;
		c->username = strdup(plain);
		c->password = strdup(colon + 1);
		*colon = ':';
		secret_free(plain);
	}
	if (!isempty(token)) {
		secret_free(c->password);
		c->password = NULL;
		c->identity_token = strdup(token);
	}
	if ((!isempty(auth) && (!c->username || (!c->password && !c->identity_token))) ||
	    (!isempty(token) && !c->identity_token)) {
		cred_release(c);
		return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* The credential helper of key in a docker config, or NULL. */
static const char *helper_of(json_t *cfg, const char *key)
{
	const char *name, *store;
	json_t *v;

	json_object_foreach (json_object_get(cfg, "credHelpers"), name, v) {
		_cleanup_free_ char *k = cred_key(name);

		if (k && streq(k, key) && json_string_value(v))
			return json_string_value(v);
	}
	store = json_string_value(json_object_get(cfg, "credsStore"));
	return isempty(store) ? NULL : store;
}

/* Look in one file: 0 found, -ENOENT not there (*helper set when a
 * credential helper would have them), other -errno. */
static int lookup_in(const char *path, const char *key, struct cred *ret, char **helper,
                     struct husk_error **err)
{
	_cleanup_json_ json_t *cfg = NULL;
	const char *name = NULL, *h;
	json_t *e;
	int r = config_load(path, &cfg, err);

	if (r < 0)
		return r;
	e = auths_find(json_object_get(cfg, "auths"), key, &name);
	r = e ? entry_parse(path, name, e, ret, err) : -ENOENT;
	if (r == -ENOENT && !*helper && (h = helper_of(cfg, key)))
		*helper = str_printf("\"docker-credential-%s\" (%s)", h, path);
	return r;
}

int cred_lookup(const char *key, struct cred *ret, char **ret_source, char **ret_warning,
                struct husk_error **err)
{
	_cleanup_free_ char *helper = NULL;
	char *paths[2] = {cred_husk_config_path(NULL), cred_docker_config_path(NULL)};
	int r = -ENOENT;

	*ret = (struct cred){0};
	for (size_t i = 0; i < ELEMENTSOF(paths) && r == -ENOENT; i++) {
		if (!paths[i])
			continue;
		r = lookup_in(paths[i], key, ret, &helper, err);
		if (r == 0 && ret_source)
			*ret_source = TAKE_PTR(paths[i]);
	}
	free(paths[0]);
	free(paths[1]);
	if (r == -ENOENT && helper && ret_warning)
		*ret_warning = str_printf("the credentials for %s are kept by the credential "
		                          "helper %s, which husk does not support: going on "
		                          "without credentials",
		                          key, helper);
	return r;
}

static int config_save(const char *path, json_t *cfg, struct husk_error **err)
{
	_cleanup_free_ char *dir = path_dirname(path), *text = NULL;
	int r;

	text = json_dumps(cfg, JSON_INDENT(4));
	if (!dir || !text)
		return error_set(err, ENOMEM, "out of memory");
	r = mkdir_p(dir, 0700);
	if (r < 0)
		return error_set_errno(err, -r, "create %s", dir);
	r = atomic_write_file(path, text, strlen(text), 0600, err);
	explicit_bzero(text, strlen(text));
	return r;
}

/* auths of husk's file, created if absent; entries filed under key in
 * another spelling removed. *ret_removed counts every removal. */
static int husk_auths(json_t *cfg, const char *path, const char *key, json_t **ret,
                      int *ret_removed, struct husk_error **err)
{
	json_t *auths = json_object_get(cfg, "auths");
	const char *name;

	if (!auths) {
		if (json_set(cfg, "auths", json_object()) < 0)
			return error_set(err, ENOMEM, "out of memory");
		auths = json_object_get(cfg, "auths");
	}
	if (!json_is_object(auths))
		return error_set(err, EINVAL, "config file %s: auths: expected an object", path);
	*ret_removed = 0;
	while (auths_find(auths, key, &name)) {
		json_object_del(auths, name);
		(*ret_removed)++;
	}
	*ret = auths;
	return 0;
}

static json_t *entry_new(const struct cred *c)
{
	_cleanup_free_ char *plain = NULL, *b64 = NULL;
	json_t *e = json_object();

	plain = str_printf("%s:%s", c->username ?: "", c->identity_token ? "" : c->password ?: "");
	b64 = plain ? base64_encode(plain, strlen(plain), false) : NULL;
	if (plain)
		explicit_bzero(plain, strlen(plain));
	if (!e || !b64 || json_set(e, "auth", json_string(b64)) < 0 ||
	    (c->identity_token &&
	     json_set(e, "identitytoken", json_string(c->identity_token)) < 0)) {
		json_decref(e);
		e = NULL;
	}
	if (b64)
		explicit_bzero(b64, strlen(b64));
	return e;
}

int cred_store(const char *key, const struct cred *c, char **ret_path, struct husk_error **err)
{
	_cleanup_free_ char *path = cred_husk_config_path(err);
	_cleanup_json_ json_t *cfg = NULL;
	json_t *auths = NULL, *e;
	int removed, r;

	if (!path)
		return -ENOENT;
	r = config_load(path, &cfg, err);
	if (r == 0)
		r = husk_auths(cfg, path, key, &auths, &removed, err);
	if (r < 0)
		return r;
	e = entry_new(c);
	if (!e || json_object_set_new(auths, key, e) < 0)
		return error_set(err, ENOMEM, "out of memory");
	r = config_save(path, cfg, err);
	if (r == 0 && ret_path)
		*ret_path = TAKE_PTR(path);
	return r;
}

int cred_erase(const char *key, struct husk_error **err)
{
	_cleanup_free_ char *path = cred_husk_config_path(err);
	_cleanup_json_ json_t *cfg = NULL;
	json_t *auths = NULL;
	int removed = 0, r;

	if (!path)
		return -ENOENT;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	r = config_load(path, &cfg, err);
	if (r == 0)
		r = husk_auths(cfg, path, key, &auths, &removed, err);
	if (r < 0)
		return r;
	if (removed == 0)
		return 0;
	r = config_save(path, cfg, err);
	return r < 0 ? r : 1;
}

char *cred_header(const struct cred *c, const char *server)
{
	_cleanup_json_ json_t *o = json_object();
	char *text = NULL, *out;

	if (!o)
		return NULL;
	if (c && (c->username || c->password || c->identity_token)) {
		if ((c->username && json_set(o, "username", json_string(c->username)) < 0) ||
		    (c->password && json_set(o, "password", json_string(c->password)) < 0) ||
		    (c->identity_token &&
		     json_set(o, "identitytoken", json_string(c->identity_token)) < 0) ||
		    (!isempty(server) && json_set(o, "serveraddress", json_string(server)) < 0))
			return NULL;
	}
	text = json_compact(o);
	if (!text)
		return NULL;
	out = base64_encode(text, strlen(text), true);
	explicit_bzero(text, strlen(text));
	free(text);
	return out;
}
