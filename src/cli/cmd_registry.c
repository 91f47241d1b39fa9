/* cmd_registry.c — husk pull, push, login, logout (see cmd_registry.h). */
#include <ctype.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "api/client.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_registry.h"
#include "cli/credentials.h"
#include "cli/progress.h"

#define SECRET_MAX (64u << 10) /* a password or token read from stdin */

const struct flag_spec cli_pull_flags[] = {
        {"all-tags", 'a', FLAG_BOOL, NULL, "Download all tagged images in the repository", NULL},
        {"disable-content-trust", 0, FLAG_BOOL, "true", "Skip image verification", NULL},
        {"platform", 0, FLAG_STRING, NULL, "Set platform if server is multi-platform capable",
         NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "Suppress verbose output", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_push_flags[] = {
        {"all-tags", 'a', FLAG_BOOL, NULL, "Push all tags of an image to the repository", NULL},
        {"disable-content-trust", 0, FLAG_BOOL, "true", "Skip image signing", NULL},
        {"quiet", 'q', FLAG_BOOL, NULL, "Suppress verbose output", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_login_flags[] = {
        {"password", 'p', FLAG_STRING, NULL, "Password or Personal Access Token (PAT)", NULL},
        {"password-stdin", 0, FLAG_BOOL, NULL,
         "Take the Password or Personal Access Token (PAT) from stdin", NULL},
        {"username", 'u', FLAG_STRING, NULL, "Username", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* ---- image names, as far as the CLI needs them ---- */

/* NAME[:TAG][@DIGEST] split; the daemon does the real parsing. */
struct name_ref {
	char *name; /* as given, without tag and digest */
	char *tag;
	char *digest;
};

static void name_ref_release(struct name_ref *r)
{
	free(r->name);
	free(r->tag);
	free(r->digest);
	*r = (struct name_ref){0};
}

/* Characters a reference may hold (upper case too: the daemon says why
 * it is wrong); anything else would not survive the URL path. */
static bool name_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-/:@[]", *s))
			return false;
	return true;
}

static int name_ref_split(const char *s, struct name_ref *ret, struct husk_error **err)
{
	_cleanup_free_ char *copy = strdup(s);
	char *at, *last, *colon;

	if (!copy)
		return error_set(err, ENOMEM, "out of memory");
	if (isempty(s) || !name_chars_ok(s))
		return error_set(err, EINVAL, "invalid reference format: \"%s\"", s);
	*ret = (struct name_ref){0};
	if ((at = strchr(copy, '@'))) {
		*at = 0;
		ret->digest = strdup(at + 1);
	}
	last = strrchr(copy, '/');
	if ((colon = strchr(last ? last : copy, ':'))) {
		*colon = 0;
		ret->tag = strdup(colon + 1);
	}
	ret->name = strdup(copy);
	if (!ret->name || (at && !ret->digest) || (colon && !ret->tag)) {
		name_ref_release(ret);
		return error_set(err, ENOMEM, "out of memory");
	}
	if (!*ret->name || (at && !*ret->digest) || (colon && !*ret->tag)) {
		name_ref_release(ret);
		return error_set(err, EINVAL, "invalid reference format: \"%s\"", s);
	}
	return 0;
}

/* Docker's normalised name: "busybox" → "docker.io/library/busybox". */
static char *name_full(const char *name)
{
	size_t n = strcspn(name, "/");
	_cleanup_free_ char *first = strndup(name, n);

	if (!first)
		return NULL;
	if (name[n] && (strpbrk(first, ".:") || streq(first, "localhost"))) {
		if (!streq(first, "docker.io") && !streq(first, "index.docker.io"))
			return strdup(name);
		name += n + 1; /* docker.io/x is x */
	}
	return str_printf("docker.io/%s%s", strchr(name, '/') ? "" : "library/", name);
}

/* The reference docker prints: full name, tag, digest. */
static char *ref_full(const struct name_ref *r)
{
	_cleanup_free_ char *full = name_full(r->name);

	if (!full)
		return NULL;
	return str_printf("%s%s%s%s%s", full, r->tag ? ":" : "", r->tag ?: "", r->digest ? "@" : "",
	                  r->digest ?: "");
}

/* Docker's familiar form of the name: "docker.io/library/busybox" →
 * "busybox". */
static const char *name_familiar(const char *full)
{
	const char *s = startswith(full, "docker.io/");

	if (!s)
		return full;
	if (startswith(s, "library/") && !strchr(s + 8, '/'))
		return s + 8;
	return s;
}

/* ---- credentials for a request ---- */

/* The X-Registry-Auth header line for the registry of image (or server,
 * for login): what config.json holds, else anonymous. A credential file
 * that cannot be read is a warning, as docker makes it. */
static char *auth_header_for(struct cli *cli, const char *key)
{
	_cleanup_error_ struct husk_error *e = NULL;
	_cleanup_free_ char *warning = NULL, *value = NULL;
	struct cred c = {0};
	int r = cred_lookup(key, &c, NULL, &warning, &e);

	if (r < 0 && r != -ENOENT)
		fprintf(cli->errout, "WARNING: %s\n", error_message(e));
	if (warning)
		fprintf(cli->errout, "WARNING: %s\n", warning);
	value = cred_header(r == 0 ? &c : NULL, key);
	cred_release(&c);
	if (!value)
		return NULL;
	return str_printf("X-Registry-Auth: %s", value);
}

static void header_free(char *h)
{
	if (h) {
		explicit_bzero(h, strlen(h));
		free(h);
	}
}

/* "&key=<escaped value>" (or "?key=…" first) appended to sb. */
static int query_add(struct strbuf *sb, const char *key, const char *value)
{
	_cleanup_free_ char *e = api_client_escape(value);

	if (!e)
		return -ENOMEM;
	return strbuf_printf(sb, "%c%s=%s", strchr(sb->buf ?: "", '?') ? '&' : '?', key, e);
}

/* POST path with the registry's credentials, rendering the stream on out. */
static int stream_post(struct cli *cli, const char *path, const char *image, FILE *out, bool quiet,
                       struct husk_error **err)
{
	_cleanup_free_ char *key = cred_key_of_image(image);
	char *headers[2] = {key ? auth_header_for(cli, key) : NULL, NULL};
	struct progress *p = progress_new_for(out, quiet);
	struct api_client *c = NULL;
	int r;

	if (!headers[0] || !p)
		r = error_set(err, ENOMEM, "out of memory");
	else
		r = cli_connect(cli, &c, err);
	if (r == 0) {
		fflush(out);
		r = api_client_stream(c, "POST", path, NULL, headers, progress_line, p, NULL, err);
	}
	header_free(headers[0]);
	progress_free(p);
	return r;
}

/* ---- pull ---- */

static int pull(struct cli *cli, const struct name_ref *r, const char *platform, FILE *out,
                bool quiet, struct husk_error **err)
{
	_cleanup_free_ char *lower = platform ? strdup(platform) : NULL;
	struct strbuf q = {0};
	int rc = strbuf_puts(&q, "/images/create");

	if (rc == 0)
		rc = query_add(&q, "fromImage", r->name);
	if (rc == 0 && (r->digest || r->tag))
		rc = query_add(&q, "tag", r->digest ?: r->tag);
	if (rc == 0 && !isempty(platform)) {
		for (char *s = lower; s && *s; s++)
			*s = (char)tolower((unsigned char)*s);
		rc = lower ? query_add(&q, "platform", lower) : -ENOMEM;
	}
	if (rc < 0)
		rc = error_set(err, ENOMEM, "out of memory");
	else
		rc = stream_post(cli, q.buf, r->name, out, quiet, err);
	strbuf_release(&q);
	return rc;
}

int cli_pull_image(struct cli *c, const char *ref, const char *platform, bool quiet,
                   struct husk_error **err)
{
	_cleanup_free_ char *full = NULL;
	struct name_ref r;
	int rc = name_ref_split(ref, &r, err);

	if (rc < 0)
		return rc;
	if (!r.tag && !r.digest && !(r.tag = strdup("latest"))) {
		name_ref_release(&r);
		return error_set(err, ENOMEM, "out of memory");
	}
	full = ref_full(&r);
	fprintf(c->errout, "Unable to find image '%s' locally\n", full ? name_familiar(full) : ref);
	rc = pull(c, &r, platform, c->errout, quiet, err);
	name_ref_release(&r);
	return rc;
}

/* The tag docker uses when none is given ("Using default tag: latest"),
 * and the refusal of a tag with -a. */
static int default_tag(struct cli *cli, struct name_ref *r, bool all, bool quiet,
                       struct husk_error **err)
{
	if (all && (r->tag || r->digest))
		return error_set(err, EINVAL, "tag can't be used with --all-tags/-a");
	if (all || r->tag || r->digest)
		return 0;
	r->tag = strdup("latest");
	if (!r->tag)
		return error_set(err, ENOMEM, "out of memory");
	if (!quiet)
		fprintf(cli->out, "Using default tag: %s\n", r->tag);
	return 0;
}

int cmd_pull(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	bool quiet = flags_bool(f, "quiet"), all = flags_bool(f, "all-tags");
	_cleanup_free_ char *full = NULL;
	struct name_ref r;
	int rc = name_ref_split(flags_args(f)[0], &r, err);

	if (rc < 0)
		return rc;
	rc = default_tag(cli, &r, all, quiet, err);
	if (rc == 0)
		rc = pull(cli, &r, flags_string(f, "platform"), cli->out, quiet, err);
	if (rc == 0 && !(full = ref_full(&r)))
		rc = error_set(err, ENOMEM, "out of memory");
	if (rc == 0)
		fprintf(cli->out, "%s\n", full);
	name_ref_release(&r);
	return rc;
}

/* ---- push ---- */

int cmd_push(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	bool quiet = flags_bool(f, "quiet"), all = flags_bool(f, "all-tags");
	_cleanup_free_ char *full = NULL;
	struct strbuf q = {0};
	struct name_ref r;
	int rc = name_ref_split(flags_args(f)[0], &r, err);

	if (rc < 0)
		return rc;
	if (r.digest)
		rc = error_set(err, EINVAL,
		               "cannot push \"%s\": a digest names content, push a tag instead",
		               flags_args(f)[0]);
	if (rc == 0)
		rc = default_tag(cli, &r, all, quiet, err);
	if (rc == 0) {
		rc = strbuf_printf(&q, "/images/%s/push", r.name);
		if (rc == 0 && r.tag)
			rc = query_add(&q, "tag", r.tag);
		if (rc < 0)
			rc = error_set(err, ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = stream_post(cli, q.buf, r.name, cli->out, quiet, err);
	if (rc == 0 && quiet && !(full = ref_full(&r)))
		rc = error_set(err, ENOMEM, "out of memory");
	if (rc == 0 && quiet)
		fprintf(cli->out, "%s\n", full);
	strbuf_release(&q);
	name_ref_release(&r);
	return rc;
}

/* ---- login ---- */

/* A line from stdin without its line ending, at most SECRET_MAX bytes;
 * echo off while it is typed when secret. NULL with *err at EOF. */
static char *read_line(bool secret, struct husk_error **err)
{
	struct termios old, quiet;
	bool restore = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	n = getline(&line, &cap, stdin);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	if (n < 0 || (size_t)n > SECRET_MAX) {
		if (line)
			explicit_bzero(line, cap);
		free(line);
		error_set(err, n < 0 ? EIO : EFBIG, "%s",
		          n < 0 ? "Error: cannot read from stdin" : "Error: input line too long");
		return NULL;
	}
	line[strcspn(line, "\r\n")] = 0;
	return line;
}

/* --password-stdin: all of stdin, one trailing newline (and \r) dropped. */
static int read_stdin_secret(char **ret, struct husk_error **err)
{
	char *s = NULL;
	size_t len = 0;
	int r = read_all_fd(STDIN_FILENO, SECRET_MAX, &s, &len);

	if (r < 0)
		return error_set_errno(err, -r, "read the password from stdin");
	if (len && s[len - 1] == '\n')
		s[--len] = 0;
	if (len && s[len - 1] == '\r')
		s[--len] = 0;
	*ret = s;
	return 0;
}

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* POST /auth; ret_token gets the identity token the registry gave, if any. */
static int auth_call(struct cli *cli, const char *server, const struct cred *c, char **ret_token,
                     struct husk_error **err)
{
	_cleanup_json_ json_t *body = json_object(), *reply = NULL;
	struct api_client *api = NULL;
	const char *tok;
	int r;

	*ret_token = NULL;
	if (!body || json_set(body, "username", json_string(c->username ?: "")) < 0 ||
	    json_set(body, "password", json_string(c->password ?: "")) < 0 ||
	    json_set(body, "serveraddress", json_string(server)) < 0 ||
	    (c->identity_token &&
	     json_set(body, "identitytoken", json_string(c->identity_token)) < 0))
		return error_set(err, ENOMEM, "out of memory");
	r = cli_connect(cli, &api, err);
	if (r == 0)
		r = api_client_call(api, "POST", "/auth", body, NULL, &reply, err);
	if (r == 0 && !isempty(tok = json_string_value(json_object_get(reply, "IdentityToken"))) &&
	    !(*ret_token = strdup(tok)))
		r = error_set(err, ENOMEM, "out of memory");
	return r;
}

/* Username and password from the flags, stdin, or the terminal. */
static int login_input(struct cli *cli, const struct flags *f, const char *old_user, struct cred *c,
                       struct husk_error **err)
{
	const char *user = flags_string(f, "username"), *pass = flags_string(f, "password");
	bool from_stdin = flags_bool(f, "password-stdin");

	if (pass && from_stdin)
		return error_set(err, EINVAL,
		                 "--password and --password-stdin are mutually exclusive");
	if (from_stdin && isempty(user))
		return error_set(err, EINVAL, "Must provide --username with --password-stdin");
	if (pass)
		fprintf(cli->errout, "WARNING! Using --password via the CLI is insecure. Use "
		                     "--password-stdin.\n");
	if (from_stdin && read_stdin_secret(&c->password, err) < 0)
		return -EIO;
	if (pass && !(c->password = strdup(pass)))
		return error_set(err, ENOMEM, "out of memory");
	if ((isempty(user) || isempty(c->password)) && !isatty(STDIN_FILENO))
		return error_set(
		        err, EINVAL,
		        "Error: Cannot perform an interactive login from a non TTY device");
	if (!isempty(user))
		c->username = strdup(user);
	else {
		fprintf(cli->out, "Username%s%s%s: ", old_user ? " (" : "", old_user ?: "",
		        old_user ? ")" : "");
		fflush(cli->out);
		c->username = read_line(false, err);
		if (!c->username)
			return -EIO;
		if (!*c->username && old_user) {
			free(c->username);
			c->username = strdup(old_user);
		}
	}
	if (!c->username)
		return error_set(err, ENOMEM, "out of memory");
	if (isempty(c->username))
		return error_set(err, EINVAL, "Error: Non-null Username Required");
	if (!c->password) {
		fprintf(cli->out, "Password: ");
		fflush(cli->out);
		if (!(c->password = read_line(true, err)))
			return -EIO;
	}
	if (isempty(c->password))
		return error_set(err, EINVAL, "Error: Password Required");
	return 0;
}

/* With no flags, the stored credentials are tried first, as docker does.
 * 1 when they worked. */
static int login_stored(struct cli *cli, const char *server, const struct cred *stored)
{
	_cleanup_error_ struct husk_error *e = NULL;
	char *token = NULL;

	if (!stored->username && !stored->identity_token)
		return 0;
	fprintf(cli->out, "Authenticating with existing credentials...\n");
	if (auth_call(cli, server, stored, &token, &e) < 0) {
		fprintf(cli->errout, "Login did not succeed, error: %s\n", error_message(e));
		return 0;
	}
	secret_free(token);
	return 1;
}

int cmd_login(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
              struct husk_error **err)
{
	const char *arg = flags_args(f)[0];
	const char *server = isempty(arg) || streq(arg, "docker.io") ? CRED_DOCKER_HUB_KEY : arg;
	_cleanup_free_ char *key = cred_key(server), *path = NULL;
	struct cred stored = {0}, c = {0};
	char *token = NULL;
	int r;

	if (!key)
		return error_set(err, ENOMEM, "out of memory");
	cred_lookup(key, &stored, NULL, NULL, NULL);
	if (!flags_changed(f, "username") && !flags_changed(f, "password") &&
	    !flags_bool(f, "password-stdin") && login_stored(cli, server, &stored) == 1) {
		cred_release(&stored);
		fprintf(cli->out, "Login Succeeded\n");
		return 0;
	}
	r = login_input(cli, f, stored.username, &c, err);
	cred_release(&stored);
	if (r == 0)
		r = auth_call(cli, server, &c, &token, err);
	if (r == 0 && token) {
		secret_free(c.password);
		c.password = NULL;
		c.identity_token = TAKE_PTR(token);
	}
	if (r == 0)
		r = cred_store(key, &c, &path, err);
	cred_release(&c);
	if (r < 0)
		return r;
	fprintf(cli->errout,
	        "WARNING! Your credentials are stored unencrypted in '%s'.\n"
	        "Credential helpers are not supported by husk.\n\n",
	        path);
	fprintf(cli->out, "Login Succeeded\n");
	return 0;
}

int cmd_logout(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	const char *arg = flags_args(f)[0];
	_cleanup_free_ char *key = cred_key(arg), *source = NULL;
	_cleanup_free_ char *docker = cred_docker_config_path(NULL);
	struct cred c = {0};
	int r;

	if (!key)
		return error_set(err, ENOMEM, "out of memory");
	r = cred_erase(key, err);
	if (r < 0)
		return r;
	if (r == 0) {
		fprintf(cli->out, "Not logged in to %s\n", key);
		if (cred_lookup(key, &c, &source, NULL, NULL) == 0 && streq(source, docker))
			fprintf(cli->errout,
			        "Note: %s has credentials for %s; husk never changes that file "
			        "(use docker logout)\n",
			        source, key);
		cred_release(&c);
		return 0;
	}
	fprintf(cli->out, "Removing login credentials for %s\n", key);
	return 0;
}
