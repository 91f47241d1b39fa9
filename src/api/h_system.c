/* h_system.c — /_ping, /version and /info with Docker's JSON shapes. */
#include <string.h>
#include <time.h>

#include "api/compat.h"
#include "api/handlers.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "engine/containers.h"
#include "engine/engine.h"
#include "husk-config.h"

const char *api_server_header(void)
{
	return "husk/" HUSK_VERSION " (linux)";
}

void h_ping(struct api_request *req)
{
	api_reply_header(req, "Cache-Control", "no-cache, no-store, must-revalidate");
	api_reply_header(req, "Pragma", "no-cache");
	/* "1": the classic builder; BuildKit sessions are not served. */
	api_reply_header(req, "Builder-Version", "1");
	api_reply_header(req, "Swarm", "inactive");
	api_reply_data(req, 200, "text/plain; charset=utf-8", "OK", 2);
}

static const char *compiler(void)
{
	return "gcc " __VERSION__;
}

void h_version(struct api_request *req)
{
	struct engine_host h;
	json_t *details, *v;
	char api[16], min[16];

	snprintf(api, sizeof(api), "%u.%u", API_VERSION_MAX / 100, API_VERSION_MAX % 100);
	snprintf(min, sizeof(min), "%u.%u", API_VERSION_MIN / 100, API_VERSION_MIN % 100);
	engine_host_info(&h);
	details =
	        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Os", "linux",
	                  "ApiVersion", api, "Arch", engine_go_arch(h.arch), "BuildTime",
	                  HUSK_BUILD_TIME, "Experimental", "false", "GitCommit", HUSK_GIT_COMMIT,
	                  "GoVersion", compiler(), "KernelVersion", h.kernel, "MinAPIVersion", min);
	v = json_pack("{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	              "s:s}",
	              "Platform", "Name", "husk Engine", "Components", "Name", "Engine", "Version",
	              HUSK_VERSION, "Details", details, "Version", HUSK_VERSION, "ApiVersion", api,
	              "MinAPIVersion", min, "GitCommit", HUSK_GIT_COMMIT, "GoVersion", compiler(),
	              "Os", "linux", "Arch", engine_go_arch(h.arch), "KernelVersion", h.kernel,
	              "BuildTime", HUSK_BUILD_TIME);
	if (!v) {
		api_reply_error(req, 500, "cannot build the version document");
		return;
	}
	api_reply_json(req, 200, v);
}

static json_t *driver_status(const struct engine *e)
{
	if (streq(e->storage_driver, "overlay2"))
		return json_pack("[[s,s],[s,s],[s,s],[s,s],[s,s]]", "Backing Filesystem",
		                 e->backing_fs, "Supports d_type", "true", "Using metacopy",
		                 "false", "Native Overlay Diff", "true", "userxattr", "false");
	return json_array();
}

/* A copy of a daemon.json value, or def (stolen) when the key is absent. */
static json_t *file_value(const struct engine *e, const char *key, json_t *def)
{
	json_t *v = json_object_get(e->cfg.file, key);

	if (!v)
		return def;
	json_decref(def);
	return json_deep_copy(v);
}

static json_t *registry_config(const struct engine *e)
{
	return json_pack(
	        "{s:[], s:[], s:o, s:{s:{s:s, s:o, s:b, s:b}}, s:o}",
	        "AllowNondistributableArtifactsCIDRs", "AllowNondistributableArtifactsHostnames",
	        "InsecureRegistryCIDRs",
	        file_value(e, "insecure-registries", json_pack("[s,s]", "127.0.0.0/8", "::1/128")),
	        "IndexConfigs", "docker.io", "Name", "docker.io", "Mirrors",
	        file_value(e, "registry-mirrors", json_array()), "Secure", 1, "Official", 1,
	        "Mirrors", file_value(e, "registry-mirrors", json_array()));
}

static json_t *security_options(const struct engine *e)
{
	json_t *a = json_array();

	json_array_append_new(a, json_string("name=seccomp,profile=builtin"));
	/* dockerd's order: apparmor, seccomp, selinux, userns, rootless, cgroupns */
	if (engine_remapped(e))
		json_array_append_new(a, json_string("name=userns"));
	if (e->cgroups.mode == CGROUP_MODE_V2)
		json_array_append_new(a, json_string("name=cgroupns"));
	return a;
}

/* Fields grouped as dockerd groups them; values read from the host. */
static json_t *info_host(const struct engine *e, const struct engine_host *h)
{
	char now[48];

	log_format_time(now, sizeof(now));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}",
	                 "KernelVersion", h->kernel, "OperatingSystem", h->os_name, "OSVersion",
	                 h->os_version, "OSType", "linux", "Architecture", h->arch, "Name",
	                 h->hostname, "NCPU", (json_int_t)h->ncpu, "MemTotal",
	                 (json_int_t)h->mem_total, "SystemTime", now, "DockerRootDir",
	                 e->cfg.data_root, "ID", e->id, "ServerVersion", HUSK_VERSION);
}

/* Containers are counted by the engine; images are the store's. */
static json_t *info_counts(const struct engine *e)
{
	_cleanup_(store_image_list_freep) struct store_image **v = NULL;
	size_t n = 0;

	if (store_image_list(e->store, &v, NULL) == 0)
		while (v[n])
			n++;
	unsigned total, running, paused, stopped;

	containers_count(e->containers, &total, &running, &paused, &stopped);
	return json_pack("{s:i, s:i, s:i, s:i, s:I}", "Containers", (int)total, "ContainersRunning",
	                 (int)running, "ContainersPaused", (int)paused, "ContainersStopped",
	                 (int)stopped, "Images", (json_int_t)n);
}

static json_t *info_features(const struct engine *e)
{
	bool v2 = e->cgroups.mode == CGROUP_MODE_V2;

	return json_pack("{s:s, s:o, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, "
	                 "s:b, s:b, s:b}",
	                 "Driver", e->storage_driver, "DriverStatus", driver_status(e),
	                 "CgroupDriver", e->cfg.cgroup_driver, "CgroupVersion",
	                 cgroup_mode_version(e->cgroups.mode), "LoggingDriver", "json-file",
	                 "MemoryLimit", 1, "SwapLimit", 1, "CpuCfsPeriod", 1, "CpuCfsQuota", 1,
	                 "CPUShares", 1, "CPUSet", 1, "PidsLimit", 1, "IPv4Forwarding", 1,
	                 "OomKillDisable", !v2, "Debug", e->cfg.debug, "LiveRestoreEnabled",
	                 e->cfg.live_restore);
}

static json_t *info_plugins(void)
{
	return json_pack("{s:[s], s:[s,s,s,s,s,s], s:[s,s,s,s,s], s:n}", "Volume", "local",
	                 "Network", "bridge", "host", "none", "null", "macvlan", "ipvlan", "Log",
	                 "json-file", "local", "none", "journald", "syslog", "Authorization");
}

static json_t *info_swarm(void)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:n}", "NodeID", "", "NodeAddr", "",
	                 "LocalNodeState", "inactive", "ControlAvailable", 0, "Error", "",
	                 "RemoteManagers");
}

static json_t *info_runtimes(void)
{
	return json_pack("{s:{s:{s:s}}, s:{s:s}, s:{s:s}, s:{s:s}}", "Runtimes", "husk-runtime",
	                 "path", "husk-runtime", "ContainerdCommit", "ID", "", "RuncCommit", "ID",
	                 "", "InitCommit", "ID", "");
}

static json_t *info_fixed(const struct engine *e)
{
	json_t *o = json_pack(
	        "{s:o, s:o, s:[], s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:b, s:[], "
	        "s:s, s:s, s:s, s:i, s:i, s:n}",
	        "RegistryConfig", registry_config(e), "SecurityOptions", security_options(e),
	        "Warnings", "Plugins", info_plugins(), "Swarm", info_swarm(), "IndexServerAddress",
	        "https://index.docker.io/v1/", "InitBinary", "husk-init", "DefaultRuntime",
	        "husk-runtime", "Isolation", "", "Labels", file_value(e, "labels", json_array()),
	        "ExperimentalBuild", 0, "CDISpecDirs", "HttpProxy", "", "HttpsProxy", "", "NoProxy",
	        "", "NFd", 0, "NEventsListener", 0, "GenericResources");
	json_t *rt = info_runtimes();

	if (!o || !rt || json_object_update(o, rt) < 0) {
		json_decref(o);
		o = NULL;
	}
	json_decref(rt);
	return o;
}

void h_info(struct api_request *req)
{
	const struct engine *e = api_ctx(req);
	struct engine_host h;
	json_t *info, *part[4];

	engine_host_info(&h);
	info = json_object();
	part[0] = info_host(e, &h);
	part[1] = info_counts(e);
	part[2] = info_features(e);
	part[3] = info_fixed(e);
	for (size_t i = 0; i < ELEMENTSOF(part); i++) {
		if (!part[i] || !info || json_object_update(info, part[i]) < 0) {
			for (size_t j = 0; j < ELEMENTSOF(part); j++)
				json_decref(part[j]);
			json_decref(info);
			api_reply_error(req, 500, "cannot build the info document");
			return;
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(part); i++)
		json_decref(part[i]);
	compat_info(api_version(req), info);
	api_reply_json(req, 200, info);
}
