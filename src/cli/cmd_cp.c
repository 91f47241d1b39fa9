/* cmd_cp.c — husk cp, export, diff (see cmd_cp.h). The path rules are
 * those of the docker CLI (cli/command/container/cp.go and
 * pkg/archive/copy.go), step for step, so that the same command copies to
 * the same place and fails with the same words. */
#include "cli/cmd_cp.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/client.h"
#include "base/base64.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

extern char **environ;

#define GO_MODE_DIR       (UINT32_C(1) << 31)
#define GO_MODE_SYMLINK   (UINT32_C(1) << 27)
#define GO_MODE_DEVICE    (UINT32_C(1) << 26)
#define GO_MODE_IRREGULAR (UINT32_C(1) << 19)
#define PATH_STAT_MAX     (16u << 10)
#define CP_LINKS_MAX      10
#define CP_BUF            (256u << 10)

const struct flag_spec cli_cp_flags[] = {
        {"archive", 'a', FLAG_BOOL, NULL, "Archive mode (copy all uid/gid information)", NULL},
        {"follow-link", 'L', FLAG_BOOL, NULL, "Always follow symbol link in SRC_PATH", NULL},
        {"quiet", 'q', FLAG_BOOL, NULL,
         "Suppress progress output during copy. Progress output is automatically suppressed if "
         "no terminal is attached",
         NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

const struct flag_spec cli_export_flags[] = {
        {"output", 'o', FLAG_STRING, NULL, "Write to a file, instead of STDOUT", NULL},
        {NULL, 0, 0, NULL, NULL, NULL},
};

/* ---- Go's path functions ---- */

char *cp_clean(const char *p)
{
	bool rooted = p[0] == '/';
	_cleanup_strv_ char **parts = strv_split(p, "/");
	_cleanup_strv_ char **out = strv_new();
	_cleanup_free_ char *joined = NULL;
	size_t n = 0;

	if (!parts || !out)
		return NULL;
	STRV_FOREACH (e, parts) {
		if (isempty(*e) || streq(*e, "."))
			continue;
		n = strv_length(out);
		if (streq(*e, "..") && n > 0 && !streq(out[n - 1], "..")) {
			free(out[n - 1]);
			out[n - 1] = NULL;
		} else if (!streq(*e, "..") || !rooted) {
			if (strv_push(&out, *e) < 0)
				return NULL;
		}
	}
	joined = strv_join(out, "/");
	if (!joined)
		return NULL;
	if (!*joined)
		return strdup(rooted ? "/" : ".");
	return rooted ? str_printf("/%s", joined) : TAKE_PTR(joined);
}

char *cp_base(const char *p)
{
	size_t n = strlen(p);
	const char *slash;

	while (n > 0 && p[n - 1] == '/')
		n--;
	if (!*p)
		return strdup(".");
	if (n == 0)
		return strdup("/");
	slash = memrchr(p, '/', n);
	return slash ? strndup(slash + 1, n - (size_t)(slash + 1 - p)) : strndup(p, n);
}

char *cp_dir(const char *p)
{
	const char *slash = strrchr(p, '/');
	_cleanup_free_ char *head = slash ? strndup(p, (size_t)(slash - p) + 1) : strdup("");

	return head ? cp_clean(head) : NULL;
}

static bool trailing_sep(const char *p)
{
	return *p && p[strlen(p) - 1] == '/';
}

static bool current_dir(const char *p)
{
	_cleanup_free_ char *b = cp_base(p);
	return b && streq(b, ".");
}

static bool asserts_dir(const char *p)
{
	return trailing_sep(p) || current_dir(p);
}

/* SplitPathDirEntry: the clean path's directory and base, "d/." kept as
 * base ".". */
static int split_dir_entry(const char *p, char **ret_dir, char **ret_base)
{
	_cleanup_free_ char *c = cp_clean(p), *full = NULL;

	if (!c || !(full = current_dir(p) ? str_printf("%s/.", streq(c, "/") ? "" : c) : strdup(c)))
		return -ENOMEM;
	*ret_dir = cp_dir(full);
	*ret_base = cp_base(full);
	return *ret_dir && *ret_base ? 0 : -ENOMEM;
}

/* PreserveTrailingDotOrSeparator. */
static char *preserve_trailing(const char *cleaned, const char *original)
{
	bool dot = !current_dir(cleaned) && current_dir(original);
	bool sep = trailing_sep(cleaned) || (!dot && trailing_sep(original));

	return str_printf("%s%s%s", cleaned, dot && !trailing_sep(cleaned) ? "/" : "",
	                  dot ? "." : (sep && !trailing_sep(cleaned) ? "/" : ""));
}

/* GetRebaseName: the followed path with the original's trailing "/" or
 * "/." kept, and the name the tar's top entry must get back (or NULL). */
static int rebase_name(const char *path, const char *resolved, char **ret_path, char **ret_rebase)
{
	_cleanup_free_ char *r = preserve_trailing(resolved, path), *a = NULL, *b = NULL;

	if (!r || !(a = cp_base(path)) || !(b = cp_base(r)))
		return -ENOMEM;
	*ret_rebase = streq(a, b) ? NULL : TAKE_PTR(a);
	*ret_path = TAKE_PTR(r);
	return 0;
}

/* The absolute local path, trailing "/" or "/." kept. */
static char *resolve_local(const char *p)
{
	char cwd[PATH_MAX];
	_cleanup_free_ char *abs = NULL, *c = NULL;

	if (p[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return NULL;
	abs = p[0] == '/' ? strdup(p) : str_printf("%s/%s", cwd, p);
	c = abs ? cp_clean(abs) : NULL;
	return c ? preserve_trailing(c, p) : NULL;
}

/* *path made absolute in place, unless it is "-". */
static int make_absolute(char **path, struct husk_error **err)
{
	char *abs;

	if (streq(*path, "-"))
		return 0;
	if (!(abs = resolve_local(*path)))
		return error_set(err, ENOMEM, "out of memory");
	free(*path);
	*path = abs;
	return 0;
}

/* Go's lower-case errno words ("lstat /x: no such file or directory"). */
static int go_error(struct husk_error **err, int code, const char *op, const char *path)
{
	char text[128];

	snprintf(text, sizeof(text), "%s", strerror(code));
	if (text[0] >= 'A' && text[0] <= 'Z')
		text[0] = (char)(text[0] + 32);
	return error_set(err, code, "%s %s: %s", op, path, text);
}

/* ---- the daemon's side ---- */

struct path_stat {
	bool ok;
	uint32_t mode; /* Go's os.FileMode */
	char *link_target;
};

static void path_stat_release(struct path_stat *s)
{
	free(s->link_target);
	*s = (struct path_stat){0};
}

static int parse_path_stat(const char *header, struct path_stat *ret)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_int_t mode = 0;
	const char *link = NULL;
	size_t len;

	if (isempty(header) || base64_decode(header, PATH_STAT_MAX, &text, &len) < 0 ||
	    !(j = json_loadb(text, len, 0, NULL)) ||
	    json_unpack(j, "{s?I, s?s}", "mode", &mode, "linkTarget", &link) < 0)
		return -EINVAL;
	ret->ok = true;
	ret->mode = (uint32_t)mode;
	ret->link_target = strdup(link ? link : "");
	return ret->link_target ? 0 : -ENOMEM;
}

static char *archive_query(const char *container, const char *path, const char *extra)
{
	_cleanup_free_ char *c = api_client_escape(container), *p = api_client_escape(path);

	return c && p ? str_printf("/containers/%s/archive?path=%s%s", c, p, extra ? extra : "")
	              : NULL;
}

/* HEAD …/archive: ret->ok false when the daemon said no (docker ignores
 * why: the copy that follows fails with the daemon's words). */
static int stat_path(struct api_client *c, const char *container, const char *path,
                     struct path_stat *ret)
{
	_cleanup_free_ char *q = archive_query(container, path, NULL);
	_cleanup_error_ struct husk_error *e = NULL;
	_cleanup_(api_conn_freep) struct api_conn *k = NULL;

	*ret = (struct path_stat){0};
	if (!q)
		return -ENOMEM;
	if (api_client_open(c, "HEAD", q, NULL, NULL, &k, &e) < 0)
		return 0;
	return parse_path_stat(api_conn_path_stat(k), ret) == -ENOMEM ? -ENOMEM : 0;
}

/* ---- GNU tar ---- */

/* A regex (sed BRE) matching s literally, with ',' escaped (the
 * delimiter). */
static int bre_escape(struct strbuf *sb, const char *s, bool replacement)
{
	for (; *s; s++) {
		const char *special = replacement ? "\\&," : "\\.*[]^$,";
		if (strchr(special, *s) && strbuf_puts(sb, "\\") < 0)
			return -ENOMEM;
		if (strbuf_append(sb, s, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* --transform renaming the top entry old (and all below it) to new;
 * symlink targets untouched (S), hard link targets too (RebaseArchiveEntries). */
static char *rebase_transform(const char *old, const char *new)
{
	struct strbuf sb = {0};

	if (strbuf_puts(&sb, "--transform=s,^") < 0 || bre_escape(&sb, old, false) < 0 ||
	    strbuf_puts(&sb, "\\(/.*\\)\\?$,") < 0 || bre_escape(&sb, new, true) < 0 ||
	    strbuf_puts(&sb, "\\1,S") < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_steal(&sb);
}

/* Start tar with argv; *ret_fd is the pipe to its stdin (extract) or from
 * its stdout (create). */
static int tar_spawn(char **argv, bool extract, pid_t *ret_pid, int *ret_fd,
                     struct husk_error **err)
{
	posix_spawn_file_actions_t fa;
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return error_set_errno(err, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, extract ? p[0] : p[1], extract ? 0 : 1);
	r = posix_spawnp(ret_pid, "tar", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(extract ? p[0] : p[1]);
	if (r != 0) {
		close(extract ? p[1] : p[0]);
		return error_set_errno(err, r, "run tar");
	}
	*ret_fd = extract ? p[1] : p[0];
	return 0;
}

static int tar_wait(pid_t pid, struct husk_error **err)
{
	int status;

	if (RETRY_EINTR(waitpid(pid, &status, 0)) < 0)
		return error_set_errno(err, errno, "wait for tar");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_set(err, EIO, "tar failed (status %d)",
		                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

/* ---- from a container ---- */

/* CopyInfoDestinationPath: the local destination, its symlinks followed. */
struct dst_info {
	char *path;
	bool exists, is_dir;
};

/* One symlink hop of a local path: the target joined to the link's
 * directory, cleaned. */
static int follow_once(const char *p, char **ret, struct husk_error **err)
{
	_cleanup_free_ char *dir = NULL, *base = NULL, *joined = NULL;
	char target[PATH_MAX];
	ssize_t len = readlink(p, target, sizeof(target) - 1);

	if (len < 0)
		return go_error(err, errno, "readlink", p);
	target[len] = 0;
	if (split_dir_entry(p, &dir, &base) < 0 ||
	    !(joined = target[0] == '/' ? strdup(target) : str_printf("%s/%s", dir, target)) ||
	    !(*ret = cp_clean(joined)))
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int dst_info(const char *path, struct dst_info *ret, struct husk_error **err)
{
	_cleanup_free_ char *p = strdup(path), *dir = NULL, *base = NULL;
	struct stat st;
	int n = 0, r;

	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	while (lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *next = NULL;

		if (++n > CP_LINKS_MAX)
			return error_set(err, ELOOP, "too many symlinks in %s", path);
		if ((r = follow_once(p, &next, err)) < 0)
			return r;
		free(p);
		p = next;
	}
	if (lstat(p, &st) == 0) {
		*ret = (struct dst_info){TAKE_PTR(p), true, S_ISDIR(st.st_mode)};
		return 0;
	}
	if (errno != ENOENT)
		return go_error(err, errno, "lstat", p);
	if (split_dir_entry(p, &dir, &base) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (stat(dir, &st) < 0)
		return go_error(err, errno, "stat", dir);
	if (!S_ISDIR(st.st_mode))
		return error_set(err, ENOTDIR, "not a directory");
	*ret = (struct dst_info){TAKE_PTR(p), false, false};
	return 0;
}

/* PrepareArchiveCopy: where to extract, and the name the tar's top entry
 * must get (*ret_name NULL: it keeps its own; rebase: what -L asks). */
static int prepare_copy(bool src_dir, const char *rebase, const struct dst_info *d, char **ret_dir,
                        char **ret_name, struct husk_error **err)
{
	_cleanup_free_ char *ddir = NULL, *dbase = NULL;

	*ret_name = NULL;
	if (split_dir_entry(d->path, &ddir, &dbase) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (d->exists && d->is_dir) {
		*ret_dir = strdup(d->path);
		*ret_name = rebase ? strdup(rebase) : NULL;
		return *ret_dir ? 0 : error_set(err, ENOMEM, "out of memory");
	}
	if (d->exists && src_dir)
		return error_set(err, EISDIR, "cannot copy directory");
	if (!d->exists && !src_dir && asserts_dir(d->path))
		return error_set(err, ENOENT, "no such directory");
	*ret_dir = TAKE_PTR(ddir);
	*ret_name = TAKE_PTR(dbase);
	return 0;
}

/* The response body into fd (to its end). */
static int pump_response(struct api_conn *k, int fd, struct husk_error **err)
{
	_cleanup_free_ char *buf = malloc(CP_BUF);
	ssize_t n;
	int r;

	if (!buf)
		return error_set(err, ENOMEM, "out of memory");
	while ((n = api_conn_read(k, buf, CP_BUF, err)) > 0)
		if ((r = write_all(fd, buf, (size_t)n)) < 0)
			return error_set_errno(err, -r, "write");
	return (int)n;
}

static int extract_local(struct api_conn *k, const char *dir, const char *old, const char *new,
                         struct husk_error **err)
{
	_cleanup_free_ char *xf = new ? rebase_transform(old, new) : NULL;
	char *argv[] = {"tar", "-x", "-f", "-", "-C", (char *)dir, "--no-same-owner", xf, NULL};
	_cleanup_close_ int fd = -1;
	pid_t pid;
	int r;

	if (new && !xf)
		return error_set(err, ENOMEM, "out of memory");
	r = tar_spawn(argv, true, &pid, &fd, err);
	if (r < 0)
		return r;
	signal(SIGPIPE, SIG_IGN);
	r = pump_response(k, fd, err);
	fd = safe_close(fd);
	return tar_wait(pid, r < 0 ? NULL : err) < 0 && r == 0 ? -EIO : r;
}

/* ValidateOutputPath. */
static int validate_output(const char *path, struct husk_error **err)
{
	_cleanup_free_ char *c = cp_clean(path), *dir = c ? cp_dir(c) : NULL;
	struct stat st;

	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	if (!streq(dir, ".") && stat(dir, &st) < 0 && errno == ENOENT)
		return error_set(err, ENOENT,
		                 "invalid output path: directory \"%s\" does not exist", dir);
	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
	    (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		return error_set(
		        err, EINVAL,
		        "invalid output path: \"%s\" must be a directory or a regular file: "
		        "got a device",
		        path);
	return 0;
}

struct cp_job {
	const char *container;
	char *src, *dst;
	bool follow, uid_gid;
};

/* -L: a symlink source is replaced by what it points to, the tar's top
 * entry renamed back. */
static int follow_source(struct api_client *c, struct cp_job *j, char **ret_rebase)
{
	_cleanup_free_ char *target = NULL, *dir = NULL, *base = NULL;
	struct path_stat st;
	char *resolved = NULL;
	int r = stat_path(c, j->container, j->src, &st);

	*ret_rebase = NULL;
	if (r < 0 || !st.ok || !(st.mode & GO_MODE_SYMLINK)) {
		path_stat_release(&st);
		return r;
	}
	if (st.link_target[0] != '/') {
		r = split_dir_entry(j->src, &dir, &base);
		target = r < 0 ? NULL : str_printf("%s/%s", dir, st.link_target);
		free(st.link_target);
		st.link_target = target ? cp_clean(target) : NULL;
	}
	if (!st.link_target || rebase_name(j->src, st.link_target, &resolved, ret_rebase) < 0) {
		path_stat_release(&st);
		return -ENOMEM;
	}
	path_stat_release(&st);
	free(j->src);
	j->src = resolved;
	return 0;
}

static int copy_from(struct cli *cli, struct api_client *c, struct cp_job *j,
                     struct husk_error **err)
{
	_cleanup_(api_conn_freep) struct api_conn *k = NULL;
	_cleanup_free_ char *rebase = NULL, *q = NULL, *dir = NULL, *new = NULL, *sdir = NULL,
	                    *sbase = NULL;
	struct dst_info d = {0};
	struct path_stat st = {0};
	int r;

	if ((r = make_absolute(&j->dst, err)) < 0)
		return r;
	if (!streq(j->dst, "-") && (r = validate_output(j->dst, err)) < 0)
		return r;
	if (j->follow && follow_source(c, j, &rebase) < 0)
		return error_set(err, ENOMEM, "out of memory");
	if (!(q = archive_query(j->container, j->src, NULL)))
		return error_set(err, ENOMEM, "out of memory");
	r = api_client_open(c, "GET", q, NULL, NULL, &k, err);
	if (r < 0)
		return r;
	if (streq(j->dst, "-")) {
		fflush(cli->out);
		return pump_response(k, STDOUT_FILENO, err);
	}
	if (parse_path_stat(api_conn_path_stat(k), &st) < 0)
		return error_set(err, EPROTO, "the daemon sent no valid path stat");
	r = dst_info(j->dst, &d, err);
	if (r == 0)
		r = prepare_copy(st.mode & GO_MODE_DIR, rebase, &d, &dir, &new, err);
	if (r == 0 && split_dir_entry(j->src, &sdir, &sbase) < 0)
		r = error_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = extract_local(k, dir, sbase, new, err);
	path_stat_release(&st);
	free(d.path);
	return r;
}

/* ---- into a container ---- */

/* ResolveHostSourcePath and CopyInfoSourcePath. */
static int src_info(const char *path, bool follow, char **ret_path, char **ret_rebase,
                    bool *ret_dir, struct husk_error **err)
{
	_cleanup_free_ char *dir = NULL, *base = NULL, *resolved = NULL;
	char real[PATH_MAX];
	struct stat st;
	const char *slash = strrchr(path, '/');

	*ret_rebase = NULL;
	if (follow) {
		if (!realpath(path, real))
			return go_error(err, errno, "lstat", path);
		if (rebase_name(path, real, &resolved, ret_rebase) < 0)
			return error_set(err, ENOMEM, "out of memory");
	} else {
		dir = strndup(path, slash ? (size_t)(slash - path) + 1 : 0);
		if (!dir)
			return error_set(err, ENOMEM, "out of memory");
		if (!realpath(*dir ? dir : ".", real))
			return go_error(err, errno, "lstat", dir);
		resolved = str_printf("%s/%s", real, slash ? slash + 1 : path);
		base = resolved ? cp_base(resolved) : NULL;
		if (!base)
			return error_set(err, ENOMEM, "out of memory");
		if (trailing_sep(path)) {
			_cleanup_free_ char *orig = cp_base(path);
			if (orig && !streq(orig, base))
				*ret_rebase = TAKE_PTR(orig);
		}
	}
	if (lstat(resolved, &st) < 0)
		return go_error(err, errno, "lstat", resolved);
	*ret_dir = S_ISDIR(st.st_mode);
	*ret_path = TAKE_PTR(resolved);
	return 0;
}

/* The destination in the container, its symlink followed once. */
static int container_dst(struct api_client *c, struct cp_job *j, struct dst_info *ret,
                         struct husk_error **err)
{
	struct path_stat st;
	int r = stat_path(c, j->container, j->dst, &st);

	*ret = (struct dst_info){strdup(j->dst), false, false};
	if (r == 0 && st.ok && (st.mode & GO_MODE_SYMLINK)) {
		_cleanup_free_ char *dir = NULL, *base = NULL;
		char *t = st.link_target[0] == '/' || split_dir_entry(j->dst, &dir, &base) < 0
		                  ? strdup(st.link_target)
		                  : str_printf("%s/%s", dir, st.link_target);
		free(ret->path);
		ret->path = t ? cp_clean(t) : NULL;
		free(t);
		path_stat_release(&st);
		if (ret->path)
			r = stat_path(c, j->container, ret->path, &st);
	}
	if (r < 0 || !ret->path)
		return error_set(err, ENOMEM, "out of memory");
	if (st.ok && (st.mode & (GO_MODE_DEVICE | GO_MODE_IRREGULAR))) {
		const char *why =
		        st.mode & GO_MODE_DEVICE ? "got a device" : "got an irregular file";
		path_stat_release(&st);
		return error_set(err, EINVAL,
		                 "destination \"%s:%s\" must be a directory or a regular file: %s",
		                 j->container, j->dst, why);
	}
	ret->exists = st.ok;
	ret->is_dir = st.ok && (st.mode & GO_MODE_DIR);
	path_stat_release(&st);
	return 0;
}

static int upload(struct api_client *c, struct cp_job *j, const char *dir, int fd,
                  struct husk_error **err)
{
	_cleanup_free_ char *q =
	        archive_query(j->container, dir,
	                      j->uid_gid ? "&noOverwriteDirNonDir=true&copyUIDGID=true"
	                                 : "&noOverwriteDirNonDir=true");

	if (!q)
		return error_set(err, ENOMEM, "out of memory");
	return api_client_upload(c, "PUT", q, fd, "application/x-tar", NULL, NULL, NULL, err);
}

static int copy_to(struct api_client *c, struct cp_job *j, struct husk_error **err)
{
	_cleanup_free_ char *src = NULL, *rebase = NULL, *dir = NULL, *new = NULL, *sdir = NULL,
	                    *sbase = NULL, *xf = NULL;
	_cleanup_close_ int fd = -1;
	struct dst_info d = {0};
	bool src_dir = false;
	pid_t pid;
	int r;

	if ((r = make_absolute(&j->src, err)) < 0)
		return r;
	r = container_dst(c, j, &d, err);
	if (r == 0 && streq(j->src, "-")) {
		if (!d.is_dir)
			r = error_set(err, ENOTDIR, "destination \"%s:%s\" must be a directory",
			              j->container, j->dst);
		else
			r = upload(c, j, d.path, STDIN_FILENO, err);
		free(d.path);
		return r;
	}
	if (r == 0)
		r = src_info(j->src, j->follow, &src, &rebase, &src_dir, err);
	if (r == 0)
		r = prepare_copy(src_dir, rebase, &d, &dir, &new, err);
	free(d.path);
	if (r < 0)
		return r;
	if (split_dir_entry(src, &sdir, &sbase) < 0 ||
	    (new && !(xf = rebase_transform(sbase, new))))
		return error_set(err, ENOMEM, "out of memory");
	{
		char *argv[] = {"tar", "-c",  "-f", "-", "-C", sdir, xf ? xf : "--numeric-owner",
		                "--",  sbase, NULL};
		r = tar_spawn(argv, false, &pid, &fd, err);
	}
	if (r < 0)
		return r;
	r = upload(c, j, dir, fd, err);
	fd = safe_close(fd);
	if (r < 0) {
		kill(pid, SIGTERM);
		tar_wait(pid, NULL);
		return r;
	}
	return tar_wait(pid, err);
}

/* splitCpArg: "CONTAINER:PATH", or a local path (absolute, or "./x:y"). */
static void split_arg(const char *arg, char **ret_container, char **ret_path)
{
	const char *colon = strchr(arg, ':');

	*ret_container = NULL;
	if (arg[0] == '/' || !colon || arg[0] == '.') {
		*ret_path = strdup(arg);
		return;
	}
	*ret_container = strndup(arg, (size_t)(colon - arg));
	*ret_path = strdup(colon + 1);
}

int cmd_cp(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
           struct husk_error **err)
{
	char *const *args = flags_args(f);
	_cleanup_free_ char *sc = NULL, *dc = NULL;
	struct cp_job j = {.follow = flags_bool(f, "follow-link"),
	                   .uid_gid = flags_bool(f, "archive")};
	struct api_client *c = NULL;
	char *dpath = NULL;
	int r;

	if (isempty(args[0]))
		return error_set(err, EINVAL, "source can not be empty");
	if (isempty(args[1]))
		return error_set(err, EINVAL, "destination can not be empty");
	split_arg(args[0], &sc, &j.src);
	split_arg(args[1], &dc, &dpath);
	j.dst = dpath;
	if (!j.src || !j.dst)
		r = error_set(err, ENOMEM, "out of memory");
	else if (sc && dc)
		r = error_set(err, EINVAL, "copying between containers is not supported");
	else if (!sc && !dc)
		r = error_set(err, EINVAL, "must specify at least one container source");
	else if ((r = cli_connect(cli, &c, err)) == 0) {
		j.container = sc ? sc : dc;
		r = sc ? copy_from(cli, c, &j, err) : copy_to(c, &j, err);
	}
	free(j.src);
	free(j.dst);
	return r;
}

/* ---- export, diff ---- */

int cmd_export(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
               struct husk_error **err)
{
	const char *output = flags_string(f, "output");
	_cleanup_free_ char *name = api_client_escape(flags_args(f)[0]), *q = NULL;
	_cleanup_close_ int fd = -1;
	struct api_client *c = NULL;
	int r;

	if (isempty(output) && isatty(STDOUT_FILENO))
		return error_set(err, EINVAL,
		                 "cowardly refusing to save to a terminal. Use the -o flag or "
		                 "redirect");
	if (!name || !(q = str_printf("/containers/%s/export", name)))
		return error_set(err, ENOMEM, "out of memory");
	if (!isempty(output)) {
		if ((r = validate_output(output, err)) < 0)
			return error_wrap(err, "failed to export container");
		fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return go_error(err, errno, "open", output);
	}
	r = cli_connect(cli, &c, err);
	if (r < 0)
		return r;
	fflush(cli->out);
	return api_client_download(c, q, fd >= 0 ? fd : STDOUT_FILENO, err);
}

int cmd_diff(struct cli *cli, const struct cli_command *cmd, const struct flags *f,
             struct husk_error **err)
{
	static const char kinds[] = {'C', 'A', 'D'};
	_cleanup_free_ char *name = api_client_escape(flags_args(f)[0]), *q = NULL;
	_cleanup_json_ json_t *changes = NULL;
	size_t i;
	json_t *v;
	int r;

	if (!name || !(q = str_printf("/containers/%s/changes", name)))
		return error_set(err, ENOMEM, "out of memory");
	r = cli_get(cli, q, &changes, err);
	if (r < 0)
		return r;
	json_array_foreach (changes, i, v) {
		json_int_t k = json_integer_value(json_object_get(v, "Kind"));
		const char *p = json_string_value(json_object_get(v, "Path"));

		if (p && k >= 0 && k < (json_int_t)sizeof(kinds))
			fprintf(cli->out, "%c %s\n", kinds[k], p);
	}
	return 0;
}
