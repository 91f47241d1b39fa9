/* server_gc.c — husk-registry gc: mark every blob a kept manifest
 * references, sweep the rest, drop dangling links and abandoned uploads.
 *
 * A blob pushed but not yet referenced (a push in progress) looks
 * unreferenced, so gc takes the root's lock exclusively: it refuses to
 * run while a read-write server holds it shared. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "registry/server.h"
#include "registry/server_storage.h"

struct gc {
	struct regstore *s;
	enum registry_gc_flags flags;
	int64_t ttl;
	registry_gc_report_fn report;
	void *data;
	struct registry_gc_stats stats;
	char **marked; /* hex digests, sorted and unique after sweep_prepare() */
};

static void report(struct gc *g, const char *kind, const char *repo, const char *what)
{
	if (g->report)
		g->report(kind, repo, what, g->data);
}

static int mark_hex(struct gc *g, const char *hex)
{
	return strv_push(&g->marked, hex);
}

/* Mark a manifest blob and every descriptor it lists. A manifest that
 * cannot be read or parsed only keeps itself. */
static int mark_manifest(struct gc *g, const struct digest *d)
{
	static const char *const arrays[] = {"layers", "manifests"};
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *j = NULL;
	const json_t *e;
	uint64_t size;
	size_t len, i;
	int r;

	r = mark_hex(g, digest_hex(d));
	if (r < 0)
		return r;
	fd = regstore_blob_open(g->s, d, &size);
	if (fd < 0 || read_all_fd(fd, REGISTRY_MANIFEST_MAX, &buf, &len) < 0 ||
	    json_parse("manifest", buf, len, REGISTRY_MANIFEST_MAX, &j, NULL) < 0)
		return 0;
	e = json_object_get(json_object_get(j, "config"), "digest");
	if (digest_valid(json_string_value(e)) && (r = mark_hex(g, json_string_value(e) + 7)) < 0)
		return r;
	for (size_t a = 0; a < ELEMENTSOF(arrays); a++)
		json_array_foreach (json_object_get(j, arrays[a]), i, e) {
			const char *dig = json_string_value(json_object_get(e, "digest"));
			if (digest_valid(dig) && (r = mark_hex(g, dig + 7)) < 0)
				return r;
		}
	return 0;
}

/* The digests an index revision lists, as hex (for the kept closure). */
static int index_children(struct gc *g, const char *hex, char ***children)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *j = NULL;
	struct digest d;
	const json_t *e;
	uint64_t size;
	size_t len, i;

	snprintf(d.str, sizeof(d.str), "sha256:%s", hex);
	fd = regstore_blob_open(g->s, &d, &size);
	if (fd < 0 || read_all_fd(fd, REGISTRY_MANIFEST_MAX, &buf, &len) < 0 ||
	    json_parse("manifest", buf, len, REGISTRY_MANIFEST_MAX, &j, NULL) < 0)
		return 0;
	json_array_foreach (json_object_get(j, "manifests"), i, e) {
		const char *dig = json_string_value(json_object_get(e, "digest"));
		if (digest_valid(dig) && strv_push(children, dig + 7) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* With DELETE_UNTAGGED: the revisions a tag reaches, directly, through an
 * index, or as a referrer of a kept one. */
static int kept_revisions(struct gc *g, const char *repo, char **revs, char ***ret)
{
	_cleanup_free_ char *tagdir = str_printf("%s/_manifests/tags", repo);
	_cleanup_strv_ char **tags = NULL, **kept = strv_new();
	size_t done = 0;
	struct digest d;
	int r;

	if (!tagdir || !kept)
		return -ENOMEM;
	r = regstore_list_dir(g->s->repos_fd, tagdir, &tags);
	if (r < 0)
		return r;
	STRV_FOREACH (t, tags)
		if (regstore_tag_get(g->s, repo, *t, &d) == 0 &&
		    !strv_contains(kept, digest_hex(&d)) && strv_contains(revs, digest_hex(&d)) &&
		    (r = strv_push(&kept, digest_hex(&d))) < 0)
			return r;
	/* breadth-first over kept: each adds its children and referrers */
	while (done < strv_length(kept)) {
		_cleanup_strv_ char **more = strv_new();
		_cleanup_free_ char *refdir = NULL;
		_cleanup_strv_ char **refs = NULL;
		const char *hex = kept[done++];

		refdir = str_printf("%s/_manifests/referrers/%s", repo, hex);
		if (!more || !refdir || index_children(g, hex, &more) < 0 ||
		    regstore_list_dir(g->s->repos_fd, refdir, &refs) < 0)
			return -ENOMEM;
		STRV_FOREACH (x, refs)
			if ((r = strv_push(&more, *x)) < 0)
				return r;
		STRV_FOREACH (x, more)
			if (strv_contains(revs, *x) && !strv_contains(kept, *x) &&
			    (r = strv_push(&kept, *x)) < 0)
				return r;
	}
	*ret = TAKE_PTR(kept);
	return 0;
}

static int gc_repo(struct gc *g, const char *repo)
{
	_cleanup_free_ char *revdir = str_printf("%s/_manifests/revisions", repo);
	_cleanup_strv_ char **revs = NULL, **kept = NULL;
	struct digest d;
	int r;

	if (!revdir)
		return -ENOMEM;
	r = regstore_list_dir(g->s->repos_fd, revdir, &revs);
	if (r < 0 || !revs)
		return r;
	if (g->flags & REGISTRY_GC_DELETE_UNTAGGED) {
		r = kept_revisions(g, repo, revs, &kept);
		if (r < 0)
			return r;
	}
	STRV_FOREACH (hex, revs) {
		if (!digest_hex_valid(*hex))
			continue;
		snprintf(d.str, sizeof(d.str), "sha256:%s", *hex);
		if (kept && !strv_contains(kept, *hex)) {
			report(g, "manifest", repo, d.str);
			g->stats.manifests_deleted++;
			if (!(g->flags & REGISTRY_GC_DRY_RUN) &&
			    (r = regstore_manifest_delete(g->s, repo, &d, NULL)) < 0)
				return r;
			continue;
		}
		r = mark_manifest(g, &d);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool marked(struct gc *g, const char *hex)
{
	size_t n = strv_length(g->marked);

	return n && bsearch(&hex, g->marked, n, sizeof(char *), cmp_str);
}

static int sweep_blobs(struct gc *g)
{
	_cleanup_strv_ char **blobs = NULL;
	time_t now = time(NULL);
	struct stat st;
	int r;

	qsort(g->marked, strv_length(g->marked), sizeof(char *), cmp_str);
	r = regstore_list_dir(g->s->blobs_fd, ".", &blobs);
	if (r < 0)
		return r;
	STRV_FOREACH (hex, blobs) {
		_cleanup_free_ char *dig = str_printf("sha256:%s", *hex);
		if (!dig)
			return -ENOMEM;
		if (!digest_hex_valid(*hex))
			continue;
		if (marked(g, *hex)) {
			g->stats.blobs_marked++;
			continue;
		}
		report(g, "blob", NULL, dig);
		g->stats.blobs_deleted++;
		if (!(g->flags & REGISTRY_GC_DRY_RUN) && unlinkat(g->s->blobs_fd, *hex, 0) < 0 &&
		    errno != ENOENT)
			return -errno;
	}
	/* temp files of manifest writes cut short by a crash (dot files,
	 * which regstore_list_dir skips) */
	DIR *d = NULL;
	int dfd = openat(g->s->blobs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0 && !(d = fdopendir(dfd)))
		safe_close(dfd);
	for (struct dirent *de; d && (de = readdir(d));)
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp") &&
		    fstatat(g->s->blobs_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && now - st.st_mtime > g->ttl &&
		    !(g->flags & REGISTRY_GC_DRY_RUN))
			unlinkat(g->s->blobs_fd, de->d_name, 0);
	if (d)
		closedir(d);
	return 0;
}

/* Links to blobs that no longer exist. */
static int sweep_links(struct gc *g, const char *repo)
{
	_cleanup_free_ char *dir = str_printf("%s/_layers", repo);
	_cleanup_strv_ char **links = NULL;
	struct digest d;
	int r;

	if (!dir)
		return -ENOMEM;
	r = regstore_list_dir(g->s->repos_fd, dir, &links);
	if (r < 0)
		return r;
	STRV_FOREACH (hex, links) {
		if (!digest_hex_valid(*hex))
			continue;
		snprintf(d.str, sizeof(d.str), "sha256:%s", *hex);
		if (regstore_blob_stat(g->s, &d, NULL) < 0)
			regstore_blob_unlink(g->s, repo, &d);
	}
	return 0;
}

static bool upload_report(const char *uuid, void *data)
{
	struct gc *g = data;

	report(g, "upload", NULL, uuid);
	g->stats.uploads_deleted++;
	return (g->flags & REGISTRY_GC_DRY_RUN) != 0; /* a dry run keeps it */
}

static void gc_release(struct gc *g)
{
	strv_free(g->marked);
	g->marked = NULL;
}

int registry_gc(const char *root, enum registry_gc_flags flags, int64_t upload_ttl,
                registry_gc_report_fn report_fn, void *data, struct registry_gc_stats *ret_stats,
                struct husk_error **err)
{
	_cleanup_(regstore_freep) struct regstore *s = NULL;
	_cleanup_strv_ char **repos = NULL;
	_cleanup_close_ int lock = -1;
	_cleanup_(gc_release) struct gc g = {.flags = flags, .report = report_fn, .data = data};
	int r;

	g.ttl = upload_ttl > 0 ? upload_ttl : REGISTRY_UPLOAD_TTL_DEFAULT;
	r = regstore_open(root, false, &s, err);
	if (r < 0)
		return r;
	g.s = s;
	lock = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0)
		return error_set_errno(err, errno, "open \"%s\"", root);
	if (flock(lock, LOCK_EX | LOCK_NB) < 0)
		return error_set(err, EBUSY,
		                 "\"%s\" is in use by a read-write husk-registry: stop it, or "
		                 "restart it with --read-only, before gc",
		                 root);
	g.marked = strv_new();
	if (!g.marked)
		return error_set(err, ENOMEM, "out of memory");
	r = regstore_catalog(s, &repos);
	if (r < 0)
		return error_set_errno(err, -r, "list the repositories of \"%s\"", root);
	STRV_FOREACH (repo, repos) {
		r = gc_repo(&g, *repo);
		if (r < 0)
			return error_set_errno(err, -r, "gc \"%s\"", *repo);
	}
	r = sweep_blobs(&g);
	STRV_FOREACH (repo, repos)
		if (r == 0 && !(flags & REGISTRY_GC_DRY_RUN))
			r = sweep_links(&g, *repo);
	if (r < 0)
		return error_set_errno(err, -r, "sweep the blobs of \"%s\"", root);
	r = regstore_uploads_purge(s, g.ttl, upload_report, &g);
	if (r < 0)
		return error_set_errno(err, -r, "purge the uploads of \"%s\"", root);
	if (ret_stats)
		*ret_stats = g.stats;
	return 0;
}
