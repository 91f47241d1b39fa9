#include "runtime/cgroup_probe.h"

#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "base/str.h"

/* Super-block options of a v1 cgroup mount that are not controllers. */
static const char *const not_controllers[] = {
        "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods", NULL,
};

static int add_v1(struct cgroup_layout *l, const char *controller, const char *path)
{
	if (l->n_v1 >= CGROUP_MAX_CONTROLLERS)
		return 0; /* more than we know controllers: ignore the rest */
	l->v1[l->n_v1].controller = strdup(controller);
	l->v1[l->n_v1].path = strdup(path);
	if (!l->v1[l->n_v1].controller || !l->v1[l->n_v1].path)
		return -ENOMEM;
	l->n_v1++;
	return 0;
}

static bool is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* Undo the kernel's escaping of mount points in mountinfo (show_path():
 * space, tab, newline and backslash become \ooo), in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++, w++) {
		if (s[0] == '\\' && is_octal(s[1]) && is_octal(s[2]) && is_octal(s[3])) {
			*w = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else
			*w = *s;
	}
	*w = 0;
}

/* One mountinfo line: "36 25 0:31 / /sys/fs/cgroup/memory rw,… - cgroup cgroup rw,memory".
 * A v1 mount may hold several controllers ("cpu,cpuacct"): each gets an entry. */
static int parse_line(struct cgroup_layout *l, char *line)
{
	char *dash = strstr(line, " - "), *fields[6] = {0}, *save = NULL, *p = line;
	int n = 0, r;

	if (!dash)
		return 0;
	*dash = 0;
	while (n < 6 && (fields[n] = strtok_r(p, " ", &save)))
		p = NULL, n++;
	if (n < 5)
		return 0;
	char *fstype = strtok_r(dash + 3, " ", &save), *src = strtok_r(NULL, " ", &save);
	char *opts = strtok_r(NULL, " \n", &save);
	if (!fstype || !src || !opts)
		return 0;
	unescape_octal(fields[4]);
	if (streq(fstype, "cgroup2")) {
		if (!l->unified)
			l->unified = strdup(fields[4]);
		return l->unified ? 0 : -ENOMEM;
	}
	if (!streq(fstype, "cgroup"))
		return 0;
	_cleanup_strv_ char **o = strv_split(opts, ",");
	STRV_FOREACH (c, o) {
		/* skip mount options and named hierarchies ("name=systemd") */
		if (strv_contains((char *const *)not_controllers, *c) || strchr(*c, '=') != NULL)
			continue;
		r = add_v1(l, *c, fields[4]);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_probe(const char *mountinfo, const char *root, struct cgroup_layout *ret,
                 struct husk_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(mountinfo ? mountinfo : "/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	struct cgroup_layout l = {0};
	struct statfs sfs;
	size_t cap = 0;
	int r;

	if (!f)
		return error_set_errno(err, errno, "open mountinfo");
	while (getline(&line, &cap, f) > 0) {
		r = parse_line(&l, line);
		if (r < 0) {
			cgroup_layout_release(&l);
			return error_set(err, -r, "parse mountinfo: out of memory");
		}
	}
	/* A cgroup2 tree beside no v1 controller (at most named hierarchies
	 * such as name=systemd) holds every controller: that is v2 too. */
	if (statfs(root ? root : "/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		l.mode = CGROUP_MODE_V2;
	else if (l.unified)
		l.mode = l.n_v1 > 0 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V2;
	else
		l.mode = CGROUP_MODE_V1;
	*ret = l;
	return 0;
}

const char *cgroup_v1_path(const struct cgroup_layout *l, const char *controller)
{
	for (size_t i = 0; i < l->n_v1; i++)
		if (streq(l->v1[i].controller, controller))
			return l->v1[i].path;
	return NULL;
}

const char *cgroup_mode_version(enum cgroup_mode m)
{
	return m == CGROUP_MODE_V2 ? "2" : "1";
}

const char *cgroup_mode_name(enum cgroup_mode m)
{
	static const char *const names[] = {"v1", "hybrid", "v2"};

	return names[m];
}

void cgroup_layout_release(struct cgroup_layout *l)
{
	for (size_t i = 0; i < l->n_v1; i++) {
		free(l->v1[i].controller);
		free(l->v1[i].path);
	}
	free(l->unified);
	*l = (struct cgroup_layout){0};
}
