/* Unit tests for src/oci/ (runtime_spec.h): config.json parsing field by
 * field, the default spec and features documents, name tables, exec's
 * process.json, update's resources, every kind of bad input with its exact
 * message, and the hostile corpus in tests/fixtures/hostile/config/
 * (located through $HUSK_SRC, else relative to this file). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "husk-config.h"
#include "oci/runtime_spec.h"

/* ---- helpers ---- */

/* Test JSON is written with ' for " to stay readable. */
static json_t *sq_json(const char *sq)
{
	_cleanup_free_ char *s = strdup(sq);
	json_error_t je;
	json_t *j;

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, JSON_DECODE_ANY, &je);
	if (!j)
		fail_msg("bad test JSON: %s: %s", je.text, s);
	return j;
}

/* A fresh bundle directory under /tmp; removed by rm_bundle(). */
static char *make_bundle(const char *config, size_t len)
{
	char tmpl[] = "/tmp/husk-spec-test.XXXXXX";
	char *dir = strdup(mkdtemp(tmpl));
	_cleanup_free_ char *path = NULL;

	assert_non_null(dir);
	path = path_join(dir, "config.json");
	if (config)
		assert_int_equal(atomic_write_file(path, config, len, 0644, NULL), 0);
	return dir;
}

static void rm_bundle(char *dir)
{
	assert_int_equal(rm_rf(dir), 0);
	free(dir);
}

static struct oci_spec *load_sq(const char *sq, struct husk_error **err)
{
	_cleanup_free_ char *s = strdup(sq);
	char *bundle;
	struct oci_spec *spec;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	bundle = make_bundle(s, strlen(s));
	spec = oci_spec_load(bundle, err);
	rm_bundle(bundle);
	return spec;
}

/* Navigate "a.b[2].c" in doc, creating objects on the way; set the last
 * segment to value (stolen), or delete it when value is NULL. */
static void set_path(json_t *doc, const char *path, json_t *value)
{
	_cleanup_free_ char *copy = strdup(path);
	char *seg = copy, *next;
	json_t *cur = doc;

	for (;; seg = next) {
		size_t idx = 0;
		bool last;
		char *br;

		next = strchr(seg, '.');
		if (next)
			*next++ = '\0';
		last = next == NULL;
		br = strchr(seg, '[');
		if (br) {
			*br = '\0';
			idx = strtoul(br + 1, NULL, 10);
		}
		if (!br && last) {
			if (value)
				json_object_set_new(cur, seg, value);
			else
				json_object_del(cur, seg);
			return;
		}
		if (!json_object_get(cur, seg))
			json_object_set_new(cur, seg, json_object());
		cur = json_object_get(cur, seg);
		if (br && last) {
			if (value)
				json_array_set_new(cur, idx, value);
			else
				json_array_remove(cur, idx);
			return;
		}
		if (br)
			cur = json_array_get(cur, idx);
		if (!cur)
			fail_msg("set_path: no %s in the document", path);
	}
}

static void assert_err_prefix(const struct husk_error *err, const char *want)
{
	assert_non_null(err);
	if (!startswith(error_message(err), want))
		fail_msg("error \"%s\"\n    does not start with \"%s\"", error_message(err), want);
}

/* ---- the default spec ---- */

static void test_default_roundtrip(void **state)
{
	_cleanup_json_ json_t *doc = oci_spec_default(false);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(oci_spec_freep) struct oci_spec *s = NULL;
	uint64_t three = (UINT64_C(1) << CAP_AUDIT_WRITE) | (UINT64_C(1) << CAP_KILL) |
	                 (UINT64_C(1) << CAP_NET_BIND_SERVICE);

	assert_non_null(doc);
	s = oci_spec_parse(doc, &err);
	if (!s)
		fail_msg("%s", error_message(err));
	assert_string_equal(s->oci_version, "1.0.2-dev");
	assert_string_equal(s->hostname, "husk");
	assert_string_equal(s->root_path, "rootfs");
	assert_true(s->root_readonly);
	assert_true(s->process->terminal);
	assert_string_equal(s->process->args[0], "sh");
	assert_null(s->process->args[1]);
	assert_int_equal(s->process->caps.bounding, three);
	/* no ambient list: it cannot be raised without inheritable caps */
	assert_int_equal(s->process->caps.ambient, 0);
	assert_int_equal(s->process->caps.inheritable, 0);
	assert_int_equal(s->process->n_rlimits, 1);
	assert_int_equal(s->process->rlimits[0].resource, RLIMIT_NOFILE);
	assert_true(s->process->no_new_privileges);
	assert_int_equal(s->n_mounts, 7);
	assert_string_equal(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	assert_int_equal(s->mounts[5].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	assert_int_equal(s->linux_.n_namespaces, 5);
	assert_non_null(oci_spec_namespace(s, OCI_NS_NETWORK));
	assert_null(oci_spec_namespace(s, OCI_NS_USER));
	assert_true(s->linux_.has_resources);
	assert_int_equal(s->linux_.resources.n_devices, 1);
	assert_false(s->linux_.resources.devices[0].allow);
	assert_int_equal(s->linux_.resources.devices[0].type, 'a');
	assert_int_equal(s->linux_.resources.devices[0].major, -1);
	assert_string_equal(s->linux_.resources.devices[0].access, "rwm");
	assert_int_equal(strv_length(s->linux_.masked_paths), 10);
	assert_int_equal(strv_length(s->linux_.readonly_paths), 5);
	assert_ptr_equal(s->raw, doc);
}

static void test_default_rootless(void **state)
{
	_cleanup_json_ json_t *doc = oci_spec_default(true);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(oci_spec_freep) struct oci_spec *s = NULL;
	_cleanup_free_ char *text = NULL;

	assert_non_null(doc);
	s = oci_spec_parse(doc, &err);
	if (!s)
		fail_msg("%s", error_message(err));
	assert_non_null(oci_spec_namespace(s, OCI_NS_USER));
	assert_null(oci_spec_namespace(s, OCI_NS_NETWORK));
	assert_int_equal(s->linux_.n_uid_mappings, 1);
	assert_int_equal(s->linux_.uid_mappings[0].host_id, geteuid());
	assert_int_equal(s->linux_.gid_mappings[0].host_id, getegid());
	assert_int_equal(s->linux_.uid_mappings[0].size, 1);
	assert_false(s->linux_.has_resources);
	assert_string_equal(s->mounts[5].destination, "/sys");
	assert_true(s->mounts[5].bind);
	assert_string_equal(s->mounts[5].type, "bind");
	assert_int_equal(s->mounts[5].flags,
	                 MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	assert_string_equal(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620");
	/* runc's key order: mappings before namespaces */
	text = json_compact(json_object_get(doc, "linux"));
	assert_true(startswith(text, "{\"uidMappings\":[{\"containerID\":0,\"hostID\":"));
}

/* ---- a full config with every optional section ---- */

static const char full_config[] =
        "{'ociVersion': '1.2.0',"
        " 'process': {'terminal': true, 'consoleSize': {'height': 25, 'width': 80},"
        "  'user': {'uid': 1000, 'gid': 1001, 'umask': 18, 'additionalGids': [5, 6],"
        "           'username': 'app'},"
        "  'args': ['sh', '-c', 'echo hi'], 'env': ['PATH=/bin', 'EMPTY='], 'cwd': '/work',"
        "  'capabilities': {'bounding': ['CAP_KILL', 'CAP_CHECKPOINT_RESTORE'],"
        "   'effective': ['CAP_KILL'], 'inheritable': [], 'permitted': ['CAP_KILL', "
        "'CAP_SYS_ADMIN'],"
        "   'ambient': ['CAP_NET_BIND_SERVICE']},"
        "  'rlimits': [{'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 512},"
        "              {'type': 'RLIMIT_CORE', 'hard': 18446744073709551615, 'soft': 0}],"
        "  'noNewPrivileges': true, 'oomScoreAdj': -500, 'apparmorProfile': 'docker-default',"
        "  'selinuxLabel': 'system_u:system_r:container_t:s0',"
        "  'ioPriority': {'class': 'IOPRIO_CLASS_BE', 'priority': 4},"
        "  'scheduler': {'policy': 'SCHED_DEADLINE', 'runtime': 10000000, 'deadline': 20000000,"
        "   'period': 30000000, 'flags': ['SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM']}},"
        " 'root': {'path': 'rootfs', 'readonly': true},"
        " 'hostname': 'husk', 'domainname': 'example.org',"
        " 'mounts': ["
        "  {'destination': '/proc', 'type': 'proc', 'source': 'proc'},"
        "  {'destination': '/data', 'type': 'none', 'source': '/srv/data',"
        "   'options': ['rbind', 'rro', 'rnoatime', 'rprivate', 'nosuid', 'ratime']},"
        "  {'destination': '/idm', 'type': 'bind', 'source': '/srv/idm', 'options': ['ridmap'],"
        "   'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],"
        "   'gidMappings': [{'containerID': 0, 'hostID': 200000, 'size': 65536}]},"
        "  {'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs',"
        "   'options': ['ro', 'rw', 'nosuid', 'suid', 'tmpcopyup', 'mode=1777', 'size=64k']}],"
        " 'hooks': {"
        "  'prestart': [{'path': '/usr/bin/fix', 'args': ['fix', 'pre'], 'env': ['A=1'],"
        "                'timeout': 5}],"
        "  'createRuntime': [{'path': '/bin/cr'}], 'createContainer': [{'path': '/bin/cc'}],"
        "  'startContainer': [{'path': '/bin/sc'}], 'poststart': [{'path': '/bin/ps'}],"
        "  'poststop': [{'path': '/bin/p1'}, {'path': '/bin/p2', 'timeout': 10}]},"
        " 'annotations': {'org.example.key': 'value', 'io.kubernetes.cri.container-type': "
        "'sandbox'},"
        " 'linux': {"
        "  'uidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536}],"
        "  'gidMappings': [{'containerID': 0, 'hostID': 100000, 'size': 65536},"
        "                  {'containerID': 65536, 'hostID': 5, 'size': 1}],"
        "  'timeOffsets': {'monotonic': {'secs': 86400, 'nanosecs': 500},"
        "                  'boottime': {'secs': -5}},"
        "  'devices': [{'type': 'c', 'path': '/dev/fuse', 'major': 10, 'minor': 229,"
        "               'fileMode': 438, 'uid': 0, 'gid': 0},"
        "              {'type': 'p', 'path': '/dev/fifo'}],"
        "  'cgroupsPath': '/husk/abc',"
        "  'resources': {"
        "   'devices': [{'allow': false, 'access': 'rwm'},"
        "               {'allow': true, 'type': 'c', 'major': 10, 'minor': 229, 'access': 'mw'}],"
        "   'memory': {'limit': 536870912, 'reservation': 268435456, 'swap': -1, 'kernel': -1,"
        "              'kernelTCP': 1048576, 'swappiness': 60, 'disableOOMKiller': true,"
        "              'useHierarchy': true, 'checkBeforeUpdate': true},"
        "   'cpu': {'shares': 1024, 'quota': 50000, 'burst': 1000, 'period': 100000,"
        "           'realtimeRuntime': 950000, 'realtimePeriod': 1000000, 'cpus': '0-3',"
        "           'mems': '0', 'idle': 1},"
        "   'pids': {'limit': 100},"
        "   'blockIO': {'weight': 500, 'leafWeight': 300,"
        "    'weightDevice': [{'major': 8, 'minor': 0, 'weight': 600}],"
        "    'throttleReadBpsDevice': [{'major': 8, 'minor': 0, 'rate': 1048576}],"
        "    'throttleWriteBpsDevice': [{'major': 8, 'minor': 16, 'rate': 2097152}],"
        "    'throttleReadIOPSDevice': [{'major': 8, 'minor': 32, 'rate': 100}],"
        "    'throttleWriteIOPSDevice': [{'major': 8, 'minor': 48, 'rate': 200}]},"
        "   'hugepageLimits': [{'pageSize': '2MB', 'limit': 209715200}],"
        "   'network': {'classID': 1048577, 'priorities': [{'name': 'eth0', 'priority': 500}]},"
        "   'rdma': {'mlx5_1': {'hcaHandles': 3, 'hcaObjects': 10000}},"
        "   'unified': {'memory.high': '1073741824', 'io.weight': 'default 100'}},"
        "  'sysctl': {'net.ipv4.ip_forward': '1', 'kernel.shmmax': '4096',"
        "             'fs.mqueue.msg_max': '10', 'net/ipv4/conf/eth0.100/forwarding': '0'},"
        "  'seccomp': {'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 1,"
        "   'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],"
        "   'flags': ['SECCOMP_FILTER_FLAG_LOG'], 'listenerPath': '/run/notify.sock',"
        "   'listenerMetadata': 'meta',"
        "   'syscalls': ["
        "    {'names': ['read', 'write'], 'action': 'SCMP_ACT_ALLOW'},"
        "    {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW',"
        "     'args': [{'index': 0, 'value': 4294967295, 'op': 'SCMP_CMP_EQ'}]},"
        "    {'name': 'mkdir', 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38},"
        "    {'names': ['clone'], 'action': 'SCMP_ACT_NOTIFY',"
        "     'args': [{'index': 5, 'value': 9223372036854775808, 'valueTwo': 2114060288,"
        "               'op': 'SCMP_CMP_MASKED_EQ'}]},"
        "    {'names': ['kill'], 'action': 'SCMP_ACT_KILL_PROCESS'}]},"
        "  'rootfsPropagation': 'rslave',"
        "  'maskedPaths': ['/proc/kcore'], 'readonlyPaths': ['/proc/sys'],"
        "  'mountLabel': 'system_u:object_r:container_file_t:s0',"
        "  'intelRdt': {'closID': 'x', 'l3CacheSchema': 'L3:0=ff'},"
        "  'personality': {'domain': 'LINUX32', 'flags': []},"
        "  'namespaces': [{'type': 'pid'}, {'type': 'network', 'path': '/var/run/netns/x'},"
        "   {'type': 'ipc'}, {'type': 'uts'}, {'type': 'mount'}, {'type': 'user'},"
        "   {'type': 'cgroup'}, {'type': 'time'}]}}";

static struct oci_spec *load_full(void)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_spec *s = load_sq(full_config, &err);

	if (!s)
		fail_msg("%s", error_message(err));
	return s;
}

static void test_full_process(void **state)
{
	_cleanup_(oci_spec_freep) struct oci_spec *s = load_full();
	const struct oci_process *p = s->process;

	assert_string_equal(s->oci_version, "1.2.0");
	assert_string_equal(s->domainname, "example.org");
	assert_true(p->terminal);
	assert_int_equal(p->console_height, 25);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 1001);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[1], 6);
	assert_string_equal(p->user.username, "app");
	assert_string_equal(p->args[2], "echo hi");
	assert_string_equal(p->env[1], "EMPTY=");
	assert_string_equal(p->cwd, "/work");
	assert_true(p->caps.present);
	assert_int_equal(p->caps.bounding,
	                 (UINT64_C(1) << CAP_KILL) | (UINT64_C(1) << CAP_CHECKPOINT_RESTORE));
	assert_int_equal(p->caps.permitted,
	                 (UINT64_C(1) << CAP_KILL) | (UINT64_C(1) << CAP_SYS_ADMIN));
	assert_int_equal(p->caps.inheritable, 0);
	assert_int_equal(p->caps.ambient, UINT64_C(1) << CAP_NET_BIND_SERVICE);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].soft, 512);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].hard == UINT64_MAX); /* RLIM_INFINITY survives */
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->apparmor_profile, "docker-default");
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
	assert_true(p->io_priority.present);
	assert_int_equal(p->io_priority.class, 2); /* IOPRIO_CLASS_BE */
	assert_int_equal(p->io_priority.priority, 4);
	assert_true(p->scheduler.present);
	assert_int_equal(p->scheduler.policy, SCHED_DEADLINE);
	assert_int_equal(p->scheduler.runtime, 10000000);
	assert_int_equal(p->scheduler.period, 30000000);
	assert_int_equal(p->scheduler.flags, 0x3);
}

static void test_full_mounts_hooks(void **state)
{
	_cleanup_(oci_spec_freep) struct oci_spec *s = load_full();
	const struct oci_mount *m;

	assert_int_equal(s->n_mounts, 4);
	m = &s->mounts[0];
	assert_string_equal(m->type, "proc");
	assert_int_equal(m->flags, 0);
	assert_null(m->data);
	m = &s->mounts[1];
	assert_string_equal(m->type, "bind");
	assert_string_equal(m->source, "/srv/data");
	assert_true(m->bind && m->recursive);
	assert_int_equal(m->flags, MS_BIND | MS_REC | MS_NOSUID);
	assert_int_equal(m->propagation, MS_PRIVATE | MS_REC);
	assert_int_equal(m->rec_attr_set, MOUNT_ATTR_RDONLY);
	assert_int_equal(m->rec_attr_clr, MOUNT_ATTR__ATIME | MOUNT_ATTR_NOATIME);
	m = &s->mounts[2];
	assert_true(m->bind && !m->recursive);
	assert_int_equal(m->flags, MS_BIND);
	assert_true(m->idmap && m->idmap_recursive);
	assert_int_equal(m->n_uid_mappings, 1);
	assert_int_equal(m->gid_mappings[0].host_id, 200000);
	m = &s->mounts[3];
	assert_false(m->bind);
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->clear, MS_RDONLY | MS_NOSUID);
	assert_string_equal(m->data, "mode=1777,size=64k");

	assert_int_equal(s->n_hooks[OCI_HOOK_PRESTART], 1);
	assert_string_equal(s->hooks[OCI_HOOK_PRESTART][0].path, "/usr/bin/fix");
	assert_string_equal(s->hooks[OCI_HOOK_PRESTART][0].args[1], "pre");
	assert_string_equal(s->hooks[OCI_HOOK_PRESTART][0].env[0], "A=1");
	assert_true(s->hooks[OCI_HOOK_PRESTART][0].has_timeout);
	assert_int_equal(s->hooks[OCI_HOOK_PRESTART][0].timeout, 5);
	for (int k = OCI_HOOK_CREATE_RUNTIME; k < OCI_HOOK_POSTSTOP; k++)
		assert_int_equal(s->n_hooks[k], 1);
	assert_int_equal(s->n_hooks[OCI_HOOK_POSTSTOP], 2);
	assert_false(s->hooks[OCI_HOOK_POSTSTOP][0].has_timeout);
	assert_int_equal(s->hooks[OCI_HOOK_POSTSTOP][1].timeout, 10);
	assert_int_equal(s->n_annotations, 2);
	assert_string_equal(s->annotations[1].key, "io.kubernetes.cri.container-type");
	assert_string_equal(s->annotations[1].value, "sandbox");
}

static void test_full_linux(void **state)
{
	_cleanup_(oci_spec_freep) struct oci_spec *s = load_full();
	const struct oci_linux *l = &s->linux_;

	assert_int_equal(l->n_namespaces, 8);
	assert_string_equal(oci_spec_namespace(s, OCI_NS_NETWORK)->path, "/var/run/netns/x");
	assert_null(oci_spec_namespace(s, OCI_NS_TIME)->path);
	assert_int_equal(l->n_gid_mappings, 2);
	assert_int_equal(l->gid_mappings[1].container_id, 65536);
	assert_true(l->time_monotonic.present);
	assert_int_equal(l->time_monotonic.secs, 86400);
	assert_int_equal(l->time_monotonic.nanosecs, 500);
	assert_int_equal(l->time_boottime.secs, -5);
	assert_int_equal(l->n_devices, 2);
	assert_int_equal(l->devices[0].type, 'c');
	assert_int_equal(l->devices[0].minor, 229);
	assert_true(l->devices[0].has_mode && l->devices[0].has_uid && l->devices[0].has_gid);
	assert_int_equal(l->devices[0].file_mode, 0666);
	assert_int_equal(l->devices[1].type, 'p');
	assert_false(l->devices[1].has_mode);
	assert_string_equal(l->cgroups_path, "/husk/abc");
	assert_int_equal(l->n_sysctl, 4);
	assert_string_equal(l->sysctl[0].key, "net.ipv4.ip_forward");
	assert_int_equal(l->rootfs_propagation, MS_SLAVE | MS_REC);
	assert_string_equal(l->masked_paths[0], "/proc/kcore");
	assert_string_equal(l->readonly_paths[0], "/proc/sys");
	assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0");
	assert_true(l->has_intel_rdt);
	assert_true(l->personality.present);
	assert_int_equal(l->personality.domain, PER_LINUX32);
}

static void test_full_seccomp(void **state)
{
	_cleanup_(oci_spec_freep) struct oci_spec *s = load_full();
	const struct oci_seccomp *sc = &s->linux_.seccomp;

	assert_true(sc->present);
	assert_int_equal(sc->default_action, OCI_SECCOMP_ERRNO);
	assert_true(sc->has_default_errno_ret);
	assert_int_equal(sc->default_errno_ret, 1);
	assert_int_equal(strv_length(sc->architectures), 3);
	assert_string_equal(sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
	assert_string_equal(sc->listener_path, "/run/notify.sock");
	assert_string_equal(sc->listener_metadata, "meta");
	assert_int_equal(sc->n_syscalls, 5);
	assert_string_equal(sc->syscalls[0].names[1], "write");
	assert_int_equal(sc->syscalls[1].args[0].value, 4294967295u);
	assert_int_equal(sc->syscalls[1].args[0].op, OCI_SCMP_EQ);
	assert_string_equal(sc->syscalls[2].names[0], "mkdir"); /* legacy "name" */
	assert_true(sc->syscalls[2].has_errno_ret);
	assert_int_equal(sc->syscalls[2].errno_ret, 38);
	assert_int_equal(sc->syscalls[3].action, OCI_SECCOMP_NOTIFY);
	assert_int_equal(sc->syscalls[3].args[0].index, 5);
	assert_true(sc->syscalls[3].args[0].value == UINT64_C(9223372036854775808));
	assert_int_equal(sc->syscalls[3].args[0].value_two, 2114060288);
	assert_int_equal(sc->syscalls[3].args[0].op, OCI_SCMP_MASKED_EQ);
	assert_int_equal(sc->syscalls[4].action, OCI_SECCOMP_KILL_PROCESS);
	assert_false(sc->syscalls[4].has_errno_ret);
}

static void test_full_resources(void **state)
{
	_cleanup_(oci_spec_freep) struct oci_spec *s = load_full();
	const struct oci_resources *r = &s->linux_.resources;

	assert_true(s->linux_.has_resources);
	assert_int_equal(r->n_devices, 2);
	assert_true(r->devices[1].allow);
	assert_int_equal(r->devices[1].type, 'c');
	assert_int_equal(r->devices[1].major, 10);
	assert_string_equal(r->devices[1].access, "wm"); /* normalised order */
	assert_true(r->has_mem_limit && r->has_mem_swap && r->has_mem_kernel_tcp);
	assert_int_equal(r->mem_limit, 536870912);
	assert_int_equal(r->mem_swap, -1);
	assert_int_equal(r->mem_swappiness, 60);
	assert_true(r->has_disable_oom_killer && r->disable_oom_killer);
	assert_true(r->use_hierarchy && r->check_before_update);
	assert_int_equal(r->cpu_shares, 1024);
	assert_int_equal(r->cpu_quota, 50000);
	assert_int_equal(r->cpu_burst, 1000);
	assert_int_equal(r->cpu_rt_runtime, 950000);
	assert_true(r->has_cpu_idle);
	assert_int_equal(r->cpu_idle, 1);
	assert_string_equal(r->cpu_cpus, "0-3");
	assert_string_equal(r->cpu_mems, "0");
	assert_true(r->has_pids_limit);
	assert_int_equal(r->pids_limit, 100);
	assert_int_equal(r->blkio_weight, 500);
	assert_int_equal(r->blkio_leaf_weight, 300);
	assert_int_equal(r->n_blkio_weight_devices, 1);
	assert_true(r->blkio_weight_devices[0].has_weight);
	assert_false(r->blkio_weight_devices[0].has_leaf_weight);
	assert_int_equal(r->throttle_read_bps[0].rate, 1048576);
	assert_int_equal(r->throttle_write_bps[0].minor, 16);
	assert_int_equal(r->throttle_read_iops[0].minor, 32);
	assert_int_equal(r->throttle_write_iops[0].rate, 200);
	assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
	assert_int_equal(r->hugepage_limits[0].limit, 209715200);
	assert_true(r->has_net_class_id);
	assert_int_equal(r->net_class_id, 1048577);
	assert_string_equal(r->net_priorities[0].key, "eth0");
	assert_string_equal(r->net_priorities[0].value, "500");
	assert_int_equal(r->n_unified, 2);
	assert_string_equal(r->unified[1].value, "default 100");
}

/* ---- bad input: one table, exact messages ---- */

struct bad_case {
	const char *want;
	const char *edits[6]; /* path, JSON with ' for " (NULL: delete), … */
};

#define USERNS_NEW "[{'type':'pid'},{'type':'uts'},{'type':'mount'},{'type':'user'}]"
#define TIMENS_NEW "[{'type':'uts'},{'type':'time'}]"

static const struct bad_case bad_cases[] = {
        {"ociVersion: required", {"ociVersion", NULL}},
        {"ociVersion: expected a string", {"ociVersion", "1"}},
        {"ociVersion: unsupported version \"2.0.0\" (want 1.x)", {"ociVersion", "'2.0.0'"}},
        {"root: required", {"root", NULL}},
        {"root: expected an object", {"root", "'rootfs'"}},
        {"root.path: required", {"root.path", NULL}},
        {"root.path: must not be empty", {"root.path", "''"}},
        {"root.readonly: expected true or false", {"root.readonly", "'yes'"}},
        {"hostname: expected a string", {"hostname", "7"}},
        {"process: expected an object", {"process", "[]"}},
        {"process.args: required", {"process.args", NULL}},
        {"process.args: must not be empty", {"process.args", "[]"}},
        {"process.args[1]: expected a string", {"process.args", "['sh', 1]"}},
        {"process.args: expected an array of strings", {"process.args", "'sh'"}},
        {"process.cwd: required", {"process.cwd", NULL}},
        {"process.cwd: must be an absolute path", {"process.cwd", "'relative'"}},
        {"process.terminal: expected true or false", {"process.terminal", "1"}},
        {"process.user: expected an object", {"process.user", "0"}},
        {"process.user.uid: expected a non-negative integer", {"process.user.uid", "-1"}},
        {"process.user.uid: out of range", {"process.user.uid", "4294967296"}},
        {"process.user.uid: out of range", {"process.user.uid", "99999999999"}},
        {"process.user.gid: expected a non-negative integer", {"process.user.gid", "'0'"}},
        {"process.user.gid: expected a non-negative integer", {"process.user.gid", "1.5"}},
        {"process.user.umask: out of range", {"process.user.umask", "4096"}},
        {"process.user.additionalGids[1]: expected a group id",
         {"process.user.additionalGids", "[1, 'x']"}},
        {"process.env[0]: expected NAME=VALUE", {"process.env", "['NOEQUALS']"}},
        {"process.env[1]: empty variable name", {"process.env", "['A=1', '=x']"}},
        {"process.consoleSize.width: required", {"process.consoleSize", "{'height': 10}"}},
        {"process.consoleSize.height: out of range",
         {"process.consoleSize", "{'height': 70000, 'width': 1}"}},
        {"process.capabilities: expected an object", {"process.capabilities", "'all'"}},
        {"process.capabilities.bounding[0]: unknown capability \"CAP_FOO\"",
         {"process.capabilities.bounding", "['CAP_FOO']"}},
        {"process.capabilities.ambient[3]: unknown capability \"cap_kill\"",
         {"process.capabilities.ambient", "['CAP_KILL', 'CAP_KILL', 'CAP_BPF', 'cap_kill']"}},
        {"process.capabilities.effective: expected an array of strings",
         {"process.capabilities.effective", "'CAP_KILL'"}},
        {"process.rlimits: expected an array", {"process.rlimits", "{}"}},
        {"process.rlimits[0]: expected an object", {"process.rlimits", "[1]"}},
        {"process.rlimits[0].type: unknown rlimit \"RLIMIT_X\"",
         {"process.rlimits", "[{'type': 'RLIMIT_X', 'soft': 1, 'hard': 1}]"}},
        {"process.rlimits[0].hard: required",
         {"process.rlimits", "[{'type': 'RLIMIT_CORE', 'soft': 1}]"}},
        {"process.rlimits[0].hard: expected a non-negative integer",
         {"process.rlimits", "[{'type': 'RLIMIT_CORE', 'soft': 1, 'hard': 1.5}]"}},
        {"process.rlimits[0].soft: greater than hard",
         {"process.rlimits", "[{'type': 'RLIMIT_CORE', 'soft': 2, 'hard': 1}]"}},
        {"process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"",
         {"process.rlimits", "[{'type': 'RLIMIT_NOFILE', 'soft': 1, 'hard': 1},"
                             " {'type': 'RLIMIT_NOFILE', 'soft': 2, 'hard': 2}]"}},
        {"process.oomScoreAdj: out of range (-1000 to 1000)", {"process.oomScoreAdj", "1001"}},
        {"process.noNewPrivileges: expected true or false", {"process.noNewPrivileges", "1"}},
        {"process.apparmorProfile: expected a string", {"process.apparmorProfile", "[]"}},
        {"process.scheduler.policy: required", {"process.scheduler", "{}"}},
        {"process.scheduler.policy: unknown policy \"SCHED_FOO\"",
         {"process.scheduler", "{'policy': 'SCHED_FOO'}"}},
        {"process.scheduler.policy: SCHED_ISO is not supported by Linux",
         {"process.scheduler", "{'policy': 'SCHED_ISO'}"}},
        {"process.scheduler.priority: only for SCHED_FIFO and SCHED_RR",
         {"process.scheduler", "{'policy': 'SCHED_OTHER', 'priority': 5}"}},
        {"process.scheduler: runtime, deadline and period are only for SCHED_DEADLINE",
         {"process.scheduler", "{'policy': 'SCHED_RR', 'priority': 5, 'period': 5}"}},
        {"process.scheduler.nice: out of range (-20 to 19)",
         {"process.scheduler", "{'policy': 'SCHED_OTHER', 'nice': 20}"}},
        {"process.scheduler.flags[1]: unknown flag \"X\"",
         {"process.scheduler", "{'policy': 'SCHED_BATCH', 'flags': ['SCHED_FLAG_RECLAIM', 'X']}"}},
        {"process.ioPriority.class: required", {"process.ioPriority", "{'priority': 1}"}},
        {"process.ioPriority.class: unknown class \"IOPRIO_CLASS_X\"",
         {"process.ioPriority", "{'class': 'IOPRIO_CLASS_X'}"}},
        {"process.ioPriority.priority: out of range (0 to 7)",
         {"process.ioPriority", "{'class': 'IOPRIO_CLASS_RT', 'priority': 8}"}},
        {"mounts: expected an array", {"mounts", "{}"}},
        {"mounts[0]: expected an object", {"mounts[0]", "'/proc'"}},
        {"mounts[0].destination: required", {"mounts[0].destination", NULL}},
        {"mounts[0].destination: must be an absolute path", {"mounts[0].destination", "'proc'"}},
        {"mounts[3].destination: must be an absolute path",
         {"mounts[3].destination", "'../../etc'"}},
        {"mounts[1].type: expected a string", {"mounts[1].type", "false"}},
        {"mounts[1].options[1]: expected a string", {"mounts[1].options", "['nosuid', 5]"}},
        {"mounts[1].options[0]: empty option", {"mounts[1].options", "['', 'ro']"}},
        {"mounts[0].gidMappings: required with uidMappings",
         {"mounts[0]", "{'destination': '/x', 'options': ['rbind'],"
                       " 'uidMappings': [{'containerID': 0, 'hostID': 1, 'size': 1}]}"}},
        {"mounts[0]: idmapped mounts are only supported for bind mounts",
         {"mounts[0]", "{'destination': '/x', 'type': 'tmpfs', 'options': ['idmap']}"}},
        {"mounts[0].uidMappings[0].size: must be greater than zero",
         {"mounts[0]", "{'destination': '/x', 'options': ['bind'],"
                       " 'uidMappings': [{'containerID': 0, 'hostID': 1, 'size': 0}]}"}},
        {"hooks: expected an object", {"hooks", "[]"}},
        {"hooks.prestart: expected an array", {"hooks.prestart", "{}"}},
        {"hooks.prestart[0].path: must be an absolute path",
         {"hooks.prestart", "[{'path': 'relative'}]"}},
        {"hooks.createRuntime[0].path: required", {"hooks.createRuntime", "[{}]"}},
        {"hooks.poststop[1].timeout: must be greater than zero",
         {"hooks.poststop", "[{'path': '/a'}, {'path': '/bin/true', 'timeout': 0}]"}},
        {"hooks.poststart[0].args[0]: expected a string",
         {"hooks.poststart", "[{'path': '/a', 'args': [null]}]"}},
        {"annotations: expected an object", {"annotations", "['a']"}},
        {"annotations: \"a\": expected a string", {"annotations", "{'a': 1}"}},
        {"annotations: empty key", {"annotations", "{'': 'x'}"}},
        {"hostname: requires a UTS namespace", {"linux.namespaces", "[{'type': 'pid'}]"}},
        {"domainname: requires a UTS namespace",
         {"hostname", NULL, "domainname", "'x'", "linux.namespaces", "[]"}},
        {"linux: expected an object", {"linux", "'x'"}},
        {"linux.namespaces: expected an array", {"linux.namespaces", "{}"}},
        {"linux.namespaces[0]: expected an object", {"linux.namespaces[0]", "'pid'"}},
        {"linux.namespaces[0].type: required", {"linux.namespaces[0]", "{}"}},
        {"linux.namespaces[1].type: unknown namespace type \"foo\"",
         {"linux.namespaces[1].type", "'foo'"}},
        {"linux.namespaces[1].path: must be an absolute path",
         {"linux.namespaces[1].path", "'relative'"}},
        {"linux.namespaces[2].type: duplicate namespace type \"pid\"",
         {"linux.namespaces", "[{'type': 'pid'}, {'type': 'uts'}, {'type': 'pid'}]"}},
        {"linux.uidMappings: requires a user namespace",
         {"linux.uidMappings", "[{'containerID': 0, 'hostID': 1000, 'size': 1}]"}},
        {"linux.gidMappings: requires a user namespace",
         {"linux.gidMappings", "[{'containerID': 0, 'hostID': 1000, 'size': 1}]"}},
        {"linux.uidMappings: a new user namespace needs uid and gid mappings",
         {"linux.namespaces", USERNS_NEW}},
        {"linux.gidMappings: a new user namespace needs uid and gid mappings",
         {"linux.namespaces", USERNS_NEW, "linux.uidMappings",
          "[{'containerID': 0, 'hostID': 1000, 'size': 1}]"}},
        {"linux.uidMappings[0].size: must be greater than zero",
         {"linux.namespaces", USERNS_NEW, "linux.uidMappings",
          "[{'containerID': 0, 'hostID': 1000, 'size': 0}]"}},
        {"linux.uidMappings[0]: range exceeds 32-bit ids",
         {"linux.namespaces", USERNS_NEW, "linux.uidMappings",
          "[{'containerID': 0, 'hostID': 4294967295, 'size': 2}]"}},
        {"linux.uidMappings[0].hostID: required",
         {"linux.namespaces", USERNS_NEW, "linux.uidMappings", "[{'containerID': 0, 'size': 2}]"}},
        {"linux.devices[0].type: unknown device type \"x\"",
         {"linux.devices", "[{'type': 'x', 'path': '/dev/x'}]"}},
        {"linux.devices[0].path: must be an absolute path",
         {"linux.devices", "[{'type': 'c', 'path': 'dev/x', 'major': 1, 'minor': 3}]"}},
        {"linux.devices[0].major: required",
         {"linux.devices", "[{'type': 'b', 'path': '/dev/x', 'minor': 3}]"}},
        {"linux.devices[0].minor: out of range",
         {"linux.devices", "[{'type': 'u', 'path': '/dev/x', 'major': 1, 'minor': -3}]"}},
        {"linux.resources: expected an object", {"linux.resources", "[]"}},
        {"linux.resources.devices[0].allow: required",
         {"linux.resources.devices", "[{'access': 'rwm'}]"}},
        {"linux.resources.devices[0].access: invalid access \"rwx\" (want a subset of rwm)",
         {"linux.resources.devices", "[{'allow': true, 'access': 'rwx'}]"}},
        {"linux.resources.devices[0].access: invalid access \"rr\"",
         {"linux.resources.devices", "[{'allow': true, 'access': 'rr'}]"}},
        {"linux.resources.devices[0].type: unknown device type \"z\" (want a, b or c)",
         {"linux.resources.devices", "[{'allow': true, 'type': 'z'}]"}},
        {"linux.resources.memory: expected an object", {"linux.resources.memory", "1"}},
        {"linux.resources.memory.limit: out of range", {"linux.resources.memory.limit", "-2"}},
        {"linux.resources.memory.swappiness: out of range (max 100)",
         {"linux.resources.memory.swappiness", "101"}},
        {"linux.resources.cpu.shares: expected a non-negative integer",
         {"linux.resources.cpu.shares", "'1024'"}},
        {"linux.resources.cpu.cpus: expected a string", {"linux.resources.cpu.cpus", "3"}},
        {"linux.resources.pids.limit: expected an integer", {"linux.resources.pids.limit", "'x'"}},
        {"linux.resources.blockIO.weight: out of range",
         {"linux.resources.blockIO.weight", "70000"}},
        {"linux.resources.blockIO.throttleReadBpsDevice[0].rate: required",
         {"linux.resources.blockIO.throttleReadBpsDevice", "[{'major': 8, 'minor': 0}]"}},
        {"linux.resources.blockIO.weightDevice[0].major: required",
         {"linux.resources.blockIO.weightDevice", "[{'minor': 0, 'weight': 10}]"}},
        {"linux.resources.hugepageLimits[0].pageSize: invalid page size \"../x\"",
         {"linux.resources.hugepageLimits", "[{'pageSize': '../x', 'limit': 1}]"}},
        {"linux.resources.network.classID: expected a non-negative integer",
         {"linux.resources.network.classID", "-1"}},
        {"linux.resources.network.priorities[0].name: required",
         {"linux.resources.network.priorities", "[{'priority': 1}]"}},
        {"linux.resources.unified: invalid key \"../memory.max\"",
         {"linux.resources.unified", "{'../memory.max': '1'}"}},
        {"linux.resources.unified: invalid key \"max\"",
         {"linux.resources.unified", "{'max': '1'}"}},
        {"linux.resources.unified: \"memory.max\": expected a string",
         {"linux.resources.unified", "{'memory.max': 1}"}},
        {"linux.resources.rdma: expected an object", {"linux.resources.rdma", "[]"}},
        {"linux.sysctl: \"vm.swappiness\" is not in a separate kernel namespace",
         {"linux.sysctl", "{'vm.swappiness': '1'}"}},
        {"linux.sysctl: \"net.ipv4.ip_forward\" requires a network namespace",
         {"linux.sysctl", "{'net.ipv4.ip_forward': '1'}", "linux.namespaces", "[{'type': 'uts'}]"}},
        {"linux.sysctl: \"kernel.shmmax\" requires an ipc namespace",
         {"linux.sysctl", "{'kernel.shmmax': '1'}", "linux.namespaces", "[{'type': 'uts'}]"}},
        {"linux.sysctl: invalid name \"../../proc/sysrq-trigger\"",
         {"linux.sysctl", "{'../../proc/sysrq-trigger': 'b'}"}},
        {"linux.sysctl: \"net.core.somaxconn\": expected a string",
         {"linux.sysctl", "{'net.core.somaxconn': 1024}"}},
        {"linux.seccomp: expected an object", {"linux.seccomp", "true"}},
        {"linux.seccomp.defaultAction: required", {"linux.seccomp", "{}"}},
        {"linux.seccomp.defaultAction: unknown action \"SCMP_ACT_X\"",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_X'}"}},
        {"linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_NOTIFY', 'listenerPath': '/s'}"}},
        {"linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\"",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86', "
                           "'SCMP_ARCH_FOO']}"}},
        {"linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_X\"",
         {"linux.seccomp",
          "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_X']}"}},
        {"linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_X\"",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                           "{'names': ['a'], 'action': 'SCMP_ACT_LOG'},"
                           "{'names': ['b'], 'action': 'SCMP_ACT_TRAP'},"
                           "{'names': ['c'], 'action': 'SCMP_ACT_X'}]}"}},
        {"linux.seccomp.syscalls[0].names: required",
         {"linux.seccomp",
          "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'action': 'SCMP_ACT_KILL'}]}"}},
        {"linux.seccomp.syscalls[0].names: must not be empty",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_ALLOW',"
                           " 'syscalls': [{'names': [], 'action': 'SCMP_ACT_KILL'}]}"}},
        {"linux.seccomp.syscalls[0].names[1]: empty syscall name",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_ALLOW',"
                           " 'syscalls': [{'names': ['a', ''], 'action': 'SCMP_ACT_KILL'}]}"}},
        {"linux.seccomp.syscalls[0].args[0].index: out of range (max 5)",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['a'],"
                           " 'action': 'SCMP_ACT_KILL', 'args': [{'index': 6, 'value': 1,"
                           " 'op': 'SCMP_CMP_EQ'}]}]}"}},
        {"linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['a'],"
                           " 'action': 'SCMP_ACT_KILL', 'args': [{'index': 0, 'value': 1,"
                           " 'op': 'SCMP_CMP_XX'}]}]}"}},
        {"linux.seccomp.syscalls[0].errnoRet: expected a non-negative integer",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['a'],"
                           " 'action': 'SCMP_ACT_ERRNO', 'errnoRet': -1}]}"}},
        {"linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY",
         {"linux.seccomp", "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['a'],"
                           " 'action': 'SCMP_ACT_NOTIFY'}]}"}},
        {"linux.rootfsPropagation: unknown propagation \"weird\"",
         {"linux.rootfsPropagation", "'weird'"}},
        {"linux.maskedPaths[1]: must be an absolute path",
         {"linux.maskedPaths", "['/proc/kcore', 'proc/kcore']"}},
        {"linux.readonlyPaths[0]: expected a string", {"linux.readonlyPaths", "[1]"}},
        {"linux.personality.domain: unknown domain \"LINUX64\"",
         {"linux.personality", "{'domain': 'LINUX64'}"}},
        {"linux.personality.domain: required", {"linux.personality", "{}"}},
        {"linux.timeOffsets: unknown clock \"realtime\"",
         {"linux.timeOffsets", "{'realtime': {'secs': 1}}", "linux.namespaces", TIMENS_NEW}},
        {"linux.timeOffsets: requires a time namespace",
         {"linux.timeOffsets", "{'monotonic': {'secs': 1}}"}},
        {"linux.timeOffsets: cannot be set when joining an existing time namespace",
         {"linux.timeOffsets", "{'boottime': {'secs': 1}}", "linux.namespaces",
          "[{'type': 'uts'}, {'type': 'time', 'path': '/proc/1/ns/time'}]"}},
        {"linux.timeOffsets.monotonic.nanosecs: out of range (max 999999999)",
         {"linux.timeOffsets", "{'monotonic': {'nanosecs': 1000000000}}", "linux.namespaces",
          TIMENS_NEW}},
        {"linux.timeOffsets.boottime: expected an object",
         {"linux.timeOffsets", "{'boottime': 5}", "linux.namespaces", TIMENS_NEW}},
        {"linux.intelRdt: expected an object", {"linux.intelRdt", "'x'"}},
        {"linux.cgroupsPath: expected a string", {"linux.cgroupsPath", "{}"}},
};

static void run_bad_case(const struct bad_case *c)
{
	_cleanup_json_ json_t *doc = oci_spec_default(false);
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_spec *s;

	for (size_t i = 0; i + 1 < ELEMENTSOF(c->edits) && c->edits[i]; i += 2)
		set_path(doc, c->edits[i], c->edits[i + 1] ? sq_json(c->edits[i + 1]) : NULL);
	s = oci_spec_parse(doc, &err);
	if (s) {
		oci_spec_free(s);
		fail_msg("parsed, expected \"%s\"", c->want);
	}
	assert_int_equal(error_code(err), EINVAL);
	assert_err_prefix(err, c->want);
}

static void test_bad_inputs(void **state)
{
	assert_true(ELEMENTSOF(bad_cases) >= 40);
	for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++)
		run_bad_case(&bad_cases[i]);
}

static void test_not_object(void **state)
{
	const char *docs[] = {"[]", "'config'", "42", "null", "true"};

	for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
		_cleanup_json_ json_t *doc = sq_json(docs[i]);
		_cleanup_error_ struct husk_error *err = NULL;

		assert_null(oci_spec_parse(doc, &err));
		assert_string_equal(error_message(err), "config.json: expected an object");
	}
}

/* Untrusted names in messages are escaped and cut short. */
static void test_error_quoting(void **state)
{
	_cleanup_json_ json_t *doc = oci_spec_default(false);
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	_cleanup_free_ char *longname = malloc(10001);

	set_path(doc, "process.capabilities.bounding", json_pack("[s]", "CAP_\x1b[31m\"RED"));
	assert_null(oci_spec_parse(doc, &err));
	assert_string_equal(error_message(err), "process.capabilities.bounding[0]: unknown "
	                                        "capability \"CAP_\\x1b[31m\\\"RED\"");
	memset(longname, 'A', 10000);
	longname[10000] = '\0';
	set_path(doc, "process.capabilities.bounding", json_pack("[s]", longname));
	assert_null(oci_spec_parse(doc, &err2));
	assert_true(strlen(error_message(err2)) < 200);
	assert_non_null(strstr(error_message(err2), "AAA...\""));
}

/* ---- loading ---- */

static void test_load_too_large(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	size_t len = 5u << 20;
	_cleanup_free_ char *big = malloc(len);
	char *bundle;

	assert_non_null(big);
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	bundle = make_bundle(big, len);
	assert_null(oci_spec_load(bundle, &err));
	rm_bundle(bundle);
	assert_int_equal(error_code(err), EFBIG);
	assert_non_null(strstr(error_message(err), "larger than"));
}

static void test_load_errors(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL, *err3 = NULL;
	char *bundle = make_bundle(NULL, 0);

	assert_null(oci_spec_load(bundle, &err));
	assert_int_equal(error_code(err), ENOENT);
	assert_non_null(strstr(error_message(err), "config.json"));
	rm_bundle(bundle);
	assert_null(load_sq("{'ociVersion': '1.0.0', 'root': {'path': 'r'},", &err2));
	assert_non_null(strstr(error_message(err2), "invalid JSON"));
	/* above UINT64_MAX is still refused */
	assert_null(load_sq("{'ociVersion': '1.0.0', 'root': {'path': 'r'},"
	                    " 'process': {'args': ['a'], 'cwd': '/',"
	                    " 'rlimits': [{'type': 'RLIMIT_CORE', 'soft': 0,"
	                    " 'hard': 18446744073709551616}]}}",
	                    &err3));
	assert_non_null(strstr(error_message(err3), "too big integer"));
}

static void test_load_big_integers(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	_cleanup_(oci_spec_freep) struct oci_spec *s = NULL;

	/* A big number inside a string is left alone; negative big ones fail. */
	s = load_sq("{'ociVersion': '1.0.0', 'root': {'path': 'r'},"
	            " 'annotations': {'n': '18446744073709551615'},"
	            " 'process': {'args': ['a'], 'cwd': '/', 'rlimits': ["
	            "  {'type': 'RLIMIT_CORE', 'soft': 9223372036854775807,"
	            "   'hard': 18446744073709551615},"
	            "  {'type': 'RLIMIT_NPROC', 'soft': 9223372036854775808,"
	            "   'hard': 9223372036854775808}]}}",
	            &err);
	if (!s)
		fail_msg("%s", error_message(err));
	assert_string_equal(s->annotations[0].value, "18446744073709551615");
	assert_true(s->process->rlimits[0].soft == INT64_MAX);
	assert_true(s->process->rlimits[0].hard == UINT64_MAX);
	assert_true(s->process->rlimits[1].soft == UINT64_C(9223372036854775808));
	/* a signed field does not take one */
	assert_null(load_sq("{'ociVersion': '1.0.0', 'root': {'path': 'r'}, 'linux': {"
	                    " 'resources': {'memory': {'limit': 18446744073709551615}}}}",
	                    &err2));
	assert_string_equal(error_message(err2),
	                    "linux.resources.memory.limit: expected an integer");
}

/* ---- mount options ---- */

static void test_mount_options(void **state)
{
	_cleanup_json_ json_t *doc = oci_spec_default(false);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(oci_spec_freep) struct oci_spec *s = NULL;
	const struct oci_mount *m;

	set_path(doc, "mounts",
	         sq_json("[{'destination': '/a', 'type': 'ext4', 'source': '/dev/sda',"
	                 "  'options': ['ro', 'nosuid', 'nodev', 'noexec', 'sync', 'dirsync',"
	                 "   'remount', 'mand', 'noatime', 'nodiratime', 'relatime', 'strictatime',"
	                 "   'nosymfollow', 'lazytime', 'iversion', 'silent', 'shared',"
	                 "   'defaults', 'errors=remount-ro', 'data=ordered']},"
	                 " {'destination': '/b', 'type': 'ext4',"
	                 "  'options': ['rw', 'suid', 'dev', 'exec', 'async', 'atime', 'diratime',"
	                 "   'nomand', 'norelatime', 'nostrictatime', 'symfollow', 'nolazytime',"
	                 "   'noiversion', 'loud', 'runbindable']},"
	                 " {'destination': '/c', 'source': '/x', 'options': ['bind', 'rslave',"
	                 "   'rnosuid', 'rsuid', 'rnodev', 'rnoexec', 'rrelatime', 'rnosymfollow',"
	                 "   'rdiratime', 'idmap']}]"));
	s = oci_spec_parse(doc, &err);
	if (!s)
		fail_msg("%s", error_message(err));
	m = &s->mounts[0];
	assert_int_equal(m->flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
	                                   MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_NOATIME |
	                                   MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | 256 |
	                                   MS_LAZYTIME | MS_I_VERSION | MS_SILENT);
	assert_int_equal(m->clear, 0);
	assert_int_equal(m->propagation, MS_SHARED);
	assert_false(m->recursive);
	assert_string_equal(m->data, "errors=remount-ro,data=ordered");
	m = &s->mounts[1];
	assert_int_equal(m->flags, 0);
	assert_int_equal(m->clear, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS |
	                                   MS_NOATIME | MS_NODIRATIME | MS_MANDLOCK | MS_RELATIME |
	                                   MS_STRICTATIME | 256 | MS_LAZYTIME | MS_I_VERSION |
	                                   MS_SILENT);
	assert_int_equal(m->propagation, MS_UNBINDABLE | MS_REC);
	assert_true(m->recursive);
	m = &s->mounts[2];
	assert_string_equal(m->type, "bind");
	assert_true(m->bind && m->idmap && !m->idmap_recursive);
	assert_int_equal(m->propagation, MS_SLAVE | MS_REC);
	assert_true(m->recursive); /* rslave */
	assert_int_equal(m->rec_attr_set, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
	                                          MOUNT_ATTR_RELATIME | MOUNT_ATTR_NOSYMFOLLOW);
	assert_int_equal(m->rec_attr_clr,
	                 MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME);
	assert_null(m->data);
}

/* ---- name tables ---- */

static void test_names_caps(void **state)
{
	int cap = -1;

	for (int i = 0; i <= CAP_LAST_CAP; i++) {
		const char *name = oci_cap_name(i);

		assert_non_null(name);
		assert_int_equal(oci_cap_from_name(name, &cap), 0);
		assert_int_equal(cap, i);
	}
	assert_string_equal(oci_cap_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	assert_string_equal(oci_cap_name(40), "CAP_CHECKPOINT_RESTORE");
	assert_null(oci_cap_name(41));
	assert_null(oci_cap_name(-1));
	assert_int_equal(oci_cap_from_name("CAP_FOO", &cap), -EINVAL);
	assert_int_equal(oci_cap_from_name("sys_admin", &cap), -EINVAL);
	assert_int_equal(oci_cap_from_name("", &cap), -EINVAL);
	assert_int_equal(oci_cap_from_name(NULL, &cap), -EINVAL);
}

static void test_names_signals(void **state)
{
	const struct {
		const char *name;
		int sig;
	} good[] = {
	        {"SIGTERM", SIGTERM},
	        {"TERM", SIGTERM},
	        {"term", SIGTERM},
	        {"sigkill", SIGKILL},
	        {"15", 15},
	        {"9", SIGKILL},
	        {"SIGHUP", SIGHUP},
	        {"WINCH", SIGWINCH},
	        {"SIGUSR2", SIGUSR2},
	        {"SIGRTMIN", SIGRTMIN},
	        {"SIGRTMIN+3", SIGRTMIN + 3},
	        {"RTMIN+2", SIGRTMIN + 2},
	        {"SIGRTMAX", SIGRTMAX},
	        {"SIGRTMAX-1", SIGRTMAX - 1},
	        {"sigrtmin+1", SIGRTMIN + 1},
	        {"64", 64},
	        {"SIGCHLD", SIGCHLD},
	        {"SIGSYS", SIGSYS},
	};
	const char *bad[] = {
	        "",          "SIGFOO",     "0",        "65",
	        "-1",        "RTMIN+31",   "RTMIN-1",  "SIGRTMAX+1",
	        "SIGRTMIN+", "SIGRTMIN+x", "15x",      " 15",
	        "SIGTERMX",  "SIGSIGTERM", "RTMIN++1", "SIGRTMIN+1000000000000000000000"};
	int sig = -1;

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		if (oci_signal_from_name(good[i].name, &sig) != 0)
			fail_msg("\"%s\" refused", good[i].name);
		assert_int_equal(sig, good[i].sig);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (oci_signal_from_name(bad[i], &sig) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
	assert_int_equal(oci_signal_from_name(NULL, &sig), -EINVAL);
}

static void test_names_rlimits_ns(void **state)
{
	enum oci_ns_type t;
	int r = -1;

	assert_int_equal(oci_rlimit_from_name("RLIMIT_NOFILE", &r), 0);
	assert_int_equal(r, RLIMIT_NOFILE);
	assert_int_equal(oci_rlimit_from_name("RLIMIT_RTTIME", &r), 0);
	assert_int_equal(r, RLIMIT_RTTIME);
	assert_int_equal(oci_rlimit_from_name("NOFILE", &r), -EINVAL);
	assert_int_equal(oci_rlimit_from_name("RLIMIT_X", &r), -EINVAL);
	for (int i = 0; i < OCI_NS_COUNT; i++) {
		assert_int_equal(oci_ns_type_from_name(oci_ns_type_name(i), &t), 0);
		assert_int_equal(t, i);
		assert_non_null(oci_ns_proc_name(i));
		assert_int_not_equal(oci_ns_clone_flag(i), 0);
	}
	assert_string_equal(oci_ns_type_name(OCI_NS_NETWORK), "network");
	assert_string_equal(oci_ns_proc_name(OCI_NS_MOUNT), "mnt");
	assert_string_equal(oci_ns_proc_name(OCI_NS_NETWORK), "net");
	assert_int_equal(oci_ns_clone_flag(OCI_NS_MOUNT), CLONE_NEWNS);
	assert_int_equal(oci_ns_clone_flag(OCI_NS_USER), CLONE_NEWUSER);
	assert_int_equal(oci_ns_clone_flag(OCI_NS_TIME), 0x80);
	assert_null(oci_ns_type_name(OCI_NS_COUNT));
	assert_int_equal(oci_ns_clone_flag(OCI_NS_COUNT), 0);
	assert_int_equal(oci_ns_type_from_name("net", &t), -EINVAL);
}

/* ---- process.json and resources documents ---- */

static void test_process_parse(void **state)
{
	_cleanup_json_ json_t *doc = sq_json(
	        "{'terminal': false, 'user': {'uid': 5, 'gid': 6}, 'args': ['/bin/ls', '-l'],"
	        " 'env': ['A=b'], 'cwd': '/tmp', 'capabilities': {'bounding': ['CAP_CHOWN']},"
	        " 'noNewPrivileges': true, 'apparmorProfile': 'p', 'rlimits': []}");
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_process *p = oci_process_parse(doc, "", &err);

	if (!p)
		fail_msg("%s", error_message(err));
	assert_int_equal(p->user.uid, 5);
	assert_false(p->user.has_umask);
	assert_string_equal(p->args[0], "/bin/ls");
	assert_int_equal(p->caps.bounding, UINT64_C(1) << CAP_CHOWN);
	assert_int_equal(p->caps.effective, 0);
	assert_int_equal(p->n_rlimits, 0);
	assert_false(p->has_oom_score_adj);
	assert_false(p->scheduler.present);
	oci_process_free(p);
	oci_process_free(NULL);
}

static void test_process_parse_errors(void **state)
{
	const struct {
		const char *doc, *path, *want;
	} cases[] = {
	        {"{'cwd': '/'}", "", "args: required"},
	        {"{'args': ['a'], 'cwd': 'x'}", "", "cwd: must be an absolute path"},
	        {"{'args': ['a'], 'cwd': '/', 'user': {'uid': -5}}", "process.json",
	         "process.json.user.uid: expected a non-negative integer"},
	        {"[]", "", "process: expected an object"},
	        {"'x'", "process.json", "process.json: expected an object"},
	        {"{'args': ['a'], 'cwd': '/', 'capabilities': {'permitted': ['CAP_NOPE']}}",
	         "process", "process.capabilities.permitted[0]: unknown capability \"CAP_NOPE\""},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_json_ json_t *doc = sq_json(cases[i].doc);
		_cleanup_error_ struct husk_error *err = NULL;

		assert_null(oci_process_parse(doc, cases[i].path, &err));
		assert_string_equal(error_message(err), cases[i].want);
	}
}

static void test_resources_parse(void **state)
{
	_cleanup_json_ json_t *doc = sq_json(
	        "{'memory': {'limit': 1048576, 'swap': -1}, 'cpu': {'quota': -1, 'cpus': '1'},"
	        " 'pids': {'limit': -1}, 'blockIO': {'weight': 100},"
	        " 'unified': {'pids.max': 'max'}}");
	_cleanup_error_ struct husk_error *err = NULL;
	struct oci_resources r;

	memset(&r, 0xa5, sizeof(r)); /* output only: garbage in is fine */
	if (oci_resources_parse(doc, "", &r, &err) < 0)
		fail_msg("%s", error_message(err));
	assert_true(r.has_mem_limit && r.has_mem_swap);
	assert_false(r.has_mem_reservation || r.has_mem_kernel || r.has_mem_swappiness);
	assert_int_equal(r.mem_limit, 1048576);
	assert_int_equal(r.cpu_quota, -1);
	assert_false(r.has_cpu_shares);
	assert_string_equal(r.cpu_cpus, "1");
	assert_null(r.cpu_mems);
	assert_int_equal(r.pids_limit, -1);
	assert_true(r.has_blkio_weight);
	assert_false(r.has_blkio_leaf_weight);
	assert_int_equal(r.n_devices, 0);
	assert_string_equal(r.unified[0].key, "pids.max");
	oci_resources_release(&r);
	assert_null(r.cpu_cpus);
	oci_resources_release(&r); /* twice is harmless */
}

static void test_resources_errors(void **state)
{
	const struct {
		const char *doc, *path, *want;
	} cases[] = {
	        {"{'memory': {'limit': 'x'}}", "", "memory.limit: expected an integer"},
	        {"{'cpu': {'cpus': 1}}", "resources", "resources.cpu.cpus: expected a string"},
	        {"[]", "", "resources: expected an object"},
	        {"{'devices': [{'allow': 1}]}", "r", "r.devices[0].allow: expected true or false"},
	        {"{'hugepageLimits': [{'pageSize': '2MB'}]}", "",
	         "hugepageLimits[0].limit: required"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_json_ json_t *doc = sq_json(cases[i].doc);
		_cleanup_error_ struct husk_error *err = NULL;
		struct oci_resources r;

		memset(&r, 0xa5, sizeof(r));
		assert_int_equal(oci_resources_parse(doc, cases[i].path, &r, &err), -EINVAL);
		assert_string_equal(error_message(err), cases[i].want);
		assert_null(r.devices); /* zeroed on failure */
		oci_resources_release(&r);
	}
}

/* ---- features ---- */

static bool array_has(json_t *a, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (a, i, v)
		if (streq(json_string_value(v), s))
			return true;
	return false;
}

static void test_features(void **state)
{
	_cleanup_json_ json_t *f = oci_features();
	json_t *lx, *sc;

	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "ociVersionMin")), "1.0.0");
	assert_string_equal(json_string_value(json_object_get(f, "ociVersionMax")), "1.2.0");
	assert_int_equal(json_array_size(json_object_get(f, "hooks")), 6);
	assert_true(array_has(json_object_get(f, "hooks"), "createRuntime"));
	assert_true(array_has(json_object_get(f, "mountOptions"), "rro"));
	assert_true(array_has(json_object_get(f, "mountOptions"), "ridmap"));
	assert_true(array_has(json_object_get(f, "mountOptions"), "tmpcopyup"));
	lx = json_object_get(f, "linux");
	assert_int_equal(json_array_size(json_object_get(lx, "namespaces")), 8);
	assert_true(array_has(json_object_get(lx, "namespaces"), "time"));
	assert_int_equal(json_array_size(json_object_get(lx, "capabilities")), 41);
	assert_true(json_is_true(json_object_get(json_object_get(lx, "cgroup"), "v1")));
	assert_true(json_is_false(json_object_get(json_object_get(lx, "cgroup"), "systemd")));
	sc = json_object_get(lx, "seccomp");
	assert_true(json_is_true(json_object_get(sc, "enabled")));
	assert_int_equal(json_array_size(json_object_get(sc, "actions")), 9);
	assert_int_equal(json_array_size(json_object_get(sc, "operators")), 7);
	assert_true(array_has(json_object_get(sc, "archs"), "SCMP_ARCH_AARCH64"));
	assert_true(array_has(json_object_get(sc, "archs"), "SCMP_ARCH_X32"));
	assert_false(array_has(json_object_get(sc, "archs"), "SCMP_ARCH_LOONGARCH64"));
	assert_false(array_has(json_object_get(sc, "supportedFlags"),
	                       "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
	assert_true(array_has(json_object_get(sc, "knownFlags"), "SECCOMP_FILTER_FLAG_LOG"));
	assert_true(array_has(json_object_get(sc, "supportedFlags"), "SECCOMP_FILTER_FLAG_LOG"));
	assert_true(json_is_false(json_object_get(json_object_get(lx, "apparmor"), "enabled")));
	assert_true(json_is_true(json_object_get(
	        json_object_get(json_object_get(lx, "mountExtensions"), "idmap"), "enabled")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "annotations"),
	                                                      "io.husk.runtime.version")),
	                    HUSK_VERSION);
}

/* Every option features lists is one the parser accepts as a flag, not data
 * (except none). */
static void test_features_options_parse(void **state)
{
	_cleanup_json_ json_t *f = oci_features();
	_cleanup_json_ json_t *doc = oci_spec_default(false);
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_(oci_spec_freep) struct oci_spec *s = NULL;
	json_t *opts = json_deep_copy(json_object_get(f, "mountOptions"));

	set_path(doc, "mounts", json_pack("[{s:s, s:o}]", "destination", "/x", "options", opts));
	s = oci_spec_parse(doc, &err);
	if (!s)
		fail_msg("%s", error_message(err));
	assert_null(s->mounts[0].data);
}

/* ---- the hostile corpus ---- */

static char *hostile_dir(void)
{
	const char *src = getenv("HUSK_SRC");
	_cleanup_free_ char *here = NULL, *unit = NULL;

	if (!isempty(src))
		return path_join(src, "tests/fixtures/hostile/config");
	here = path_dirname(__FILE__);
	unit = path_join(here, "../fixtures/hostile/config");
	return TAKE_PTR(unit);
}

static void load_hostile(const char *dir, const char *name)
{
	_cleanup_free_ char *path = path_join(dir, name), *data = NULL;
	_cleanup_error_ struct husk_error *err = NULL;
	size_t len = 0;
	char *bundle;
	struct oci_spec *s;

	assert_int_equal(read_file(path, 64u << 20, &data, &len, NULL), 0);
	bundle = make_bundle(data, len);
	s = oci_spec_load(bundle, &err);
	rm_bundle(bundle);
	if (s) {
		oci_spec_free(s);
		fail_msg("hostile %s parsed", name);
	}
	assert_non_null(err);
	assert_true(strlen(error_message(err)) > 0);
	print_message("  %-32s %s\n", name, error_message(err));
}

static void test_hostile_corpus(void **state)
{
	_cleanup_free_ char *dir = hostile_dir();
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	assert_non_null(dir);
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (set HUSK_SRC to the source tree)", dir);
	while ((de = readdir(d)))
		if (endswith(de->d_name, ".json")) {
			load_hostile(dir, de->d_name);
			n++;
		}
	closedir(d);
	assert_true(n >= 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_default_roundtrip),
	        cmocka_unit_test(test_default_rootless),
	        cmocka_unit_test(test_full_process),
	        cmocka_unit_test(test_full_mounts_hooks),
	        cmocka_unit_test(test_full_linux),
	        cmocka_unit_test(test_full_seccomp),
	        cmocka_unit_test(test_full_resources),
	        cmocka_unit_test(test_bad_inputs),
	        cmocka_unit_test(test_not_object),
	        cmocka_unit_test(test_error_quoting),
	        cmocka_unit_test(test_load_too_large),
	        cmocka_unit_test(test_load_errors),
	        cmocka_unit_test(test_load_big_integers),
	        cmocka_unit_test(test_mount_options),
	        cmocka_unit_test(test_names_caps),
	        cmocka_unit_test(test_names_signals),
	        cmocka_unit_test(test_names_rlimits_ns),
	        cmocka_unit_test(test_process_parse),
	        cmocka_unit_test(test_process_parse_errors),
	        cmocka_unit_test(test_resources_parse),
	        cmocka_unit_test(test_resources_errors),
	        cmocka_unit_test(test_features),
	        cmocka_unit_test(test_features_options_parse),
	        cmocka_unit_test(test_hostile_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
