/* layer_apply.c — unpacking a layer: libarchive parses the tar (and only
 * tar: the decompression is ours, so that both digests come out of the
 * same pass), each header is decoded and checked against the caps, and
 * apply_entry.c makes the entry. Also layer_apply_many(), which unpacks the
 * independent layers of one image side by side. */
#include "archive/internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"

struct apply_run {
	struct layer_reader *reader;
	struct husk_error *read_err; /* the reader's error, kept for the message */
	int read_code;
	uint64_t delivered; /* uncompressed bytes handed to libarchive */
	bool eof;
};

static la_ssize_t read_cb(struct archive *a, void *client, const void **buf)
{
	struct apply_run *run = client;
	ssize_t n = layer_reader_read(run->reader, buf, &run->read_err);

	if (n < 0) {
		run->read_code = (int)n;
		archive_set_error(a, (int)-n, "%s", error_message(run->read_err));
		return -1;
	}
	run->delivered += (uint64_t)n;
	run->eof = n == 0;
	return n;
}

/* A name from the tar fit for a message: at most 200 bytes, control and
 * non-ASCII bytes escaped, so hostile names cannot mangle a log line. */
static void quote_name(const char *raw, char *buf, size_t size)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)raw; *p && o + 8 < size; p++) {
		if (o >= 200) {
			o += (size_t)snprintf(buf + o, size - o, "...");
			break;
		}
		if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
		else
			buf[o++] = (char)*p;
	}
	buf[o] = 0;
}

static int entry_error(struct husk_error **err, const char *raw)
{
	char q[256];

	quote_name(raw ? raw : "", q, sizeof(q));
	return error_wrap(err, "entry \"%s\"", q);
}

static mode_t entry_type(struct archive_entry *ae)
{
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
		return S_IFREG;
	case AE_IFDIR:
		return S_IFDIR;
	case AE_IFLNK:
		return S_IFLNK;
	case AE_IFCHR:
		return S_IFCHR;
	case AE_IFBLK:
		return S_IFBLK;
	case AE_IFIFO:
		return S_IFIFO;
	default:
		return S_IFSOCK; /* nothing to make */
	}
}

static int decode_ids(struct archive_entry *ae, struct layer_entry *e, struct husk_error **err)
{
	int64_t uid = archive_entry_uid(ae), gid = archive_entry_gid(ae);

	/* (uid_t)-1 would mean "leave unchanged" to chown */
	if (uid < 0 || uid >= UINT32_MAX)
		return error_set(err, EINVAL, "invalid uid %lld", (long long)uid);
	if (gid < 0 || gid >= UINT32_MAX)
		return error_set(err, EINVAL, "invalid gid %lld", (long long)gid);
	e->uid = (uid_t)uid;
	e->gid = (gid_t)gid;
	return 0;
}

/* userns-remap: the entry's owner as the host sees it. */
static int shift_ids(const struct id_mapping *m, struct layer_entry *e, struct husk_error **err)
{
	uint32_t uid, gid;

	if (!m || (!m->n_uids && !m->n_gids))
		return 0;
	if (idmap_to_host(m->uids, m->n_uids, e->uid, &uid) < 0)
		return error_set(err, ERANGE,
		                 "uid %u is outside the daemon's user namespace mapping",
		                 (unsigned)e->uid);
	if (idmap_to_host(m->gids, m->n_gids, e->gid, &gid) < 0)
		return error_set(err, ERANGE,
		                 "gid %u is outside the daemon's user namespace mapping",
		                 (unsigned)e->gid);
	e->uid = uid;
	e->gid = gid;
	return 0;
}

static int decode_link(struct archive_entry *ae, struct layer_entry *e, char *link,
                       struct husk_error **err)
{
	const char *hl = archive_entry_hardlink(ae), *sl;
	int r;

	if (hl) {
		r = layer_path_clean(hl, link, err);
		if (r < 0)
			return error_wrap(err, "hard link target");
		e->type = 0;
		e->link = link;
		return 0;
	}
	if (e->type != S_IFLNK)
		return 0;
	sl = archive_entry_symlink(ae);
	if (!sl || !*sl)
		return error_set(err, EINVAL, "symlink without a target");
	if (strlen(sl) > LAYER_MAX_PATH)
		return error_set(err, ENAMETOOLONG, "symlink target longer than %d bytes",
		                 LAYER_MAX_PATH);
	e->link = sl;
	return 0;
}

static int decode_entry(struct archive *a, struct archive_entry *ae, uint64_t max_size, char *path,
                        char *link, struct layer_entry *e, struct husk_error **err)
{
	const char *raw = archive_entry_pathname(ae);
	int r;

	memset(e, 0, sizeof(*e));
	if (!raw)
		return error_set(err, EINVAL, "entry without a name");
	r = layer_path_clean(raw, path, err);
	if (r < 0)
		return r;
	e->path = path;
	e->ae = ae;
	e->a = a;
	e->type = entry_type(ae);
	e->mode = archive_entry_perm(ae) & 07777;
	e->rdev = archive_entry_rdev(ae);
	e->size = archive_entry_size(ae);
	if (e->size < 0 || (uint64_t)e->size > max_size)
		return error_set(err, EFBIG, "size %lld is over the limit of %llu bytes",
		                 (long long)e->size, (unsigned long long)max_size);
	e->ts[1].tv_sec = archive_entry_mtime(ae);
	e->ts[1].tv_nsec = archive_entry_mtime_nsec(ae);
	e->ts[0] = e->ts[1];
	if (archive_entry_atime_is_set(ae)) {
		e->ts[0].tv_sec = archive_entry_atime(ae);
		e->ts[0].tv_nsec = archive_entry_atime_nsec(ae);
	}
	r = decode_ids(ae, e, err);
	return r < 0 ? r : decode_link(ae, e, link, err);
}

/* libarchive's error for a header or data read: our reader's own message
 * when the reader failed, "unexpected end of layer data" for a short tar. */
static int archive_failure(struct archive *a, struct apply_run *run, struct apply_ctx *c,
                           const char *last, struct husk_error **err)
{
	const char *msg = archive_error_string(a);
	char q[256];

	c->stream_error = false;
	/* no bytes at all: an empty layer, as Docker and containerd take it
	 * (libarchive, like GNU tar, wants at least the end-of-archive blocks) */
	if (run->read_code == 0 && run->delivered == 0 && run->eof)
		return 0;

	if (run->read_code < 0) {
		if (err && !*err) {
			*err = TAKE_PTR(run->read_err);
			return run->read_code;
		}
		return error_set(err, -run->read_code, "%s", error_message(run->read_err));
	}
	if (msg && (strstr(msg, "Truncated") || strstr(msg, "truncated")))
		return error_set(err, EPIPE, "unexpected end of layer data");
	/* libarchive's bidder found no valid first header (checksum, fields) */
	if (!last && streq(msg, "Unrecognized archive format"))
		msg = "not a tar archive (its first header is invalid)";
	if (!last)
		return error_set(err, EINVAL, "invalid tar data: %s", msg ? msg : "unknown error");
	quote_name(last, q, sizeof(q));
	return error_set(err, EINVAL, "invalid tar data at entry \"%s\": %s", q,
	                 msg ? msg : "unknown error");
}

static int apply_entries(struct archive *a, struct apply_ctx *c, struct apply_run *run,
                         uint64_t *ret_entries, struct husk_error **err)
{
	const uint64_t max_entries = c->o->max_entries ?: LAYER_MAX_ENTRIES_DEFAULT;
	const uint64_t max_size = c->o->max_size ?: LAYER_MAX_SIZE_DEFAULT;
	char path[LAYER_MAX_PATH + 1], link[LAYER_MAX_PATH + 1];
	char last[LAYER_MAX_PATH + 1] = "";
	struct archive_entry *ae;
	struct layer_entry e;
	uint64_t n = 0;
	int r;

	while ((r = archive_read_next_header(a, &ae)) != ARCHIVE_EOF) {
		/* ARCHIVE_WARN: a name not in the locale's charset; the bytes are kept */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return archive_failure(a, run, c, n ? last : NULL, err);
		if (++n > max_entries)
			return error_set(err, E2BIG, "layer has more than %llu entries",
			                 (unsigned long long)max_entries);
		r = decode_entry(a, ae, max_size, path, link, &e, err);
		if (r >= 0 && c->o->owner) {
			e.uid = c->o->owner->uid;
			e.gid = c->o->owner->gid;
		}
		if (r >= 0)
			r = shift_ids(c->o->id_shift, &e, err);
		if (r >= 0)
			r = apply_entry(c, &e, err);
		if (r < 0 && c->stream_error) {
			/* the data could not be read: say why, not what it was for */
			error_free(err ? TAKE_PTR(*err) : NULL);
			return archive_failure(a, run, c, archive_entry_pathname(ae), err);
		}
		if (r == -EEXIST && c->o->keep_dir_kinds)
			return r; /* dockerd's words name the path already */
		if (r < 0)
			return entry_error(err, archive_entry_pathname(ae));
		memcpy(last, path, strlen(path) + 1);
	}
	*ret_entries = n;
	return 0;
}

static int check_digests(const struct apply_opts *o, const struct layer_stats *st,
                         struct husk_error **err)
{
	const struct digest *layer = o->expect_blob ? o->expect_blob : &st->blob;

	if (o->expect_blob && !digest_equal(o->expect_blob, &st->blob))
		return error_set(err, EILSEQ, "layer %s: digest mismatch: expected %s, got %s",
		                 layer->str, o->expect_blob->str, st->blob.str);
	if (o->expect_diff_id && !digest_equal(o->expect_diff_id, &st->diff_id))
		return error_set(err, EILSEQ,
		                 "layer %s: diff ID (uncompressed digest) mismatch: expected %s, "
		                 "got %s",
		                 layer->str, o->expect_diff_id->str, st->diff_id.str);
	return 0;
}

static int apply_stream(int rootfd, int in_fd, const struct apply_opts *o, struct layer_stats *st,
                        struct husk_error **err)
{
	_cleanup_(layer_reader_freep) struct layer_reader *reader = NULL;
	struct apply_run run = {0};
	struct archive *a = NULL;
	struct apply_ctx c;
	int r;

	r = layer_reader_new(in_fd, o->max_size, !o->no_thread, &reader, err);
	if (r < 0)
		return r;
	run.reader = reader;
	r = apply_ctx_init(&c, rootfd, o);
	if (r >= 0)
		a = archive_read_new();
	if (!a || archive_read_support_format_tar(a) != ARCHIVE_OK)
		r = error_set(err, ENOMEM, "out of memory");
	else if (o->any_compression && (archive_read_support_filter_bzip2(a) == ARCHIVE_FATAL ||
	                                archive_read_support_filter_xz(a) == ARCHIVE_FATAL))
		r = error_set(err, ENOTSUP, "bzip2 and xz are not supported by this libarchive");
	else if (archive_read_open(a, &run, NULL, read_cb, NULL) != ARCHIVE_OK)
		r = archive_failure(a, &run, &c, NULL, err);
	else
		r = apply_entries(a, &c, &run, &st->entries, err);
	if (r >= 0)
		r = apply_finish_dirs(&c, err);
	archive_read_free(a);
	st->bytes = c.bytes;
	st->xattrs_skipped = c.xattrs_skipped;
	apply_ctx_release(&c);
	error_free(run.read_err);
	if (r < 0)
		return r;
	/* the tar ends before the blob does (padding, trailing data): all of it
	 * counts for the digests */
	return layer_reader_finish(reader, st, err);
}

int layer_apply(int in_fd, const char *target_dir, const struct apply_opts *o,
                struct layer_stats *ret, struct husk_error **err)
{
	_cleanup_close_ int rootfd = open(target_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0)
		return error_set_errno(err, errno, "open target directory \"%s\"", target_dir);
	return layer_apply_at(in_fd, rootfd, o, ret, err);
}

int layer_apply_at(int in_fd, int rootfd, const struct apply_opts *o, struct layer_stats *ret,
                   struct husk_error **err)
{
	static const struct apply_opts defaults;
	struct layer_stats st = {0};
	int r;

	if (!o)
		o = &defaults;
	r = apply_stream(rootfd, in_fd, o, &st, err);
	if (r >= 0)
		r = check_digests(o, &st, err);
	if (r >= 0 && ret)
		*ret = st;
	return r;
}

/* --- many layers at once ---------------------------------------------------------- */

struct many {
	struct layer_apply_job *jobs;
	size_t n;
	size_t next;
	pthread_mutex_t lock;
};

static void *many_worker(void *arg)
{
	struct many *m = arg;

	for (;;) {
		struct layer_apply_job *j;

		pthread_mutex_lock(&m->lock);
		j = m->next < m->n ? &m->jobs[m->next++] : NULL;
		pthread_mutex_unlock(&m->lock);
		if (!j)
			return NULL;
		j->result = layer_apply(j->in_fd, j->target_dir, &j->opts, &j->stats, &j->error);
	}
}

int layer_apply_many(struct layer_apply_job *jobs, size_t n, unsigned max_parallel,
                     struct husk_error **err)
{
	struct many m = {.jobs = jobs, .n = n};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = max_parallel ? max_parallel : (cpus > 0 ? (size_t)cpus : 1);
	pthread_t *threads;
	size_t started = 0;

	for (size_t i = 0; i < n; i++) {
		jobs[i].result = 0;
		jobs[i].error = NULL;
	}
	nthreads = MIN(nthreads, n);
	threads = calloc(nthreads ?: 1, sizeof(*threads));
	if (!threads)
		return error_set(err, ENOMEM, "out of memory");
	pthread_mutex_init(&m.lock, NULL);
	for (size_t i = 1; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, many_worker, &m) == 0)
			started++;
	many_worker(&m); /* the caller's thread works too; all jobs run even if no thread starts */
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&m.lock);
	free(threads);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].result < 0) {
			error_set(err, -jobs[i].result, "layer %zu: %s", i,
			          error_message(jobs[i].error));
			return jobs[i].result;
		}
	return 0;
}
