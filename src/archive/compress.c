/* compress.c — gzip and zstd streams for layers: detection by magic, a
 * decompressor (isa-l igzip, ~3x zlib's speed, when built with libisal;
 * zlib otherwise) and a compressor (igzip / zlib level 1, zstd level 3).
 * Each codec is a table of three functions; nothing here does I/O. */
#include "archive/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "base/str.h"

enum archive_compression archive_detect(const void *head, size_t len)
{
	const unsigned char *p = head;

	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return ARCHIVE_GZIP;
	if (len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return ARCHIVE_ZSTD;
	return ARCHIVE_NONE;
}

static const char *const compression_names[] = {
        [ARCHIVE_NONE] = "none",
        [ARCHIVE_GZIP] = "gzip",
        [ARCHIVE_ZSTD] = "zstd",
};

const char *layer_compression_name(enum archive_compression c)
{
	return (unsigned)c < ELEMENTSOF(compression_names) ? compression_names[c] : "unknown";
}

int layer_compression_parse(const char *s, enum archive_compression *ret)
{
	for (unsigned i = 0; i < ELEMENTSOF(compression_names); i++)
		if (streq(s, compression_names[i])) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

/* --- decompressors --------------------------------------------------------- */

struct decompressor_ops {
	int (*init)(struct decompressor *d);
	/* one step: consume some of in, produce some of out */
	int (*run)(struct decompressor *d, const uint8_t **in, size_t *in_len, uint8_t *out,
	           size_t out_cap, size_t *ret_out_len, struct husk_error **err);
	void (*done)(struct decompressor *d);
};

struct decompressor {
	const struct decompressor_ops *ops;
	/* a member/frame is open: EOF now would cut it */
	bool in_member;
	/* one member/frame done: what follows must be another one */
	bool members_done;
	union {
		z_stream z;
		ZSTD_DStream *zstd;
#ifdef HAVE_ISAL
		struct inflate_state *isal;
#endif
	};
};

static int copy_run(struct decompressor *d, const uint8_t **in, size_t *in_len, uint8_t *out,
                    size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	size_t n = MIN(*in_len, out_cap);

	memcpy(out, *in, n);
	*in += n;
	*in_len -= n;
	*ret_out_len = n;
	return 0;
}

static const struct decompressor_ops copy_ops = {.run = copy_run};

static int trailing_garbage(struct husk_error **err, const char *what)
{
	return error_set(err, EILSEQ,
	                 "invalid %s data: trailing garbage after the compressed stream", what);
}

/* zlib: windowBits 15 + 16 = gzip wrapper only; inflateReset between
 * concatenated members. */
static int zlib_init(struct decompressor *d)
{
	memset(&d->z, 0, sizeof(d->z));
	return inflateInit2(&d->z, 15 + 16) == Z_OK ? 0 : -ENOMEM;
}

static int zlib_run(struct decompressor *d, const uint8_t **in, size_t *in_len, uint8_t *out,
                    size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	z_stream *z = &d->z;
	int r;

	if (!d->in_member) {
		if (*in_len == 0)
			return 0;
		if (d->members_done && **in != 0x1f)
			return trailing_garbage(err, "gzip");
		if (d->members_done)
			inflateReset(z);
		d->in_member = true;
	}
	z->next_in = (Bytef *)*in;
	z->avail_in = (uInt)MIN(*in_len, UINT32_MAX);
	z->next_out = out;
	z->avail_out = (uInt)MIN(out_cap, UINT32_MAX);
	r = inflate(z, Z_NO_FLUSH);
	*ret_out_len = out_cap - z->avail_out;
	*in_len -= (const uint8_t *)z->next_in - *in;
	*in = z->next_in;
	if (r == Z_STREAM_END) {
		d->in_member = false;
		d->members_done = true;
		return 0;
	}
	if (r == Z_OK || r == Z_BUF_ERROR)
		return 0;
	if (r == Z_MEM_ERROR)
		return error_set(err, ENOMEM, "gzip: out of memory");
	return error_set(err, EILSEQ, "invalid gzip data: %s", z->msg ? z->msg : "corrupt stream");
}

static void zlib_done(struct decompressor *d)
{
	inflateEnd(&d->z);
}

static const struct decompressor_ops zlib_ops = {zlib_init, zlib_run, zlib_done};

#ifdef HAVE_ISAL
static int isal_init(struct decompressor *d)
{
	d->isal = malloc(sizeof(*d->isal));
	if (!d->isal)
		return -ENOMEM;
	isal_inflate_init(d->isal);
	d->isal->crc_flag = ISAL_GZIP; /* parse the header, check crc and size */
	return 0;
}

static const char *isal_strerror(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid block";
	case ISAL_INVALID_SYMBOL:
		return "invalid symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER:
		return "not a gzip header";
	case ISAL_UNSUPPORTED_METHOD:
		return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check";
	default:
		return "corrupt stream";
	}
}

static int isal_run(struct decompressor *d, const uint8_t **in, size_t *in_len, uint8_t *out,
                    size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	struct inflate_state *s = d->isal;
	int r;

	if (!d->in_member) {
		if (*in_len == 0)
			return 0;
		if (d->members_done && **in != 0x1f)
			return trailing_garbage(err, "gzip");
		if (d->members_done) {
			isal_inflate_reset(s);
			s->crc_flag = ISAL_GZIP;
		}
		d->in_member = true;
	}
	s->next_in = (uint8_t *)*in;
	s->avail_in = (uint32_t)MIN(*in_len, UINT32_MAX);
	s->next_out = out;
	s->avail_out = (uint32_t)MIN(out_cap, UINT32_MAX);
	r = isal_inflate(s);
	*ret_out_len = (size_t)(s->next_out - out);
	*in_len -= (const uint8_t *)s->next_in - *in;
	*in = s->next_in;
	if (r < 0)
		return error_set(err, EILSEQ, "invalid gzip data: %s", isal_strerror(r));
	if (s->block_state == ISAL_BLOCK_FINISH) {
		d->in_member = false;
		d->members_done = true;
	}
	return 0;
}

static void isal_done(struct decompressor *d)
{
	free(d->isal);
}

static const struct decompressor_ops isal_ops = {isal_init, isal_run, isal_done};
#endif

static int zstd_init(struct decompressor *d)
{
	d->zstd = ZSTD_createDStream();
	return d->zstd ? 0 : -ENOMEM;
}

static int zstd_run(struct decompressor *d, const uint8_t **in, size_t *in_len, uint8_t *out,
                    size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	ZSTD_inBuffer ib = {*in, *in_len, 0};
	ZSTD_outBuffer ob = {out, out_cap, 0};
	size_t r;

	if (!d->in_member && *in_len == 0)
		return 0; /* between frames: asking would "start" one */
	r = ZSTD_decompressStream(d->zstd, &ob, &ib);
	*in += ib.pos;
	*in_len -= ib.pos;
	*ret_out_len = ob.pos;
	if (ZSTD_isError(r))
		return error_set(err, EILSEQ, "invalid zstd data: %s", ZSTD_getErrorName(r));
	/* 0: a frame is complete and flushed; the next byte starts another */
	d->in_member = r != 0;
	if (r == 0)
		d->members_done = true;
	return 0;
}

static void zstd_done(struct decompressor *d)
{
	ZSTD_freeDStream(d->zstd);
}

static const struct decompressor_ops zstd_ops = {zstd_init, zstd_run, zstd_done};

static const struct decompressor_ops *const decompressors[] = {
        [ARCHIVE_NONE] = &copy_ops,
#ifdef HAVE_ISAL
        [ARCHIVE_GZIP] = &isal_ops,
#else
        [ARCHIVE_GZIP] = &zlib_ops,
#endif
        [ARCHIVE_ZSTD] = &zstd_ops,
};

static struct decompressor *decompressor_with(const struct decompressor_ops *ops)
{
	struct decompressor *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->ops = ops;
	if (ops->init && ops->init(d) < 0) {
		free(d);
		return NULL;
	}
	return d;
}

struct decompressor *decompressor_new(enum archive_compression c)
{
	if ((unsigned)c >= ELEMENTSOF(decompressors))
		return NULL;
	return decompressor_with(decompressors[c]);
}

struct decompressor *decompressor_new_zlib(void)
{
	return decompressor_with(&zlib_ops);
}

int decompressor_run(struct decompressor *d, const void **in, size_t *in_len, void *out,
                     size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	*ret_out_len = 0;
	if (out_cap == 0)
		return 0;
	return d->ops->run(d, (const uint8_t **)in, in_len, out, out_cap, ret_out_len, err);
}

bool decompressor_at_end(const struct decompressor *d)
{
	return !d->in_member;
}

void decompressor_free(struct decompressor *d)
{
	if (!d)
		return;
	if (d->ops->done)
		d->ops->done(d);
	free(d);
}

/* --- compressors ----------------------------------------------------------- */

struct compressor_ops {
	int (*init)(struct compressor *z);
	int (*run)(struct compressor *z, const uint8_t **in, size_t *in_len, bool finish,
	           uint8_t *out, size_t out_cap, size_t *ret_out_len, struct husk_error **err);
	void (*done)(struct compressor *z);
};

struct compressor {
	const struct compressor_ops *ops;
	union {
		z_stream z;
		ZSTD_CCtx *zstd;
#ifdef HAVE_ISAL
		struct {
			struct isal_zstream *s;
			uint8_t *level_buf;
		} isal;
#endif
	};
};

static int zlib_c_init(struct compressor *z)
{
	memset(&z->z, 0, sizeof(z->z));
	/* level 1: layers are written once per commit and read per pull; the
	 * ratio of level 6 costs three times the time for a few percent */
	return deflateInit2(&z->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK ? 0
	                                                                                  : -ENOMEM;
}

static int zlib_c_run(struct compressor *c, const uint8_t **in, size_t *in_len, bool finish,
                      uint8_t *out, size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	z_stream *z = &c->z;
	int r;

	z->next_in = (Bytef *)*in;
	z->avail_in = (uInt)MIN(*in_len, UINT32_MAX);
	z->next_out = out;
	z->avail_out = (uInt)MIN(out_cap, UINT32_MAX);
	r = deflate(z, finish && z->avail_in == *in_len ? Z_FINISH : Z_NO_FLUSH);
	*ret_out_len = out_cap - z->avail_out;
	*in_len -= (const uint8_t *)z->next_in - *in;
	*in = z->next_in;
	if (r == Z_STREAM_END)
		return 1;
	if (r == Z_OK || r == Z_BUF_ERROR)
		return 0;
	return error_set(err, EIO, "gzip compression failed: %s", z->msg ? z->msg : "zlib error");
}

static void zlib_c_done(struct compressor *z)
{
	deflateEnd(&z->z);
}

static const struct compressor_ops zlib_c_ops = {zlib_c_init, zlib_c_run, zlib_c_done};

#ifdef HAVE_ISAL
static int isal_c_init(struct compressor *z)
{
	z->isal.s = calloc(1, sizeof(*z->isal.s));
	z->isal.level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
	if (!z->isal.s || !z->isal.level_buf)
		return -ENOMEM;
	isal_deflate_init(z->isal.s);
	z->isal.s->level = 1;
	z->isal.s->level_buf = z->isal.level_buf;
	z->isal.s->level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	z->isal.s->gzip_flag = IGZIP_GZIP; /* the generic header: mtime 0, no name */
	return 0;
}

static int isal_c_run(struct compressor *z, const uint8_t **in, size_t *in_len, bool finish,
                      uint8_t *out, size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	struct isal_zstream *s = z->isal.s;
	int r;

	s->next_in = (uint8_t *)*in;
	s->avail_in = (uint32_t)MIN(*in_len, UINT32_MAX);
	s->end_of_stream = finish && s->avail_in == *in_len;
	s->next_out = out;
	s->avail_out = (uint32_t)MIN(out_cap, UINT32_MAX);
	r = isal_deflate(s);
	*ret_out_len = (size_t)(s->next_out - out);
	*in_len -= (const uint8_t *)s->next_in - *in;
	*in = s->next_in;
	if (r != COMP_OK)
		return error_set(err, EIO, "gzip compression failed: isa-l error %d", r);
	return s->internal_state.state == ZSTATE_END ? 1 : 0;
}

static void isal_c_done(struct compressor *z)
{
	free(z->isal.s);
	free(z->isal.level_buf);
}

static const struct compressor_ops isal_c_ops = {isal_c_init, isal_c_run, isal_c_done};
#endif

static int zstd_c_init(struct compressor *z)
{
	z->zstd = ZSTD_createCCtx();
	if (!z->zstd)
		return -ENOMEM;
	ZSTD_CCtx_setParameter(z->zstd, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(z->zstd, ZSTD_c_checksumFlag, 1);
	return 0;
}

static int zstd_c_run(struct compressor *z, const uint8_t **in, size_t *in_len, bool finish,
                      uint8_t *out, size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	ZSTD_inBuffer ib = {*in, *in_len, 0};
	ZSTD_outBuffer ob = {out, out_cap, 0};
	size_t r = ZSTD_compressStream2(z->zstd, &ob, &ib, finish ? ZSTD_e_end : ZSTD_e_continue);

	*in += ib.pos;
	*in_len -= ib.pos;
	*ret_out_len = ob.pos;
	if (ZSTD_isError(r))
		return error_set(err, EIO, "zstd compression failed: %s", ZSTD_getErrorName(r));
	return finish && r == 0 ? 1 : 0;
}

static void zstd_c_done(struct compressor *z)
{
	ZSTD_freeCCtx(z->zstd);
}

static const struct compressor_ops zstd_c_ops = {zstd_c_init, zstd_c_run, zstd_c_done};

static const struct compressor_ops *const compressors[] = {
#ifdef HAVE_ISAL
        [ARCHIVE_GZIP] = &isal_c_ops,
#else
        [ARCHIVE_GZIP] = &zlib_c_ops,
#endif
        [ARCHIVE_ZSTD] = &zstd_c_ops,
};

static struct compressor *compressor_with(const struct compressor_ops *ops)
{
	struct compressor *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->ops = ops;
	if (ops->init(z) < 0) {
		compressor_free(z);
		return NULL;
	}
	return z;
}

struct compressor *compressor_new(enum archive_compression c)
{
	if ((unsigned)c >= ELEMENTSOF(compressors) || !compressors[c])
		return NULL;
	return compressor_with(compressors[c]);
}

struct compressor *compressor_new_zlib(void)
{
	return compressor_with(&zlib_c_ops);
}

int compressor_run(struct compressor *z, const void **in, size_t *in_len, bool finish, void *out,
                   size_t out_cap, size_t *ret_out_len, struct husk_error **err)
{
	*ret_out_len = 0;
	return z->ops->run(z, (const uint8_t **)in, in_len, finish, out, out_cap, ret_out_len, err);
}

void compressor_free(struct compressor *z)
{
	if (!z)
		return;
	z->ops->done(z);
	free(z);
}
