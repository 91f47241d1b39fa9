/* store-tool — a small driver of src/store for the system tests
 * (tests/system/store.bats): the store's operations one command at a time,
 * so a test can kill one in the middle and look at what is left.
 *
 *   store-tool --root DIR [--driver overlay2|vfs] [--grace SECONDS] COMMAND
 *     put-blob FILE            store FILE as a blob, print its digest
 *     import-tar TAR NAME      a one-layer image from a layer tar, tagged NAME
 *     ls                       images: ID, then names
 *     rm KEY                   remove an image (name, ID or ID prefix)
 *     gc                       collect garbage, print what went
 *     check [--repair]         verify; exit 1 when there are problems
 *     snapshot ID IMAGE        a container snapshot over IMAGE's layers
 *     mount ID / umount ID     mount (print its root) / unmount a snapshot
 *     rm-snapshot ID
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "store/store.h"
#include "store/store_internal.h"

#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_CONFIG   "application/vnd.oci.image.config.v1+json"
#define OCI_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"

static int fail(struct husk_error *err)
{
	fprintf(stderr, "store-tool: %s\n", error_message(err));
	error_free(err);
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: store-tool --root DIR [--driver D] [--grace S] COMMAND ARGS…\n");
	return 2;
}

/* Stream fd into a blob. */
static int put_fd(struct store *s, int fd, const struct digest *expected, struct store_lease *l,
                  struct digest *ret, uint64_t *ret_size, struct husk_error **err)
{
	struct blob_writer *w = NULL;
	char buf[65536];
	ssize_t n;
	int r;

	r = store_blob_writer(s, expected, -1, l, &w, err);
	if (r < 0)
		return r;
	while ((n = read_full(fd, buf, sizeof(buf))) > 0) {
		r = blob_writer_write(w, buf, n, err);
		if (r < 0) {
			blob_writer_abort(w);
			return r;
		}
	}
	if (n < 0) {
		blob_writer_abort(w);
		return error_set_errno(err, -n, "read");
	}
	return blob_writer_commit(w, ret, ret_size, err);
}

static int cmd_put_blob(struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_close_ int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	struct digest d;
	int r;

	if (fd < 0)
		return error_set_errno(err, errno, "open \"%s\"", argv[0]);
	r = put_fd(s, fd, NULL, NULL, &d, NULL, err);
	if (r == 0)
		printf("%s\n", d.str);
	return r;
}

/* The layer blob: the tar gzip'd into a temp file, then into the store. */
static int put_layer(struct store *s, const char *tar, struct store_lease *l,
                     struct layer_stats *st, struct husk_error **err)
{
	_cleanup_close_ int in = open(tar, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int tmp = open("/tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	int r;

	if (in < 0 || tmp < 0)
		return error_set_errno(err, errno, "open \"%s\"", tar);
	r = layer_compress(in, tmp, ARCHIVE_GZIP, st, err);
	if (r < 0)
		return r;
	if (lseek(tmp, 0, SEEK_SET) < 0)
		return error_set_errno(err, errno, "seek");
	return put_fd(s, tmp, &st->blob, l, NULL, NULL, err);
}

static int put_json(struct store *s, json_t *j, struct store_lease *l, struct digest *ret,
                    size_t *ret_len, struct husk_error **err)
{
	_cleanup_free_ char *text = json_compact(j);

	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	*ret_len = strlen(text);
	return store_blob_put(s, text, *ret_len, l, ret, err);
}

static int import(struct store *s, const char *tar, const char *name, struct store_lease *l,
                  struct husk_error **err)
{
	_cleanup_json_ json_t *config = NULL, *manifest = NULL;
	_cleanup_close_ int blob_fd = -1;
	struct layer_stats st = {0};
	struct digest cd, md;
	size_t clen = 0, mlen = 0;
	int r;

	r = put_layer(s, tar, l, &st, err);
	if (r < 0)
		return r;
	blob_fd = store_blob_open(s, &st.blob, err);
	if (blob_fd < 0)
		return blob_fd;
	r = store_layer_ensure(s, &st.diff_id, NULL, blob_fd, &st.blob, &st.diff_id, l, err);
	if (r < 0)
		return r;
	config = json_pack("{s:s, s:s, s:{s:s, s:[s]}, s:{}}", "architecture", "amd64", "os",
	                   "linux", "rootfs", "type", "layers", "diff_ids", st.diff_id.str,
	                   "config");
	if (!config || put_json(s, config, l, &cd, &clen, err) < 0)
		return error_set(err, EIO, "store the config");
	manifest =
	        json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
	                  "mediaType", OCI_MANIFEST, "config", "mediaType", OCI_CONFIG, "digest",
	                  cd.str, "size", (json_int_t)clen, "layers", "mediaType", OCI_LAYER_GZ,
	                  "digest", st.blob.str, "size", (json_int_t)st.compressed_size);
	if (!manifest || put_json(s, manifest, l, &md, &mlen, err) < 0)
		return error_set(err, EIO, "store the manifest");
	r = store_image_add(s, &cd, &md, OCI_MANIFEST, mlen, err);
	if (r == 0)
		r = store_tag(s, name, &cd, err);
	if (r == 0)
		printf("%s\n", cd.str);
	return r;
}

static int cmd_import_tar(struct store *s, char **argv, struct husk_error **err)
{
	struct store_lease *l = NULL;
	int r;

	r = store_lease_begin(s, &l, err);
	if (r < 0)
		return r;
	r = import(s, argv[0], argv[1], l, err);
	store_lease_end(l);
	return r;
}

static int cmd_ls(struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;
	int r = store_image_list(s, &v, err);

	if (r < 0)
		return r;
	for (struct store_image **p = v; *p; p++) {
		_cleanup_free_ char *names = strv_join((*p)->names, " ");

		printf("%s %s/%s %s\n", (*p)->id.str, (*p)->os ?: "", (*p)->architecture ?: "",
		       names ?: "");
	}
	return 0;
}

static int cmd_rm(struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	int r = store_image_get(s, argv[0], &img, err);

	return r < 0 ? r : store_image_remove(s, &img->id, err);
}

static int cmd_gc(struct store *s, char **argv, struct husk_error **err)
{
	struct store_gc_stats st;
	int r = store_gc(s, &st, err);

	if (r == 0)
		printf("blobs %" PRIu64 " layers %" PRIu64 " bytes %" PRIu64 " leftovers %" PRIu64
		       "\n",
		       st.blobs_removed, st.layers_removed, st.bytes_removed, st.leftovers_removed);
	return r;
}

static int cmd_check(struct store *s, char **argv, struct husk_error **err)
{
	struct store_check_report rep;
	bool repair = argv[0] && streq(argv[0], "--repair");
	int r = store_check(s, repair, &rep, err);

	if (r < 0)
		return r;
	STRV_FOREACH (p, rep.problems)
		printf("problem: %s\n", *p);
	STRV_FOREACH (p, rep.leftovers)
		printf("leftover: %s\n", *p);
	STRV_FOREACH (p, rep.repaired)
		printf("repaired: %s\n", *p);
	r = strv_length(rep.problems) > 0 ? 1 : 0;
	store_check_report_release(&rep);
	return r ? error_set(err, EILSEQ, "the store has problems") : 0;
}

static int cmd_snapshot(struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_strv_ char **chains = strv_new();
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ struct digest *d = NULL;
	size_t len, n;
	int r;

	r = store_image_get(s, argv[1], &img, err);
	if (r == 0)
		r = store_blob_read(s, &img->id, 1 << 20, &buf, &len, err);
	if (r == 0)
		r = store_config_chains(buf, len, &chains, err);
	if (r < 0)
		return r;
	n = strv_length(chains);
	d = calloc(n + 1, sizeof(*d));
	if (!d)
		return error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		digest_parse(chains[i], &d[i], NULL);
	return store_snapshot_create(s, argv[0], d, n, err);
}

static int cmd_mount(struct store *s, char **argv, struct husk_error **err)
{
	_cleanup_free_ char *path = NULL;
	int r = store_snapshot_mount(s, argv[0], &path, err);

	if (r == 0)
		printf("%s\n", path);
	return r;
}

static int cmd_umount(struct store *s, char **argv, struct husk_error **err)
{
	return store_snapshot_unmount(s, argv[0], err);
}

static int cmd_rm_snapshot(struct store *s, char **argv, struct husk_error **err)
{
	return store_snapshot_remove(s, argv[0], err);
}

static const struct command {
	const char *name;
	int min_args;
	int (*fn)(struct store *s, char **argv, struct husk_error **err);
} commands[] = {
        {"put-blob", 1, cmd_put_blob},
        {"import-tar", 2, cmd_import_tar},
        {"ls", 0, cmd_ls},
        {"rm", 1, cmd_rm},
        {"gc", 0, cmd_gc},
        {"check", 0, cmd_check},
        {"snapshot", 2, cmd_snapshot},
        {"mount", 1, cmd_mount},
        {"umount", 1, cmd_umount},
        {"rm-snapshot", 1, cmd_rm_snapshot},
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"root", required_argument, NULL, 'r'},
	        {"driver", required_argument, NULL, 'd'},
	        {"grace", required_argument, NULL, 'g'},
	        {},
	};
	const char *root = NULL, *driver = NULL;
	int64_t grace = -1;
	struct husk_error *err = NULL;
	_cleanup_(store_freep) struct store *s = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+r:d:g:", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'd')
			driver = optarg;
		else if (c == 'g' && str_to_int64(optarg, &grace) == 0)
			continue;
		else
			return usage();
	}
	if (!root || optind >= argc)
		return usage();
	if (store_open(root, &s, &err) < 0 || (driver && store_set_driver(s, driver, &err) < 0))
		return fail(err);
	if (grace >= 0)
		store_set_grace(s, grace);
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		if (!streq(argv[optind], commands[i].name))
			continue;
		if (argc - optind - 1 < commands[i].min_args)
			return usage();
		return commands[i].fn(s, argv + optind + 1, &err) < 0 ? fail(err) : 0;
	}
	return usage();
}
