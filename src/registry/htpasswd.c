/* htpasswd.c — bcrypt htpasswd files: parse, verify, reload on change. */
#include <crypt.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/str.h"
#include "registry/htpasswd.h"

#define HTPASSWD_MAX (1u << 20)
#define BCRYPT_LEN   60 /* "$2y$NN$" + 22 salt + 31 hash */
#define HMAC_LEN     32

struct htuser {
	char *name;
	char *hash;
	/* HMAC of the last password that verified: spares the next request
	 * of this user the bcrypt cost. Keyed per process, never written. */
	unsigned char verified[HMAC_LEN];
	bool has_verified;
};

struct htpasswd {
	char *path; /* NULL when parsed from memory */
	struct stat st;
	bool broken; /* the file changed into something invalid: refuse all */
	pthread_mutex_t lock;
	struct htuser *users;
	size_t n;
	unsigned char key[HMAC_LEN];
};

static void users_free(struct htuser *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].name);
		if (u[i].hash)
			OPENSSL_cleanse(u[i].hash, strlen(u[i].hash));
		free(u[i].hash);
	}
	free(u);
}

static bool bcrypt_char(char c)
{
	return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

/* "$2a$", "$2b$" or "$2y$", a cost 04..31, "$", 53 bcrypt-base64 chars. */
static bool bcrypt_hash_valid(const char *h)
{
	int cost;

	if (strlen(h) != BCRYPT_LEN || strncmp(h, "$2", 2) != 0 || !strchr("aby", h[2]) ||
	    h[3] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return false;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return false;
	for (size_t i = 7; i < BCRYPT_LEN; i++)
		if (!bcrypt_char(h[i]))
			return false;
	return true;
}

/* What kind of hash h is, for the refusal; never any of its characters
 * (it may be a password in the clear). */
static const char *hash_kind(const char *h)
{
	static const struct {
		const char *prefix, *kind;
	} kinds[] = {
	        {"$apr1$", "MD5 ($apr1$, htpasswd -m)"},
	        {"{SHA}", "SHA-1 ({SHA}, htpasswd -s)"},
	        {"$5$", "SHA-256 crypt ($5$)"},
	        {"$6$", "SHA-512 crypt ($6$)"},
	        {"$1$", "MD5 crypt ($1$)"},
	        {"$2", "malformed bcrypt"},
	        {"$y$", "yescrypt ($y$)"},
	};

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
		if (startswith(h, kinds[i].prefix))
			return kinds[i].kind;
	return "crypt(3) DES or plain text";
}

/* One line (NUL-terminated, no newline) into users. */
static int parse_line(const char *what, unsigned lineno, char *line, struct htuser **users,
                      size_t *n, struct husk_error **err)
{
	char *colon, *hash;
	struct htuser *nu;

	if (!*line || line[0] == '#' || strspn(line, " \t") == strlen(line))
		return 0;
	colon = strchr(line, ':');
	if (!colon || colon == line)
		return error_set(err, EINVAL, "htpasswd \"%s\" line %u: expected user:hash", what,
		                 lineno);
	*colon = 0;
	hash = colon + 1;
	if (!bcrypt_hash_valid(hash))
		return error_set(
		        err, EINVAL,
		        "htpasswd \"%s\" line %u: user \"%s\": unsupported hash format %s: "
		        "only bcrypt ($2y$, as htpasswd -B writes) is accepted",
		        what, lineno, line, hash_kind(hash));
	for (size_t i = 0; i < *n; i++)
		if (streq((*users)[i].name, line))
			return error_set(err, EINVAL,
			                 "htpasswd \"%s\" line %u: user \"%s\" appears twice", what,
			                 lineno, line);
	nu = reallocarray(*users, *n + 1, sizeof(**users));
	if (!nu)
		return error_set(err, ENOMEM, "out of memory");
	*users = nu;
	nu[*n] = (struct htuser){strdup(line), strdup(hash), {0}, false};
	(*n)++;
	if (!nu[*n - 1].name || !nu[*n - 1].hash)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int parse_users(const char *what, const char *buf, size_t len, struct htuser **ret,
                       size_t *ret_n, struct husk_error **err)
{
	_cleanup_free_ char *copy = strndup(buf, len);
	struct htuser *users = NULL;
	size_t n = 0;
	unsigned lineno = 0;
	char *save = NULL, *line, *p;
	int r = 0;

	if (!copy)
		return error_set(err, ENOMEM, "out of memory");
	if (strlen(copy) != len)
		return error_set(err, EINVAL, "htpasswd \"%s\": contains a NUL byte", what);
	/* strtok_r would skip empty lines and so miscount them */
	for (p = copy; r == 0 && p; p = save) {
		line = p;
		save = strchr(p, '\n');
		if (save)
			*save++ = 0;
		lineno++;
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = 0;
		r = parse_line(what, lineno, line, &users, &n, err);
	}
	OPENSSL_cleanse(copy, len);
	if (r < 0) {
		users_free(users, n);
		return r;
	}
	*ret = users;
	*ret_n = n;
	return 0;
}

static struct htpasswd *htpasswd_alloc(void)
{
	struct htpasswd *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	if (getrandom(h->key, sizeof(h->key), 0) != (ssize_t)sizeof(h->key)) {
		htpasswd_free(h);
		return NULL;
	}
	return h;
}

int htpasswd_parse(const char *what, const char *buf, size_t len, struct htpasswd **ret,
                   struct husk_error **err)
{
	_cleanup_(htpasswd_freep) struct htpasswd *h = htpasswd_alloc();
	int r;

	if (!h)
		return error_set(err, ENOMEM, "out of memory");
	r = parse_users(what, buf, len, &h->users, &h->n, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(h);
	return 0;
}

/* Read path into users; st gets what was read. */
static int load_users(const char *path, struct stat *st, struct htuser **ret, size_t *ret_n,
                      struct husk_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (fd < 0 || fstat(fd, st) < 0)
		return error_set_errno(err, errno, "open htpasswd file \"%s\"", path);
	r = read_all_fd(fd, HTPASSWD_MAX, &buf, &len);
	if (r == -EFBIG)
		return error_set(err, EFBIG, "htpasswd file \"%s\" is larger than %u bytes", path,
		                 HTPASSWD_MAX);
	if (r < 0)
		return error_set_errno(err, -r, "read htpasswd file \"%s\"", path);
	r = parse_users(path, buf, len, ret, ret_n, err);
	OPENSSL_cleanse(buf, len);
	return r;
}

int htpasswd_load(const char *path, struct htpasswd **ret, struct husk_error **err)
{
	_cleanup_(htpasswd_freep) struct htpasswd *h = htpasswd_alloc();
	int r;

	if (!h || !(h->path = strdup(path)))
		return error_set(err, ENOMEM, "out of memory");
	r = load_users(path, &h->st, &h->users, &h->n, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(h);
	return 0;
}

size_t htpasswd_count(const struct htpasswd *h)
{
	return h ? h->n : 0;
}

void htpasswd_free(struct htpasswd *h)
{
	if (!h)
		return;
	users_free(h->users, h->n);
	free(h->path);
	pthread_mutex_destroy(&h->lock);
	OPENSSL_cleanse(h->key, sizeof(h->key));
	free(h);
}

static bool stat_changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

/* Under h->lock: re-read the file when it changed since it was read. */
static void maybe_reload(struct htpasswd *h)
{
	struct htuser *users = NULL;
	struct stat st;
	size_t n = 0;

	if (!h->path)
		return;
	if (stat(h->path, &st) < 0) {
		h->broken = true; /* a removed file lets nobody in */
		return;
	}
	if (!stat_changed(&st, &h->st))
		return;
	if (load_users(h->path, &st, &users, &n, NULL) < 0) {
		h->broken = true;
		h->st = st;
		return;
	}
	users_free(h->users, h->n);
	h->users = users;
	h->n = n;
	h->st = st;
	h->broken = false;
}

static void password_mac(const struct htpasswd *h, const char *password,
                         unsigned char out[HMAC_LEN])
{
	unsigned len = HMAC_LEN;

	if (!HMAC(EVP_sha256(), h->key, sizeof(h->key), (const unsigned char *)password,
	          strlen(password), out, &len))
		memset(out, 0, HMAC_LEN);
}

/* bcrypt(password, hash) == hash, compared in constant time. */
static bool bcrypt_verify(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	bool ok = false;

	if (!cd)
		return false;
	if (crypt_rn(password, hash, cd, sizeof(*cd)) && strlen(cd->output) == BCRYPT_LEN)
		ok = CRYPTO_memcmp(cd->output, hash, BCRYPT_LEN) == 0;
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return ok;
}

bool htpasswd_check(struct htpasswd *h, const char *user, const char *password)
{
	unsigned char mac[HMAC_LEN];
	_cleanup_free_ char *hash = NULL;
	bool known = false, ok;

	if (!h || !user || !password)
		return false;
	password_mac(h, password, mac);
	pthread_mutex_lock(&h->lock);
	maybe_reload(h);
	for (size_t i = 0; !h->broken && i < h->n; i++) {
		if (!streq(h->users[i].name, user))
			continue;
		if (h->users[i].has_verified &&
		    CRYPTO_memcmp(h->users[i].verified, mac, HMAC_LEN) == 0) {
			pthread_mutex_unlock(&h->lock);
			return true;
		}
		hash = strdup(h->users[i].hash);
		known = true;
		break;
	}
	/* an unknown user pays for a bcrypt run too, against a real hash */
	if (!known && !h->broken && h->n > 0)
		hash = strdup(h->users[0].hash);
	pthread_mutex_unlock(&h->lock);
	if (!hash)
		return false;
	ok = bcrypt_verify(password, hash) && known;
	if (!ok)
		return false;
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->n; i++)
		if (streq(h->users[i].name, user) && streq(h->users[i].hash, hash)) {
			memcpy(h->users[i].verified, mac, HMAC_LEN);
			h->users[i].has_verified = true;
		}
	pthread_mutex_unlock(&h->lock);
	return true;
}
