/* apply_path.c — the path side of extraction: cleaning entry paths from a
 * tar (".." may fold but never climb out), a hashed set of the paths one
 * layer has written (hard links may only point at those; whiteouts leave
 * them alone), and removal of a tree below a directory fd. */
#include "archive/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/str.h"

int layer_path_clean(const char *raw, char *out, struct husk_error **err)
{
	size_t out_len = 0;
	const char *p = raw;

	if (strlen(raw) > LAYER_MAX_PATH)
		return error_set(err, ENAMETOOLONG, "path is longer than %d bytes", LAYER_MAX_PATH);
	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash;

			if (out_len == 0)
				return error_set(err, EINVAL, "path escapes the layer root");
			slash = memrchr(out, '/', out_len);
			out_len = slash ? (size_t)(slash - out) : 0;
		} else if (!(n == 1 && p[0] == '.')) {
			if (n > LAYER_MAX_NAME)
				return error_set(err, ENAMETOOLONG,
				                 "path has a component longer than %d bytes",
				                 LAYER_MAX_NAME);
			if (out_len > 0)
				out[out_len++] = '/';
			memcpy(out + out_len, p, n);
			out_len += n;
		}
		p = end;
	}
	out[out_len] = 0;
	return 0;
}

/* --- pathset: open addressing, SipHash-1-3 with a random key ---------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static uint64_t siphash13(uint64_t k0, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k1 = k0 * 0x9e3779b97f4a7c15ULL;
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
	                 k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	uint64_t m, b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v[3] ^= m;
		sip_round(v);
		v[0] ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v[3] ^= b;
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int pathset_init(struct pathset *s)
{
	memset(s, 0, sizeof(*s));
	if (getrandom(&s->seed, sizeof(s->seed), GRND_NONBLOCK) != sizeof(s->seed))
		s->seed = (uint64_t)(uintptr_t)s ^ (uint64_t)getpid() << 32;
	s->cap = 1024;
	s->slots = calloc(s->cap, sizeof(*s->slots));
	return s->slots ? 0 : -ENOMEM;
}

static size_t pathset_find(const struct pathset *s, const char *path, size_t len)
{
	size_t i = siphash13(s->seed, path, len) & (s->cap - 1);

	while (s->slots[i] && !(strncmp(s->slots[i], path, len) == 0 && s->slots[i][len] == 0))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int pathset_grow(struct pathset *s)
{
	struct pathset n = *s;

	n.cap = s->cap * 2;
	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			n.slots[pathset_find(&n, s->slots[i], strlen(s->slots[i]))] = s->slots[i];
	free(s->slots);
	*s = n;
	return 0;
}

int pathset_add(struct pathset *s, const char *path)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && pathset_grow(s) < 0)
		return -ENOMEM;
	i = pathset_find(s, path, strlen(path));
	if (s->slots[i])
		return 0;
	s->slots[i] = strdup(path);
	if (!s->slots[i])
		return -ENOMEM;
	s->n++;
	return 0;
}

bool pathset_contains_n(const struct pathset *s, const char *path, size_t len)
{
	return s->slots && s->slots[pathset_find(s, path, len)] != NULL;
}

bool pathset_contains(const struct pathset *s, const char *path)
{
	return pathset_contains_n(s, path, strlen(path));
}

void pathset_release(struct pathset *s)
{
	for (size_t i = 0; s->slots && i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	s->slots = NULL;
	s->n = s->cap = 0;
}

/* --- remove_at -------------------------------------------------------------- */

static int remove_children(int dfd, dev_t dev)
{
	int nfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if (nfd < 0)
		return -errno;
	d = fdopendir(nfd);
	if (!d) {
		close(nfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
			if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT) {
				r = -errno;
				break;
			}
			continue;
		}
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && st.st_dev != dev) {
			r = -EBUSY; /* a mount point: never delete into another fs */
			break;
		}
		r = remove_at(dfd, de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int remove_at(int dirfd, const char *name)
{
	struct stat st;
	int cfd, r;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	cfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return -errno;
	r = remove_children(cfd, st.st_dev);
	close(cfd);
	if (r < 0)
		return r;
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}
