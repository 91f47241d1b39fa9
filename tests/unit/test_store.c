/* Unit tests for src/store: blobs (verification, size caps, corruption),
 * index.json references (tags moving, untag, short IDs, anchors), leases
 * against GC (live, ended, of a killed process), layers (unpack, single
 * flight across processes, failures leaving nothing), snapshots (overlay
 * with whiteouts over 3 and 200 layers, both mount paths, vfs), check and
 * repair, and permissions. Runs as root (overlay mounts). Layer tars are
 * written here by a tiny ustar writer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "store/store.h"
#include "store/store_internal.h"

struct fx {
	char dir[64];
	struct store *s;
};

static int rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DP)
		umount2(path, MNT_DETACH);
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void remove_tree(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/husk-test-store-XXXXXX");
	if (!mkdtemp(f->dir) || store_open(f->dir, &f->s, NULL) < 0)
		return -1;
	store_set_grace(f->s, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	_cleanup_strv_ char **snaps = NULL;

	if (store_snapshot_list(f->s, &snaps, NULL) == 0)
		STRV_FOREACH (id, snaps)
			store_snapshot_unmount(f->s, *id, NULL);
	store_free(f->s);
	remove_tree(f->dir);
	free(f);
	return 0;
}

static size_t count_dir(struct fx *f, const char *rel, const char *prefix)
{
	_cleanup_strv_ char **names = NULL;
	size_t n = 0;

	assert_int_equal(store_list_dir(f->s, rel, &names), 0);
	STRV_FOREACH (x, names)
		n += !prefix || startswith(*x, prefix);
	return n;
}

/* --- a tiny tar writer ------------------------------------------------- */

struct tar_entry {
	const char *name;
	char type;        /* '0' file, '5' directory */
	const char *data; /* file contents */
};

static void tar_header(FILE *out, const struct tar_entry *e, size_t size)
{
	unsigned char h[512] = {0};
	unsigned sum = 0;

	snprintf((char *)h, 100, "%s", e->name);
	snprintf((char *)h + 100, 8, "%07o", e->type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011o", (unsigned)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	memset(h + 148, ' ', 8);
	h[156] = e->type;
	memcpy(h + 257,
	       "ustar\0"
	       "00",
	       8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	fwrite(h, 1, 512, out);
}

/* Write a tar of entries (NULL-name terminated) to path; its digest. */
static void make_tar(const char *path, const struct tar_entry *entries, struct digest *ret)
{
	FILE *out = fopen(path, "w");
	static const char zero[1024];
	_cleanup_close_ int fd = -1;

	assert_non_null(out);
	for (const struct tar_entry *e = entries; e->name; e++) {
		size_t size = e->type == '0' && e->data ? strlen(e->data) : 0;

		tar_header(out, e, size);
		fwrite(e->data ?: "", 1, size, out);
		fwrite(zero, 1, (512 - size % 512) % 512, out);
	}
	fwrite(zero, 1, sizeof(zero), out);
	assert_int_equal(fclose(out), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(digest_fd(fd, ret, NULL), 0);
}

/* A layer from a plain tar: the blob is the tar, so blob = diff ID. */
static void add_layer(struct fx *f, const struct tar_entry *entries, const struct digest *parent,
                      struct digest *ret_diff, struct digest *ret_chain)
{
	_cleanup_free_ char *path = str_printf("%s/layer.tar", f->dir);
	_cleanup_close_ int fd = -1;
	struct husk_error *err = NULL;
	struct digest in[2], out[2];

	make_tar(path, entries, ret_diff);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	in[0] = parent ? *parent : *ret_diff;
	in[1] = *ret_diff;
	store_chain_ids(in, 2, out);
	*ret_chain = parent ? out[1] : *ret_diff;
	if (store_layer_ensure(f->s, ret_chain, parent, fd, ret_diff, ret_diff, NULL, &err) < 0)
		fail_msg("%s", error_message(err));
	/* the blob too, as an image keeps it */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	{
		_cleanup_free_ char *buf = NULL;
		size_t len;

		assert_int_equal(read_all_fd(fd, 1 << 24, &buf, &len), 0);
		assert_int_equal(store_blob_put(f->s, buf, len, NULL, NULL, NULL), 0);
	}
}

/* An image: a config over diff_ids (seed makes configs differ) and an OCI
 * manifest naming blob digests (the diff IDs: plain tar blobs). */
static void make_image(struct fx *f, const struct digest *diffs, size_t n, const char *seed,
                       struct digest *ret_id, struct digest *ret_manifest, uint64_t *ret_size)
{
	_cleanup_json_ json_t *ids = json_array(), *layers = json_array();
	_cleanup_json_ json_t *config = NULL, *manifest = NULL;
	_cleanup_free_ char *ctext = NULL, *mtext = NULL;

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(ids, json_string(diffs[i].str));
		json_array_append_new(layers, json_pack("{s:s, s:s, s:i}", "mediaType",
		                                        "application/vnd.oci.image.layer.v1.tar",
		                                        "digest", diffs[i].str, "size", 0));
	}
	config = json_pack("{s:s, s:s, s:s, s:{s:s, s:O}}", "architecture", "amd64", "os", "linux",
	                   "comment", seed, "rootfs", "type", "layers", "diff_ids", ids);
	ctext = json_compact(config);
	assert_int_equal(store_blob_put(f->s, ctext, strlen(ctext), NULL, ret_id, NULL), 0);
	manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:i}, s:O}", "schemaVersion", 2, "mediaType",
	                     "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
	                     "application/vnd.oci.image.config.v1+json", "digest", ret_id->str,
	                     "size", (int)strlen(ctext), "layers", layers);
	mtext = json_compact(manifest);
	assert_int_equal(store_blob_put(f->s, mtext, strlen(mtext), NULL, ret_manifest, NULL), 0);
	*ret_size = strlen(mtext);
}

static void add_image(struct fx *f, const struct digest *diffs, size_t n, const char *seed,
                      struct digest *ret_id)
{
	struct husk_error *err = NULL;
	struct digest m;
	uint64_t size;

	make_image(f, diffs, n, seed, ret_id, &m, &size);
	if (store_image_add(f->s, ret_id, &m, "application/vnd.oci.image.manifest.v1+json", size,
	                    &err) < 0)
		fail_msg("%s", error_message(err));
}

/* --- blobs -------------------------------------------------------------- */

static void test_blob_put_read(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *buf = NULL, *path = NULL;
	struct digest d, want;
	uint64_t size = 0;
	size_t len;

	digest_buf("hello", 5, &want);
	assert_int_equal(store_blob_put(f->s, "hello", 5, NULL, &d, NULL), 0);
	assert_string_equal(d.str, want.str);
	assert_int_equal(store_blob_stat(f->s, &d, &size), 0);
	assert_int_equal(size, 5);
	assert_int_equal(store_blob_read(f->s, &d, 100, &buf, &len, NULL), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	path = store_blob_path(f->s, &d);
	assert_non_null(strstr(path, "/store/oci/blobs/sha256/"));
	assert_int_equal(access(path, R_OK), 0);
	assert_int_equal(count_dir(f, STORE_INGEST_DIR, NULL), 0);
	digest_buf("other", 5, &want);
	assert_int_equal(store_blob_stat(f->s, &want, NULL), -ENOENT);
	free(buf);
	buf = NULL;
	assert_int_equal(store_blob_read(f->s, &d, 4, &buf, &len, NULL), -EFBIG);
}

static void test_blob_mismatch(void **state)
{
	struct fx *f = *state;
	struct blob_writer *w = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest wrong;

	digest_buf("something else", 14, &wrong);
	assert_int_equal(store_blob_writer(f->s, &wrong, -1, NULL, &w, NULL), 0);
	assert_int_equal(blob_writer_write(w, "hello", 5, NULL), 0);
	assert_int_equal(blob_writer_commit(w, NULL, NULL, &err), -EILSEQ);
	assert_non_null(strstr(error_message(err), "digest mismatch: got sha256:"));
	assert_non_null(strstr(error_message(err), wrong.str));
	assert_int_equal(count_dir(f, STORE_BLOBS_DIR, NULL), 0);
	assert_int_equal(count_dir(f, STORE_INGEST_DIR, NULL), 0);
}

static void test_blob_duplicate(void **state)
{
	struct fx *f = *state;
	struct digest a, b;

	assert_int_equal(store_blob_put(f->s, "same", 4, NULL, &a, NULL), 0);
	assert_int_equal(store_blob_put(f->s, "same", 4, NULL, &b, NULL), 0);
	assert_string_equal(a.str, b.str);
	assert_int_equal(count_dir(f, STORE_BLOBS_DIR, NULL), 1);
	assert_int_equal(count_dir(f, STORE_INGEST_DIR, NULL), 0);
}

static void test_blob_size_cap(void **state)
{
	struct fx *f = *state;
	struct blob_writer *w = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest d;

	assert_int_equal(store_blob_writer(f->s, NULL, 3, NULL, &w, NULL), 0);
	assert_int_equal(blob_writer_write(w, "ab", 2, NULL), 0);
	assert_int_equal(blob_writer_write(w, "cd", 2, &err), -EFBIG);
	blob_writer_abort(w);
	assert_int_equal(count_dir(f, STORE_INGEST_DIR, NULL), 0);
	/* short of the size is a mismatch too */
	digest_buf("ab", 2, &d);
	assert_int_equal(store_blob_writer(f->s, &d, 3, NULL, &w, NULL), 0);
	assert_int_equal(blob_writer_write(w, "ab", 2, NULL), 0);
	assert_int_equal(blob_writer_commit(w, NULL, NULL, NULL), -EILSEQ);
	assert_int_equal(count_dir(f, STORE_BLOBS_DIR, NULL), 0);
}

static void corrupt(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 0), 1);
	close(fd);
}

static void test_blob_read_corrupt(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *buf = NULL, *path = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest d;
	size_t len;

	assert_int_equal(store_blob_put(f->s, "precious", 8, NULL, &d, NULL), 0);
	path = store_blob_path(f->s, &d);
	corrupt(path);
	assert_int_equal(store_blob_read(f->s, &d, 100, &buf, &len, &err), -EILSEQ);
	assert_non_null(strstr(error_message(err), "digest mismatch"));
	/* writing it again heals it */
	assert_int_equal(store_blob_put(f->s, "precious", 8, NULL, &d, NULL), 0);
	assert_int_equal(store_blob_read(f->s, &d, 100, &buf, &len, NULL), 0);
}

/* --- references ----------------------------------------------------------- */

static const struct tar_entry base_tar[] = {
        {"a", '0', "a\n"}, {"dir/", '5', NULL}, {"dir/c", '0', "c\n"}, {"b", '0', "b\n"}, {NULL},
};

static void test_refs(void **state)
{
	struct fx *f = *state;
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;
	struct store_image *img = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest diff, chain, id1, id2;

	add_layer(f, base_tar, NULL, &diff, &chain);
	add_image(f, &diff, 1, "one", &id1);
	add_image(f, &diff, 1, "two", &id2);
	add_image(f, &diff, 1, "one", &id1); /* idempotent */
	assert_int_equal(store_tag(f->s, "docker.io/library/x:latest", &id1, NULL), 0);
	assert_int_equal(store_tag(f->s, "docker.io/library/x:v1", &id1, NULL), 0);
	assert_int_equal(store_add_repo_digest(
	                         f->s,
	                         "docker.io/library/x@sha256:"
	                         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	                         &id1, NULL),
	                 0);
	assert_int_equal(store_image_list(f->s, &v, NULL), 0);
	assert_int_equal((v[0] && v[1] && !v[2]), 1);
	assert_string_equal(v[0]->id.str, id1.str);
	assert_int_equal(strv_length(v[0]->names), 2);
	assert_int_equal(strv_length(v[0]->repo_digests), 1);
	assert_string_equal(v[0]->os, "linux");
	assert_string_equal(v[0]->architecture, "amd64");
	assert_true(v[0]->added > 0);

	/* the tag moves to the other image */
	assert_int_equal(store_tag(f->s, "docker.io/library/x:latest", &id2, NULL), 0);
	assert_int_equal(store_image_get(f->s, "docker.io/library/x:latest", &img, NULL), 0);
	assert_string_equal(img->id.str, id2.str);
	store_image_free(img);
	assert_int_equal(store_image_get(f->s, "docker.io/library/x:v1", &img, NULL), 0);
	assert_string_equal(img->id.str, id1.str);
	assert_int_equal(strv_length(img->names), 1);
	store_image_free(img);

	/* full ID, prefixes */
	assert_int_equal(store_image_get(f->s, id1.str, &img, NULL), 0);
	store_image_free(img);
	{
		char prefix[13];

		snprintf(prefix, sizeof(prefix), "%.12s", digest_hex(&id2));
		assert_int_equal(store_image_get(f->s, prefix, &img, NULL), 0);
		assert_string_equal(img->id.str, id2.str);
		store_image_free(img);
	}
	assert_int_equal(store_image_get(f->s, "nope:latest", &img, &err), -ENOENT);
	assert_string_equal(error_message(err), "No such image: nope:latest");

	/* untag: the image stays as an anchor without names */
	assert_int_equal(store_untag(f->s, "docker.io/library/x:latest", NULL), 0);
	assert_int_equal(store_untag(f->s, "docker.io/library/x:latest", NULL), -ENOENT);
	assert_int_equal(store_image_get(f->s, id2.str, &img, NULL), 0);
	assert_int_equal(strv_length(img->names), 0);
	store_image_free(img);

	/* bad input */
	assert_int_equal(store_tag(f->s, "bad ref", &id1, NULL), -EINVAL);
	assert_int_equal(store_tag(f->s, "docker.io/library/x", &id1, NULL), -EINVAL);
	assert_int_equal(store_add_repo_digest(f->s, "docker.io/x:tag", &id1, NULL), -EINVAL);
	assert_int_equal(store_tag(f->s, "docker.io/library/x:v2", &diff, NULL), -ENOENT);

	assert_int_equal(store_image_remove(f->s, &id1, NULL), 0);
	assert_int_equal(store_image_remove(f->s, &id1, NULL), -ENOENT);
	assert_int_equal(store_image_get(f->s, "docker.io/library/x:v1", &img, NULL), -ENOENT);
}

static void test_refs_ambiguous(void **state)
{
	struct fx *f = *state;
	struct store_image *img = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest diff, chain, ids[40];
	char prefix[2] = {0};
	int i, j = -1;

	add_layer(f, base_tar, NULL, &diff, &chain);
	/* 17 IDs: two share a first hex digit (pigeonhole) */
	for (i = 0; i < 17 && j < 0; i++) {
		char seed[16];

		snprintf(seed, sizeof(seed), "s%d", i);
		add_image(f, &diff, 1, seed, &ids[i]);
		for (int k = 0; k < i && j < 0; k++)
			if (digest_hex(&ids[k])[0] == digest_hex(&ids[i])[0])
				j = k;
	}
	assert_true(j >= 0);
	prefix[0] = digest_hex(&ids[j])[0];
	assert_int_equal(store_image_get(f->s, prefix, &img, &err), -EINVAL);
	assert_non_null(strstr(error_message(err), "is ambiguous"));
	assert_int_equal(store_image_get(f->s, digest_hex(&ids[j]), &img, NULL), 0);
	store_image_free(img);
}

static void test_image_add_checks(void **state)
{
	struct fx *f = *state;
	struct digest diff, chain, id, m, other;
	uint64_t size;

	add_layer(f, base_tar, NULL, &diff, &chain);
	make_image(f, &diff, 1, "x", &id, &m, &size);
	digest_buf("other", 5, &other);
	/* the manifest names another config */
	assert_int_equal(store_image_add(f->s, &other, &m,
	                                 "application/vnd.oci.image.manifest.v1+json", size, NULL),
	                 -EINVAL);
	assert_int_equal(store_image_add(f->s, &id, &other,
	                                 "application/vnd.oci.image.manifest.v1+json", size, NULL),
	                 -ENOENT);
	assert_int_equal(store_image_add(f->s, &id, &m,
	                                 "application/vnd.oci.image.manifest.v1+json", size + 1,
	                                 NULL),
	                 -EINVAL);
}

static void test_index_layout(void **state)
{
	struct fx *f = *state;
	_cleanup_json_ json_t *index = NULL;
	_cleanup_free_ char *path = str_printf("%s/store/oci/index.json", f->dir);
	_cleanup_free_ char *layout = str_printf("%s/store/oci/oci-layout", f->dir);
	_cleanup_free_ char *text = NULL;
	struct digest diff, chain, id;
	json_t *e, *a;
	size_t i, tags = 0, anchors = 0;

	add_layer(f, base_tar, NULL, &diff, &chain);
	add_image(f, &diff, 1, "x", &id);
	assert_int_equal(store_tag(f->s, "docker.io/library/busybox:latest", &id, NULL), 0);
	assert_int_equal(json_load_path(path, 1 << 20, &index, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(index, "schemaVersion")), 2);
	json_array_foreach (json_object_get(index, "manifests"), i, e) {
		a = json_object_get(e, "annotations");
		assert_string_equal(json_string_value(json_object_get(a, "io.husk.image.id")),
		                    id.str);
		if (json_object_get(a, "org.opencontainers.image.ref.name")) {
			assert_string_equal(
			        json_string_value(json_object_get(a, "io.containerd.image.name")),
			        "docker.io/library/busybox:latest");
			tags++;
		} else {
			anchors++;
		}
	}
	assert_int_equal(tags, 1);
	assert_int_equal(anchors, 1);
	assert_int_equal(read_file(layout, 100, &text, NULL, NULL), 0);
	assert_string_equal(text, "{\"imageLayoutVersion\":\"1.0.0\"}");
}

/* --- leases and GC ---------------------------------------------------------- */

static void test_lease_gc(void **state)
{
	struct fx *f = *state;
	struct store_lease *l = NULL;
	struct store_gc_stats st;
	struct digest d;

	assert_int_equal(store_lease_begin(f->s, &l, NULL), 0);
	assert_int_equal(store_blob_put(f->s, "leased", 6, l, &d, NULL), 0);
	assert_int_equal(store_gc(f->s, &st, NULL), 0);
	assert_int_equal(store_blob_stat(f->s, &d, NULL), 0);
	assert_int_equal(st.blobs_removed, 0);
	store_lease_end(l);
	assert_int_equal(store_gc(f->s, &st, NULL), 0);
	assert_int_equal(store_blob_stat(f->s, &d, NULL), -ENOENT);
	assert_int_equal(st.blobs_removed, 1);
	assert_int_equal(st.bytes_removed, 6);
}

static void test_lease_grace(void **state)
{
	struct fx *f = *state;
	struct digest d;

	store_set_grace(f->s, 300);
	assert_int_equal(store_blob_put(f->s, "fresh", 5, NULL, &d, NULL), 0);
	assert_int_equal(store_gc(f->s, NULL, NULL), 0);
	assert_int_equal(store_blob_stat(f->s, &d, NULL), 0);
	store_set_grace(f->s, 0);
	assert_int_equal(store_gc(f->s, NULL, NULL), 0);
	assert_int_equal(store_blob_stat(f->s, &d, NULL), -ENOENT);
}

static void test_lease_stale(void **state)
{
	struct fx *f = *state;
	struct store_gc_stats st;
	struct digest d;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_lease *l = NULL;

		if (store_lease_begin(f->s, &l, NULL) < 0 ||
		    store_blob_put(f->s, "orphan", 6, l, NULL, NULL) < 0)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(count_dir(f, STORE_LEASES_DIR, NULL), 1);
	digest_buf("orphan", 6, &d);
	assert_int_equal(store_blob_stat(f->s, &d, NULL), 0);
	assert_int_equal(store_gc(f->s, &st, NULL), 0);
	assert_int_equal(store_blob_stat(f->s, &d, NULL), -ENOENT);
	assert_int_equal(count_dir(f, STORE_LEASES_DIR, NULL), 0);
}

static void test_gc_keeps_images(void **state)
{
	struct fx *f = *state;
	struct store_gc_stats st;
	struct digest diff, chain, id, junk;

	add_layer(f, base_tar, NULL, &diff, &chain);
	add_image(f, &diff, 1, "kept", &id);
	assert_int_equal(store_blob_put(f->s, "junk", 4, NULL, &junk, NULL), 0);
	assert_int_equal(store_gc(f->s, &st, NULL), 0);
	assert_int_equal(st.blobs_removed, 1);
	assert_int_equal(st.layers_removed, 0);
	assert_int_equal(count_dir(f, STORE_BLOBS_DIR, NULL), 3); /* manifest, config, layer */
	assert_true(store_layer_exists(f->s, &chain));
	assert_int_equal(store_image_remove(f->s, &id, NULL), 0);
	assert_int_equal(store_gc(f->s, &st, NULL), 0);
	assert_int_equal(st.blobs_removed, 3);
	assert_int_equal(st.layers_removed, 1);
	assert_false(store_layer_exists(f->s, &chain));
	assert_int_equal(count_dir(f, STORE_LAYERS_DIR, NULL), 0);
}

/* --- layers ------------------------------------------------------------------ */

static void test_layer_ensure(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *dir = NULL, *a = NULL, *c = NULL;
	struct store_layer_meta m;
	struct digest diff, chain;

	add_layer(f, base_tar, NULL, &diff, &chain);
	assert_true(store_layer_exists(f->s, &chain));
	dir = store_layer_dir(f->s, &chain);
	a = path_join(dir, "a");
	c = path_join(dir, "dir/c");
	assert_int_equal(access(a, F_OK), 0);
	assert_int_equal(access(c, F_OK), 0);
	assert_int_equal(store_layer_meta(f->s, &chain, &m, NULL), 0);
	assert_string_equal(m.diff_id.str, diff.str);
	assert_false(m.has_parent);
	assert_int_equal(m.size, 6);
	/* a second ensure is a no-op */
	assert_int_equal(store_layer_ensure(f->s, &chain, NULL, -1, &diff, &diff, NULL, NULL), 0);
}

static void test_layer_failure(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *path = str_printf("%s/bad.tar", f->dir);
	_cleanup_close_ int fd = -1;
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest diff, wrong;

	make_tar(path, base_tar, &diff);
	digest_buf("wrong", 5, &wrong);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	/* the blob is not what it claims */
	assert_int_equal(store_layer_ensure(f->s, &wrong, NULL, fd, &wrong, &wrong, NULL, &err),
	                 -EILSEQ);
	assert_false(store_layer_exists(f->s, &wrong));
	assert_int_equal(count_dir(f, STORE_LAYERS_DIR, NULL), 0);
	/* a chain ID that does not follow from parent and diff ID */
	assert_int_equal(store_layer_ensure(f->s, &diff, &wrong, fd, &diff, &diff, NULL, NULL),
	                 -EINVAL);
	/* a missing parent: refused by vfs, which copies it; overlay2 layers are
	 * independent trees (unpacked in parallel), here the blob is wrong anyway */
	{
		struct digest in[2] = {wrong, diff}, out[2];
		int r;

		store_chain_ids(in, 2, out);
		r = store_layer_ensure(f->s, &out[1], &wrong, fd, &diff, &diff, NULL, NULL);
		if (streq(store_driver(f->s), "vfs"))
			assert_int_equal(r, -ENOENT);
		else
			assert_true(r < 0 && r != -ENOENT);
	}
	assert_int_equal(count_dir(f, STORE_LAYERS_DIR, NULL), 0);

	/* a hostile layer: refused, nothing left, nothing written outside */
	{
		static const struct tar_entry evil[] = {
		        {"ok", '0', "x"}, {"../../evil", '0', "x"}, {NULL}};
		_cleanup_free_ char *outside = str_printf("%s/store/evil", f->dir);
		_cleanup_close_ int efd = -1;
		struct digest ed;

		make_tar(path, evil, &ed);
		efd = open(path, O_RDONLY | O_CLOEXEC);
		assert_true(store_layer_ensure(f->s, &ed, NULL, efd, &ed, &ed, NULL, NULL) < 0);
		assert_false(store_layer_exists(f->s, &ed));
		assert_int_equal(count_dir(f, STORE_LAYERS_DIR, NULL), 0);
		assert_int_equal(access(outside, F_OK), -1);
	}
}

/* Two processes ensure the same layer at once: one unpack (one temp dir is
 * ever created in layers/, as inotify sees). Both are started while we
 * hold the layer's lock, so both are waiting when it is free. */
static void test_layer_single_flight(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *path = str_printf("%s/big.tar", f->dir);
	_cleanup_free_ char *layers = str_printf("%s/store/layers", f->dir);
	_cleanup_free_ char *big = malloc(4 << 20), *lock_name = NULL;
	_cleanup_close_ int in = -1;
	struct tar_entry e[] = {{"big", '0', big}, {"small", '0', "x"}, {NULL}};
	char buf[65536];
	struct digest diff;
	int tmps = 0, status, lock;
	pid_t pids[2];
	ssize_t n;

	memset(big, 'x', (4 << 20) - 1);
	big[(4 << 20) - 1] = 0;
	make_tar(path, e, &diff);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(inotify_add_watch(in, layers, IN_CREATE) >= 0);
	lock_name = store_layer_lock_name(digest_hex(&diff));
	lock = store_lock(f->s, lock_name, LOCK_EX);
	assert_true(lock >= 0);
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			/* our copy of the parent's lock would hold it for us */
			int fd = (close(lock), open(path, O_RDONLY | O_CLOEXEC));

			_exit(store_layer_ensure(f->s, &diff, NULL, fd, &diff, &diff, NULL, NULL) <
			      0);
		}
	}
	usleep(200 * 1000);
	close(lock);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len && startswith(ev->name, STORE_TMP_PREFIX))
				tmps++;
			p += sizeof(*ev) + ev->len;
		}
	assert_int_equal(tmps, 1);
	assert_true(store_layer_exists(f->s, &diff));
}

/* --- snapshots ------------------------------------------------------------------ */

static const struct tar_entry upper_tar[] = {
        {".wh.b", '0', ""}, /* deletes b */
        {"d", '0', "d\n"},
        {NULL},
};

static const struct tar_entry opaque_tar[] = {
        {"dir/", '5', NULL},
        {"dir/.wh..wh..opq", '0', ""}, /* hides dir/c */
        {"dir/e", '0', "e\n"},
        {NULL},
};

static void three_layers(struct fx *f, struct digest *chains)
{
	struct digest diff;

	add_layer(f, base_tar, NULL, &diff, &chains[0]);
	add_layer(f, upper_tar, &chains[0], &diff, &chains[1]);
	add_layer(f, opaque_tar, &chains[1], &diff, &chains[2]);
}

static bool exists_in(const char *root, const char *rel)
{
	_cleanup_free_ char *p = path_join(root, rel);
	struct stat st;

	return lstat(p, &st) == 0;
}

static void snapshot_three(struct fx *f)
{
	_cleanup_free_ char *root = NULL, *snapdir = NULL, *newfile = NULL;
	struct husk_error *err = NULL;
	struct digest chains[3];
	struct stat st;
	FILE *out;

	three_layers(f, chains);
	if (store_snapshot_create(f->s, "c1", chains, 3, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_int_equal(store_snapshot_create(f->s, "c1", chains, 3, NULL), -EEXIST);
	if (store_snapshot_mount(f->s, "c1", &root, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_true(exists_in(root, "a"));
	assert_false(exists_in(root, "b"));
	assert_true(exists_in(root, "d"));
	assert_true(exists_in(root, "dir/e"));
	assert_false(exists_in(root, "dir/c"));
	assert_false(exists_in(root, ".wh.b"));
	newfile = path_join(root, "new");
	out = fopen(newfile, "w");
	assert_non_null(out);
	fclose(out);
	snapdir = str_printf("%s/store/snapshots/c1", f->dir);
	assert_int_equal(stat(snapdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	if (!store_is_vfs(f->s)) {
		_cleanup_free_ char *up = path_join(snapdir, "upper/new");

		assert_int_equal(access(up, F_OK), 0);
		free(root);
		root = NULL;
		assert_int_equal(store_snapshot_mount(f->s, "c1", &root, NULL), 0); /* idempotent */
	}
	assert_int_equal(store_snapshot_unmount(f->s, "c1", NULL), 0);
	assert_int_equal(store_snapshot_unmount(f->s, "c1", NULL), 0);
	/* the layers are kept while the snapshot exists */
	assert_int_equal(store_gc(f->s, NULL, NULL), 0);
	assert_true(store_layer_exists(f->s, &chains[0]));
	free(root);
	root = NULL;
	assert_int_equal(store_snapshot_mount(f->s, "c1", &root, NULL), 0);
	assert_int_equal(store_snapshot_remove(f->s, "c1", NULL), 0);
	assert_int_equal(store_snapshot_remove(f->s, "c1", NULL), -ENOENT);
	assert_int_equal(access(snapdir, F_OK), -1);
	assert_int_equal(store_gc(f->s, NULL, NULL), 0);
	assert_false(store_layer_exists(f->s, &chains[0]));
}

static void test_snapshot_overlay(void **state)
{
	snapshot_three(*state);
}

static void test_snapshot_overlay_legacy(void **state)
{
	struct fx *f = *state;

	store_set_legacy_mount(f->s, true);
	snapshot_three(f);
}

static void test_snapshot_vfs(void **state)
{
	struct fx *f = *state;

	assert_int_equal(store_set_driver(f->s, "vfs", NULL), 0);
	snapshot_three(f);
	/* the driver is recorded: the store will not switch */
	assert_int_equal(store_set_driver(f->s, "overlay2", NULL), -EINVAL);
}

static void test_snapshot_bad_input(void **state)
{
	struct fx *f = *state;
	struct digest missing;

	digest_buf("missing", 7, &missing);
	assert_int_equal(store_snapshot_create(f->s, "../x", &missing, 1, NULL), -EINVAL);
	assert_int_equal(store_snapshot_create(f->s, "", &missing, 1, NULL), -EINVAL);
	assert_int_equal(store_snapshot_create(f->s, "ok", &missing, 0, NULL), -EINVAL);
	assert_int_equal(store_snapshot_create(f->s, "ok", &missing, 1, NULL), -ENOENT);
	assert_int_equal(count_dir(f, STORE_SNAPS_DIR, NULL), 0);
}

#define MANY 230

static void test_snapshot_many_layers(void **state)
{
	struct fx *f = *state;
	struct digest *chains = calloc(MANY, sizeof(*chains)), diff;
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *root = NULL;

	for (int i = 0; i < MANY; i++) {
		char name[16];
		struct tar_entry e[] = {{name, '0', "x"}, {NULL}};

		snprintf(name, sizeof(name), "f%d", i);
		add_layer(f, e, i ? &chains[i - 1] : NULL, &diff, &chains[i]);
	}
	/* 200 layers fit both ways */
	for (int legacy = 0; legacy < 2; legacy++) {
		store_set_legacy_mount(f->s, legacy);
		assert_int_equal(store_snapshot_create(f->s, "m", chains, 200, NULL), 0);
		if (store_snapshot_mount(f->s, "m", &root, &err) < 0)
			fail_msg("%s", error_message(err));
		assert_true(exists_in(root, "f0"));
		assert_true(exists_in(root, "f199"));
		assert_false(exists_in(root, "f200"));
		free(root);
		root = NULL;
		assert_int_equal(store_snapshot_remove(f->s, "m", NULL), 0);
	}
	/* 230: only the new mount API; mount(2) says why not */
	assert_int_equal(store_snapshot_create(f->s, "m", chains, MANY, NULL), 0);
	assert_int_equal(store_snapshot_mount(f->s, "m", &root, &err), -E2BIG);
	assert_non_null(strstr(error_message(err), "lowerdir+"));
	store_set_legacy_mount(f->s, false);
	assert_int_equal(store_snapshot_mount(f->s, "m", &root, NULL), 0);
	assert_true(exists_in(root, "f229"));
	free(chains);
}

/* --- check -------------------------------------------------------------------- */

static size_t check(struct fx *f, bool repair, size_t *ret_leftovers)
{
	struct store_check_report rep;
	size_t n;

	assert_int_equal(store_check(f->s, repair, &rep, NULL), 0);
	n = strv_length(rep.problems);
	if (ret_leftovers)
		*ret_leftovers = strv_length(rep.leftovers);
	store_check_report_release(&rep);
	return n;
}

static void test_check_repair(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *blob = NULL, *meta = NULL, *ingest = NULL, *tmp = NULL;
	struct digest diff, chain, id, junk;
	size_t leftovers;
	int fd;

	add_layer(f, base_tar, NULL, &diff, &chain);
	add_image(f, &diff, 1, "x", &id);
	assert_int_equal(store_tag(f->s, "docker.io/library/x:latest", &id, NULL), 0);
	assert_int_equal(check(f, false, &leftovers), 0);
	assert_int_equal(leftovers, 0);

	/* leftovers: an ingest file nobody writes, a temp layer dir */
	ingest = str_printf("%s/store/ingest/deadbeef", f->dir);
	fd = open(ingest, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	tmp = str_printf("%s/store/layers/.tmp-%s-0000", f->dir, digest_hex(&chain));
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(check(f, false, &leftovers), 0);
	assert_int_equal(leftovers, 2);

	/* corruption: a junk blob with a bad body, a layer without its record */
	assert_int_equal(store_blob_put(f->s, "junk", 4, NULL, &junk, NULL), 0);
	blob = store_blob_path(f->s, &junk);
	corrupt(blob);
	meta = str_printf("%s/store/layers/%s/meta.json", f->dir, digest_hex(&chain));
	assert_int_equal(unlink(meta), 0);
	/* the blob, the layer, and the image that lacks it */
	assert_int_equal(check(f, false, NULL), 3);

	/* repair: the bad blob goes, the broken layer goes and is unpacked
	 * again from the image's blob */
	assert_true(check(f, true, NULL) >= 2);
	assert_int_equal(check(f, false, &leftovers), 0);
	assert_int_equal(leftovers, 0);
	assert_true(store_layer_exists(f->s, &chain));
	assert_int_equal(store_blob_stat(f->s, &junk, NULL), -ENOENT);

	/* a manifest lost: its references are dropped */
	{
		_cleanup_(store_image_freep) struct store_image *img = NULL;
		_cleanup_free_ char *m = NULL;

		assert_int_equal(store_image_get(f->s, id.str, &img, NULL), 0);
		m = store_blob_path(f->s, &img->manifest);
		assert_int_equal(unlink(m), 0);
		assert_int_equal(check(f, false, NULL), 2); /* anchor and tag */
		check(f, true, NULL);
		assert_int_equal(check(f, false, NULL), 0);
	}
}

/* --- permissions -------------------------------------------------------------- */

static void test_permissions(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *dir = str_printf("%s/store", f->dir);
	_cleanup_free_ char *root2 = str_printf("%s/newroot", f->dir);
	_cleanup_free_ char *dir2 = str_printf("%s/newroot/store", f->dir);
	struct store *s2 = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct stat st;

	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* a store left world-readable is made private again */
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(store_open(f->dir, &s2, NULL), 0);
	store_free(s2);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* a new data root is not traversable by others */
	assert_int_equal(store_open(root2, &s2, NULL), 0);
	store_free(s2);
	assert_int_equal(stat(root2, &st), 0);
	assert_int_equal(st.st_mode & 0007, 0);
	/* someone else's store is refused */
	assert_int_equal(chown(dir2, 1000, 1000), 0);
	assert_int_equal(store_open(root2, &s2, &err), -EPERM);
	assert_non_null(strstr(error_message(err), "owned by uid 1000"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_blob_put_read, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_blob_mismatch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_blob_duplicate, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_blob_size_cap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_blob_read_corrupt, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refs_ambiguous, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_image_add_checks, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_index_layout, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_lease_gc, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_lease_grace, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_lease_stale, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_gc_keeps_images, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_layer_ensure, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_layer_failure, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_layer_single_flight, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_snapshot_overlay, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_snapshot_overlay_legacy, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_snapshot_vfs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_snapshot_bad_input, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_snapshot_many_layers, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_check_repair, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
	};

	if (geteuid() != 0) {
		printf("# store tests need root (overlay mounts, ownership)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
