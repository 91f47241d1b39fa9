/* content.c — content-addressed blobs: written to store/ingest while being
 * hashed, verified, fsync'd and renamed into oci/blobs/sha256/<hex>, so a
 * blob whose bytes do not match its name never appears. */
#include "store/store_internal.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"

struct blob_writer {
	struct store *s;
	struct store_lease *lease;
	struct sha256 *h;
	int fd; /* on ingest/<name>, flock'ed while we write: GC sees it is live */
	char name[64];
	bool has_expected;
	struct digest expected;
	int64_t expected_size;
	uint64_t size;
};

static char *blob_rel_path(const struct digest *d)
{
	return str_printf(STORE_BLOBS_DIR "/%s", digest_hex(d));
}

char *store_blob_path(struct store *s, const struct digest *d)
{
	return str_printf("%s/" STORE_BLOBS_DIR "/%s", s->dir, digest_hex(d));
}

/* Create ingest/<rand> and lock it, under the GC lock so that a GC never
 * sees it created but not yet locked. */
static int ingest_create(struct store *s, char *name, size_t len)
{
	_cleanup_close_ int gc = store_lock(s, STORE_GC_LOCK, LOCK_SH);
	char hex[33];
	int fd;

	if (gc < 0)
		return gc;
	store_random_hex(hex, 16);
	snprintf(name, len, STORE_INGEST_DIR "/%s", hex);
	fd = openat(s->dfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* blocking: a check may hold it for an instant to see if it is stale */
	if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0) {
		int r = -errno;

		unlinkat(s->dfd, name, 0);
		close(fd);
		return r;
	}
	return fd;
}

int store_blob_writer(struct store *s, const struct digest *expected, int64_t expected_size,
                      struct store_lease *lease, struct blob_writer **ret, struct husk_error **err)
{
	struct blob_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return error_set(err, ENOMEM, "out of memory");
	w->s = s;
	w->lease = lease;
	w->expected_size = expected_size;
	w->has_expected = expected != NULL;
	if (expected)
		w->expected = *expected;
	w->h = sha256_new();
	w->fd = w->h ? ingest_create(s, w->name, sizeof(w->name)) : -ENOMEM;
	if (w->fd < 0) {
		int r = w->fd;

		sha256_free(w->h);
		free(w);
		return error_set_errno(err, -r, "create a blob in \"%s/" STORE_INGEST_DIR "\"",
		                       s->dir);
	}
	*ret = w;
	return 0;
}

static const char *writer_subject(const struct blob_writer *w)
{
	return w->has_expected ? w->expected.str : "(new)";
}

int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, struct husk_error **err)
{
	int r;

	if (w->expected_size >= 0 && w->size + len > (uint64_t)w->expected_size)
		return error_set(err, EFBIG, "blob %s: more than the expected %" PRId64 " bytes",
		                 writer_subject(w), w->expected_size);
	r = write_all(w->fd, buf, len);
	if (r < 0)
		return error_set_errno(err, -r, "blob %s: write", writer_subject(w));
	sha256_update(w->h, buf, len);
	w->size += len;
	return 0;
}

void blob_writer_abort(struct blob_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		unlinkat(w->s->dfd, w->name, 0);
	safe_close(w->fd);
	sha256_free(w->h);
	free(w);
}

static int writer_verify(struct blob_writer *w, const struct digest *got, struct husk_error **err)
{
	if (w->expected_size >= 0 && w->size != (uint64_t)w->expected_size)
		return error_set(err, EILSEQ,
		                 "blob %s: size mismatch: expected %" PRId64 " bytes, got %" PRIu64,
		                 writer_subject(w), w->expected_size, w->size);
	if (w->has_expected && !digest_equal(&w->expected, got))
		return error_set(err, EILSEQ, "blob %s: digest mismatch: got %s", w->expected.str,
		                 got->str);
	return 0;
}

/* Publish ingest/<name> as blobs/sha256/<hex>, recorded in the lease first:
 * under the GC lock a GC either ran before (and we write it anew) or sees
 * the lease. An existing blob is replaced by our verified bytes: the same
 * content, and a damaged copy heals. */
static int writer_publish(struct blob_writer *w, const struct digest *d, struct husk_error **err)
{
	struct store *s = w->s;
	_cleanup_free_ char *rel = blob_rel_path(d);
	_cleanup_close_ int gc = -1;
	int r;

	if (!rel)
		return error_set(err, ENOMEM, "out of memory");
	gc = store_lock(s, STORE_GC_LOCK, LOCK_SH);
	if (gc < 0)
		return error_set_errno(err, -gc, "blob %s: lock", d->str);
	if (w->lease) {
		r = store_lease_add(w->lease, d);
		if (r < 0)
			return error_set_errno(err, -r, "blob %s: record in lease", d->str);
	}
	if (renameat(s->dfd, w->name, s->dfd, rel) < 0)
		return error_set_errno(err, errno, "blob %s: rename into place", d->str);
	r = store_fsync_at(s, STORE_BLOBS_DIR);
	return r < 0 ? error_set_errno(err, -r, "blob %s: fsync directory", d->str) : 0;
}

int blob_writer_commit(struct blob_writer *w, struct digest *ret_digest, uint64_t *ret_size,
                       struct husk_error **err)
{
	_cleanup_(blob_writer_abortp) _unused_ struct blob_writer *ww = w;
	struct digest got;
	int r;

	sha256_final(w->h, &got);
	r = writer_verify(w, &got, err);
	if (r < 0)
		return r;
	if (fsync(w->fd) < 0 || fchmod(w->fd, 0644) < 0)
		return error_set_errno(err, errno, "blob %s: fsync", got.str);
	r = writer_publish(w, &got, err);
	if (r < 0)
		return r;
	/* published: nothing left for abort to unlink */
	w->fd = safe_close(w->fd);
	if (ret_digest)
		*ret_digest = got;
	if (ret_size)
		*ret_size = w->size;
	return 0;
}

int store_blob_put(struct store *s, const void *buf, size_t len, struct store_lease *lease,
                   struct digest *ret, struct husk_error **err)
{
	struct blob_writer *w = NULL;
	int r;

	r = store_blob_writer(s, NULL, -1, lease, &w, err);
	if (r < 0)
		return r;
	r = blob_writer_write(w, buf, len, err);
	if (r < 0) {
		blob_writer_abort(w);
		return r;
	}
	return blob_writer_commit(w, ret, NULL, err);
}

int store_blob_stat(struct store *s, const struct digest *d, uint64_t *ret_size)
{
	_cleanup_free_ char *rel = blob_rel_path(d);
	struct stat st;

	if (!rel)
		return -ENOMEM;
	if (fstatat(s->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOENT;
	if (ret_size)
		*ret_size = st.st_size;
	return 0;
}

int store_blob_open(struct store *s, const struct digest *d, struct husk_error **err)
{
	_cleanup_free_ char *rel = blob_rel_path(d);
	int fd;

	if (!rel)
		return error_set(err, ENOMEM, "out of memory");
	fd = openat(s->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? error_set(err, ENOENT, "blob %s: not found", d->str)
		                       : error_set_errno(err, errno, "blob %s: open", d->str);
	return fd;
}

int store_blob_read(struct store *s, const struct digest *d, size_t max, char **ret,
                    size_t *ret_len, struct husk_error **err)
{
	_cleanup_close_ int fd = store_blob_open(s, d, err);
	_cleanup_free_ char *buf = NULL;
	struct digest got;
	size_t len = 0;
	int r;

	if (fd < 0)
		return fd;
	r = read_all_fd(fd, max, &buf, &len);
	if (r == -EFBIG)
		return error_set(err, EFBIG, "blob %s: larger than %zu bytes", d->str, max);
	if (r < 0)
		return error_set_errno(err, -r, "blob %s: read", d->str);
	digest_buf(buf, len, &got);
	if (!digest_equal(&got, d))
		return error_set(err, EILSEQ, "blob %s: digest mismatch: got %s", d->str, got.str);
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int store_blob_remove(struct store *s, const char *hex, uint64_t *ret_size)
{
	_cleanup_free_ char *rel = str_printf(STORE_BLOBS_DIR "/%s", hex);
	struct stat st;

	if (!rel)
		return -ENOMEM;
	if (fstatat(s->dfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (unlinkat(s->dfd, rel, 0) < 0)
		return -errno;
	if (ret_size)
		*ret_size = st.st_size;
	return 0;
}

bool store_ingest_is_stale(struct store *s, const char *name)
{
	_cleanup_free_ char *rel = path_join(STORE_INGEST_DIR, name);
	_cleanup_close_ int fd = -1;

	if (!rel)
		return false;
	fd = openat(s->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return false;
	return flock(fd, LOCK_EX | LOCK_NB) == 0;
}
