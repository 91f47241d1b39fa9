/* Unit tests for src/archive/: layer_apply() on tars built here with
 * libarchive's writer (so that each case is exactly what it says), the
 * gzip/zstd streams and both digests, whiteouts in overlay and vfs form,
 * hostile paths and links, the caps, and layer_diff() (round trip,
 * determinism, overlay upper dirs, tree comparison). Runs as root: it
 * chowns, makes devices and sets trusted.* xattrs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <zstd.h>

#include "archive/archive.h"
#include "archive/internal.h"
#include "base/fs.h"
#include "base/str.h"

/* --- fixture: a scratch dir with t/ (the target) ---------------------------- */

struct fx {
	char dir[64];
	char target[96];
};

static int rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/husk-test-archive-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->target, sizeof(f->target), "%s/t", f->dir);
	if (mkdir(f->target, 0755) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static const char *at(struct fx *f, const char *rel)
{
	static char paths[4][PATH_MAX];
	static unsigned next;
	char *p = paths[next++ % ELEMENTSOF(paths)];

	snprintf(p, PATH_MAX, "%s/%s", f->dir, rel);
	return p;
}

static const char *in_t(struct fx *f, const char *rel)
{
	static char paths[4][PATH_MAX];
	static unsigned next;
	char *p = paths[next++ % ELEMENTSOF(paths)];

	snprintf(p, PATH_MAX, "%s/%s", f->target, rel);
	return p;
}

static char *slurp_path(const char *path)
{
	char *s = NULL;

	assert_int_equal(read_file(path, 1 << 24, &s, NULL, NULL), 0);
	return s;
}

static void put(const char *path, const char *content, mode_t mode)
{
	assert_int_equal(mkdir_p_parent(path, 0755), 0);
	assert_int_equal(atomic_replace_at(AT_FDCWD, path, content, strlen(content), mode, NULL),
	                 0);
}

/* --- building tars ------------------------------------------------------------ */

struct tb {
	struct archive *a;
	struct archive_entry *e;
	struct strbuf out;
};

static la_ssize_t tb_write(struct archive *a, void *client, const void *buf, size_t len)
{
	struct tb *t = client;

	return strbuf_append(&t->out, buf, len) < 0 ? -1 : (la_ssize_t)len;
}

static void tb_init(struct tb *t)
{
	memset(t, 0, sizeof(*t));
	t->a = archive_write_new();
	assert_non_null(t->a);
	assert_int_equal(archive_write_set_format_pax(t->a), ARCHIVE_OK);
	archive_write_set_bytes_per_block(t->a, 0);
	assert_int_equal(archive_write_open(t->a, t, NULL, tb_write, NULL), ARCHIVE_OK);
	t->e = archive_entry_new();
}

/* Start an entry; xattrs may be added to t->e before tb_add(). */
static struct archive_entry *tb_entry(struct tb *t, const char *path, mode_t mode)
{
	archive_entry_clear(t->e);
	archive_entry_set_pathname(t->e, path);
	archive_entry_set_mode(t->e, mode);
	archive_entry_set_mtime(t->e, 1700000000, 0);
	return t->e;
}

static void tb_add(struct tb *t, const void *data, size_t len)
{
	assert_true(archive_write_header(t->a, t->e) >= ARCHIVE_WARN);
	if (len)
		assert_int_equal(archive_write_data(t->a, data, len), (la_ssize_t)len);
}

static void tb_file(struct tb *t, const char *path, mode_t perm, const char *content)
{
	tb_entry(t, path, S_IFREG | perm);
	archive_entry_set_size(t->e, (la_int64_t)strlen(content));
	tb_add(t, content, strlen(content));
}

static void tb_dir(struct tb *t, const char *path, mode_t perm)
{
	tb_entry(t, path, S_IFDIR | perm);
	tb_add(t, NULL, 0);
}

static void tb_symlink(struct tb *t, const char *path, const char *target)
{
	tb_entry(t, path, S_IFLNK | 0777);
	archive_entry_set_symlink(t->e, target);
	tb_add(t, NULL, 0);
}

static void tb_hardlink(struct tb *t, const char *path, const char *target)
{
	tb_entry(t, path, S_IFREG | 0644);
	archive_entry_set_hardlink(t->e, target);
	tb_add(t, NULL, 0);
}

/* The tar bytes; t is done. Caller frees. */
static char *tb_finish(struct tb *t, size_t *len)
{
	assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
	archive_write_free(t->a);
	archive_entry_free(t->e);
	*len = t->out.len;
	return strbuf_steal(&t->out);
}

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, len), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static char *compress_with(struct compressor *z, const char *in, size_t len, size_t *ret_len)
{
	struct strbuf sb = {0};
	char out[65536];
	const void *p = in;
	int r;

	assert_non_null(z);
	do {
		size_t got;

		r = compressor_run(z, &p, &len, true, out, sizeof(out), &got, NULL);
		assert_true(r >= 0);
		assert_int_equal(strbuf_append(&sb, out, got), 0);
	} while (r == 0);
	compressor_free(z);
	*ret_len = sb.len;
	return strbuf_steal(&sb);
}

static char *compress_buf(enum archive_compression c, const char *in, size_t len, size_t *ret_len)
{
	return compress_with(compressor_new(c), in, len, ret_len);
}

static int apply_buf(const void *data, size_t len, const char *target, const struct apply_opts *o,
                     struct layer_stats *st, struct husk_error **err)
{
	int fd = memfd_with(data, len);
	int r = layer_apply(fd, target, o, st, err);

	close(fd);
	return r;
}

/* Apply a tar that must work. */
static void apply_ok(struct tb *t, const char *target, const struct apply_opts *o)
{
	struct husk_error *err = NULL;
	size_t len;
	char *tar = tb_finish(t, &len);
	int r = apply_buf(tar, len, target, o, NULL, &err);

	if (r < 0)
		fail_msg("layer_apply: %s", error_message(err));
	free(tar);
}

/* Apply a tar that must fail with code; returns the message (free it). */
static char *apply_fails(struct tb *t, const char *target, const struct apply_opts *o, int code)
{
	struct husk_error *err = NULL;
	size_t len;
	char *tar = tb_finish(t, &len), *msg;
	int r = apply_buf(tar, len, target, o, NULL, &err);

	free(tar);
	if (r != -code)
		fail_msg("expected %d, got %d: %s", -code, r, error_message(err));
	msg = strdup(error_message(err));
	error_free(err);
	return msg;
}

static void assert_contains(const char *s, const char *sub)
{
	if (!strstr(s, sub))
		fail_msg("\"%s\" does not contain \"%s\"", s, sub);
}

static struct stat lstat_ok(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("lstat %s: %s", path, strerror(errno));
	return st;
}

static void _printf_(1, 2) sh(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static const struct apply_opts overlay = {.overlay_whiteouts = true};
static const struct apply_opts vfs = {.overlay_whiteouts = false};

/* --- tests: streams ---------------------------------------------------------- */

static void test_detect(void **state)
{
	static const unsigned char gz[] = {0x1f, 0x8b, 8, 0}, zs[] = {0x28, 0xb5, 0x2f, 0xfd},
	                           tar[] = "etc/";

	assert_int_equal(archive_detect(gz, sizeof(gz)), ARCHIVE_GZIP);
	assert_int_equal(archive_detect(zs, sizeof(zs)), ARCHIVE_ZSTD);
	assert_int_equal(archive_detect(zs, 3), ARCHIVE_NONE);
	assert_int_equal(archive_detect(tar, 4), ARCHIVE_NONE);
	assert_int_equal(archive_detect(gz, 1), ARCHIVE_NONE);
	assert_int_equal(archive_detect(NULL, 0), ARCHIVE_NONE);
	assert_string_equal(layer_compression_name(ARCHIVE_ZSTD), "zstd");
}

static void test_path_clean(void **state)
{
	static const struct {
		const char *in, *out;
		int r;
	} cases[] = {
	        {"a/b", "a/b", 0},
	        {"/abs/x", "abs/x", 0},
	        {"./a//b/", "a/b", 0},
	        {"a/../b", "b", 0},
	        {".", "", 0},
	        {"/", "", 0},
	        {"../x", NULL, -EINVAL},
	        {"a/../../x", NULL, -EINVAL},
	        {"..", NULL, -EINVAL},
	        {"a/./../..", NULL, -EINVAL},
	};
	char out[LAYER_MAX_PATH + 1], *big;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int r = layer_path_clean(cases[i].in, out, NULL);

		assert_int_equal(r, cases[i].r);
		if (r == 0)
			assert_string_equal(out, cases[i].out);
	}
	big = calloc(1, 5000);
	memset(big, 'a', 256);
	assert_int_equal(layer_path_clean(big, out, NULL), -ENAMETOOLONG);
	memset(big, 'a', 4097);
	for (int i = 1; i < 4097; i += 2)
		big[i] = '/';
	assert_int_equal(layer_path_clean(big, out, NULL), -ENAMETOOLONG);
	free(big);
}

static char *make_sample_tar(size_t *len)
{
	struct tb t;
	char big[200000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + (i * 7 + i / 1000) % 26);
	big[sizeof(big) - 1] = 0;
	tb_init(&t);
	tb_dir(&t, "etc/", 0755);
	tb_file(&t, "etc/hostname", 0644, "husk\n");
	tb_file(&t, "big", 0600, big);
	tb_symlink(&t, "link", "etc/hostname");
	return tb_finish(&t, len);
}

static void check_sample(struct fx *f)
{
	_cleanup_free_ char *h = slurp_path(in_t(f, "etc/hostname"));
	char buf[64];

	assert_string_equal(h, "husk\n");
	assert_int_equal(lstat_ok(in_t(f, "big")).st_size, 199999);
	assert_int_equal(readlink(in_t(f, "link"), buf, sizeof(buf)), 12);
}

/* The same tar plain, gzip'd (isa-l and zlib, one and two members) and
 * zstd'd: same tree, same diffID, blob digest = sha256 of the bytes. */
static void test_compressions_and_digests(void **state)
{
	struct fx *f = *state;
	size_t len, clen[5];
	_cleanup_free_ char *tar = make_sample_tar(&len);
	char *blobs[5];
	struct digest tar_digest;

	digest_buf(tar, len, &tar_digest);
	blobs[0] = memcpy(malloc(len), tar, len);
	clen[0] = len;
	blobs[1] = compress_buf(ARCHIVE_GZIP, tar, len, &clen[1]);
	blobs[2] = compress_with(compressor_new_zlib(), tar, len, &clen[2]);
	blobs[3] = compress_buf(ARCHIVE_ZSTD, tar, len, &clen[3]);
	{ /* two gzip members: gzip -c a >x; gzip -c b >>x */
		size_t l1, l2;
		_cleanup_free_ char *m1 = compress_buf(ARCHIVE_GZIP, tar, 1000, &l1);
		_cleanup_free_ char *m2 = compress_buf(ARCHIVE_GZIP, tar + 1000, len - 1000, &l2);

		blobs[4] = malloc(l1 + l2);
		memcpy(blobs[4], m1, l1);
		memcpy(blobs[4] + l1, m2, l2);
		clen[4] = l1 + l2;
	}
	for (int i = 0; i < 5; i++) {
		static const enum archive_compression want[] = {
		        ARCHIVE_NONE, ARCHIVE_GZIP, ARCHIVE_GZIP, ARCHIVE_ZSTD, ARCHIVE_GZIP};
		struct husk_error *err = NULL;
		struct layer_stats st;
		struct digest blob;

		rm_rf(f->target);
		mkdir(f->target, 0755);
		if (apply_buf(blobs[i], clen[i], f->target, &overlay, &st, &err) < 0)
			fail_msg("blob %d: %s", i, error_message(err));
		check_sample(f);
		digest_buf(blobs[i], clen[i], &blob);
		assert_string_equal(st.blob.str, blob.str);
		assert_string_equal(st.diff_id.str, tar_digest.str);
		assert_int_equal(st.compression, want[i]);
		assert_int_equal(st.compressed_size, clen[i]);
		assert_int_equal(st.uncompressed_size, len);
		assert_int_equal(st.entries, 4);
		free(blobs[i]);
	}
}

/* Decode blob with d, fed in_step bytes and given out_step bytes of room
 * at a time: the decoders must carry state across any split. */
static void decode_in_steps(struct decompressor *d, const char *blob, size_t blen, const char *want,
                            size_t len, size_t in_step, size_t out_step)
{
	_cleanup_free_ char *out = malloc(len + 100);
	size_t off = 0, total = 0;

	for (;;) {
		size_t chunk = MIN(in_step, blen - off), left = chunk, got;
		const void *in = blob + off;

		assert_int_equal(decompressor_run(d, &in, &left, out + total,
		                                  MIN(out_step, len + 100 - total), &got, NULL),
		                 0);
		off += chunk - left;
		total += got;
		if (off == blen && got == 0)
			break;
	}
	assert_true(decompressor_at_end(d));
	assert_int_equal(total, len);
	assert_memory_equal(out, want, len);
	decompressor_free(d);
}

static void test_decompressors_any_split(void **state)
{
	static const size_t steps[][2] = {{1 << 20, 777}, {7, 1 << 20}, {1, 13}, {4096, 4096}};
	size_t len, glen, zlen;
	_cleanup_free_ char *tar = make_sample_tar(&len);
	_cleanup_free_ char *gz = compress_buf(ARCHIVE_GZIP, tar, len, &glen);
	_cleanup_free_ char *zs = compress_buf(ARCHIVE_ZSTD, tar, len, &zlen);

	for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
		decode_in_steps(decompressor_new(ARCHIVE_GZIP), gz, glen, tar, len, steps[i][0],
		                steps[i][1]);
		decode_in_steps(decompressor_new_zlib(), gz, glen, tar, len, steps[i][0],
		                steps[i][1]);
		decode_in_steps(decompressor_new(ARCHIVE_ZSTD), zs, zlen, tar, len, steps[i][0],
		                steps[i][1]);
	}
}

static void test_digest_mismatch(void **state)
{
	struct fx *f = *state;
	size_t len;
	_cleanup_free_ char *tar = make_sample_tar(&len);
	struct digest wrong, right;
	struct husk_error *err = NULL;
	struct apply_opts o = {.overlay_whiteouts = true, .expect_blob = &wrong};

	digest_buf("x", 1, &wrong);
	digest_buf(tar, len, &right);
	assert_int_equal(apply_buf(tar, len, f->target, &o, NULL, &err), -EILSEQ);
	assert_contains(error_message(err), "digest mismatch");
	assert_contains(error_message(err), wrong.str);
	assert_contains(error_message(err), right.str);
	error_free(err);
	err = NULL;
	o.expect_blob = &right;
	o.expect_diff_id = &wrong;
	assert_int_equal(apply_buf(tar, len, f->target, &o, NULL, &err), -EILSEQ);
	assert_contains(error_message(err), "mismatch");
	error_free(err);
	err = NULL;
	o.expect_diff_id = &right;
	assert_int_equal(apply_buf(tar, len, f->target, &o, NULL, &err), 0);
}

static void expect_truncated(struct fx *f, const char *blob, size_t len, int code, const char *msg)
{
	struct husk_error *err = NULL;

	rm_rf(f->target);
	mkdir(f->target, 0755);
	assert_int_equal(apply_buf(blob, len, f->target, &overlay, NULL, &err), -code);
	assert_contains(error_message(err), msg);
	error_free(err);
}

static void test_truncated_and_garbage(void **state)
{
	struct fx *f = *state;
	size_t len, glen, zlen;
	_cleanup_free_ char *tar = make_sample_tar(&len);
	_cleanup_free_ char *gz = compress_buf(ARCHIVE_GZIP, tar, len, &glen);
	_cleanup_free_ char *zs = compress_buf(ARCHIVE_ZSTD, tar, len, &zlen);
	_cleanup_free_ char *gzg = malloc(glen + 8);

	expect_truncated(f, gz, glen / 2, EPIPE, "unexpected end of layer data");
	expect_truncated(f, gz, glen - 4, EPIPE, "unexpected end of layer data");
	expect_truncated(f, zs, zlen / 2, EPIPE, "unexpected end of layer data");
	expect_truncated(f, zs, zlen - 2, EPIPE, "unexpected end of layer data");
	expect_truncated(f, tar, 1500, EPIPE, "unexpected end of layer data");
	memcpy(gzg, gz, glen);
	memcpy(gzg + glen, "garbage!", 8);
	expect_truncated(f, gzg, glen + 8, EILSEQ, "trailing garbage");
	gz[glen / 2] ^= 0x55;
	gz[glen / 2 + 1] ^= 0x55;
	expect_truncated(f, gz, glen, EILSEQ, "invalid gzip data");
}

/* --- tests: what apply makes ------------------------------------------------------ */

static void test_files_dirs_modes_owners_times(void **state)
{
	struct fx *f = *state;
	struct tb t;
	struct stat st;

	tb_init(&t);
	tb_entry(&t, "usr/", S_IFDIR | 0750);
	archive_entry_set_uid(t.e, 10);
	archive_entry_set_gid(t.e, 20);
	archive_entry_set_mtime(t.e, 1600000000, 0);
	tb_add(&t, NULL, 0);
	tb_entry(&t, "usr/bin/su", S_IFREG | 04755);
	archive_entry_set_uid(t.e, 0);
	archive_entry_set_gid(t.e, 0);
	archive_entry_set_size(t.e, 3);
	archive_entry_set_mtime(t.e, 1500000000, 123456789);
	tb_add(&t, "su\n", 3);
	tb_entry(&t, "home/user/.profile", S_IFREG | 0600);
	archive_entry_set_uid(t.e, 1000);
	archive_entry_set_gid(t.e, 1001);
	archive_entry_set_size(t.e, 0);
	tb_add(&t, NULL, 0);
	tb_entry(&t, "sg", S_IFREG | 02711);
	archive_entry_set_gid(t.e, 50);
	tb_add(&t, NULL, 0);
	tb_dir(&t, "tmp", 01777);
	tb_file(&t, "ro", 0444, "read-only");
	apply_ok(&t, f->target, &overlay);

	st = lstat_ok(in_t(f, "usr"));
	assert_int_equal(st.st_mode, S_IFDIR | 0750);
	assert_int_equal(st.st_uid, 10);
	assert_int_equal(st.st_gid, 20);
	assert_int_equal(st.st_mtim.tv_sec, 1600000000); /* after its child was made */
	st = lstat_ok(in_t(f, "usr/bin"));               /* implicit parent */
	assert_int_equal(st.st_mode, S_IFDIR | 0755);
	st = lstat_ok(in_t(f, "usr/bin/su"));
	assert_int_equal(st.st_mode, S_IFREG | 04755);
	assert_int_equal(st.st_mtim.tv_sec, 1500000000);
	assert_int_equal(st.st_mtim.tv_nsec, 123456789);
	st = lstat_ok(in_t(f, "home/user/.profile"));
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	st = lstat_ok(in_t(f, "sg"));
	assert_int_equal(st.st_mode, S_IFREG | 02711); /* setgid kept after chown */
	assert_int_equal(st.st_gid, 50);
	assert_int_equal(lstat_ok(in_t(f, "tmp")).st_mode, S_IFDIR | 01777);
	assert_int_equal(lstat_ok(in_t(f, "ro")).st_mode, S_IFREG | 0444);
}

static void test_symlinks_hardlinks(void **state)
{
	struct fx *f = *state;
	struct tb t;
	char buf[64];
	struct stat a, b;

	tb_init(&t);
	tb_file(&t, "bin/busybox", 0755, "#!bb");
	tb_hardlink(&t, "bin/sh", "bin/busybox");
	tb_hardlink(&t, "/sbin/init", "/bin/busybox"); /* absolute: in the layer */
	tb_symlink(&t, "bin/ls", "busybox");
	tb_symlink(&t, "abs", "/etc/passwd");
	tb_entry(&t, "lnk-owned", S_IFLNK | 0777);
	archive_entry_set_symlink(t.e, "x");
	archive_entry_set_uid(t.e, 7);
	archive_entry_set_mtime(t.e, 1234, 0);
	tb_add(&t, NULL, 0);
	apply_ok(&t, f->target, &overlay);

	a = lstat_ok(in_t(f, "bin/busybox"));
	b = lstat_ok(in_t(f, "bin/sh"));
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_nlink, 3);
	assert_int_equal(lstat_ok(in_t(f, "sbin/init")).st_ino, a.st_ino);
	assert_int_equal(readlink(in_t(f, "bin/ls"), buf, sizeof(buf)), 7);
	assert_int_equal(readlink(in_t(f, "abs"), buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "/etc/passwd", 11);
	b = lstat_ok(in_t(f, "lnk-owned"));
	assert_true(S_ISLNK(b.st_mode));
	assert_int_equal(b.st_uid, 7);
	assert_int_equal(b.st_mtim.tv_sec, 1234);
}

static void test_hardlink_rules(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *target;
		int code;
	} cases[] = {
	        {"../../etc/passwd", EINVAL}, {"/etc/passwd", EINVAL}, {"not/there", EINVAL},
	        {"lower-file", EINVAL},       {"dir", EPERM},
	};
	struct tb t;

	put(in_t(f, "lower-file"), "from a lower layer", 0644);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *msg = NULL;

		tb_init(&t);
		tb_dir(&t, "dir", 0755);
		tb_hardlink(&t, "x", cases[i].target);
		msg = apply_fails(&t, f->target, &vfs, cases[i].code);
		assert_contains(msg, "entry \"x\"");
	}
	assert_false(exists(in_t(f, "x")));
	assert_false(exists(at(f, "etc")));
}

static void test_devices_fifos(void **state)
{
	struct fx *f = *state;
	struct tb t;
	struct stat st;

	tb_init(&t);
	tb_entry(&t, "dev/null", S_IFCHR | 0666);
	archive_entry_set_rdev(t.e, makedev(1, 3));
	tb_add(&t, NULL, 0);
	tb_entry(&t, "dev/sda", S_IFBLK | 0660);
	archive_entry_set_rdev(t.e, makedev(8, 0));
	archive_entry_set_gid(t.e, 6);
	tb_add(&t, NULL, 0);
	tb_entry(&t, "run/fifo", S_IFIFO | 0620);
	tb_add(&t, NULL, 0);
	apply_ok(&t, f->target, &overlay);

	st = lstat_ok(in_t(f, "dev/null"));
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
	assert_int_equal(st.st_mode & 07777, 0666);
	st = lstat_ok(in_t(f, "dev/sda"));
	assert_true(S_ISBLK(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(8, 0));
	assert_int_equal(st.st_gid, 6);
	st = lstat_ok(in_t(f, "run/fifo"));
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0620);
}

static void test_xattrs(void **state)
{
	struct fx *f = *state;
	/* a v3 capability blob: cap_net_raw permitted+effective */
	static const unsigned char cap[20] = {0x01, 0, 0, 0x02, 0, 0x20, 0, 0, 0, 0,
	                                      0,    0, 0, 0,    0, 0,    0, 0, 0, 0};
	struct tb t;
	char v[64];

	tb_init(&t);
	tb_entry(&t, "bin/ping", S_IFREG | 0755);
	archive_entry_xattr_add_entry(t.e, "security.capability", cap, sizeof(cap));
	archive_entry_xattr_add_entry(t.e, "user.note", "hello", 5);
	tb_add(&t, NULL, 0);
	tb_entry(&t, "forged", S_IFDIR | 0755);
	archive_entry_xattr_add_entry(t.e, "trusted.overlay.opaque", "y", 1);
	archive_entry_xattr_add_entry(t.e, "trusted.overlay.redirect", "/etc", 4);
	archive_entry_xattr_add_entry(t.e, "user.dir", "d", 1);
	tb_add(&t, NULL, 0);
	apply_ok(&t, f->target, &overlay);

	assert_int_equal(getxattr(in_t(f, "bin/ping"), "user.note", v, sizeof(v)), 5);
	assert_memory_equal(v, "hello", 5);
	assert_int_equal(getxattr(in_t(f, "bin/ping"), "security.capability", v, sizeof(v)),
	                 sizeof(cap));
	assert_memory_equal(v, cap, sizeof(cap));
	assert_int_equal(getxattr(in_t(f, "forged"), "user.dir", v, sizeof(v)), 1);
	assert_int_equal(getxattr(in_t(f, "forged"), "trusted.overlay.opaque", v, sizeof(v)), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(getxattr(in_t(f, "forged"), "trusted.overlay.redirect", v, sizeof(v)), -1);
}

static void test_sparse(void **state)
{
	struct fx *f = *state;
	const size_t size = 8 << 20;
	_cleanup_free_ char *data = calloc(1, size);
	_cleanup_free_ char *got = NULL;
	struct tb t;
	struct stat st;

	memset(data + (1 << 20), 'A', 4096);
	memset(data + size - 100, 'Z', 100);
	tb_init(&t);
	tb_entry(&t, "var/log/lastlog", S_IFREG | 0644);
	archive_entry_set_size(t.e, (la_int64_t)size);
	archive_entry_sparse_add_entry(t.e, 1 << 20, 4096);
	archive_entry_sparse_add_entry(t.e, (la_int64_t)size - 100, 100);
	tb_add(&t, data, size);
	tb_file(&t, "after", 0644, "after the sparse file");
	apply_ok(&t, f->target, &overlay);

	st = lstat_ok(in_t(f, "var/log/lastlog"));
	assert_int_equal(st.st_size, size);
	assert_true(st.st_blocks * 512 < 1 << 20); /* holes stayed holes */
	got = slurp_path(in_t(f, "var/log/lastlog"));
	assert_memory_equal(got, data, size);
	free(got);
	got = slurp_path(in_t(f, "after"));
	assert_string_equal(got, "after the sparse file");
}

static void test_replace_entries(void **state)
{
	struct fx *f = *state;
	struct tb t;
	char buf[16];

	tb_init(&t);
	tb_file(&t, "a", 0644, "file first");
	tb_dir(&t, "a", 0700); /* a directory over a file */
	tb_file(&t, "a/in", 0644, "x");
	tb_dir(&t, "b", 0755);
	tb_file(&t, "b/old", 0644, "x");
	tb_file(&t, "b", 0600, "file over a dir");
	tb_file(&t, "c", 0644, "one");
	tb_file(&t, "c", 0644, "two");
	tb_symlink(&t, "d", "c");
	tb_file(&t, "d", 0644, "file over a symlink");
	tb_dir(&t, "e", 0755);
	tb_dir(&t, "e", 0711); /* a directory twice: metadata of the last */
	apply_ok(&t, f->target, &overlay);

	assert_int_equal(lstat_ok(in_t(f, "a")).st_mode, S_IFDIR | 0700);
	assert_true(exists(in_t(f, "a/in")));
	assert_int_equal(lstat_ok(in_t(f, "b")).st_mode, S_IFREG | 0600);
	assert_int_equal(readlink(in_t(f, "d"), buf, sizeof(buf)), -1);
	{
		_cleanup_free_ char *c = slurp_path(in_t(f, "c"));
		_cleanup_free_ char *d = slurp_path(in_t(f, "d"));

		assert_string_equal(c, "two");
		assert_string_equal(d, "file over a symlink");
	}
	assert_int_equal(lstat_ok(in_t(f, "e")).st_mode, S_IFDIR | 0711);
}

/* Every way out stays in: resolved as if the target were "/". */
static void test_hostile_paths_stay_inside(void **state)
{
	struct fx *f = *state;
	struct tb t;

	tb_init(&t);
	tb_file(&t, "/abs/x", 0644, "abs");
	tb_symlink(&t, "root", "/");
	tb_file(&t, "root/via-root", 0644, "x");
	tb_symlink(&t, "up", "../../../..");
	tb_file(&t, "up/via-up", 0644, "x");
	tb_dir(&t, at(f, "outside"), 0755); /* absolute: made inside */
	tb_symlink(&t, "out", at(f, "outside"));
	tb_file(&t, "out/via-abs", 0644, "x");
	tb_dir(&t, "d", 0755);
	tb_symlink(&t, "d/chain", "../up/..");
	tb_file(&t, "d/chain/via-chain", 0644, "x");
	tb_dir(&t, "dir", 0755);
	tb_symlink(&t, "dir", "/"); /* a directory replaced by a symlink */
	tb_file(&t, "dir/via-dir", 0644, "x");
	tb_symlink(&t, "self-loop", "self-loop");
	apply_ok(&t, f->target, &overlay);

	assert_true(exists(in_t(f, "abs/x")));
	assert_true(exists(in_t(f, "via-root")));
	assert_true(exists(in_t(f, "via-up")));
	assert_true(exists(in_t(f, "via-chain")));
	assert_true(exists(in_t(f, "via-dir")));
	/* the absolute symlink's path, recreated inside */
	assert_true(exists(in_t(f, at(f, "outside/via-abs") + 1)));
	assert_false(exists(at(f, "outside")));
	assert_false(exists(at(f, "via-up")));
	assert_false(exists("/via-root"));
	assert_false(exists("/via-up"));
}

static void test_hostile_paths_rejected(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {"../x",    "a/../../x", "..",
	                                  "a/.wh..", "a/.wh...",  "a/.wh."};
	struct tb t;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_free_ char *msg = NULL;

		tb_init(&t);
		tb_file(&t, bad[i], 0644, "x");
		msg = apply_fails(&t, f->target, &overlay, EINVAL);
		assert_contains(msg, "entry \"");
	}
	{
		_cleanup_free_ char *msg = NULL;

		/* a dangling symlink as a parent: made neither inside nor out */
		tb_init(&t);
		tb_symlink(&t, "dangling", at(f, "nowhere"));
		tb_file(&t, "dangling/x", 0644, "x");
		msg = apply_fails(&t, f->target, &overlay, ENOENT);
		assert_contains(msg, "entry \"dangling/x\"");
		assert_false(exists(at(f, "nowhere")));
	}
	{
		_cleanup_free_ char *msg = NULL;

		tb_init(&t);
		tb_symlink(&t, "loop", "loop");
		tb_file(&t, "loop/x", 0644, "x");
		msg = apply_fails(&t, f->target, &overlay, ELOOP);
		assert_contains(msg, "entry \"loop/x\"");
	}
	assert_false(exists(at(f, "x")));
}

static void test_caps(void **state)
{
	struct fx *f = *state;
	struct apply_opts o = {.overlay_whiteouts = true, .max_entries = 3};
	_cleanup_free_ char *msg = NULL;
	char name[300];
	struct tb t;

	tb_init(&t);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		tb_file(&t, name, 0644, "x");
	}
	msg = apply_fails(&t, f->target, &o, E2BIG);
	assert_contains(msg, "more than 3 entries");
	free(msg);

	o.max_entries = 0;
	o.max_size = 4096;
	tb_init(&t);
	tb_file(&t, "small", 0644, "x");
	{
		static char big[10000];

		memset(big, 'b', sizeof(big) - 1);
		tb_file(&t, "big", 0644, big);
	}
	msg = apply_fails(&t, f->target, &o, EFBIG);
	free(msg);

	memset(name, 'n', 256);
	name[256] = 0;
	tb_init(&t);
	tb_file(&t, name, 0644, "x");
	msg = apply_fails(&t, f->target, &overlay, ENAMETOOLONG);
	assert_contains(msg, "longer than 255");
}

/* --- tests: whiteouts ------------------------------------------------------------------ */

static void test_whiteouts_overlay(void **state)
{
	struct fx *f = *state;
	struct tb t;
	struct stat st;
	char v[8];

	tb_init(&t);
	tb_dir(&t, "etc", 0755);
	tb_file(&t, "etc/.wh.passwd", 0644, "");
	tb_dir(&t, "opt", 0755);
	tb_file(&t, "opt/.wh..wh..opq", 0644, "");
	tb_file(&t, "opt/kept", 0644, "same layer");
	tb_file(&t, "var/.wh.cache", 0644, ""); /* parent made on the way */
	tb_file(&t, "keep", 0644, "same layer");
	tb_file(&t, ".wh.keep", 0644, ""); /* a same-layer entry is not whited out */
	tb_file(&t, ".wh..wh.plnk", 0644, "");
	apply_ok(&t, f->target, &overlay);

	st = lstat_ok(in_t(f, "etc/passwd"));
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	st = lstat_ok(in_t(f, "var/cache"));
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == 0);
	assert_int_equal(getxattr(in_t(f, "opt"), "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	assert_true(exists(in_t(f, "opt/kept")));
	assert_true(S_ISREG(lstat_ok(in_t(f, "keep")).st_mode));
	assert_false(exists(in_t(f, ".wh.keep")));
	assert_false(exists(in_t(f, ".wh..wh.plnk")));
	assert_false(exists(in_t(f, "etc/.wh.passwd")));
}

static void test_whiteouts_vfs(void **state)
{
	struct fx *f = *state;
	struct tb t;

	put(in_t(f, "a/x"), "lower", 0644);
	put(in_t(f, "a/y"), "lower", 0644);
	put(in_t(f, "b/old1"), "lower", 0644);
	put(in_t(f, "b/sub/old2"), "lower", 0644);
	put(in_t(f, "c/deep/tree"), "lower", 0644);
	tb_init(&t);
	tb_file(&t, "a/.wh.x", 0644, "");
	tb_file(&t, "b/new-before", 0644, "this layer");
	tb_file(&t, "b/.wh..wh..opq", 0644, "");
	tb_file(&t, "b/new-after", 0644, "this layer");
	tb_file(&t, ".wh.c", 0644, "");
	tb_file(&t, "a/.wh.not-there", 0644, "");
	apply_ok(&t, f->target, &vfs);

	assert_false(exists(in_t(f, "a/x")));
	assert_true(exists(in_t(f, "a/y")));
	assert_false(exists(in_t(f, "b/old1")));
	assert_false(exists(in_t(f, "b/sub")));
	assert_true(exists(in_t(f, "b/new-before")));
	assert_true(exists(in_t(f, "b/new-after")));
	assert_false(exists(in_t(f, "c")));
	assert_false(exists(in_t(f, "a/not-there")));
}

static void test_apply_many(void **state)
{
	struct fx *f = *state;
	struct layer_apply_job jobs[3] = {0};
	struct husk_error *err = NULL;
	size_t len;
	char *tar = make_sample_tar(&len);

	for (int i = 0; i < 3; i++) {
		char *d = strdup(at(f, i == 0 ? "l0" : i == 1 ? "l1" : "l2"));

		mkdir(d, 0755);
		jobs[i].in_fd = memfd_with(tar, len);
		jobs[i].target_dir = d;
		jobs[i].opts.overlay_whiteouts = true;
	}
	assert_int_equal(layer_apply_many(jobs, 3, 2, &err), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(jobs[i].result, 0);
		assert_int_equal(jobs[i].stats.entries, 4);
		close(jobs[i].in_fd);
		free((char *)jobs[i].target_dir);
	}
	/* one bad layer: the others still run, the error names it */
	free(tar);
	tar = malloc(100);
	memset(tar, 'x', 100);
	jobs[1].in_fd = memfd_with(tar, 100);
	jobs[0].in_fd = memfd_with("", 0);
	jobs[2].in_fd = memfd_with("", 0);
	jobs[0].target_dir = jobs[1].target_dir = jobs[2].target_dir = f->target;
	assert_true(layer_apply_many(jobs, 3, 0, &err) < 0);
	assert_contains(error_message(err), "layer 1:");
	assert_int_equal(jobs[0].result, 0);
	for (int i = 0; i < 3; i++) {
		close(jobs[i].in_fd);
		error_free(jobs[i].error);
	}
	error_free(err);
	free(tar);
}

/* --- tests: diff -------------------------------------------------------------------------- */

/* One line per file of a tree: what a layer must carry over. */
static struct strbuf *listing;
static int list_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char link[256] = "", xl[1024], content[65] = "";
	ssize_t n = 0, xn = llistxattr(path, xl, sizeof(xl));
	const char *rel = path + ftw->base;

	(void)rel;
	if (S_ISLNK(st->st_mode))
		n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (S_ISREG(st->st_mode)) {
		struct digest d;
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		assert_int_equal(digest_fd(fd, &d, NULL), 0);
		close(fd);
		memcpy(content, digest_hex(&d), 64);
	}
	strbuf_printf(listing, "%s %o %u:%u %lld %lld %s %s %llx xattrs=%zd\n", path,
	              (unsigned)st->st_mode, st->st_uid, st->st_gid, (long long)st->st_size,
	              S_ISDIR(st->st_mode) ? 0LL : (long long)st->st_mtim.tv_sec, link, content,
	              (unsigned long long)st->st_rdev, xn);
	return 0;
}

static char *tree_listing(const char *root)
{
	struct strbuf sb = {0};
	_cleanup_free_ char *cwd = get_current_dir_name();

	listing = &sb;
	assert_int_equal(chdir(root), 0);
	nftw(".", list_cb, 16, FTW_PHYS);
	assert_int_equal(chdir(cwd), 0);
	return strbuf_steal(&sb);
}

static void make_rich_tree(struct fx *f, const char *dir)
{
	static const unsigned char cap[20] = {1, 0, 0, 2, 0, 0x20};
	struct tb t;

	tb_init(&t);
	tb_dir(&t, "etc", 0755);
	tb_file(&t, "etc/hostname", 0644, "husk\n");
	tb_entry(&t, "bin/ping", S_IFREG | 04755);
	archive_entry_xattr_add_entry(t.e, "security.capability", cap, sizeof(cap));
	archive_entry_set_size(t.e, 4);
	tb_add(&t, "ping", 4);
	tb_hardlink(&t, "bin/ping6", "bin/ping");
	tb_symlink(&t, "bin/sh", "busybox");
	tb_entry(&t, "home/u", S_IFDIR | 0700);
	archive_entry_set_uid(t.e, 1000);
	archive_entry_set_gid(t.e, 1000);
	tb_add(&t, NULL, 0);
	tb_entry(&t, "dev/null", S_IFCHR | 0666);
	archive_entry_set_rdev(t.e, makedev(1, 3));
	tb_add(&t, NULL, 0);
	tb_entry(&t, "fifo", S_IFIFO | 0600);
	tb_add(&t, NULL, 0);
	tb_file(&t, "caf\xc3\xa9", 0644, "utf-8 name");
	tb_file(&t, "not-utf8-\xff\xfe", 0644, "binary name");
	tb_file(&t, "a-b", 0644, "sorts before a/");
	tb_file(&t, "a/b", 0644, "x");
	mkdir(dir, 0755);
	apply_ok(&t, dir, &overlay);
}

static char *diff_to_buf(const char *upper, const char *lower, const struct diff_opts *o,
                         size_t *len, struct layer_stats *st)
{
	struct husk_error *err = NULL;
	int fd = memfd_create("diff", MFD_CLOEXEC);
	char *out = NULL;

	assert_true(fd >= 0);
	if (layer_diff(upper, lower, fd, o, st, &err) < 0)
		fail_msg("layer_diff: %s", error_message(err));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read_all_fd(fd, 1 << 26, &out, len), 0);
	close(fd);
	return out;
}

/* The entry names of a tar, in order, one per line. */
static char *tar_names(const char *tar, size_t len, int64_t max_mtime)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct strbuf sb = {0};

	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	assert_int_equal(archive_read_open_memory(a, tar, len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		strbuf_printf(&sb, "%s%s\n", archive_entry_pathname(e),
		              archive_entry_hardlink(e) ? " (link)" : "");
		assert_true(archive_entry_mtime(e) <= max_mtime);
		assert_true(!archive_entry_uname(e) || !*archive_entry_uname(e));
		assert_true(!archive_entry_gname(e) || !*archive_entry_gname(e));
		assert_false(archive_entry_atime_is_set(e));
		assert_false(archive_entry_ctime_is_set(e));
	}
	archive_read_free(a);
	return strbuf_steal(&sb);
}

static void test_diff_roundtrip(void **state)
{
	struct fx *f = *state;
	static const enum archive_compression comps[] = {ARCHIVE_NONE, ARCHIVE_GZIP, ARCHIVE_ZSTD};
	_cleanup_free_ char *want = NULL;

	make_rich_tree(f, at(f, "src"));
	mkdir(at(f, "empty"), 0755);
	want = tree_listing(at(f, "src"));
	for (size_t i = 0; i < ELEMENTSOF(comps); i++) {
		struct diff_opts o = {.compression = comps[i], .timestamp = -1};
		struct layer_stats ds, as;
		struct husk_error *err = NULL;
		_cleanup_free_ char *got = NULL;
		size_t len;
		_cleanup_free_ char *blob =
		        diff_to_buf(at(f, "src"), at(f, "empty"), &o, &len, &ds);
		struct digest d;

		digest_buf(blob, len, &d);
		assert_string_equal(d.str, ds.blob.str);
		assert_int_equal(ds.compression, comps[i]);
		rm_rf(f->target);
		mkdir(f->target, 0755);
		if (apply_buf(blob, len, f->target, &overlay, &as, &err) < 0)
			fail_msg("apply: %s", error_message(err));
		assert_string_equal(as.diff_id.str, ds.diff_id.str);
		assert_string_equal(as.blob.str, ds.blob.str);
		got = tree_listing(f->target);
		assert_string_equal(got, want);
	}
}

static void test_diff_deterministic(void **state)
{
	struct fx *f = *state;
	struct diff_opts o = {.compression = ARCHIVE_GZIP, .timestamp = -1};
	struct layer_stats s1, s2;
	size_t l1, l2, l3;
	_cleanup_free_ char *b1 = NULL, *b2 = NULL, *b3 = NULL, *names = NULL, *plain = NULL;

	make_rich_tree(f, at(f, "src"));
	b1 = diff_to_buf(at(f, "src"), NULL, &o, &l1, &s1);
	/* a copy made later, in another order, has other inodes and ctimes */
	mkdir(at(f, "copy"), 0755);
	{
		size_t tl;
		o.compression = ARCHIVE_NONE;
		plain = diff_to_buf(at(f, "src"), NULL, &o, &tl, NULL);
		assert_int_equal(apply_buf(plain, tl, at(f, "copy"), &overlay, NULL, NULL), 0);
		o.compression = ARCHIVE_GZIP;
	}
	b2 = diff_to_buf(at(f, "copy"), NULL, &o, &l2, &s2);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	assert_string_equal(s1.blob.str, s2.blob.str);
	assert_string_equal(s1.diff_id.str, s2.diff_id.str);

	/* clamp: every mtime at most the timestamp, and the bytes change */
	o.timestamp = 1000;
	b3 = diff_to_buf(at(f, "src"), NULL, &o, &l3, NULL);
	assert_false(l3 == l1 && memcmp(b1, b3, l1) == 0);
	names = tar_names(b3, l3, 1000);
	/* bytewise order; "a-b" < "a/b" because '-' < '/' */
	assert_string_equal(names, "a-b\na/\na/b\nbin/\nbin/ping\nbin/ping6 (link)\nbin/sh\n"
	                           "caf\xc3\xa9\ndev/\ndev/null\netc/\netc/hostname\nfifo\nhome/\n"
	                           "home/u/\nnot-utf8-\xff\xfe\n");
}

static void test_diff_overlay_upper(void **state)
{
	struct fx *f = *state;
	struct diff_opts o = {.compression = ARCHIVE_NONE, .timestamp = -1};
	_cleanup_free_ char *tar = NULL, *names = NULL;
	size_t len;

	put(at(f, "upper/etc/new"), "new", 0644);
	assert_int_equal(mknod(at(f, "upper/etc/gone"), S_IFCHR, makedev(0, 0)), 0);
	assert_int_equal(mkdir(at(f, "upper/opt"), 0755), 0);
	assert_int_equal(setxattr(at(f, "upper/opt"), "trusted.overlay.opaque", "y", 1, 0), 0);
	assert_int_equal(setxattr(at(f, "upper/etc"), "trusted.overlay.origin", "zz", 2, 0), 0);
	put(at(f, "upper/opt/only"), "x", 0644);
	tar = diff_to_buf(at(f, "upper"), NULL, &o, &len, NULL);
	names = tar_names(tar, len, INT64_MAX);
	assert_string_equal(names,
	                    "etc/\netc/.wh.gone\netc/new\nopt/\nopt/.wh..wh..opq\nopt/only\n");
	/* and back: overlay form again, the origin xattr not carried */
	assert_int_equal(apply_buf(tar, len, f->target, &overlay, NULL, NULL), 0);
	assert_true(S_ISCHR(lstat_ok(in_t(f, "etc/gone")).st_mode));
	assert_int_equal(getxattr(in_t(f, "opt"), "trusted.overlay.opaque", NULL, 0), 1);
	assert_int_equal(getxattr(in_t(f, "etc"), "trusted.overlay.origin", NULL, 0), -1);
}

static void test_diff_two_trees(void **state)
{
	struct fx *f = *state;
	struct diff_opts o = {.compression = ARCHIVE_NONE, .timestamp = -1};
	_cleanup_free_ char *tar = NULL, *names = NULL, *after = NULL, *want = NULL;
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	size_t len;

	put(at(f, "lower/keep/same"), "same", 0644);
	put(at(f, "lower/keep/changed"), "old", 0644);
	put(at(f, "lower/keep/chmod"), "x", 0644);
	put(at(f, "lower/gone/deep"), "x", 0644);
	put(at(f, "lower/dir/sub/removed"), "x", 0644);
	put(at(f, "lower/samesize"), "aaaa", 0644);
	utimensat(AT_FDCWD, at(f, "lower/samesize"), old, 0);
	utimensat(AT_FDCWD, at(f, "lower/keep/same"), old, 0);
	/* upper: a copy with changes (cp -a keeps mtimes) */
	sh("cp -a %s %s", at(f, "lower"), at(f, "upper"));
	put(at(f, "upper/keep/changed"), "new!", 0644);
	chmod(at(f, "upper/keep/chmod"), 0600);
	rm_rf(at(f, "upper/gone"));
	unlink(at(f, "upper/dir/sub/removed"));
	put(at(f, "upper/added/file"), "new", 0644);
	put(at(f, "upper/samesize"), "bbbb", 0644);
	utimensat(AT_FDCWD, at(f, "upper/samesize"), old, 0);
	utimensat(AT_FDCWD, at(f, "upper/dir"), old, 0);

	tar = diff_to_buf(at(f, "upper"), at(f, "lower"), &o, &len, NULL);
	names = tar_names(tar, len, INT64_MAX);
	assert_string_equal(names, ".wh.gone\nadded/\nadded/file\ndir/\ndir/sub/\n"
	                           "dir/sub/.wh.removed\nkeep/\nkeep/changed\nkeep/chmod\n");
	free(names);
	free(tar);
	/* with content comparison the same-size, same-mtime file counts too */
	o.compare_content = true;
	tar = diff_to_buf(at(f, "upper"), at(f, "lower"), &o, &len, NULL);
	names = tar_names(tar, len, INT64_MAX);
	assert_non_null(strstr(names, "samesize\n"));
	/* lower + diff (vfs) = upper */
	sh("cp -a %s/. %s", at(f, "lower"), f->target);
	assert_int_equal(apply_buf(tar, len, f->target, &vfs, NULL, NULL), 0);
	after = tree_listing(f->target);
	want = tree_listing(at(f, "upper"));
	assert_string_equal(after, want);
}

static void test_layer_compress(void **state)
{
	size_t len;
	_cleanup_free_ char *tar = make_sample_tar(&len);
	struct digest d;
	struct layer_stats st, st2;
	int in = memfd_with(tar, len), out = memfd_create("out", MFD_CLOEXEC), out2;
	_cleanup_free_ char *blob = NULL;
	size_t blen;

	digest_buf(tar, len, &d);
	assert_int_equal(layer_compress(in, out, ARCHIVE_ZSTD, &st, NULL), 0);
	assert_string_equal(st.diff_id.str, d.str);
	assert_int_equal(st.uncompressed_size, len);
	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	assert_int_equal(read_all_fd(out, 1 << 24, &blob, &blen), 0);
	assert_int_equal(blen, st.compressed_size);
	digest_buf(blob, blen, &d);
	assert_string_equal(st.blob.str, d.str);
	/* zstd → gzip: the diffID stays */
	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	out2 = memfd_create("out2", MFD_CLOEXEC);
	assert_int_equal(layer_compress(out, out2, ARCHIVE_GZIP, &st2, NULL), 0);
	assert_string_equal(st2.diff_id.str, st.diff_id.str);
	assert_int_equal(st2.compression, ARCHIVE_GZIP);
	close(in);
	close(out);
	close(out2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_detect),
	        cmocka_unit_test(test_path_clean),
	        T(test_compressions_and_digests),
	        cmocka_unit_test(test_decompressors_any_split),
	        T(test_digest_mismatch),
	        T(test_truncated_and_garbage),
	        T(test_files_dirs_modes_owners_times),
	        T(test_symlinks_hardlinks),
	        T(test_hardlink_rules),
	        T(test_devices_fifos),
	        T(test_xattrs),
	        T(test_sparse),
	        T(test_replace_entries),
	        T(test_hostile_paths_stay_inside),
	        T(test_hostile_paths_rejected),
	        T(test_caps),
	        T(test_whiteouts_overlay),
	        T(test_whiteouts_vfs),
	        T(test_apply_many),
	        T(test_diff_roundtrip),
	        T(test_diff_deterministic),
	        T(test_diff_overlay_upper),
	        T(test_diff_two_trees),
	        cmocka_unit_test(test_layer_compress),
	};

	if (geteuid() != 0) {
		printf("# skip: test_archive needs root (chown, mknod, trusted.* xattrs)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
