#include "runtime/caps.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "base/fs.h"
#include "base/str.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))

struct cap_name {
	char s[24];
};

/* For messages: "CAP_SYS_ADMIN", or "capability 41" past the names we know. */
static struct cap_name cap_name(int cap)
{
	struct cap_name n;
	const char *s = oci_cap_name(cap);

	if (s)
		snprintf(n.s, sizeof(n.s), "%s", s);
	else
		snprintf(n.s, sizeof(n.s), "capability %d", cap);
	return n;
}

/* The lowest capability in mask (which must not be 0). */
static int first_cap(uint64_t mask)
{
	return __builtin_ctzll(mask);
}

static int last_cap_from_proc(void)
{
	_cleanup_close_ int fd = -1;
	char buf[16];
	int64_t v;
	ssize_t n;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read_full(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? (int)n : -EIO;
	buf[n] = '\0';
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (str_to_int64(buf, &v) < 0 || v < 0)
		return -EIO;
	return (int)MIN(v, 63); /* our masks stop at 63 */
}

int caps_last_cap(void)
{
	int cap = last_cap_from_proc();

	if (cap >= 0)
		return cap;
	/* No /proc (a container without it): the bounding set answers EINVAL
	 * past the last capability the kernel knows. */
	for (cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break;
	return cap > 0 ? cap - 1 : -EINVAL;
}

/* The capabilities this kernel knows, as a mask. Asked-for capabilities
 * past it are ignored, as runc does (with a warning) for unknown ones. */
static int known_caps(uint64_t *ret, struct husk_error **err)
{
	int last = caps_last_cap();

	if (last < 0)
		return error_set_errno(err, -last, "cannot find the last capability");
	*ret = last >= 63 ? UINT64_MAX : CAP_BIT(last + 1) - 1;
	return 0;
}

int caps_apply_bounding(const struct oci_caps *caps, struct husk_error **err)
{
	uint64_t known = 0, drop;
	int r = known_caps(&known, err);

	if (r < 0)
		return r;
	drop = known & ~caps->bounding;
	for (; drop; drop &= drop - 1) {
		int cap = first_cap(drop);

		r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r == 0) /* already gone: dropping would need CAP_SETPCAP */
			continue;
		if (r < 0 || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return error_set_errno(err, errno, "bounding set: drop %s",
			                       cap_name(cap).s);
	}
	return 0;
}

int caps_keep(bool keep)
{
	if (prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

struct cap_sets {
	uint64_t effective, permitted, inheritable;
};

static int capget_sets(struct cap_sets *ret)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	ret->effective = (uint64_t)d[1].effective << 32 | d[0].effective;
	ret->permitted = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	ret->inheritable = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

static int capset_sets(const struct cap_sets *s)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
	        {(uint32_t)s->effective, (uint32_t)s->permitted, (uint32_t)s->inheritable},
	        {s->effective >> 32, s->permitted >> 32, s->inheritable >> 32},
	};

	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

static uint64_t bounding_set(uint64_t known)
{
	uint64_t b = 0;

	for (uint64_t m = known; m; m &= m - 1)
		if (prctl(PR_CAPBSET_READ, first_cap(m), 0, 0, 0) == 1)
			b |= CAP_BIT(first_cap(m));
	return b;
}

/* capset(2) failed with `code`: find which capability broke which of the
 * kernel's rules (security/commoncap.c, cap_capset()) to name it. */
static int capset_error(const struct cap_sets *want, uint64_t known, int code,
                        struct husk_error **err)
{
	struct cap_sets cur = {0};
	uint64_t bad;

	bad = want->effective & ~want->permitted;
	if (bad)
		return error_set_errno(err, code, "capset: %s: effective but not permitted",
		                       cap_name(first_cap(bad)).s);
	if (capget_sets(&cur) < 0)
		return error_set_errno(err, code, "capset");
	bad = want->permitted & ~cur.permitted;
	if (bad)
		return error_set_errno(err, code, "capset: %s: not in the current permitted set",
		                       cap_name(first_cap(bad)).s);
	bad = want->inheritable & ~(cur.inheritable | bounding_set(known));
	if (bad)
		return error_set_errno(err, code,
		                       "capset: %s: inheritable but not in the bounding set",
		                       cap_name(first_cap(bad)).s);
	bad = want->inheritable & ~(cur.inheritable | cur.permitted);
	if (bad && !(cur.effective & CAP_BIT(CAP_SETPCAP)))
		return error_set_errno(err, code, "capset: %s: inheritable but not permitted",
		                       cap_name(first_cap(bad)).s);
	return error_set_errno(err, code, "capset");
}

/* An ambient capability must be permitted and inheritable, or the kernel
 * refuses to raise it (EPERM): say which, before changing anything. */
static int check_ambient(uint64_t ambient, const struct cap_sets *s, struct husk_error **err)
{
	uint64_t bad = ambient & ~s->permitted;

	if (bad)
		return error_set(err, EPERM, "ambient set: %s: not in the permitted set",
		                 cap_name(first_cap(bad)).s);
	bad = ambient & ~s->inheritable;
	if (bad)
		return error_set(err, EPERM, "ambient set: %s: not in the inheritable set",
		                 cap_name(first_cap(bad)).s);
	return 0;
}

static int apply_ambient(uint64_t ambient, struct husk_error **err)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		/* Kernels before 4.3 have no ambient set: fine unless one is asked. */
		if (errno == EINVAL && ambient == 0)
			return 0;
		return error_set_errno(err, errno, "ambient set: clear");
	}
	for (; ambient; ambient &= ambient - 1) {
		int cap = first_cap(ambient);

		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return error_set_errno(err, errno, "ambient set: raise %s",
			                       cap_name(cap).s);
	}
	return 0;
}

int caps_apply_sets(const struct oci_caps *caps, struct husk_error **err)
{
	struct cap_sets want;
	uint64_t known = 0;
	int r = known_caps(&known, err);

	if (r < 0)
		return r;
	want = (struct cap_sets){
	        .effective = caps->effective & known,
	        .permitted = caps->permitted & known,
	        .inheritable = caps->inheritable & known,
	};
	r = check_ambient(caps->ambient & known, &want, err);
	if (r < 0)
		return r;
	r = capset_sets(&want);
	if (r < 0)
		return capset_error(&want, known, -r, err);
	return apply_ambient(caps->ambient & known, err);
}
