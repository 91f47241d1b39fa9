/* server_storage.c — the registry's storage directory: blobs, links,
 * uploads, manifests, tags, referrers (layout in server_storage.h). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "registry/server.h"
#include "registry/server_storage.h"

#define LINK_MAX_BYTES     512        /* a tag, a revision's media type */
#define REFERRER_MAX_BYTES (1u << 20) /* one stored referrer descriptor */
#define HASH_CHUNK         (256u << 10)

static int open_dir_at(int dirfd, const char *name, bool create)
{
	int fd;

	if (create && mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int regstore_open(const char *root, bool create, struct regstore **ret, struct husk_error **err)
{
	_cleanup_(regstore_freep) struct regstore *s = calloc(1, sizeof(*s));
	static const struct {
		const char *path;
		size_t off;
	} dirs[] = {
	        {"blobs/sha256", offsetof(struct regstore, blobs_fd)},
	        {"uploads", offsetof(struct regstore, uploads_fd)},
	        {"repositories", offsetof(struct regstore, repos_fd)},
	};
	int r;

	if (!s || !(s->root = strdup(root)))
		return error_set(err, ENOMEM, "out of memory");
	s->root_fd = s->blobs_fd = s->uploads_fd = s->repos_fd = -1;
	if (create && (r = mkdir_p(root, 0700)) < 0)
		return error_set_errno(err, -r, "create storage directory \"%s\"", root);
	s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0)
		return error_set_errno(err, errno, "open storage directory \"%s\"", root);
	/* the root holds every pushed image: nobody else may read it */
	if (create && fchmod(s->root_fd, 0700) < 0)
		return error_set_errno(err, errno, "make \"%s\" private", root);
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		int *fdp = (int *)((char *)s + dirs[i].off);
		if (create && (r = regstore_mkdirat_p(s->root_fd, dirs[i].path)) < 0)
			return error_set_errno(err, -r, "create \"%s/%s\"", root, dirs[i].path);
		*fdp = open_dir_at(s->root_fd, dirs[i].path, false);
		if (*fdp < 0)
			return error_set_errno(err, -*fdp, "open \"%s/%s\"", root, dirs[i].path);
	}
	*ret = TAKE_PTR(s);
	return 0;
}

void regstore_free(struct regstore *s)
{
	if (!s)
		return;
	safe_close(s->root_fd);
	safe_close(s->blobs_fd);
	safe_close(s->uploads_fd);
	safe_close(s->repos_fd);
	free(s->root);
	free(s);
}

int regstore_mkdirat_p(int dirfd, const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdirat(dirfd, p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	if (mkdirat(dirfd, p, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int regstore_list_dir(int dirfd, const char *path, char ***ret)
{
	_cleanup_strv_ char **v = strv_new();
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	*ret = NULL;
	if (!v)
		return -ENOMEM;
	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		safe_close(fd);
		return -errno;
	}
	while (r == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			r = strv_push(&v, de->d_name);
	closedir(d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(v);
	return 0;
}

/* Read a small file below dirfd into a new string without its trailing
 * newline. -ENOENT, -EFBIG past max. */
static int read_small_at(int dirfd, const char *path, size_t max, char **ret)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t len;
	int r;

	if (fd < 0)
		return -errno;
	r = read_all_fd(fd, max, ret, &len);
	if (r < 0)
		return r;
	while (len > 0 && ((*ret)[len - 1] == '\n' || (*ret)[len - 1] == '\r'))
		(*ret)[--len] = 0;
	return 0;
}

static int strcmp_sort(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* --- blobs ---------------------------------------------------------------- */

int regstore_blob_stat(struct regstore *s, const struct digest *d, uint64_t *ret_size)
{
	struct stat st;

	if (fstatat(s->blobs_fd, digest_hex(d), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOENT;
	if (ret_size)
		*ret_size = (uint64_t)st.st_size;
	return 0;
}

int regstore_blob_open(struct regstore *s, const struct digest *d, uint64_t *ret_size)
{
	_cleanup_close_ int fd =
	        openat(s->blobs_fd, digest_hex(d), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOENT;
	*ret_size = (uint64_t)st.st_size;
	return TAKE_FD(fd);
}

static char *layer_link_path(const char *repo, const struct digest *d)
{
	return str_printf("%s/_layers/%s", repo, digest_hex(d));
}

bool regstore_blob_linked(struct regstore *s, const char *repo, const struct digest *d)
{
	_cleanup_free_ char *p = layer_link_path(repo, d);

	return p && faccessat(s->repos_fd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	       regstore_blob_stat(s, d, NULL) == 0;
}

/* Write a link file durably unless it already holds content. */
static int write_link(int dirfd, const char *dir, const char *name, const char *content,
                      struct husk_error **err)
{
	_cleanup_free_ char *path = str_printf("%s/%s", dir, name);
	_cleanup_free_ char *old = NULL;
	int r;

	if (!path)
		return error_set(err, ENOMEM, "out of memory");
	if (read_small_at(dirfd, path, LINK_MAX_BYTES, &old) == 0 &&
	    strncmp(old, content, strcspn(content, "\n")) == 0 &&
	    strlen(old) == strcspn(content, "\n"))
		return 0;
	r = regstore_mkdirat_p(dirfd, dir);
	if (r < 0)
		return error_set_errno(err, -r, "create \"%s\"", dir);
	return atomic_write_at(dirfd, path, content, strlen(content), 0600, err);
}

int regstore_blob_link(struct regstore *s, const char *repo, const struct digest *d,
                       struct husk_error **err)
{
	_cleanup_free_ char *dir = str_printf("%s/_layers", repo);
	_cleanup_free_ char *content = str_printf("%s\n", d->str);

	if (!dir || !content)
		return error_set(err, ENOMEM, "out of memory");
	if (regstore_blob_stat(s, d, NULL) < 0)
		return error_set(err, ENOENT, "blob \"%s\" does not exist", d->str);
	return write_link(s->repos_fd, dir, digest_hex(d), content, err);
}

int regstore_blob_unlink(struct regstore *s, const char *repo, const struct digest *d)
{
	_cleanup_free_ char *p = layer_link_path(repo, d);

	if (!p)
		return -ENOMEM;
	return unlinkat(s->repos_fd, p, 0) < 0 ? -errno : 0;
}

int regstore_blob_put(struct regstore *s, const void *data, size_t len, struct digest *ret,
                      struct husk_error **err)
{
	digest_buf(data, len, ret);
	if (regstore_blob_stat(s, ret, NULL) == 0)
		return 0;
	return atomic_write_at(s->blobs_fd, digest_hex(ret), data, len, 0600, err);
}

/* --- uploads -------------------------------------------------------------- */

void reg_upload_free(struct reg_upload *u)
{
	if (!u)
		return;
	safe_close(u->fd);
	sha256_free(u->hash);
	free(u->repo);
	free(u);
}

static struct reg_upload *upload_alloc(const char *repo)
{
	struct reg_upload *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->fd = -1;
	u->repo = strdup(repo);
	u->hash = sha256_new();
	if (!u->repo || !u->hash) {
		reg_upload_free(u);
		return NULL;
	}
	return u;
}

static int make_uuid(char ret[REGSTORE_UUID_LEN + 1])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(ret, REGSTORE_UUID_LEN + 1,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
	return 0;
}

int regstore_upload_new(struct regstore *s, const char *repo, struct reg_upload **ret,
                        struct husk_error **err)
{
	_cleanup_(reg_upload_freep) struct reg_upload *u = upload_alloc(repo);
	_cleanup_free_ char *data = NULL, *rp = NULL;
	int r;

	if (!u)
		return error_set(err, ENOMEM, "out of memory");
	r = make_uuid(u->uuid);
	if (r < 0)
		return error_set_errno(err, -r, "make an upload id");
	if (mkdirat(s->uploads_fd, u->uuid, 0700) < 0)
		return error_set_errno(err, errno, "create upload \"%s\"", u->uuid);
	data = str_printf("%s/data", u->uuid);
	rp = str_printf("%s/repo", u->uuid);
	if (!data || !rp) {
		regstore_upload_remove(s, u->uuid);
		return error_set(err, ENOMEM, "out of memory");
	}
	r = atomic_replace_at(s->uploads_fd, rp, repo, strlen(repo), 0600, err);
	if (r == 0) {
		u->fd = openat(s->uploads_fd, data,
		               O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (u->fd < 0)
			r = error_set_errno(err, errno, "create upload \"%s\"", u->uuid);
	}
	if (r < 0) {
		regstore_upload_remove(s, u->uuid);
		return r;
	}
	*ret = TAKE_PTR(u);
	return 0;
}

int regstore_upload_load(struct regstore *s, const char *repo, const char *uuid,
                         struct reg_upload **ret, struct husk_error **err)
{
	_cleanup_(reg_upload_freep) struct reg_upload *u = upload_alloc(repo);
	_cleanup_free_ char *data = str_printf("%s/data", uuid), *rp = str_printf("%s/repo", uuid);
	_cleanup_free_ char *owner = NULL, *buf = malloc(HASH_CHUNK);
	ssize_t n;

	if (!u || !data || !rp || !buf)
		return error_set(err, ENOMEM, "out of memory");
	if (!registry_uuid_valid(uuid) ||
	    read_small_at(s->uploads_fd, rp, LINK_MAX_BYTES, &owner) < 0 || !streq(owner, repo))
		return error_set(err, ENOENT, "upload \"%s\" is not known in \"%s\"", uuid, repo);
	snprintf(u->uuid, sizeof(u->uuid), "%s", uuid);
	u->fd = openat(s->uploads_fd, data, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (u->fd < 0)
		return error_set(err, ENOENT, "upload \"%s\" is not known in \"%s\"", uuid, repo);
	/* the hash state lived in the previous process: rebuild it */
	while ((n = read_full(u->fd, buf, HASH_CHUNK)) > 0) {
		sha256_update(u->hash, buf, (size_t)n);
		u->offset += (uint64_t)n;
	}
	if (n < 0)
		return error_set_errno(err, (int)-n, "read upload \"%s\"", uuid);
	*ret = TAKE_PTR(u);
	return 0;
}

void regstore_upload_close(struct reg_upload *u)
{
	u->fd = safe_close(u->fd);
}

int regstore_upload_reopen(struct regstore *s, struct reg_upload *u)
{
	_cleanup_free_ char *data = str_printf("%s/data", u->uuid);
	struct stat st;

	if (u->fd >= 0)
		return 0;
	if (!data)
		return -ENOMEM;
	u->fd = openat(s->uploads_fd, data, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (u->fd < 0)
		return -errno;
	if (fstat(u->fd, &st) < 0 || (uint64_t)st.st_size != u->offset) {
		u->fd = safe_close(u->fd);
		return -ESTALE;
	}
	return 0;
}

int regstore_upload_write(struct reg_upload *u, const void *buf, size_t len,
                          struct husk_error **err)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(u->fd, p + done, len - done, (off_t)(u->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			/* keep the file and the hash state in step */
			if (ftruncate(u->fd, (off_t)u->offset) < 0) {
				/* the next load re-hashes whatever is there */
			}
			return error_set_errno(err, e, "write upload \"%s\"", u->uuid);
		}
		done += (size_t)n;
	}
	sha256_update(u->hash, buf, len);
	u->offset += len;
	return 0;
}

int regstore_upload_remove(struct regstore *s, const char *uuid)
{
	_cleanup_free_ char *p = NULL;

	if (!registry_uuid_valid(uuid))
		return -EINVAL;
	p = str_printf("%s/uploads/%s", s->root, uuid);
	return p ? rm_rf(p) : -ENOMEM;
}

int regstore_upload_commit(struct regstore *s, struct reg_upload *u, const struct digest *expected,
                           struct husk_error **err)
{
	_cleanup_free_ char *data = str_printf("%s/data", u->uuid);
	struct digest got;
	int r;

	if (!data || !u->hash)
		return error_set(err, ENOMEM, "out of memory");
	sha256_final(u->hash, &got);
	sha256_free(u->hash);
	u->hash = NULL;
	if (!digest_equal(&got, expected)) {
		regstore_upload_remove(s, u->uuid);
		return error_set(err, EILSEQ, "digest mismatch: expected %s, got %s", expected->str,
		                 got.str);
	}
	if (fsync(u->fd) < 0)
		return error_set_errno(err, errno, "fsync upload \"%s\"", u->uuid);
	/* Identical content under the same name: replacing it is harmless,
	 * so concurrent uploads of one blob need no lock. */
	if (renameat(s->uploads_fd, data, s->blobs_fd, digest_hex(expected)) < 0)
		return error_set_errno(err, errno, "store blob \"%s\"", expected->str);
	if (fsync(s->blobs_fd) < 0)
		return error_set_errno(err, errno, "fsync the blobs directory");
	r = regstore_blob_link(s, u->repo, expected, err);
	if (r < 0)
		return r;
	regstore_upload_remove(s, u->uuid);
	return 0;
}

/* The last time an upload was written: its data file's mtime, else the
 * directory's. */
static int upload_mtime(struct regstore *s, const char *name, time_t *ret)
{
	_cleanup_free_ char *data = str_printf("%s/data", name);
	struct stat st;

	if (!data)
		return -ENOMEM;
	if (fstatat(s->uploads_fd, data, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    fstatat(s->uploads_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*ret = st.st_mtime;
	return 0;
}

int regstore_uploads_purge(struct regstore *s, int64_t ttl, regstore_upload_skip_fn skip,
                           void *data)
{
	_cleanup_strv_ char **names = NULL;
	time_t now = time(NULL), mtime = 0;
	int n = 0, r;

	r = regstore_list_dir(s->uploads_fd, ".", &names);
	if (r < 0)
		return r;
	STRV_FOREACH (name, names) {
		if (upload_mtime(s, *name, &mtime) < 0 || now - mtime <= ttl)
			continue;
		/* an entry that is no upload of ours is left for the administrator */
		if (!registry_uuid_valid(*name) || (skip && skip(*name, data)))
			continue;
		if (regstore_upload_remove(s, *name) == 0)
			n++;
	}
	return n;
}

/* --- manifests and tags --------------------------------------------------- */

int regstore_manifest_put(struct regstore *s, const char *repo, const void *body, size_t len,
                          const char *media_type, const struct digest *subject,
                          const char *referrer, const char *tag, struct digest *ret,
                          struct husk_error **err)
{
	_cleanup_free_ char *revs = str_printf("%s/_manifests/revisions", repo);
	_cleanup_free_ char *tags = str_printf("%s/_manifests/tags", repo);
	_cleanup_free_ char *mt = str_printf("%s\n", media_type), *dig = NULL, *refdir = NULL;
	int r;

	if (!revs || !tags || !mt)
		return error_set(err, ENOMEM, "out of memory");
	r = regstore_blob_put(s, body, len, ret, err);
	if (r < 0)
		return r;
	/* the revision first, the tag last: a tag never names a manifest
	 * that is not all there */
	r = write_link(s->repos_fd, revs, digest_hex(ret), mt, err);
	if (r < 0)
		return r;
	if (subject && referrer) {
		refdir = str_printf("%s/_manifests/referrers/%s", repo, digest_hex(subject));
		if (!refdir)
			return error_set(err, ENOMEM, "out of memory");
		r = write_link(s->repos_fd, refdir, digest_hex(ret), referrer, err);
		if (r < 0)
			return r;
	}
	if (!tag)
		return 0;
	dig = str_printf("%s\n", ret->str);
	if (!dig)
		return error_set(err, ENOMEM, "out of memory");
	return write_link(s->repos_fd, tags, tag, dig, err);
}

int regstore_manifest_media_type(struct regstore *s, const char *repo, const struct digest *d,
                                 char **ret)
{
	_cleanup_free_ char *p = str_printf("%s/_manifests/revisions/%s", repo, digest_hex(d));
	int r;

	if (!p)
		return -ENOMEM;
	r = read_small_at(s->repos_fd, p, LINK_MAX_BYTES, ret);
	if (r < 0)
		return r == -EFBIG ? -ENOENT : r;
	if (regstore_blob_stat(s, d, NULL) < 0) {
		free(*ret);
		*ret = NULL;
		return -ENOENT;
	}
	return 0;
}

bool regstore_manifest_exists(struct regstore *s, const char *repo, const struct digest *d)
{
	_cleanup_free_ char *mt = NULL;

	return regstore_manifest_media_type(s, repo, d, &mt) == 0;
}

int regstore_tag_get(struct regstore *s, const char *repo, const char *tag, struct digest *ret)
{
	_cleanup_free_ char *p = str_printf("%s/_manifests/tags/%s", repo, tag);
	_cleanup_free_ char *v = NULL;
	int r;

	if (!p)
		return -ENOMEM;
	r = read_small_at(s->repos_fd, p, LINK_MAX_BYTES, &v);
	if (r < 0)
		return r == -EFBIG ? -ENOENT : r;
	return digest_parse(v, ret, NULL) < 0 ? -ENOENT : 0;
}

int regstore_tag_delete(struct regstore *s, const char *repo, const char *tag)
{
	_cleanup_free_ char *p = str_printf("%s/_manifests/tags/%s", repo, tag);

	if (!p)
		return -ENOMEM;
	return unlinkat(s->repos_fd, p, 0) < 0 ? -errno : 0;
}

int regstore_manifest_delete(struct regstore *s, const char *repo, const struct digest *d,
                             struct husk_error **err)
{
	_cleanup_free_ char *rev = str_printf("%s/_manifests/revisions/%s", repo, digest_hex(d));
	_cleanup_free_ char *tagdir = str_printf("%s/_manifests/tags", repo);
	_cleanup_free_ char *refdir = str_printf("%s/_manifests/referrers", repo);
	_cleanup_strv_ char **tags = NULL, **subjects = NULL;
	struct digest t;

	if (!rev || !tagdir || !refdir)
		return error_set(err, ENOMEM, "out of memory");
	if (faccessat(s->repos_fd, rev, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(err, ENOENT, "manifest \"%s\" is not in \"%s\"", d->str, repo);
	if (regstore_list_dir(s->repos_fd, tagdir, &tags) < 0 ||
	    regstore_list_dir(s->repos_fd, refdir, &subjects) < 0)
		return error_set_errno(err, errno, "list \"%s\"", repo);
	STRV_FOREACH (tag, tags)
		if (regstore_tag_get(s, repo, *tag, &t) == 0 && digest_equal(&t, d))
			regstore_tag_delete(s, repo, *tag);
	STRV_FOREACH (subj, subjects) {
		_cleanup_free_ char *p = str_printf("%s/%s/%s", refdir, *subj, digest_hex(d));
		if (p)
			unlinkat(s->repos_fd, p, 0);
	}
	if (unlinkat(s->repos_fd, rev, 0) < 0)
		return error_set_errno(err, errno, "delete manifest \"%s\"", d->str);
	return 0;
}

bool regstore_repo_exists(struct regstore *s, const char *repo)
{
	_cleanup_free_ char *m = str_printf("%s/_manifests", repo);
	_cleanup_free_ char *l = str_printf("%s/_layers", repo);

	return m && l &&
	       (faccessat(s->repos_fd, m, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	        faccessat(s->repos_fd, l, F_OK, AT_SYMLINK_NOFOLLOW) == 0);
}

int regstore_tags_list(struct regstore *s, const char *repo, char ***ret)
{
	_cleanup_free_ char *dir = str_printf("%s/_manifests/tags", repo);
	_cleanup_strv_ char **all = NULL, **v = strv_new();
	int r;

	if (!dir || !v)
		return -ENOMEM;
	if (!regstore_repo_exists(s, repo))
		return -ENOENT;
	r = regstore_list_dir(s->repos_fd, dir, &all);
	if (r < 0)
		return r;
	STRV_FOREACH (t, all)
		if (registry_tag_valid(*t) && (r = strv_push(&v, *t)) < 0)
			return r;
	qsort(v, strv_length(v), sizeof(char *), strcmp_sort);
	*ret = TAKE_PTR(v);
	return 0;
}

int regstore_repo_cmp(const char *a, const char *b)
{
	/* '/' sorts before every other byte, so "a/b" < "a-b" < "a.b" */
	for (;; a++, b++) {
		unsigned ca = *a == '/' ? 1 : (unsigned char)*a;
		unsigned cb = *b == '/' ? 1 : (unsigned char)*b;
		if (ca != cb || !ca)
			return (int)ca - (int)cb;
	}
}

static int repo_cmp_sort(const void *a, const void *b)
{
	return regstore_repo_cmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the repositories below prefix (depth-first). */
static int catalog_walk(struct regstore *s, const char *prefix, unsigned depth, char ***v)
{
	_cleanup_strv_ char **names = NULL;
	int r;

	if (depth > REGISTRY_NAME_MAX / 2)
		return 0;
	r = regstore_list_dir(s->repos_fd, *prefix ? prefix : ".", &names);
	if (r < 0)
		return r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *p = NULL;
		if ((*n)[0] == '_')
			continue;
		p = *prefix ? str_printf("%s/%s", prefix, *n) : strdup(*n);
		if (!p)
			return -ENOMEM;
		if (!registry_name_valid(p))
			continue;
		if (regstore_repo_exists(s, p) && (r = strv_push(v, p)) < 0)
			return r;
		r = catalog_walk(s, p, depth + 1, v);
		if (r < 0)
			return r;
	}
	return 0;
}

int regstore_catalog(struct regstore *s, char ***ret)
{
	_cleanup_strv_ char **v = strv_new();
	int r;

	if (!v)
		return -ENOMEM;
	r = catalog_walk(s, "", 0, &v);
	if (r < 0)
		return r;
	qsort(v, strv_length(v), sizeof(char *), repo_cmp_sort);
	*ret = TAKE_PTR(v);
	return 0;
}

int regstore_referrers(struct regstore *s, const char *repo, const struct digest *subject,
                       json_t **ret, struct husk_error **err)
{
	_cleanup_free_ char *dir =
	        str_printf("%s/_manifests/referrers/%s", repo, digest_hex(subject));
	_cleanup_strv_ char **names = NULL;
	_cleanup_json_ json_t *arr = json_array();
	int r;

	if (!dir || !arr)
		return error_set(err, ENOMEM, "out of memory");
	r = regstore_list_dir(s->repos_fd, dir, &names);
	if (r < 0)
		return error_set_errno(err, -r, "list the referrers of \"%s\"", subject->str);
	if (names)
		qsort(names, strv_length(names), sizeof(char *), strcmp_sort);
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *p = str_printf("%s/%s", dir, *n), *buf = NULL;
		struct digest d;
		json_t *desc = NULL;

		if (!p)
			return error_set(err, ENOMEM, "out of memory");
		if (!digest_hex_valid(*n))
			continue;
		snprintf(d.str, sizeof(d.str), "sha256:%s", *n);
		if (!regstore_manifest_exists(s, repo, &d) ||
		    read_small_at(s->repos_fd, p, REFERRER_MAX_BYTES, &buf) < 0 ||
		    json_parse("referrer", buf, strlen(buf), REFERRER_MAX_BYTES, &desc, NULL) < 0)
			continue;
		if (json_array_append_new(arr, desc) < 0)
			return error_set(err, ENOMEM, "out of memory");
	}
	*ret = TAKE_PTR(arr);
	return 0;
}
