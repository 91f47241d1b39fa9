/* h_registry.c — pull (POST /images/create?fromImage=), push
 * (POST /images/{name}/push) and login (POST /auth) over the registry
 * client, with Docker's X-Registry-Auth header and JSON progress stream.
 *
 * Failures before the first progress message are an HTTP status and
 * {"message"}, as dockerd answers them; afterwards the 200 is out and a
 * failure is the stream's last line, {"errorDetail":{…},"error":…}.
 * Credentials from the header go only to the registry host they were
 * given for (auth_lookup) and never into a log line or a reply. Daemon
 * options (insecure-registries, registry-mirrors) come from daemon.json.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "base/base64.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/jsonprogress.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "image/reference.h"
#include "registry/registry.h"

#define AUTH_HEADER_MAX (64u << 10)  /* decoded X-Registry-Auth, identity tokens included */
#define THROTTLE_NS     100000000ull /* dockerd: one byte-progress update per 100 ms per item */
#define THROTTLE_IDS    64

/* ---- credentials ---- */

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void auth_clear(struct registry_auth *a)
{
	secret_free(a->username);
	secret_free(a->password);
	secret_free(a->identity_token);
	secret_free(a->registry_token);
	*a = (struct registry_auth){0};
}

/* A string field of an auth object into a new string (NULL when absent
 * or empty). -EINVAL for a wrong type, -ENOMEM. */
static int auth_field(const json_t *o, const char *what, const char *key, char **ret,
                      struct husk_error **err)
{
	const char *s = NULL;

	if (json_get_string(o, "", key, false, &s, err) < 0)
		return error_wrap(err, "invalid %s", what);
	if (isempty(s))
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

/* "auth": base64 of "user:password", as config.json files keep it. */
static int auth_basic(const char *what, const char *b64, struct registry_auth *a,
                      struct husk_error **err)
{
	char *plain = NULL, *colon;
	int r = base64_decode(b64, 4096, &plain, NULL);

	if (r < 0 || !(colon = strchr(plain, ':'))) {
		secret_free(plain);
		return error_set(err, EINVAL, "invalid %s: \"auth\" is not base64 of user:password",
		                 what);
	}
	*colon = 0;
	/* an empty half is no credential, as an absent username field is */
	a->username = *plain ? strdup(plain) : NULL;
	a->password = colon[1] ? strdup(colon + 1) : NULL;
	bool oom = (*plain && !a->username) || (colon[1] && !a->password);
	*colon = ':';
	secret_free(plain);
	if (oom)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* Docker's AuthConfig JSON (what: where it came from, for messages) into
 * a and the server address; null is anonymous. */
static int auth_from_json(const json_t *o, const char *what, struct registry_auth *a,
                          char **ret_server, struct husk_error **err)
{
	_cleanup_free_ char *server = NULL;
	char *basic = NULL;
	int r;

	if (json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return error_set(err, EINVAL, "invalid %s: expected a JSON object", what);
	r = auth_field(o, what, "username", &a->username, err);
	if (r == 0)
		r = auth_field(o, what, "password", &a->password, err);
	if (r == 0)
		r = auth_field(o, what, "identitytoken", &a->identity_token, err);
	if (r == 0)
		r = auth_field(o, what, "registrytoken", &a->registry_token, err);
	if (r == 0)
		r = auth_field(o, what, "serveraddress", &server, err);
	if (r == 0)
		r = auth_field(o, what, "auth", &basic, err);
	if (r == 0 && basic && !a->username && !a->password)
		r = auth_basic(what, basic, a, err);
	secret_free(basic);
	if (r == 0 && ret_server)
		*ret_server = TAKE_PTR(server);
	return r;
}

int api_registry_auth_decode(const char *header, struct registry_auth *ret, char **ret_server,
                             struct husk_error **err)
{
	_cleanup_json_ json_t *o = NULL;
	struct registry_auth a = {0};
	char *text = NULL;
	size_t len = 0;
	int r;

	*ret = (struct registry_auth){0};
	if (ret_server)
		*ret_server = NULL;
	if (isempty(header))
		return 0;
	r = base64_decode(header, AUTH_HEADER_MAX, &text, &len);
	if (r == -EFBIG)
		return error_set(err, EFBIG, "invalid X-Registry-Auth header: larger than %u bytes",
		                 AUTH_HEADER_MAX);
	if (r < 0)
		return error_set(err, r == -ENOMEM ? ENOMEM : EINVAL,
		                 "invalid X-Registry-Auth header: %s",
		                 r == -ENOMEM ? "out of memory" : "not base64");
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	secret_free(text);
	if (!o)
		return error_set(err, EINVAL, "invalid X-Registry-Auth header: not JSON");
	r = auth_from_json(o, "X-Registry-Auth header", &a, ret_server, err);
	if (r < 0) {
		auth_clear(&a);
		return r;
	}
	*ret = a;
	return 0;
}

/* The credentials of a request and the one registry they are for. */
struct auth_scope {
	struct registry_auth auth;
	char *host_key; /* registry_host_key() of their registry; NULL: anonymous */
};

static int dup_or_null(const char *s, char **ret)
{
	*ret = s ? strdup(s) : NULL;
	return s && !*ret ? -ENOMEM : 0;
}

/* registry_auth_lookup_fn: the request's credentials for their own host,
 * nothing for any other (a redirect, a mount source elsewhere). */
static int auth_lookup(const char *host, struct registry_auth *ret, void *data)
{
	const struct auth_scope *s = data;
	_cleanup_free_ char *key = NULL;
	struct registry_auth a = {0};

	if (!s->host_key || isempty(host))
		return 0;
	key = registry_host_key(host);
	if (!key)
		return -ENOMEM;
	if (!streq(key, s->host_key))
		return 0;
	if (dup_or_null(s->auth.username, &a.username) < 0 ||
	    dup_or_null(s->auth.password, &a.password) < 0 ||
	    dup_or_null(s->auth.identity_token, &a.identity_token) < 0 ||
	    dup_or_null(s->auth.registry_token, &a.registry_token) < 0) {
		auth_clear(&a);
		return -ENOMEM;
	}
	*ret = a;
	return 0;
}

static bool auth_empty(const struct registry_auth *a)
{
	return !a->username && !a->password && !a->identity_token && !a->registry_token;
}

/* ---- a transfer: the registry call in a worker thread, its progress
 * queued for the reply stream ---- */

struct throttle {
	char id[80];
	char status[40];
	uint64_t at_ns;
};

struct job {
	struct engine *engine;
	bool push;
	char *ref; /* what to pull or push, normalised */
	char *platform;
	enum registry_pull_flags flags;
	char *line_id; /* the id of "Pulling from" lines: the tag or digest */
	char *familiar_repo;
	char **insecure, **mirrors;
	struct auth_scope scope;
	struct registry_options opts;

	pthread_t worker;
	bool worker_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct strbuf lines; /* JSON lines not yet written */
	bool started, done;
	int result;
	struct husk_error *err;
	struct throttle throttle[THROTTLE_IDS];
	size_t n_throttle;
};

static struct job *job_new(struct api_request *req, bool push)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->engine = api_ctx(req);
	j->push = push;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	return j;
}

static void job_free(void *p)
{
	struct job *j = p;

	if (!j)
		return;
	if (j->worker_started)
		pthread_join(j->worker, NULL);
	free(j->ref);
	free(j->platform);
	free(j->line_id);
	free(j->familiar_repo);
	strv_free(j->insecure);
	strv_free(j->mirrors);
	auth_clear(&j->scope.auth);
	free(j->scope.host_key);
	strbuf_release(&j->lines);
	error_free(j->err);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j);
}

/* registry_options from daemon.json (checked by engine/config.c). */
static int options_init(struct engine *e, char ***insecure, char ***mirrors,
                        struct registry_options *o, struct husk_error **err)
{
	int r = json_get_strv(e->cfg.file, "daemon.json", "insecure-registries", false, insecure,
	                      err);

	if (r == 0)
		r = json_get_strv(e->cfg.file, "daemon.json", "registry-mirrors", false, mirrors,
		                  err);
	*o = (struct registry_options){.insecure = *insecure, .mirrors = *mirrors};
	return r;
}

/* The request's credentials, scoped to server (serveraddress, when the
 * client said) or else to the registry of the image. */
static int job_auth(struct job *j, struct registry_auth *auth, const char *server,
                    const char *domain, struct husk_error **err)
{
	j->scope.auth = *auth;
	*auth = (struct registry_auth){0};
	if (auth_empty(&j->scope.auth))
		return 0;
	j->scope.host_key = registry_host_key(!isempty(server) ? server : domain);
	if (!j->scope.host_key)
		return error_set(err, ENOMEM, "out of memory");
	j->opts.auth_lookup = auth_lookup;
	j->opts.auth_data = &j->scope;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* True when a byte-progress update of ev comes too soon after the last
 * one of the same item and status (dockerd's 100 ms rate): the next one
 * or the completion carries the news. */
static bool throttled(struct job *j, const struct registry_event *ev)
{
	uint64_t now;
	struct throttle *t = NULL;

	if (!ev->id || (ev->total && ev->current >= ev->total) || (!ev->current && !ev->total))
		return false;
	now = now_ns();
	for (size_t i = 0; i < j->n_throttle && !t; i++)
		if (streq(j->throttle[i].id, ev->id))
			t = &j->throttle[i];
	if (!t) {
		if (j->n_throttle == THROTTLE_IDS)
			return false;
		t = &j->throttle[j->n_throttle++];
		snprintf(t->id, sizeof(t->id), "%s", ev->id);
	} else if (streq(t->status, ev->status) && now - t->at_ns < THROTTLE_NS)
		return true;
	snprintf(t->status, sizeof(t->status), "%s", ev->status ?: "");
	t->at_ns = now;
	return false;
}

/* A progress message as dockerd's streamformatter writes it: an item's
 * update carries "progressDetail" (and "progress" when there are bytes),
 * a whole-operation message only "status" (and "id"). */
static json_t *event_json(const struct job *j, const struct registry_event *ev)
{
	char text[JSONPROGRESS_TEXT_MAX];
	json_t *o = json_object(), *detail = json_object();
	const char *id = ev->id;

	if (!o || !detail)
		goto fail;
	if (ev->aux_tag || ev->aux_digest) {
		json_t *aux = json_pack("{s:s, s:s, s:I}", "Tag", ev->aux_tag ?: "", "Digest",
		                        ev->aux_digest ?: "", "Size", (json_int_t)ev->aux_size);
		if (json_set(o, "progressDetail", detail) < 0 || json_set(o, "aux", aux) < 0)
			goto fail_o;
		return o;
	}
	if (!id && startswith(ev->status, "Pulling from "))
		id = j->line_id;
	if (!isempty(ev->status) && json_set(o, "status", json_string(ev->status)) < 0)
		goto fail;
	if (!ev->id) {
		json_decref(detail);
		if (id && json_set(o, "id", json_string(id)) < 0)
			goto fail_o;
		return o;
	}
	if ((ev->current &&
	     json_set(detail, "current", json_integer((json_int_t)ev->current)) < 0) ||
	    (ev->total && json_set(detail, "total", json_integer((json_int_t)ev->total)) < 0))
		goto fail;
	jsonprogress_format(ev->current, ev->total, JSONPROGRESS_DAEMON_WIDTH, text, sizeof(text));
	if (json_set(o, "progressDetail", detail) < 0 ||
	    (*text && json_set(o, "progress", json_string(text)) < 0) ||
	    json_set(o, "id", json_string(id)) < 0)
		goto fail_o;
	return o;
fail:
	json_decref(detail);
fail_o:
	json_decref(o);
	return NULL;
}

static void job_append(struct job *j, const json_t *line)
{
	_cleanup_free_ char *s = line ? json_compact(line) : NULL;

	if (s && strbuf_puts(&j->lines, s) == 0)
		strbuf_puts(&j->lines, "\n");
}

/* registry_progress_fn: queue the message for the stream. */
static void job_progress(const struct registry_event *ev, void *data)
{
	struct job *j = data;
	_cleanup_json_ json_t *line = NULL;

	pthread_mutex_lock(&j->lock);
	if (!throttled(j, ev)) {
		line = event_json(j, ev);
		job_append(j, line);
		j->started = true;
		pthread_cond_broadcast(&j->cond);
	}
	pthread_mutex_unlock(&j->lock);
}

/* dockerd's image event: "pull"/"push" of the familiar reference. */
static void job_event(const struct job *j)
{
	json_t *attrs = json_pack("{s:s}", "name", j->ref);

	if (attrs)
		events_publish(j->engine->events, "image", j->push ? "push" : "pull", j->ref,
		               attrs);
}

static void *job_thread(void *p)
{
	struct job *j = p;
	struct husk_error *err = NULL;
	int r;

	if (j->push)
		r = registry_push(j->engine->store, &j->opts, j->ref, job_progress, j, &err);
	else
		r = registry_pull(j->engine->store, &j->opts, j->ref, j->platform, j->flags,
		                  job_progress, j, NULL, &err);
	if (r < 0 && !err)
		error_set(&err, -r, "%s %s: %s", j->push ? "push" : "pull", j->ref, strerror(-r));
	if (r < 0)
		log_warn("%s %s: %s", j->push ? "push" : "pull", j->ref, error_message(err));
	else
		job_event(j);
	pthread_mutex_lock(&j->lock);
	j->result = r;
	j->err = err;
	j->done = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static void error_line(struct strbuf *out, const char *msg)
{
	_cleanup_json_ json_t *j =
	        json_pack("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg);
	_cleanup_free_ char *s = j ? json_compact(j) : NULL;

	if (s && strbuf_puts(out, s) == 0)
		strbuf_puts(out, "\n");
}

/* api_producer_fn: write the queued lines as they come, then the error
 * if the transfer failed. The registry client cannot be cancelled: when
 * the client goes away the transfer still runs to its end, unwritten. */
static void job_producer(int fd, int shutdown_fd, void *data)
{
	struct job *j = data;
	bool gone = false, done = false;

	while (!done) {
		struct strbuf out;

		pthread_mutex_lock(&j->lock);
		while (j->lines.len == 0 && !j->done)
			pthread_cond_wait(&j->cond, &j->lock);
		out = j->lines;
		j->lines = (struct strbuf){0};
		done = j->done;
		pthread_mutex_unlock(&j->lock);
		if (done && j->result < 0)
			error_line(&out, error_message(j->err));
		if (!gone && out.len && write_all(fd, out.buf, out.len) < 0)
			gone = true;
		strbuf_release(&out);
	}
	pthread_join(j->worker, NULL);
	j->worker_started = false;
}

/* The HTTP status of a failure before anything was streamed. */
static unsigned job_status(const struct job *j)
{
	switch (error_code(j->err)) {
	case ENOENT:
		return 404;
	case EINVAL:
	case EILSEQ:
		return 400;
	case EACCES:
		/* dockerd answers a pull refused by the registry as "not
		 * found" (distribution's translatePullError) */
		return j->push ? 500 : 404;
	default:
		return 500;
	}
}

static void job_reply_error(struct api_request *req, const struct job *j)
{
	const char *msg = error_message(j->err);

	if (!j->push && error_code(j->err) == EACCES && !strstr(msg, "pull access denied"))
		api_reply_error(req, job_status(j),
		                "pull access denied for %s, repository does not exist or may "
		                "require 'docker login': %s",
		                j->familiar_repo ?: j->ref, msg);
	else
		api_reply_error(req, job_status(j), "%s", msg);
}

/* Run the job; the reply is its stream once the first message is out, or
 * its error when it failed before saying anything. Takes j. */
static void job_run(struct api_request *req, struct job *j)
{
	bool started;

	if (pthread_create(&j->worker, NULL, job_thread, j) != 0) {
		job_free(j);
		api_reply_error(req, 500, "cannot start a thread for the transfer");
		return;
	}
	j->worker_started = true;
	pthread_mutex_lock(&j->lock);
	while (!j->started && !j->done)
		pthread_cond_wait(&j->cond, &j->lock);
	started = j->started;
	pthread_mutex_unlock(&j->lock);
	if (!started) {
		pthread_join(j->worker, NULL);
		j->worker_started = false;
		if (j->result < 0)
			job_reply_error(req, j);
		else
			api_reply_data(req, 200, "application/json", "", 0);
		job_free(j);
		return;
	}
	api_reply_stream(req, 200, "application/json", job_producer, j, job_free);
}

/* ---- references ---- */

/* True when s names a tag or a digest itself ("a:1", "h:5000/a@sha256:…"),
 * not just a repository ("h:5000/a"). */
static bool ref_has_tag(const char *s)
{
	const char *last = strrchr(s, '/');

	return strchr(s, '@') || strchr(last ? last : s, ':');
}

/* What dockerd makes of fromImage and tag: a tag, a digest (tag may
 * carry one, as the docker CLI sends it), or no tag at all (every tag).
 * The registry client gets the familiar form ("busybox:latest"), which
 * its messages then show as dockerd's do. */
static int pull_ref(struct job *j, const char *image, const char *tag, struct image_ref *r,
                    struct husk_error **err)
{
	if (image_ref_parse(image, r, err) < 0)
		return -EINVAL;
	j->familiar_repo = image_ref_familiar_repository(r);
	if (!j->familiar_repo)
		return error_set(err, ENOMEM, "out of memory");
	if (!isempty(tag)) {
		bool digest = strchr(tag, ':') != NULL;

		j->ref = str_printf("%s%c%s", j->familiar_repo, digest ? '@' : ':', tag);
		j->line_id = strdup(tag);
	} else if (!ref_has_tag(image)) {
		j->flags |= REGISTRY_PULL_ALL_TAGS;
		j->ref = strdup(j->familiar_repo);
	} else {
		j->ref = image_ref_familiar(r);
		j->line_id = r->tag && !r->has_digest ? strdup(r->tag) : strdup(r->digest.str);
	}
	if (!j->ref || (!j->line_id && !(j->flags & REGISTRY_PULL_ALL_TAGS)))
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* ---- handlers ---- */

void h_images_pull(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *server = NULL;
	struct image_ref r = {0};
	struct registry_auth auth = {0};
	const char *platform = api_query(req, "platform");
	struct job *j = job_new(req, false);

	if (!j) {
		api_reply_error(req, 500, "out of memory");
		return;
	}
	/* dockerd: for a pull it is not an error if no (or bad) auth was given */
	if (api_registry_auth_decode(api_header(req, "X-Registry-Auth"), &auth, &server, &err) <
	    0) {
		log_debug("pull: %s: pulling anonymously", error_message(err));
		error_free(TAKE_PTR(err));
	}
	if (pull_ref(j, api_query(req, "fromImage"), api_query(req, "tag"), &r, &err) < 0 ||
	    options_init(j->engine, &j->insecure, &j->mirrors, &j->opts, &err) < 0 ||
	    job_auth(j, &auth, server, r.domain, &err) < 0 ||
	    (!isempty(platform) && !(j->platform = strdup(platform)) &&
	     error_set(&err, ENOMEM, "out of memory"))) {
		auth_clear(&auth);
		image_ref_release(&r);
		job_free(j);
		api_reply_husk_error(req, err);
		return;
	}
	image_ref_release(&r);
	job_run(req, j);
}

/* The credentials of a push: the header, else (the old API) the body. */
static int push_auth(struct api_request *req, struct registry_auth *auth, char **server,
                     struct husk_error **err)
{
	const char *h = api_header(req, "X-Registry-Auth");
	_cleanup_json_ json_t *body = NULL;
	size_t len = 0;

	if (!isempty(h))
		return api_registry_auth_decode(h, auth, server, err);
	api_body(req, &len);
	if (len == 0)
		return 0;
	if (!(body = api_body_json(req)))
		return -EINVAL; /* replied */
	return auth_from_json(body, "request body", auth, server, err);
}

void h_image_push(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *server = NULL;
	const char *name = api_param(req, "name"), *tag = api_query(req, "tag");
	struct registry_auth auth = {0};
	struct image_ref r = {0};
	struct job *j = job_new(req, true);
	int rc;

	if (!j) {
		api_reply_error(req, 500, "out of memory");
		return;
	}
	rc = push_auth(req, &auth, &server, &err);
	if (rc == 0 && image_ref_parse(name, &r, &err) == 0) {
		j->familiar_repo = image_ref_familiar_repository(&r);
		if (!j->familiar_repo)
			j->ref = NULL;
		else if (!isempty(tag))
			j->ref = str_printf("%s:%s", j->familiar_repo, tag);
		else
			j->ref = ref_has_tag(name) ? image_ref_familiar(&r)
			                           : strdup(j->familiar_repo);
		if (!j->ref || !j->familiar_repo)
			rc = error_set(&err, ENOMEM, "out of memory");
	} else if (rc == 0)
		rc = -EINVAL;
	if (rc == 0)
		rc = options_init(j->engine, &j->insecure, &j->mirrors, &j->opts, &err);
	if (rc == 0)
		rc = job_auth(j, &auth, server, r.domain, &err);
	image_ref_release(&r);
	auth_clear(&auth);
	if (rc < 0) {
		job_free(j);
		if (err)
			api_reply_husk_error(req, err);
		return;
	}
	job_run(req, j);
}

void h_auth(struct api_request *req)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *body = api_body_json(req);
	_cleanup_free_ char *server = NULL, *token = NULL;
	_cleanup_strv_ char **insecure = NULL, **mirrors = NULL;
	struct registry_auth auth = {0};
	struct registry_options o;
	unsigned status;

	if (!body)
		return; /* replied */
	if (auth_from_json(body, "request body", &auth, &server, &err) < 0 ||
	    options_init(api_ctx(req), &insecure, &mirrors, &o, &err) < 0 ||
	    registry_login(&o, isempty(server) ? NULL : server, &auth, &token, &err) < 0) {
		auth_clear(&auth);
		switch (error_code(err)) {
		case EACCES:
			status = 401;
			break;
		case EINVAL:
			status = 400;
			break;
		default:
			status = 500;
		}
		api_reply_error(req, status, "%s", error_message(err));
		return;
	}
	auth_clear(&auth);
	api_reply_json(
	        req, 200,
	        json_pack("{s:s, s:s}", "IdentityToken", token ?: "", "Status", "Login Succeeded"));
	secret_free(TAKE_PTR(token));
}
