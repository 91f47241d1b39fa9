/* layer_stream.c — layer blobs as byte streams: layer_reader (fd → detect →
 * decompress, hashing both sides, optionally on a producer thread so that
 * inflating overlaps with unpacking), layer_writer (bytes → hash →
 * compress → hash → fd) and layer_compress() joining the two. */
#include "archive/internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"

/* --- the producer: read, hash, decompress, hash ---------------------------- */

struct reader_core {
	int fd;
	enum archive_compression c;
	struct decompressor *dec;
	struct sha256 *blob_hash; /* compressed bytes */
	struct sha256 *diff_hash; /* uncompressed bytes (NULL for ARCHIVE_NONE: the same);
	                           * updated by the consumer, in layer_reader_read() */
	uint8_t *in;
	size_t in_off, in_len;
	bool in_eof;
	bool done; /* everything read and flushed */
	uint64_t compressed, uncompressed, max_size;
};

static int core_read_input(struct reader_core *k, struct husk_error **err)
{
	ssize_t n = read_full(k->fd, k->in, LAYER_IO_BUF);

	if (n < 0)
		return error_set_errno(err, (int)-n, "read layer");
	k->in_off = 0;
	k->in_len = (size_t)n;
	k->in_eof = n < LAYER_IO_BUF;
	sha256_update(k->blob_hash, k->in, (size_t)n);
	k->compressed += (uint64_t)n;
	if (k->compressed > k->max_size)
		return error_set(err, EFBIG, "layer is larger than the limit of %llu bytes",
		                 (unsigned long long)k->max_size);
	return 0;
}

/* Plain tar: read straight into out, no copy; only the first bytes (read
 * for detection) are handed on from the input buffer. */
static ssize_t core_fill_plain(struct reader_core *k, uint8_t *out, size_t cap,
                               struct husk_error **err)
{
	ssize_t n;

	if (k->in_off < k->in_len) {
		n = (ssize_t)MIN(cap, k->in_len - k->in_off);
		memcpy(out, k->in + k->in_off, (size_t)n);
		k->in_off += (size_t)n;
		return n;
	}
	if (k->in_eof) {
		k->done = true;
		return 0;
	}
	n = read_full(k->fd, out, cap);
	if (n < 0)
		return error_set_errno(err, (int)-n, "read layer");
	if ((size_t)n < cap)
		k->done = k->in_eof = true;
	sha256_update(k->blob_hash, out, (size_t)n);
	k->compressed += (uint64_t)n;
	if (k->compressed > k->max_size)
		return error_set(err, EFBIG, "layer is larger than the limit of %llu bytes",
		                 (unsigned long long)k->max_size);
	return n;
}

static ssize_t core_fill_compressed(struct reader_core *k, uint8_t *out, size_t cap,
                                    struct husk_error **err)
{
	size_t total = 0;

	while (total < cap && !k->done) {
		const void *p = k->in + k->in_off;
		size_t left = k->in_len - k->in_off, consumed, got;
		int r;

		if (left == 0 && !k->in_eof) {
			r = core_read_input(k, err);
			if (r < 0)
				return r;
			continue;
		}
		r = decompressor_run(k->dec, &p, &left, out + total, cap - total, &got, err);
		if (r < 0)
			return r;
		consumed = (k->in_len - k->in_off) - left;
		k->in_off += consumed;
		total += got;
		if (got > 0 || consumed > 0)
			continue;
		/* no progress with room for output: the input is all used up */
		if (k->in_off < k->in_len)
			return error_set(err, EILSEQ, "invalid %s data: the decoder stalled",
			                 layer_compression_name(k->c));
		if (!decompressor_at_end(k->dec))
			return error_set(err, EPIPE, "unexpected end of layer data");
		k->done = true;
	}
	return (ssize_t)total;
}

static ssize_t core_fill(struct reader_core *k, uint8_t *out, size_t cap, struct husk_error **err)
{
	ssize_t n = k->c == ARCHIVE_NONE ? core_fill_plain(k, out, cap, err)
	                                 : core_fill_compressed(k, out, cap, err);

	if (n <= 0)
		return n;
	k->uncompressed += (uint64_t)n;
	if (k->uncompressed > k->max_size)
		return error_set(err, EFBIG,
		                 "layer is larger than the limit of %llu bytes uncompressed",
		                 (unsigned long long)k->max_size);
	return n;
}

static void core_release(struct reader_core *k)
{
	decompressor_free(k->dec);
	sha256_free(k->blob_hash);
	sha256_free(k->diff_hash);
	free(k->in);
}

/* Read until 4 bytes (enough to tell the compression) or EOF. */
static int core_init(struct reader_core *k, int fd, uint64_t max_size, struct husk_error **err)
{
	ssize_t n;

	k->fd = fd;
	k->max_size = max_size ? max_size : LAYER_MAX_SIZE_DEFAULT;
	k->in = malloc(LAYER_IO_BUF);
	k->blob_hash = sha256_new();
	if (!k->in || !k->blob_hash)
		return error_set(err, ENOMEM, "out of memory");
	n = read_full(fd, k->in, 4);
	if (n < 0)
		return error_set_errno(err, (int)-n, "read layer");
	k->in_len = (size_t)n;
	k->in_eof = n < 4;
	sha256_update(k->blob_hash, k->in, (size_t)n);
	k->compressed = (uint64_t)n;
	k->c = archive_detect(k->in, k->in_len);
	if (k->c == ARCHIVE_NONE)
		return 0;
	k->dec = decompressor_new(k->c);
	k->diff_hash = sha256_new();
	if (!k->dec || !k->diff_hash)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* --- the pipeline: a ring of buffers between producer and consumer --------- */

#define RING_SLOTS 4

struct slot {
	uint8_t *buf;
	size_t len;
};

struct layer_reader {
	struct reader_core k;
	bool threaded;
	/* unthreaded: slot[0] only */
	struct slot slot[RING_SLOTS];
	/* threaded */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned head, count; /* filled slots from head, the consumer's included */
	bool holding;         /* the consumer has slot[head] */
	bool stop;            /* the consumer is gone */
	bool finished;        /* the producer is done (end or error) */
	int error;
	struct husk_error *perr;
};

static void *producer_main(void *arg)
{
	struct layer_reader *r = arg;
	struct husk_error *e = NULL;
	ssize_t n;

	for (;;) {
		unsigned idx;

		pthread_mutex_lock(&r->lock);
		while (r->count == RING_SLOTS && !r->stop)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		idx = (r->head + r->count) % RING_SLOTS;
		pthread_mutex_unlock(&r->lock);

		n = core_fill(&r->k, r->slot[idx].buf, LAYER_IO_BUF, &e);

		pthread_mutex_lock(&r->lock);
		if (n <= 0) {
			r->finished = true;
			r->error = (int)n;
			r->perr = e;
			pthread_cond_broadcast(&r->cond);
			pthread_mutex_unlock(&r->lock);
			break;
		}
		r->slot[idx].len = (size_t)n;
		r->count++;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

static ssize_t reader_read_threaded(struct layer_reader *r, const void **ret,
                                    struct husk_error **err)
{
	ssize_t n;

	pthread_mutex_lock(&r->lock);
	if (r->holding) {
		r->holding = false;
		r->head = (r->head + 1) % RING_SLOTS;
		r->count--;
		pthread_cond_broadcast(&r->cond);
	}
	while (r->count == 0 && !r->finished)
		pthread_cond_wait(&r->cond, &r->lock);
	if (r->count == 0) {
		n = r->error;
		if (n < 0 && err && !*err && r->perr)
			*err = TAKE_PTR(r->perr);
		else if (n < 0)
			error_set(err, (int)-n, "read layer");
		pthread_mutex_unlock(&r->lock);
		return n;
	}
	r->holding = true;
	*ret = r->slot[r->head].buf;
	n = (ssize_t)r->slot[r->head].len;
	pthread_mutex_unlock(&r->lock);
	return n;
}

int layer_reader_new(int fd, uint64_t max_size, bool threaded, struct layer_reader **ret,
                     struct husk_error **err)
{
	_cleanup_(layer_reader_freep) struct layer_reader *r = calloc(1, sizeof(*r));
	unsigned nslots = threaded ? RING_SLOTS : 1;
	int e;

	if (!r)
		return error_set(err, ENOMEM, "out of memory");
	e = core_init(&r->k, fd, max_size, err);
	if (e < 0)
		return e;
	for (unsigned i = 0; i < nslots; i++) {
		r->slot[i].buf = malloc(LAYER_IO_BUF);
		if (!r->slot[i].buf)
			return error_set(err, ENOMEM, "out of memory");
	}
	r->threaded = threaded;
	if (threaded) {
		pthread_mutex_init(&r->lock, NULL);
		pthread_cond_init(&r->cond, NULL);
		e = pthread_create(&r->thread, NULL, producer_main, r);
		if (e != 0) {
			r->threaded = false;
			pthread_mutex_destroy(&r->lock);
			pthread_cond_destroy(&r->cond);
		} else {
			r->thread_started = true;
		}
	}
	*ret = TAKE_PTR(r);
	return 0;
}

ssize_t layer_reader_read(struct layer_reader *r, const void **ret, struct husk_error **err)
{
	ssize_t n;

	if (r->threaded) {
		n = reader_read_threaded(r, ret, err);
	} else {
		n = core_fill(&r->k, r->slot[0].buf, LAYER_IO_BUF, err);
		if (n > 0)
			*ret = r->slot[0].buf;
	}
	/* the diffID on the consumer's side: the producer has the inflating
	 * and the blob digest, this balances the two threads */
	if (n > 0 && r->k.diff_hash)
		sha256_update(r->k.diff_hash, *ret, (size_t)n);
	return n;
}

enum archive_compression layer_reader_compression(const struct layer_reader *r)
{
	return r->k.c;
}

static void reader_stop(struct layer_reader *r)
{
	if (!r->thread_started)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->thread_started = false;
}

int layer_reader_finish(struct layer_reader *r, struct layer_stats *ret, struct husk_error **err)
{
	const void *p;
	ssize_t n;

	do
		n = layer_reader_read(r, &p, err);
	while (n > 0);
	if (n < 0)
		return (int)n;
	reader_stop(r);
	sha256_final(r->k.blob_hash, &ret->blob);
	if (r->k.diff_hash)
		sha256_final(r->k.diff_hash, &ret->diff_id);
	else
		ret->diff_id = ret->blob;
	ret->compressed_size = r->k.compressed;
	ret->uncompressed_size = r->k.uncompressed;
	ret->compression = r->k.c;
	return 0;
}

void layer_reader_free(struct layer_reader *r)
{
	if (!r)
		return;
	reader_stop(r);
	if (r->threaded) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->cond);
	}
	error_free(r->perr);
	for (unsigned i = 0; i < RING_SLOTS; i++)
		free(r->slot[i].buf);
	core_release(&r->k);
	free(r);
}

/* --- the writer ------------------------------------------------------------ */

struct layer_writer {
	int fd;
	enum archive_compression c;
	struct compressor *z;
	struct sha256 *diff_hash, *blob_hash;
	uint8_t *out;
	size_t out_len;
	uint64_t compressed, uncompressed;
};

int layer_writer_new(int fd, enum archive_compression c, struct layer_writer **ret,
                     struct husk_error **err)
{
	_cleanup_(layer_writer_freep) struct layer_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return error_set(err, ENOMEM, "out of memory");
	if ((unsigned)c > ARCHIVE_ZSTD)
		return error_set(err, EINVAL, "unknown compression %d", (int)c);
	w->fd = fd;
	w->c = c;
	w->out = malloc(LAYER_IO_BUF);
	w->diff_hash = sha256_new();
	w->blob_hash = c == ARCHIVE_NONE ? NULL : sha256_new();
	if (c != ARCHIVE_NONE)
		w->z = compressor_new(c);
	if (!w->out || !w->diff_hash || (c != ARCHIVE_NONE && (!w->blob_hash || !w->z)))
		return error_set(err, ENOMEM, "out of memory");
	*ret = TAKE_PTR(w);
	return 0;
}

static int writer_flush(struct layer_writer *w, struct husk_error **err)
{
	int r;

	if (w->out_len == 0)
		return 0;
	if (w->blob_hash)
		sha256_update(w->blob_hash, w->out, w->out_len);
	if (w->fd >= 0) {
		r = write_all(w->fd, w->out, w->out_len);
		if (r < 0)
			return error_set_errno(err, -r, "write layer");
	}
	w->compressed += w->out_len;
	w->out_len = 0;
	return 0;
}

static int writer_push(struct layer_writer *w, const void *buf, size_t len, bool finish,
                       struct husk_error **err)
{
	for (;;) {
		size_t got;
		int r = compressor_run(w->z, &buf, &len, finish, w->out + w->out_len,
		                       LAYER_IO_BUF - w->out_len, &got, err);

		if (r < 0)
			return r;
		w->out_len += got;
		if (w->out_len == LAYER_IO_BUF) {
			r = writer_flush(w, err);
			if (r < 0)
				return r;
			continue;
		}
		if (r == 1 || (!finish && len == 0))
			return 0;
	}
}

int layer_writer_write(struct layer_writer *w, const void *buf, size_t len, struct husk_error **err)
{
	sha256_update(w->diff_hash, buf, len);
	w->uncompressed += len;
	if (w->c != ARCHIVE_NONE)
		return writer_push(w, buf, len, false, err);
	while (len > 0) {
		size_t n = MIN(len, LAYER_IO_BUF - w->out_len);
		int r;

		memcpy(w->out + w->out_len, buf, n);
		w->out_len += n;
		buf = (const uint8_t *)buf + n;
		len -= n;
		if (w->out_len == LAYER_IO_BUF) {
			r = writer_flush(w, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int layer_writer_finish(struct layer_writer *w, struct layer_stats *ret, struct husk_error **err)
{
	int r = 0;

	if (w->c != ARCHIVE_NONE)
		r = writer_push(w, NULL, 0, true, err);
	if (r >= 0)
		r = writer_flush(w, err);
	if (r < 0)
		return r;
	sha256_final(w->diff_hash, &ret->diff_id);
	if (w->blob_hash)
		sha256_final(w->blob_hash, &ret->blob);
	else
		ret->blob = ret->diff_id;
	ret->compressed_size = w->compressed;
	ret->uncompressed_size = w->uncompressed;
	ret->compression = w->c;
	return 0;
}

void layer_writer_free(struct layer_writer *w)
{
	if (!w)
		return;
	compressor_free(w->z);
	sha256_free(w->diff_hash);
	sha256_free(w->blob_hash);
	free(w->out);
	free(w);
}

int layer_compress(int in_fd, int out_fd, enum archive_compression c, struct layer_stats *ret,
                   struct husk_error **err)
{
	_cleanup_(layer_reader_freep) struct layer_reader *r = NULL;
	_cleanup_(layer_writer_freep) struct layer_writer *w = NULL;
	struct layer_stats in = {0}, out = {0};
	const void *p;
	ssize_t n;
	int e;

	e = layer_reader_new(in_fd, 0, true, &r, err);
	if (e < 0)
		return e;
	e = layer_writer_new(out_fd, c, &w, err);
	if (e < 0)
		return e;
	while ((n = layer_reader_read(r, &p, err)) > 0) {
		e = layer_writer_write(w, p, (size_t)n, err);
		if (e < 0)
			return e;
	}
	if (n < 0)
		return (int)n;
	e = layer_reader_finish(r, &in, err);
	if (e >= 0)
		e = layer_writer_finish(w, &out, err);
	if (e < 0)
		return e;
	if (ret) {
		*ret = out;
		ret->diff_id = in.diff_id;
		ret->uncompressed_size = in.uncompressed_size;
	}
	return 0;
}
