/* import.c — a root filesystem tar made into a one-layer image, as `docker
 * import` does: the tar is gzip-compressed into a store blob (blob digest
 * and diff ID in the same pass), unpacked, and described by a config for
 * this host with the --change instructions applied. Also the parser of
 * those instructions, which commit shares. */
#include "image/transfer.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"
#include "base/json.h"
#include "base/str.h"
#include "base/timefmt.h"
#include "image/manifest.h"
#include "image/reference.h"

#define CHANGE_MAX      (64u << 10) /* bytes of one --change */
#define EXPOSE_MAX_SPAN 65536       /* ports of one EXPOSE range */
#define IMPORT_IO_BUF   (1u << 20)

/* ---- --change: Dockerfile instructions on a config ---- */

/* Words of s as a Dockerfile splits them: white space separates, quotes
 * group (and are removed), a backslash escapes outside single quotes. */
static int words_split(const char *s, char ***ret)
{
	_cleanup_strv_ char **v = strv_new();
	struct strbuf w = {0};
	bool in_word = false;
	char q = 0;

	if (!v)
		return -ENOMEM;
	for (const char *p = s;; p++) {
		if (!*p || (!q && isspace((unsigned char)*p))) {
			if (in_word && strv_push_take(&v, strbuf_steal(&w)) < 0)
				return -ENOMEM;
			in_word = false;
			if (!*p)
				break;
			continue;
		}
		in_word = true;
		if (q && *p == q)
			q = 0;
		else if (!q && (*p == '"' || *p == '\''))
			q = *p;
		else if (*p == '\\' && q != '\'' && p[1]) {
			if (strbuf_append(&w, ++p, 1) < 0)
				return -ENOMEM;
		} else if (strbuf_append(&w, p, 1) < 0)
			return -ENOMEM;
	}
	strbuf_release(&w);
	if (q)
		return -EINVAL; /* unterminated quote */
	*ret = TAKE_PTR(v);
	return 0;
}

/* The JSON (exec) form ["a", "b"], or NULL when rest is not one. */
static json_t *json_form(const char *rest)
{
	json_t *j, *item;
	size_t i;

	if (rest[0] != '[')
		return NULL;
	j = json_loads(rest, 0, NULL);
	if (!json_is_array(j)) {
		json_decref(j);
		return NULL;
	}
	json_array_foreach (j, i, item)
		if (!json_is_string(item)) {
			json_decref(j);
			return NULL;
		}
	return j;
}

/* CMD / ENTRYPOINT / HEALTHCHECK CMD: exec form, or the shell form
 * ["/bin/sh", "-c", rest]. */
static json_t *command_form(const char *rest)
{
	json_t *j = json_form(rest);

	return j ? j : json_pack("[s, s, s]", "/bin/sh", "-c", rest);
}

static int set_key(json_t *cfg, const char *key, json_t *v)
{
	return v ? json_object_set_new(cfg, key, v) : -ENOMEM;
}

/* Set name=value in the "Env" list, replacing an earlier value. */
static int env_set(json_t *cfg, const char *name, const char *value)
{
	json_t *env = json_object_get(cfg, "Env"), *item;
	_cleanup_free_ char *kv = str_printf("%s=%s", name, value);
	size_t i, n = strlen(name);

	if (!kv)
		return -ENOMEM;
	if (!json_is_array(env) && set_key(cfg, "Env", env = json_array()) < 0)
		return -ENOMEM;
	json_array_foreach (env, i, item) {
		const char *s = json_string_value(item);
		if (s && strncmp(s, name, n) == 0 && s[n] == '=')
			return json_array_set_new(env, i, json_string(kv));
	}
	return json_array_append_new(env, json_string(kv));
}

static int map_set(json_t *cfg, const char *key, const char *name, json_t *v)
{
	json_t *m = json_object_get(cfg, key);

	if (!json_is_object(m) && set_key(cfg, key, m = json_object()) < 0)
		return -ENOMEM;
	return json_object_set_new(m, name, v);
}

/* KEY=VALUE pairs (ENV, LABEL); ENV also takes the old "KEY VALUE" form. */
static int pairs_apply(json_t *cfg, const char *rest, bool env, struct husk_error **err)
{
	_cleanup_strv_ char **w = NULL;
	int r;

	if (words_split(rest, &w) < 0 || !w[0])
		return error_set(err, EINVAL, "expected KEY=VALUE");
	if (env && !strchr(w[0], '=')) {
		const char *value = rest + strcspn(rest, " \t");

		value += strspn(value, " \t");
		if (!*value)
			return error_set(err, EINVAL, "ENV names a variable without a value");
		return env_set(cfg, w[0], value) < 0 ? error_set(err, ENOMEM, "out of memory") : 0;
	}
	STRV_FOREACH (p, w) {
		char *eq = strchr(*p, '=');

		if (!eq || eq == *p)
			return error_set(err, EINVAL, "\"%s\": expected KEY=VALUE", *p);
		*eq = 0;
		r = env ? env_set(cfg, *p, eq + 1)
		        : map_set(cfg, "Labels", *p, json_string(eq + 1));
		if (r < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int expose_one(json_t *cfg, const char *spec, struct husk_error **err)
{
	_cleanup_free_ char *port = strdup(spec);
	char *proto = port ? strchr(port, '/') : NULL, *dash;
	uint64_t lo, hi;
	char key[32];

	if (!port)
		return error_set(err, ENOMEM, "out of memory");
	if (proto)
		*proto++ = 0;
	if (proto && !streq(proto, "tcp") && !streq(proto, "udp") && !streq(proto, "sctp"))
		return error_set(err, EINVAL, "invalid proto \"%s\"", proto);
	dash = strchr(port, '-');
	if (dash)
		*dash++ = 0;
	if (str_to_uint64(port, &lo) < 0 || (dash && str_to_uint64(dash, &hi) < 0) || lo == 0 ||
	    lo > 65535 || (dash && (hi < lo || hi > 65535)))
		return error_set(err, EINVAL, "invalid port \"%s\"", spec);
	for (uint64_t p = lo; p <= (dash ? hi : lo); p++) {
		snprintf(key, sizeof(key), "%llu/%s", (unsigned long long)p, proto ?: "tcp");
		if (map_set(cfg, "ExposedPorts", key, json_object()) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int words_apply(json_t *cfg, const char *rest, bool expose, struct husk_error **err)
{
	_cleanup_json_ json_t *j = expose ? NULL : json_form(rest);
	_cleanup_strv_ char **w = NULL;
	json_t *item;
	size_t i;
	int r;

	if (j) {
		json_array_foreach (j, i, item)
			if (map_set(cfg, "Volumes", json_string_value(item), json_object()) < 0)
				return error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	if (words_split(rest, &w) < 0 || !w[0])
		return error_set(err, EINVAL, "expected at least one argument");
	STRV_FOREACH (p, w) {
		if (expose)
			r = expose_one(cfg, *p, err);
		else
			r = map_set(cfg, "Volumes", *p, json_object()) < 0
			            ? error_set(err, ENOMEM, "out of memory")
			            : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

/* A relative WORKDIR is relative to the one before, as in a Dockerfile. */
static int workdir_apply(json_t *cfg, const char *rest, struct husk_error **err)
{
	const char *cur = json_string_value(json_object_get(cfg, "WorkingDir"));
	_cleanup_free_ char *dir = NULL;

	if (rest[0] == '/')
		dir = strdup(rest);
	else
		dir = str_printf("%s/%s", isempty(cur) ? "" : cur, rest);
	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	return set_key(cfg, "WorkingDir", json_string(dir)) < 0
	               ? error_set(err, ENOMEM, "out of memory")
	               : 0;
}

static int healthcheck_apply(json_t *cfg, const char *rest, struct husk_error **err)
{
	const char *cmd;
	json_t *test;

	if (strcasecmp(rest, "NONE") == 0)
		test = json_pack("[s]", "NONE");
	else if ((cmd = startswith(rest, "CMD ")) || (cmd = startswith(rest, "cmd "))) {
		_cleanup_json_ json_t *exec = json_form(cmd + strspn(cmd, " \t"));
		test = exec ? json_pack("[s]", "CMD") : json_pack("[s, s]", "CMD-SHELL", cmd);
		if (exec && test && json_array_extend(test, exec) < 0)
			return error_set(err, ENOMEM, "out of memory");
	} else
		return error_set(err, EINVAL, "expected NONE or CMD (options are not supported)");
	return set_key(cfg, "Healthcheck", json_pack("{s:o}", "Test", test)) < 0
	               ? error_set(err, ENOMEM, "out of memory")
	               : 0;
}

static int change_apply(json_t *cfg, const char *word, const char *rest, struct husk_error **err)
{
	if (strcasecmp(word, "CMD") == 0 || strcasecmp(word, "ENTRYPOINT") == 0)
		return set_key(cfg, strcasecmp(word, "CMD") == 0 ? "Cmd" : "Entrypoint",
		               command_form(rest)) < 0
		               ? error_set(err, ENOMEM, "out of memory")
		               : 0;
	if (strcasecmp(word, "ENV") == 0 || strcasecmp(word, "LABEL") == 0)
		return pairs_apply(cfg, rest, strcasecmp(word, "ENV") == 0, err);
	if (strcasecmp(word, "EXPOSE") == 0 || strcasecmp(word, "VOLUME") == 0)
		return words_apply(cfg, rest, strcasecmp(word, "EXPOSE") == 0, err);
	if (strcasecmp(word, "WORKDIR") == 0)
		return workdir_apply(cfg, rest, err);
	if (strcasecmp(word, "USER") == 0 || strcasecmp(word, "STOPSIGNAL") == 0)
		return set_key(cfg, strcasecmp(word, "USER") == 0 ? "User" : "StopSignal",
		               json_string(rest)) < 0
		               ? error_set(err, ENOMEM, "out of memory")
		               : 0;
	if (strcasecmp(word, "ONBUILD") == 0) {
		json_t *v = json_object_get(cfg, "OnBuild");
		if (!json_is_array(v) && set_key(cfg, "OnBuild", v = json_array()) < 0)
			return error_set(err, ENOMEM, "out of memory");
		return json_array_append_new(v, json_string(rest)) < 0
		               ? error_set(err, ENOMEM, "out of memory")
		               : 0;
	}
	if (strcasecmp(word, "HEALTHCHECK") == 0)
		return healthcheck_apply(cfg, rest, err);
	return error_set(err, EINVAL,
	                 "unknown instruction \"%s\": expected CMD, ENTRYPOINT, ENV, EXPOSE, "
	                 "HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME or WORKDIR",
	                 word);
}

int image_changes_apply(json_t *config, char *const *changes, struct husk_error **err)
{
	STRV_FOREACH (c, changes) {
		_cleanup_free_ char *line = str_strip(*c);
		char *rest;
		int r;

		if (!line)
			return error_set(err, ENOMEM, "out of memory");
		if (strlen(line) > CHANGE_MAX)
			return error_set(err, EINVAL, "invalid change: longer than %u bytes",
			                 CHANGE_MAX);
		rest = line + strcspn(line, " \t");
		if (*rest)
			*rest++ = 0;
		rest += strspn(rest, " \t");
		if (!*line || !*rest)
			r = error_set(err, EINVAL, "%s requires an argument",
			              *line ? line : "an instruction");
		else
			r = change_apply(config, line, rest, err);
		if (r < 0)
			return error_wrap(err, "invalid change \"%s\"", *c);
	}
	return 0;
}

/* ---- the layer: gzip'd into a blob writer by a compressing thread ---- */

struct compress_job {
	int in_fd, out_fd;
	int result;
	struct layer_stats stats;
	struct husk_error *err;
};

static void *compress_thread(void *p)
{
	struct compress_job *j = p;

	j->result = layer_compress(j->in_fd, j->out_fd, ARCHIVE_GZIP, &j->stats, &j->err);
	j->out_fd = safe_close(j->out_fd); /* EOF for the reader */
	return NULL;
}

/* Copy the pipe to the blob writer; on a write error keep draining, so
 * that the compressor never meets a closed pipe. */
static int pipe_to_blob(int fd, struct blob_writer *w, struct husk_error **err)
{
	_cleanup_free_ uint8_t *buf = malloc(IMPORT_IO_BUF);
	int r = buf ? 0 : error_set(err, ENOMEM, "out of memory");
	ssize_t n;

	while (buf && (n = RETRY_EINTR(read(fd, buf, IMPORT_IO_BUF))) != 0) {
		if (n < 0)
			return r ?: error_set_errno(err, errno, "read the compressed layer");
		if (r == 0)
			r = blob_writer_write(w, buf, n, err);
	}
	return r;
}

static int layer_store(struct store *s, int in_fd, struct store_lease *lease,
                       struct layer_stats *st, struct husk_error **err)
{
	struct compress_job job = {.in_fd = in_fd, .out_fd = -1};
	struct blob_writer *w = NULL;
	_cleanup_close_ int rd = -1;
	struct digest got;
	pthread_t t;
	int p[2], r;

	r = store_blob_writer(s, NULL, -1, lease, &w, err);
	if (r < 0)
		return r;
	if (pipe2(p, O_CLOEXEC) < 0) {
		blob_writer_abort(w);
		return error_set_errno(err, errno, "pipe");
	}
	rd = p[0];
	job.out_fd = p[1];
	if (pthread_create(&t, NULL, compress_thread, &job) != 0) {
		safe_close(p[1]);
		blob_writer_abort(w);
		return error_set(err, EAGAIN, "cannot start a thread");
	}
	r = pipe_to_blob(rd, w, err);
	pthread_join(t, NULL);
	if (r == 0 && job.result < 0) {
		r = error_set(err, error_code(job.err), "%s", error_message(job.err));
		error_wrap(err, "read the root filesystem tar");
	}
	error_free(job.err);
	if (r < 0) {
		blob_writer_abort(w);
		return r;
	}
	r = blob_writer_commit(w, &got, NULL, err);
	if (r == 0 && !digest_equal(&got, &job.stats.blob))
		r = error_set(err, EIO, "layer %s: stored as %s", job.stats.blob.str, got.str);
	*st = job.stats;
	return r;
}

/* ---- the config, the manifest, the record ---- */

static json_t *import_config(const char *created, const struct digest *diff_id, const char *comment,
                             json_t *cfg, struct husk_error **err)
{
	struct platform p = {0};
	json_t *j;
	int r = platform_host(&p);

	if (r < 0)
		return error_set_errno(err, -r, "cannot tell this host's platform"), NULL;
	j = json_pack("{s:s, s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "architecture",
	              p.architecture, "os", p.os, "created", created, "comment", comment, "config",
	              cfg, "rootfs", "type", "layers", "diff_ids", diff_id->str, "history",
	              "created", created, "comment", comment);
	if (j && p.variant && json_object_set_new(j, "variant", json_string(p.variant)) < 0)
		j = (json_decref(j), NULL);
	platform_release(&p);
	if (!j)
		error_set(err, ENOMEM, "out of memory");
	return j;
}

static int store_json(struct store *s, json_t *j, struct store_lease *lease, struct digest *ret,
                      size_t *ret_len, struct husk_error **err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);

	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	*ret_len = strlen(text);
	return store_blob_put(s, text, *ret_len, lease, ret, err);
}

static int import_record(struct store *s, const struct layer_stats *st, json_t *config,
                         struct store_lease *lease, const char *full, struct digest *ret_id,
                         struct husk_error **err)
{
	struct descriptor cd = {.media_type = (char *)MEDIA_TYPE_OCI_CONFIG};
	struct descriptor ld = {.media_type = (char *)MEDIA_TYPE_OCI_LAYER_GZIP,
	                        .digest = st->blob,
	                        .size = (int64_t)st->compressed_size};
	_cleanup_free_ char *manifest = NULL;
	struct digest md;
	size_t len = 0;
	int r;

	r = store_json(s, config, lease, &cd.digest, &len, err);
	if (r < 0)
		return r;
	cd.size = (int64_t)len;
	manifest = manifest_build(&cd, &ld, 1, MEDIA_TYPE_OCI_MANIFEST, NULL);
	if (!manifest)
		return error_set(err, ENOMEM, "out of memory");
	r = store_blob_put(s, manifest, strlen(manifest), lease, &md, err);
	if (r == 0)
		r = store_image_add(s, &cd.digest, &md, MEDIA_TYPE_OCI_MANIFEST, strlen(manifest),
		                    err);
	if (r == 0 && full)
		r = store_tag(s, full, &cd.digest, err);
	if (r == 0 && ret_id)
		*ret_id = cd.digest;
	return r;
}

/* The full tag reference of ref ("docker.io/library/x:latest"), NULL for
 * no ref. */
static int import_ref(const char *ref, char **ret, struct husk_error **err)
{
	struct image_ref r = {0};
	_cleanup_free_ char *repo = NULL;

	*ret = NULL;
	if (isempty(ref))
		return 0;
	if (image_ref_parse(ref, &r, err) < 0)
		return -EINVAL;
	if (r.has_digest) {
		image_ref_release(&r);
		return error_set(err, EINVAL, "invalid reference \"%s\": cannot import to a digest",
		                 ref);
	}
	repo = image_ref_repository(&r);
	*ret = repo ? str_printf("%s:%s", repo, r.tag) : NULL;
	image_ref_release(&r);
	return *ret ? 0 : error_set(err, ENOMEM, "out of memory");
}

static char *now_rfc3339(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return rfc3339_format(&ts);
}

int image_import(struct store *s, int in_fd, const char *ref, char *const *changes,
                 const char *message, struct digest *ret_id, struct husk_error **err)
{
	_cleanup_(store_lease_endp) struct store_lease *lease = NULL;
	_cleanup_free_ char *full = NULL, *created = now_rfc3339();
	_cleanup_json_ json_t *cfg = json_object(), *config = NULL;
	_cleanup_close_ int fd = -1;
	struct layer_stats st = {0};
	int r;

	if (!created || !cfg)
		return error_set(err, ENOMEM, "out of memory");
	/* bad changes and references fail before any input is read */
	r = import_ref(ref, &full, err);
	if (r == 0)
		r = image_changes_apply(cfg, changes, err);
	if (r == 0)
		r = store_lease_begin(s, &lease, err);
	if (r == 0)
		r = layer_store(s, in_fd, lease, &st, err);
	if (r == 0 && (fd = store_blob_open(s, &st.blob, err)) < 0)
		r = fd;
	if (r == 0)
		r = store_layer_ensure(s, &st.diff_id, NULL, fd, &st.blob, &st.diff_id, lease, err);
	if (r < 0)
		return r;
	config = import_config(created, &st.diff_id, isempty(message) ? "Imported from -" : message,
	                       cfg, err);
	if (!config)
		return -ENOMEM;
	return import_record(s, &st, config, lease, full, ret_id, err);
}
