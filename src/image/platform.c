/* platform.c — platforms: parsing --platform, this host's platform, and
 * choosing a manifest from an index, with containerd's rules
 * (github.com/containerd/platforms: Normalize, Parse, Only).
 *
 * Matching is by equality after normalisation against an ordered vector of
 * acceptable platforms: the wanted one first, then the ones its CPU also runs
 * (amd64/v3 → v2, v1, then 386; arm/v7 → v6, v5; arm64/v8 → arm/v8…v5).
 * The rank of a candidate is its position in that vector.
 */
#include <string.h>
#include <sys/utsname.h>

#include "base/str.h"
#include "image/manifest.h"

#define KEY_FIELD_MAX 32
#define VECTOR_MAX    48
#define DEFAULT_OS    "linux"

/* One normalised platform; fields longer than KEY_FIELD_MAX never match. */
struct plat_key {
	char os[KEY_FIELD_MAX];
	char arch[KEY_FIELD_MAX];
	char variant[KEY_FIELD_MAX];
};

struct plat_vector {
	struct plat_key keys[VECTOR_MAX];
	size_t n;
};

/* Architecture spellings and what they mean; a non-NULL variant replaces
 * whatever variant was given. */
static const struct arch_alias {
	const char *name;
	const char *arch;
	const char *variant;
} arch_aliases[] = {
        {"i386", "386", ""},        {"x86_64", "amd64", NULL}, {"x86-64", "amd64", NULL},
        {"aarch64", "arm64", NULL}, {"armhf", "arm", "v7"},    {"armel", "arm", "v6"},
};

/* Variant spellings per architecture: the common variant is no variant for
 * amd64 (v1) and arm64 (v8), and v7 for arm. */
static const struct variant_alias {
	const char *arch;
	const char *variant;
	const char *to;
} variant_aliases[] = {
        {"amd64", "v1", ""}, {"arm64", "8", ""}, {"arm64", "v8", ""}, {"arm", "", "v7"},
        {"arm", "7", "v7"},  {"arm", "5", "v5"}, {"arm", "6", "v6"},  {"arm", "8", "v8"},
};

/* From Go's syslist, as containerd uses them for one-word specifiers. */
static const char *const known_os[] = {
        "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
        "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "windows", "zos",
};
static const char *const known_arch[] = {
        "386",     "amd64",    "amd64p32",  "arm",         "armbe",   "arm64",
        "arm64be", "ppc64",    "ppc64le",   "loong64",     "mips",    "mipsle",
        "mips64",  "mips64le", "mips64p32", "mips64p32le", "ppc",     "riscv",
        "riscv64", "s390",     "s390x",     "sparc",       "sparc64", "wasm",
};

/* uname(2) machine names; arm64 hosts report v8 as Docker's default does. */
static const struct machine {
	const char *machine;
	const char *arch;
	const char *variant;
} machines[] = {
        {"x86_64", "amd64", NULL},
        {"aarch64", "arm64", "v8"},
        {"arm64", "arm64", "v8"},
        {"armv8l", "arm", "v8"},
        {"armv7l", "arm", "v7"},
        {"armv6l", "arm", "v6"},
        {"armv5tel", "arm", "v5"},
        {"armv5tejl", "arm", "v5"},
        {"i686", "386", NULL},
        {"i586", "386", NULL},
        {"i486", "386", NULL},
        {"i386", "386", NULL},
        {"ppc64le", "ppc64le", NULL},
        {"ppc64", "ppc64", NULL},
        {"s390x", "s390x", NULL},
        {"riscv64", "riscv64", NULL},
        {"loongarch64", "loong64", NULL},
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(list[i], s))
			return true;
	return false;
}

/* Lower-cased copy; false when it does not fit. */
static bool copy_lower(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src && src[i]; i++) {
		if (i + 1 >= KEY_FIELD_MAX)
			return false;
		dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] - 'A' + 'a') : src[i];
	}
	dst[i] = 0;
	return true;
}

static void normalize_os(char *os)
{
	if (!*os)
		strcpy(os, DEFAULT_OS);
	else if (streq(os, "macos"))
		strcpy(os, "darwin");
}

static void normalize_arch(char *arch, char *variant)
{
	for (size_t i = 0; i < ELEMENTSOF(arch_aliases); i++)
		if (streq(arch, arch_aliases[i].name)) {
			strcpy(arch, arch_aliases[i].arch);
			if (arch_aliases[i].variant)
				strcpy(variant, arch_aliases[i].variant);
			break;
		}
	for (size_t i = 0; i < ELEMENTSOF(variant_aliases); i++)
		if (streq(arch, variant_aliases[i].arch) &&
		    streq(variant, variant_aliases[i].variant)) {
			strcpy(variant, variant_aliases[i].to);
			break;
		}
}

static bool key_set(struct plat_key *k, const char *os, const char *arch, const char *variant)
{
	if (!copy_lower(k->os, os) || !copy_lower(k->arch, arch) ||
	    !copy_lower(k->variant, variant))
		return false;
	normalize_os(k->os);
	normalize_arch(k->arch, k->variant);
	return true;
}

static bool key_equal(const struct plat_key *a, const struct plat_key *b)
{
	return streq(a->os, b->os) && streq(a->arch, b->arch) && streq(a->variant, b->variant);
}

static void vector_add(struct plat_vector *v, const char *os, const char *arch, const char *variant)
{
	if (v->n < VECTOR_MAX && key_set(&v->keys[v->n], os, arch, variant))
		v->n++;
}

/* "v7" or "7" → 7; -1 for anything else (or more than three digits). */
static int variant_number(const char *v, const char **ret_end)
{
	int n = 0, digits = 0;

	if (*v == 'v')
		v++;
	for (; *v >= '0' && *v <= '9' && digits < 4; v++, digits++)
		n = n * 10 + (*v - '0');
	if (ret_end)
		*ret_end = v;
	if (digits == 0 || digits > 3 || (!ret_end && *v))
		return -1;
	return n;
}

/* Older variants of the same architecture, newest first, down to lowest. */
static void vector_add_older(struct plat_vector *v, const char *os, const char *arch, int from,
                             int lowest)
{
	char variant[16];

	for (int n = from - 1; n >= lowest; n--) {
		snprintf(variant, sizeof(variant), "v%d", n);
		vector_add(v, os, arch, variant);
	}
}

static void vector_arm(struct plat_vector *v, const char *os, const char *variant)
{
	int n = variant_number(variant, NULL);

	vector_add(v, os, "arm", variant);
	if (n > 5)
		vector_add_older(v, os, "arm", n, 5);
}

/* arm64/v9.x also runs v9.{x-1..0} and v8.{x+5..0}; v8.x runs v8.{x-1..0};
 * every arm64 runs 32-bit arm of the same major (capped at v8) and older. */
static void arm64_minors(struct plat_vector *v, const char *os, int major, int minor)
{
	char variant[16];

	for (int m = minor - 1; m >= 0; m--) {
		if (m == 0)
			snprintf(variant, sizeof(variant), "v%d", major);
		else
			snprintf(variant, sizeof(variant), "v%d.%d", major, m);
		vector_add(v, os, "arm64", variant);
	}
}

static void vector_arm64(struct plat_vector *v, const char *os, const char *want_variant)
{
	const char *variant = *want_variant ? want_variant : "v8", *end;
	int major = variant_number(variant, &end), minor = 0;
	char buf[16];

	if (strlen(variant) == 4 && *end == '.' && end[1] >= '0' && end[1] <= '9')
		minor = end[1] - '0';
	if (major >= 8) {
		if (major == 9) {
			arm64_minors(v, os, 9, minor);
			minor += 5;
			major = 8;
			snprintf(buf, sizeof(buf), "v8.%d", minor);
			vector_add(v, os, "arm64", buf);
		}
		arm64_minors(v, os, major, minor);
	}
	if (startswith(variant, "v8.") || startswith(variant, "v9."))
		variant = "v8";
	vector_arm(v, os, variant);
}

static void vector_build(const struct plat_key *want, struct plat_vector *v)
{
	int n;

	v->keys[0] = *want;
	v->n = 1;
	if (streq(want->arch, "amd64")) {
		n = variant_number(want->variant, NULL);
		if (n > 1)
			vector_add_older(v, want->os, "amd64", n, 1);
		vector_add(v, want->os, "386", "");
	} else if (streq(want->arch, "arm")) {
		n = variant_number(want->variant, NULL);
		if (n > 5)
			vector_add_older(v, want->os, "arm", n, 5);
	} else if (streq(want->arch, "arm64")) {
		vector_arm64(v, want->os, want->variant);
	}
}

static int vector_rank(const struct plat_vector *v, const struct platform *have)
{
	struct plat_key k;

	/* containerd: a candidate asking for OS features we do not have
	 * (windows' win32k) does not match. */
	if (have->os_features && have->os_features[0])
		return -1;
	if (!key_set(&k, have->os, have->architecture, have->variant))
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (key_equal(&v->keys[i], &k))
			return (int)i;
	return -1;
}

static bool vector_from(const struct platform *want, struct plat_vector *v)
{
	struct plat_key k;

	if (!key_set(&k, want->os, want->architecture, want->variant))
		return false;
	vector_build(&k, v);
	return true;
}

int platform_rank(const struct platform *want, const struct platform *have)
{
	struct plat_vector v;

	if (!vector_from(want, &v))
		return -1;
	return vector_rank(&v, have);
}

void platform_release(struct platform *p)
{
	if (!p)
		return;
	free(p->os);
	free(p->architecture);
	free(p->variant);
	free(p->os_version);
	strv_free(p->os_features);
	*p = (struct platform){};
}

/* Fill ret from a normalised key; an empty variant is NULL. */
static int platform_from_key(const struct plat_key *k, struct platform *ret)
{
	*ret = (struct platform){
	        .present = true,
	        .os = strdup(k->os),
	        .architecture = strdup(k->arch),
	        .variant = *k->variant ? strdup(k->variant) : NULL,
	};
	if (!ret->os || !ret->architecture || (*k->variant && !ret->variant)) {
		platform_release(ret);
		return -ENOMEM;
	}
	return 0;
}

static const struct machine *host_machine(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(machines); i++)
		if (streq(u.machine, machines[i].machine))
			return &machines[i];
	return NULL;
}

int platform_host(struct platform *ret)
{
	const struct machine *m = host_machine();

	if (!m)
		return -EOPNOTSUPP;
	*ret = (struct platform){
	        .present = true,
	        .os = strdup(DEFAULT_OS),
	        .architecture = strdup(m->arch),
	        .variant = m->variant ? strdup(m->variant) : NULL,
	};
	if (!ret->os || !ret->architecture || (m->variant && !ret->variant)) {
		platform_release(ret);
		return -ENOMEM;
	}
	return 0;
}

char *platform_format(const struct platform *p)
{
	bool arch = !isempty(p->architecture), variant = arch && !isempty(p->variant);

	if (isempty(p->os))
		return strdup("unknown");
	return str_printf("%s%s%s%s%s", p->os, arch ? "/" : "", arch ? p->architecture : "",
	                  variant ? "/" : "", variant ? p->variant : "");
}

/* [A-Za-z0-9_-]+ for the os, [A-Za-z0-9_.-]+ for the others. */
static bool specifier_part_valid(const char *s, size_t len, bool allow_dot)
{
	if (len == 0 || len >= KEY_FIELD_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || (allow_dot && c == '.')))
			return false;
	}
	return true;
}

/* Split s at '/' into at most 3 parts of valid characters. */
static int specifier_split(const char *s, char parts[3][KEY_FIELD_MAX], size_t *ret_n,
                           struct husk_error **err)
{
	size_t n = 0;

	for (const char *p = s;; n++) {
		size_t len = strcspn(p, "/");

		if (n == 3)
			return error_set(err, EINVAL,
			                 "invalid platform \"%s\": expected os/arch[/variant]", s);
		if (!specifier_part_valid(p, len, n > 0))
			return error_set(err, EINVAL,
			                 "invalid platform \"%s\": invalid component \"%.*s\"", s,
			                 (int)MIN(len, 64), p);
		memcpy(parts[n], p, len);
		parts[n][len] = 0;
		if (!p[len])
			break;
		p += len + 1;
	}
	*ret_n = n + 1;
	return 0;
}

/* One word: an OS (with this host's architecture) or an architecture (on
 * linux), as containerd's Parse does. */
static int specifier_one(const char *s, const char *word, struct plat_key *k,
                         struct husk_error **err)
{
	const struct machine *m;

	key_set(k, word, "", "");
	if (in_list(known_os, ELEMENTSOF(known_os), k->os)) {
		m = host_machine();
		if (!m)
			return error_set(err, EOPNOTSUPP,
			                 "invalid platform \"%s\": unknown host architecture", s);
		return key_set(k, k->os, m->arch, m->variant) ? 0 : -EINVAL;
	}
	key_set(k, DEFAULT_OS, word, "");
	if (in_list(known_arch, ELEMENTSOF(known_arch), k->arch))
		return 0;
	return error_set(err, EINVAL,
	                 "invalid platform \"%s\": unknown operating system or architecture", s);
}

int platform_parse(const char *s, struct platform *ret, struct husk_error **err)
{
	char parts[3][KEY_FIELD_MAX] = {};
	struct plat_key k;
	size_t n = 0;
	int r;

	if (isempty(s))
		return error_set(err, EINVAL, "invalid platform \"\": expected os/arch[/variant]");
	if (strchr(s, '*'))
		return error_set(err, EINVAL,
		                 "invalid platform \"%s\": wildcards are not supported", s);
	r = specifier_split(s, parts, &n, err);
	if (r < 0)
		return r;
	if (n == 1) {
		r = specifier_one(s, parts[0], &k, err);
		if (r < 0)
			return r;
	} else {
		key_set(&k, parts[0], parts[1], parts[2]);
	}
	if (platform_from_key(&k, ret) < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static bool selectable(const struct descriptor *d)
{
	enum media_kind k = media_type_kind(d->media_type);

	return k == MEDIA_KIND_MANIFEST || k == MEDIA_KIND_INDEX;
}

static int no_match(const struct platform *want, struct husk_error **err)
{
	_cleanup_free_ char *s = platform_format(want);

	return error_set(err, ENOENT, "no matching manifest for %s in the manifest list entries",
	                 s ? s : "unknown");
}

int manifest_index_select(const struct manifest_index *idx, const struct platform *want,
                          const struct descriptor **ret, struct husk_error **err)
{
	struct platform host = {};
	struct plat_vector v;
	const struct descriptor *best = NULL;
	int best_rank = -1, r;

	if (!want) {
		r = platform_host(&host);
		if (r < 0)
			return error_set_errno(err, -r, "cannot tell this host's platform");
		want = &host;
	}
	if (!vector_from(want, &v)) {
		r = no_match(want, err);
		platform_release(&host);
		return r;
	}
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const struct descriptor *d = &idx->manifests[i];
		/* containerd takes entries without a platform, after all others */
		int rank = d->platform.present ? vector_rank(&v, &d->platform) : (int)v.n;

		if (!selectable(d) || rank < 0)
			continue;
		if (!best || rank < best_rank) {
			best = d;
			best_rank = rank;
		}
	}
	r = best ? 0 : no_match(want, err);
	platform_release(&host);
	if (best)
		*ret = best;
	return r;
}
