/* spec_host.c — the host facts dockerd's create checks depend on (its
 * sysinfo): CPUs, memory nodes, which cgroup knobs exist, seccomp, the
 * kernel version and its last capability. Read-only, never fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/fs.h"
#include "engine/spec_build_internal.h"
#include "runtime/caps.h"
#include "runtime/cgroup_probe.h"

#define LAST_CAP_FALLBACK 40 /* CAP_CHECKPOINT_RESTORE, Linux 5.9 */

/* The first line of a small sysfs file, stripped, into buf; false when it
 * cannot be read or is empty. */
static bool read_line(const char *path, char *buf, size_t len)
{
	_cleanup_free_ char *s = NULL;

	if (read_file(path, 4096, &s, NULL, NULL) < 0)
		return false;
	s[strcspn(s, "\n")] = '\0';
	if (!*s || strlen(s) >= len)
		return false;
	memcpy(buf, s, strlen(s) + 1);
	return true;
}

static bool exists_in(const char *dir, const char *file)
{
	_cleanup_free_ char *p = dir ? path_join(dir, file) : NULL;

	return p && access(p, F_OK) == 0;
}

static void probe_cgroups(struct spec_host *h)
{
	struct cgroup_layout l = {0};
	const char *mem, *cpu;

	if (cgroup_probe(NULL, NULL, &l, NULL) < 0)
		return;
	h->cgroup_v2 = l.mode == CGROUP_MODE_V2;
	if (h->cgroup_v2) {
		/* dockerd's sysinfo on cgroup v2: swap limits yes, swappiness,
		 * OOM-killer control and RT scheduling no. */
		h->swap_limit = exists_in(l.unified, "cgroup.controllers");
	} else {
		mem = cgroup_v1_path(&l, "memory");
		cpu = cgroup_v1_path(&l, "cpu");
		h->swap_limit = exists_in(mem, "memory.memsw.limit_in_bytes");
		h->swappiness = exists_in(mem, "memory.swappiness");
		h->oom_kill_disable = exists_in(mem, "memory.oom_control");
		h->cpu_rt =
		        exists_in(cpu, "cpu.rt_runtime_us") && exists_in(cpu, "cpu.rt_period_us");
	}
	cgroup_layout_release(&l);
}

/* CapEff of this process, as containerd's cap.Current() reads it. */
static uint64_t current_caps(void)
{
	_cleanup_free_ char *buf = NULL;
	const char *p;
	uint64_t v = 0;

	if (read_file("/proc/self/status", 1u << 16, &buf, NULL, NULL) < 0 ||
	    !(p = strstr(buf, "\nCapEff:")) || sscanf(p + 8, "%" SCNx64, &v) != 1)
		return UINT64_MAX;
	return v;
}

static unsigned kernel_version(void)
{
	struct utsname u;
	unsigned maj, min;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &maj, &min) != 2)
		return 0;
	return maj << 16 | min;
}

/* Whether mount_setattr(2), which recursively read-only binds need, can
 * be called: asked with a bad fd, it says EBADF or EINVAL when it exists. */
static bool mount_setattr_works(void)
{
#ifdef SYS_mount_setattr
	return syscall(SYS_mount_setattr, -1, "", 0, NULL, 0) < 0 && errno != ENOSYS &&
	       errno != EPERM;
#else
	return false;
#endif
}

void spec_host_probe(struct spec_host *ret)
{
	cpu_set_t set;
	int last;

	*ret = (struct spec_host){.ncpu = 1, .last_cap = LAST_CAP_FALLBACK};
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		ret->ncpu = (unsigned)CPU_COUNT(&set);
	if (!read_line("/sys/devices/system/cpu/online", ret->cpus, sizeof(ret->cpus)))
		snprintf(ret->cpus, sizeof(ret->cpus), "0-%u", ret->ncpu - 1);
	if (!read_line("/sys/devices/system/node/online", ret->mems, sizeof(ret->mems)))
		strcpy(ret->mems, "0");
	probe_cgroups(ret);
	ret->seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
	ret->kernel = kernel_version();
	ret->mount_setattr = mount_setattr_works();
	last = caps_last_cap();
	if (last > 0 && last < 64)
		ret->last_cap = (unsigned)last;
	ret->available_caps = current_caps();
}
