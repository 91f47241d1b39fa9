/* Unit tests for src/image/{load,save,import}.c: the --change parser (both
 * forms of each instruction, bad input), docker-archive and oci-archive
 * loads of archives written here with libarchive, hostile archives (a
 * missing layer, a lying diff ID, a truncated stream, garbage) recording
 * nothing, save → load round trips keeping the image ID and the bytes, and
 * import. Runs as root (the store may mount nothing here, but layers keep
 * owners). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "image/transfer.h"
#include "store/store.h"

/* ---- --change ---- */

static json_t *changes(const char *first, ...)
{
	_cleanup_strv_ char **v = strv_new();
	json_t *cfg = json_object();
	va_list ap;

	va_start(ap, first);
	for (const char *c = first; c; c = va_arg(ap, const char *))
		assert_int_equal(strv_push(&v, c), 0);
	va_end(ap);
	assert_int_equal(image_changes_apply(cfg, v, NULL), 0);
	return cfg;
}

static void assert_json(json_t *j, const char *key, const char *want)
{
	_cleanup_json_ json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);

	assert_non_null(w);
	if (!json_equal(json_object_get(j, key), w)) {
		_cleanup_free_ char *got = json_compact(json_object_get(j, key));
		fail_msg("%s: got %s, want %s", key, got ? got : "(null)", want);
	}
}

static void test_changes_commands(void **state)
{
	_cleanup_json_ json_t *c =
	        changes("CMD [\"sh\", \"-c\", \"x\"]", "entrypoint /bin/app --x", NULL);

	assert_json(c, "Cmd", "[\"sh\",\"-c\",\"x\"]");
	assert_json(c, "Entrypoint", "[\"/bin/sh\",\"-c\",\"/bin/app --x\"]");
	json_decref(c);
	/* not a JSON array of strings: the shell form */
	c = changes("CMD [1, 2]", NULL);
	assert_json(c, "Cmd", "[\"/bin/sh\",\"-c\",\"[1, 2]\"]");
}

static void test_changes_env_label(void **state)
{
	_cleanup_json_ json_t *c =
	        changes("ENV A=b", "ENV B=\"x y\" C=z\\ w", "ENV OLD the rest of it", "ENV A=again",
	                "LABEL a=b \"c d\"=e f='g h'", NULL);

	assert_json(c, "Env", "[\"A=again\",\"B=x y\",\"C=z w\",\"OLD=the rest of it\"]");
	assert_json(c, "Labels", "{\"a\":\"b\",\"c d\":\"e\",\"f\":\"g h\"}");
}

static void test_changes_misc(void **state)
{
	_cleanup_json_ json_t *c =
	        changes("EXPOSE 80 53/udp 8000-8002", "VOLUME [\"/a\", \"/b\"]", "VOLUME /c /d",
	                "WORKDIR /x", "WORKDIR y", "USER nobody:nogroup", "STOPSIGNAL SIGINT",
	                "ONBUILD RUN echo hi", "HEALTHCHECK CMD [\"true\"]", NULL);

	assert_json(
	        c, "ExposedPorts",
	        "{\"80/tcp\":{},\"53/udp\":{},\"8000/tcp\":{},\"8001/tcp\":{},\"8002/tcp\":{}}");
	assert_json(c, "Volumes", "{\"/a\":{},\"/b\":{},\"/c\":{},\"/d\":{}}");
	assert_json(c, "WorkingDir", "\"/x/y\"");
	assert_json(c, "User", "\"nobody:nogroup\"");
	assert_json(c, "StopSignal", "\"SIGINT\"");
	assert_json(c, "OnBuild", "[\"RUN echo hi\"]");
	assert_json(c, "Healthcheck", "{\"Test\":[\"CMD\",\"true\"]}");
	json_decref(c);
	c = changes("HEALTHCHECK NONE", NULL);
	assert_json(c, "Healthcheck", "{\"Test\":[\"NONE\"]}");
}

static void change_fails(const char *change, const char *msg)
{
	_cleanup_json_ json_t *cfg = json_object();
	_cleanup_error_ struct husk_error *err = NULL;
	char *v[] = {(char *)change, NULL};

	assert_int_equal(image_changes_apply(cfg, v, &err), -EINVAL);
	if (!strstr(error_message(err), msg))
		fail_msg("\"%s\": got \"%s\", want \"%s\"", change, error_message(err), msg);
}

static void test_changes_bad(void **state)
{
	change_fails("FROB x", "invalid change \"FROB x\": unknown instruction \"FROB\"");
	change_fails("CMD", "CMD requires an argument");
	change_fails("", "requires an argument");
	change_fails("ENV A", "without a value");
	change_fails("ENV =x", "expected KEY=VALUE");
	change_fails("LABEL a=\"b", "expected KEY=VALUE");
	change_fails("EXPOSE 0", "invalid port");
	change_fails("EXPOSE 70000", "invalid port");
	change_fails("EXPOSE 90-80", "invalid port");
	change_fails("EXPOSE 80/xyz", "invalid proto");
	change_fails("HEALTHCHECK --interval=1s CMD true", "options are not supported");
}

/* ---- archives written here ---- */

struct fx {
	char dir[64];
	struct store *s, *s2;
};

static int rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	_cleanup_free_ char *d2 = NULL;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/husk-test-load-XXXXXX");
	if (!mkdtemp(f->dir) || store_open(f->dir, &f->s, NULL) < 0)
		return -1;
	d2 = str_printf("%s/second", f->dir);
	if (!d2 || mkdir(d2, 0700) < 0 || store_open(d2, &f->s2, NULL) < 0)
		return -1;
	store_set_grace(f->s, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_free(f->s);
	store_free(f->s2);
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

struct entry {
	const char *name;
	const void *data;
	size_t len;
	mode_t type; /* AE_IFREG (0 means that too), AE_IFDIR, AE_IFLNK */
	const char *link;
};

/* A tar of entries in a new file under the fixture; its path. */
static char *tar_write(struct fx *f, const char *name, const struct entry *e, size_t n)
{
	char *path = str_printf("%s/%s", f->dir, name);
	struct archive *a = archive_write_new();

	assert_non_null(path);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		mode_t type = e[i].type ? e[i].type : AE_IFREG;

		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, type);
		archive_entry_set_perm(ae, type == AE_IFDIR ? 0755 : 0644);
		archive_entry_set_size(ae, type == AE_IFREG ? (la_int64_t)e[i].len : 0);
		if (e[i].link)
			archive_entry_set_symlink(ae, e[i].link);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (type == AE_IFREG && e[i].len)
			assert_int_equal(archive_write_data(a, e[i].data, e[i].len),
			                 (la_ssize_t)e[i].len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return path;
}

static void file_read(const char *path, char **ret, size_t *len)
{
	assert_int_equal(read_file(path, 1 << 30, ret, len, NULL), 0);
}

/* One-layer image: the layer tar, its config. */
struct image_parts {
	char *layer;
	size_t layer_len;
	struct digest diff_id;
	char *config;
	struct digest config_digest;
};

static void parts_make(struct fx *f, struct image_parts *p, const char *content)
{
	const struct entry le[] = {
	        {"etc", NULL, 0, AE_IFDIR, NULL},
	        {"etc/hello", content, strlen(content), 0, NULL},
	};
	_cleanup_free_ char *path = tar_write(f, "layer.tar", le, 2);

	file_read(path, &p->layer, &p->layer_len);
	digest_buf(p->layer, p->layer_len, &p->diff_id);
	p->config = str_printf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":"
	                       "[\"sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
	                       p->diff_id.str);
	assert_non_null(p->config);
	digest_buf(p->config, strlen(p->config), &p->config_digest);
}

static void parts_release(struct image_parts *p)
{
	free(p->layer);
	free(p->config);
}

/* A docker-archive of p; layers (may be NULL) overrides manifest.json's
 * Layers, truncate_at (0: none) cuts the file. */
static char *docker_archive(struct fx *f, const struct image_parts *p, const char *layers,
                            size_t truncate_at)
{
	_cleanup_free_ char *cfg_name = str_printf("%s.json", digest_hex(&p->config_digest));
	_cleanup_free_ char *dir = str_printf("%.12s", digest_hex(&p->diff_id));
	_cleanup_free_ char *layer_name = str_printf("%s/layer.tar", dir);
	_cleanup_free_ char *default_layers = str_printf("[\"%s\"]", layer_name);
	_cleanup_free_ char *manifest = str_printf("[{\"Config\":\"%s\",\"RepoTags\":[\"test/"
	                                           "app:v1\",\"test/app:v2\"],\"Layers\":%s}]",
	                                           cfg_name, layers ? layers : default_layers);
	struct entry e[5];
	char *path;

	/* the order docker save writes: layers, config, manifest.json last */
	e[0] = (struct entry){dir, NULL, 0, AE_IFDIR, NULL};
	e[1] = (struct entry){layer_name, p->layer, p->layer_len, 0, NULL};
	e[2] = (struct entry){"repositories", "{}", 2, 0, NULL};
	e[3] = (struct entry){cfg_name, p->config, strlen(p->config), 0, NULL};
	e[4] = (struct entry){"manifest.json", manifest, strlen(manifest), 0, NULL};
	path = tar_write(f, "docker.tar", e, 5);
	if (truncate_at)
		assert_int_equal(truncate(path, (off_t)truncate_at), 0);
	return path;
}

static int load_path(struct store *s, const char *path, char ***loaded, struct husk_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return image_load(s, fd, NULL, NULL, loaded, err);
}

static size_t image_count(struct store *s)
{
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;

	assert_int_equal(store_image_list(s, &v, NULL), 0);
	return strv_length((char **)v);
}

static void test_load_docker(void **state)
{
	struct fx *f = *state;
	struct image_parts p = {0};
	_cleanup_free_ char *path = NULL;
	_cleanup_strv_ char **loaded = NULL;
	_cleanup_(store_image_freep) struct store_image *img = NULL;

	parts_make(f, &p, "hello\n");
	path = docker_archive(f, &p, NULL, 0);
	assert_int_equal(load_path(f->s, path, &loaded, NULL), 0);
	assert_int_equal(strv_length(loaded), 2);
	assert_string_equal(loaded[0], "test/app:v1");
	assert_string_equal(loaded[1], "test/app:v2");
	assert_int_equal(store_image_get(f->s, "docker.io/test/app:v2", &img, NULL), 0);
	assert_true(digest_equal(&img->id, &p.config_digest));
	assert_true(store_layer_exists(f->s, &p.diff_id));
	/* again: the same, nothing new */
	strv_free(loaded);
	loaded = NULL;
	assert_int_equal(load_path(f->s, path, &loaded, NULL), 0);
	assert_int_equal(image_count(f->s), 1);
	parts_release(&p);
}

static void load_fails(struct fx *f, const char *path, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;

	assert_true(load_path(f->s, path, NULL, &err) < 0);
	if (!strstr(error_message(err), msg))
		fail_msg("got \"%s\", want \"%s\"", error_message(err), msg);
	assert_int_equal(image_count(f->s), 0);
}

static void test_load_hostile(void **state)
{
	struct fx *f = *state;
	struct image_parts p = {0}, q = {0};
	_cleanup_free_ char *path = NULL;
	struct stat st;

	parts_make(f, &p, "hello\n");
	path = docker_archive(f, &p, "[\"nope/layer.tar\"]", 0);
	load_fails(f, path,
	           "manifest.json[0]: layer \"nope/layer.tar\" is missing from the archive");
	free(path);
	path = docker_archive(f, &p, "[]", 0);
	load_fails(f, path, "0 layers, but the config lists 1 diff IDs");
	free(path);
	path = docker_archive(f, &p, "{}", 0);
	load_fails(f, path, "Layers: expected an array of strings");
	free(path);
	/* a layer that is not the one the config names */
	parts_make(f, &q, "other\n");
	free(q.config);
	q.config = strdup(p.config);
	q.config_digest = p.config_digest;
	path = docker_archive(f, &q, NULL, 0);
	load_fails(f, path, "diff ID mismatch");
	free(path);
	path = docker_archive(f, &p, NULL, 0);
	assert_int_equal(stat(path, &st), 0);
	free(path);
	path = docker_archive(f, &p, NULL, (size_t)st.st_size / 2);
	load_fails(f, path, "unexpected end of archive");
	free(path);
	path = str_printf("%s/garbage", f->dir);
	assert_int_equal(atomic_write_file(path, "garbage\n", 8, 0644, NULL), 0);
	load_fails(f, path, "invalid archive");
	parts_release(&p);
	parts_release(&q);
}

static void save_to(struct store *s, const char *path, char *const *names, enum save_format fmt)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	_cleanup_error_ struct husk_error *err = NULL;

	assert_true(fd >= 0);
	if (image_save(s, names, fmt, fd, &err) < 0)
		fail_msg("save: %s", error_message(err));
}

static void test_save_round_trip(void **state)
{
	struct fx *f = *state;
	struct image_parts p = {0};
	char *names[] = {(char *)"test/app", NULL};
	_cleanup_free_ char *path = NULL, *a = NULL, *b = NULL, *o = NULL, *ta = NULL, *tb = NULL;
	_cleanup_strv_ char **loaded = NULL;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	size_t la = 0, lb = 0;

	parts_make(f, &p, "round trip\n");
	path = docker_archive(f, &p, NULL, 0);
	assert_int_equal(load_path(f->s, path, NULL, NULL), 0);
	a = str_printf("%s/a.tar", f->dir);
	b = str_printf("%s/b.tar", f->dir);
	o = str_printf("%s/o.tar", f->dir);
	/* a repository name saves all of its tags, twice the same bytes */
	save_to(f->s, a, names, SAVE_DOCKER);
	save_to(f->s, b, names, SAVE_DOCKER);
	file_read(a, &ta, &la);
	file_read(b, &tb, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(ta, tb, la);
	assert_non_null(memmem(ta, la, "\"RepoTags\":[\"test/app:v1\",\"test/app:v2\"]", 40));
	/* loaded elsewhere: the same ID */
	assert_int_equal(load_path(f->s2, a, &loaded, NULL), 0);
	assert_int_equal(store_image_get(f->s2, "docker.io/test/app:v1", &img, NULL), 0);
	assert_true(digest_equal(&img->id, &p.config_digest));
	/* and as an oci-archive */
	save_to(f->s, o, names, SAVE_OCI);
	assert_int_equal(load_path(f->s2, o, NULL, NULL), 0);
	assert_int_equal(image_count(f->s2), 1);
	parts_release(&p);
}

static void test_save_unknown(void **state)
{
	struct fx *f = *state;
	char *names[] = {(char *)"nope:1", NULL};
	_cleanup_error_ struct husk_error *err = NULL;

	assert_int_equal(image_save(f->s, names, SAVE_DOCKER, -1, &err), -ENOENT);
	assert_non_null(strstr(error_message(err), "No such image: nope:1"));
}

static void test_import(void **state)
{
	struct fx *f = *state;
	struct image_parts p = {0};
	char *ch[] = {(char *)"CMD [\"sh\"]", (char *)"ENV A=b", NULL};
	_cleanup_free_ char *layer = NULL, *cfg = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	struct digest id;
	size_t len = 0;

	parts_make(f, &p, "imported\n");
	layer = str_printf("%s/layer.tar", f->dir);
	fd = open(layer, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	if (image_import(f->s, fd, "imp:1", ch, "a message", &id, &err) < 0)
		fail_msg("import: %s", error_message(err));
	assert_int_equal(store_image_get(f->s, "docker.io/library/imp:1", &img, NULL), 0);
	assert_true(digest_equal(&img->id, &id));
	assert_true(store_layer_exists(f->s, &p.diff_id));
	assert_int_equal(store_blob_read(f->s, &id, 1 << 20, &cfg, &len, NULL), 0);
	assert_non_null(strstr(cfg, "\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"A=b\"]}"));
	assert_non_null(strstr(cfg, "\"comment\":\"a message\""));
	assert_non_null(strstr(cfg, p.diff_id.str));
	parts_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_changes_commands),
	        cmocka_unit_test(test_changes_env_label),
	        cmocka_unit_test(test_changes_misc),
	        cmocka_unit_test(test_changes_bad),
	        cmocka_unit_test_setup_teardown(test_load_docker, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_load_hostile, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_save_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_save_unknown, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_import, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
