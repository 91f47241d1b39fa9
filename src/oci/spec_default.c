/* spec_default.c — the documents husk-runtime prints rather than reads:
 * `spec` (runc's default config.json, hostname "husk"; --rootless maps the
 * caller's ids into a user namespace) and `features` (what this build
 * understands, OCI runtime-spec features.md).
 */
#include <unistd.h>

#include "base/str.h"
#include "husk-config.h"
#include "oci/spec_internal.h"

/* `runc spec` of runc 1.1, byte for byte in meaning and key order, with
 * hostname "husk". Its "ambient" list is left out: without inheritable
 * capabilities the kernel refuses to raise them, runc skips them (CapAmb
 * stays 0) while husk reports the error, so with it the spec `spec`
 * writes would not run. */
static const char default_spec[] =
        "{"
        "  \"ociVersion\": \"1.0.2-dev\","
        "  \"process\": {"
        "    \"terminal\": true,"
        "    \"user\": {\"uid\": 0, \"gid\": 0},"
        "    \"args\": [\"sh\"],"
        "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
        "            \"TERM=xterm\"],"
        "    \"cwd\": \"/\","
        "    \"capabilities\": {"
        "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
        "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
        "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]"
        "    },"
        "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
        "    \"noNewPrivileges\": true"
        "  },"
        "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
        "  \"hostname\": \"husk\","
        "  \"mounts\": ["
        "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
        "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
        "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
        "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
        "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", "
        "\"mode=0620\","
        "                 \"gid=5\"]},"
        "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
        "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
        "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
        "    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
        "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}"
        "  ],"
        "  \"linux\": {"
        "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
        "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
        "                   {\"type\": \"uts\"}, {\"type\": \"mount\"}],"
        "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
        "                    \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
        "                    \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],"
        "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","
        "                      \"/proc/sysrq-trigger\"]"
        "  }"
        "}";

/* ---- rootless: runc's specconv.ToRootless ---- */

static json_t *id_mapping(unsigned id)
{
	return json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID", (json_int_t)id, "size",
	                 1);
}

/* No network namespace (a rootless user cannot wire one), a user one. */
static json_t *rootless_namespaces(json_t *old)
{
	json_t *ns = json_array(), *item;
	size_t i;

	json_array_foreach (old, i, item)
		if (!streq(json_string_value(json_object_get(item, "type")), "network"))
			json_array_append(ns, item);
	if (json_array_append_new(ns, json_pack("{s:s}", "type", "user")) < 0) {
		json_decref(ns);
		return NULL;
	}
	return ns;
}

/* Key order as runc prints it: mappings first, no resources (cgroups are
 * not ours to set without systemd). */
static json_t *rootless_linux(json_t *lx)
{
	return json_pack("{s:o, s:o, s:o, s:O, s:O}", "uidMappings", id_mapping(geteuid()),
	                 "gidMappings", id_mapping(getegid()), "namespaces",
	                 rootless_namespaces(json_object_get(lx, "namespaces")), "maskedPaths",
	                 json_object_get(lx, "maskedPaths"), "readonlyPaths",
	                 json_object_get(lx, "readonlyPaths"));
}

static void remove_string(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v)
		if (streq(json_string_value(v), s)) {
			json_array_remove(arr, i);
			return;
		}
}

/* sysfs cannot be mounted without a network namespace: bind the host's;
 * devpts' gid=5 does not exist in the user namespace. */
static int rootless_mounts(json_t *mounts)
{
	json_t *m;
	size_t i;

	json_array_foreach (mounts, i, m) {
		const char *dest = json_string_value(json_object_get(m, "destination"));
		json_t *opts = json_object_get(m, "options");

		if (streq(dest, "/dev/pts"))
			remove_string(opts, "gid=5");
		if (streq(dest, "/sys") &&
		    json_array_set_new(mounts, i,
		                       json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s]}", "destination",
		                                 "/sys", "type", "none", "source", "/sys",
		                                 "options", "rbind", "nosuid", "noexec", "nodev",
		                                 "ro")) < 0)
			return -ENOMEM;
	}
	return 0;
}

json_t *oci_spec_default(bool rootless)
{
	json_t *doc = json_loads(default_spec, 0, NULL);
	json_t *lx;

	if (!doc || !rootless)
		return doc;
	lx = rootless_linux(json_object_get(doc, "linux"));
	if (!lx || json_object_set_new(doc, "linux", lx) < 0 ||
	    rootless_mounts(json_object_get(doc, "mounts")) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ---- features ---- */

/* The flags libseccomp 2.5 can set; WAIT_KILLABLE_RECV needs 2.6. */
#define SUPPORTED_SECCOMP_FLAGS ((1 << 0) | (1 << 1) | (1 << 2))

static bool seccomp_flag_supported(long bit)
{
	return (bit & SUPPORTED_SECCOMP_FLAGS) != 0;
}

static bool seccomp_arch_supported(long needs_newer)
{
	return needs_newer == 0;
}

static json_t *namespaces_json(void)
{
	json_t *a = json_array();

	for (int t = 0; a && t < OCI_NS_COUNT; t++)
		if (json_array_append_new(a, json_string(oci_ns_type_name(t))) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *seccomp_features(void)
{
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions",
	                 oci_names_json(&oci_seccomp_actions_table), "operators",
	                 oci_names_json(&oci_seccomp_ops_table), "archs",
	                 oci_names_json_if(&oci_seccomp_archs_table, seccomp_arch_supported),
	                 "knownFlags", oci_names_json(&oci_seccomp_flags_table), "supportedFlags",
	                 oci_names_json_if(&oci_seccomp_flags_table, seccomp_flag_supported));
}

static json_t *linux_features(void)
{
	return json_pack("{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}, s:{s:b},"
	                 " s:{s:{s:b}}}",
	                 "namespaces", namespaces_json(), "capabilities",
	                 oci_names_json(&oci_caps_table), "cgroup", "v1", 1, "v2", 1, "systemd", 0,
	                 "systemdUser", 0, "rdma", 0, "seccomp", seccomp_features(), "apparmor",
	                 "enabled", 0, "selinux", "enabled", 0, "intelRdt", "enabled", 0,
	                 "mountExtensions", "idmap", "enabled", 1);
}

json_t *oci_features(void)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s}}", "ociVersionMin", "1.0.0",
	                 "ociVersionMax", "1.2.0", "hooks", oci_names_json(&oci_hooks_table),
	                 "mountOptions", oci_mount_options_json(), "linux", linux_features(),
	                 "annotations", "io.husk.runtime.version", HUSK_VERSION);
}
