/* lease.c — leases: what an operation in progress has written, so that a
 * GC racing a pull or an import keeps it. A lease is a file in
 * store/leases, flock'ed by its holder for as long as it lives, one digest
 * per line; a lease whose lock nobody holds belongs to a dead process. */
#include "store/store_internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"

struct store_lease {
	struct store *s;
	int fd;
	char name[64]; /* leases/<pid>-<rand> */
};

int store_lease_begin(struct store *s, struct store_lease **ret, struct husk_error **err)
{
	_cleanup_close_ int gc = -1;
	struct store_lease *l;
	char hex[17];

	l = calloc(1, sizeof(*l));
	if (!l)
		return error_set(err, ENOMEM, "out of memory");
	l->s = s;
	store_random_hex(hex, 8);
	snprintf(l->name, sizeof(l->name), STORE_LEASES_DIR "/%d-%s", (int)getpid(), hex);
	/* created and locked under the GC lock: a GC never finds it unlocked */
	gc = store_lock(s, STORE_GC_LOCK, LOCK_SH);
	l->fd = gc < 0 ? gc
	               : openat(s->dfd, l->name,
	                        O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
	                        0600);
	if (l->fd >= 0 && RETRY_EINTR(flock(l->fd, LOCK_EX)) < 0) {
		unlinkat(s->dfd, l->name, 0);
		l->fd = safe_close(l->fd);
	}
	if (l->fd < 0) {
		int r = gc < 0 ? gc : -errno;

		free(l);
		return error_set_errno(err, -r, "create a lease in \"%s/" STORE_LEASES_DIR "\"",
		                       s->dir);
	}
	*ret = l;
	return 0;
}

int store_lease_add(struct store_lease *lease, const struct digest *d)
{
	char line[DIGEST_STR_LEN + 2];

	/* one write of one line to an O_APPEND file: readers see whole lines */
	snprintf(line, sizeof(line), "%s\n", d->str);
	return write_all(lease->fd, line, strlen(line));
}

void store_lease_end(struct store_lease *lease)
{
	if (!lease)
		return;
	unlinkat(lease->s->dfd, lease->name, 0);
	safe_close(lease->fd);
	free(lease);
}

/* Push the digests of one live lease; 0 when live, 1 when stale (its lock
 * was free: it was removed), -errno. */
static int lease_read(struct store *s, const char *name, char ***digests)
{
	_cleanup_free_ char *rel = path_join(STORE_LEASES_DIR, name);
	_cleanup_free_ char *buf = NULL;
	_cleanup_strv_ char **lines = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (!rel)
		return -ENOMEM;
	fd = openat(s->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		unlinkat(s->dfd, rel, 0);
		return 1;
	}
	r = read_all_fd(fd, STORE_META_MAX * 16, &buf, NULL);
	if (r < 0)
		return r;
	lines = strv_split(buf, "\n");
	if (!lines)
		return -ENOMEM;
	STRV_FOREACH (l, lines) {
		if (!digest_valid(*l))
			continue; /* the empty last line */
		r = strv_push(digests, *l);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_leases_live(struct store *s, char ***digests, uint64_t *ret_stale)
{
	_cleanup_strv_ char **names = NULL;
	uint64_t stale = 0;
	int r;

	r = store_list_dir(s, STORE_LEASES_DIR, &names);
	if (r < 0)
		return r;
	STRV_FOREACH (n, names) {
		r = lease_read(s, *n, digests);
		if (r < 0)
			return r;
		stale += r;
	}
	if (ret_stale)
		*ret_stale += stale;
	return 0;
}

bool store_lease_is_stale(struct store *s, const char *name)
{
	_cleanup_free_ char *rel = path_join(STORE_LEASES_DIR, name);
	_cleanup_close_ int fd = -1;

	if (!rel)
		return false;
	fd = openat(s->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
}
