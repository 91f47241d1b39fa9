/* sources.c — which repositories of which registries hold a blob, learnt
 * from pulls and pushes, so that a push can ask the registry to mount a
 * blob from another of its repositories instead of uploading it again.
 *
 * One small JSON file per store, store/registry-sources.json:
 *   {"sha256:…": ["127.0.0.1:5000/a/b", …], …}   (most recent first)
 * read-modify-written under store/registry-sources.lock, replaced
 * atomically, capped in size and per blob; entries for blobs the store no
 * longer has are dropped on each write. Losing the file loses nothing but
 * a chance to mount.
 */
#include "registry/internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

static int sources_lock(struct store *s, int how)
{
	_cleanup_free_ char *path = path_join(store_dir(s), REG_SOURCES_LOCK);
	int fd;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (RETRY_EINTR(flock(fd, how)) < 0) {
		int r = -errno;
		safe_close(fd);
		return r;
	}
	return fd;
}

static int sources_read(struct store *s, json_t **ret)
{
	_cleanup_free_ char *path = path_join(store_dir(s), REG_SOURCES_FILE);
	json_t *j = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = json_load_path(path, REG_SOURCES_MAX, &j, NULL);
	if (r == -ENOENT || (r < 0 && r != -ENOMEM) || (r == 0 && !json_is_object(j))) {
		/* missing or damaged: start afresh, it is only a cache */
		json_decref(j);
		j = json_object();
		r = j ? 0 : -ENOMEM;
	}
	*ret = j;
	return r;
}

/* Put repo first in the blob's list. */
static int entry_add(json_t *all, const struct digest *blob, const char *repo)
{
	json_t *list = json_object_get(all, blob->str), *fresh = json_array(), *v;
	size_t i;

	if (!fresh || json_array_append_new(fresh, json_string(repo)) < 0) {
		json_decref(fresh);
		return -ENOMEM;
	}
	json_array_foreach (list, i, v) {
		if (json_array_size(fresh) >= REG_SOURCES_PER_BLOB)
			break;
		if (json_is_string(v) && !streq(json_string_value(v), repo) &&
		    json_array_append(fresh, v) < 0) {
			json_decref(fresh);
			return -ENOMEM;
		}
	}
	return json_object_set_new(all, blob->str, fresh) < 0 ? -ENOMEM : 0;
}

int reg_sources_add(struct store *s, const struct digest *blobs, size_t n, const char *repo,
                    struct husk_error **err)
{
	_cleanup_close_ int lock = sources_lock(s, LOCK_EX);
	_cleanup_free_ char *path = path_join(store_dir(s), REG_SOURCES_FILE), *text = NULL;
	_cleanup_json_ json_t *all = NULL;
	const char *key;
	json_t *v;
	void *tmp;
	int r;

	if (lock < 0)
		return error_set_errno(err, -lock, "lock \"%s\"", REG_SOURCES_LOCK);
	if (!path || (r = sources_read(s, &all)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	json_object_foreach_safe(all, tmp, key, v)
	{
		struct digest d;
		uint64_t size;

		if (digest_parse(key, &d, NULL) < 0 || store_blob_stat(s, &d, &size) < 0)
			json_object_del(all, key);
	}
	for (size_t i = 0; i < n; i++)
		if (entry_add(all, &blobs[i], repo) < 0)
			return error_set(err, ENOMEM, "out of memory");
	text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	if (strlen(text) > REG_SOURCES_MAX)
		return error_set(err, EFBIG, "\"%s\" would be larger than %u bytes",
		                 REG_SOURCES_FILE, REG_SOURCES_MAX);
	return atomic_write_file(path, text, strlen(text), 0600, err);
}

int reg_sources_get(struct store *s, const struct digest *blob, char ***ret)
{
	_cleanup_close_ int lock = sources_lock(s, LOCK_SH);
	_cleanup_json_ json_t *all = NULL;
	_cleanup_strv_ char **v = strv_new();
	json_t *item;
	size_t i;
	int r;

	if (!v)
		return -ENOMEM;
	if (lock >= 0 && (r = sources_read(s, &all)) < 0)
		return r;
	json_array_foreach (json_object_get(all, blob->str), i, item)
		if (json_is_string(item) && strv_push(&v, json_string_value(item)) < 0)
			return -ENOMEM;
	*ret = TAKE_PTR(v);
	return 0;
}
