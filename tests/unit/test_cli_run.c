/* Unit tests for husk run/create's flag → create-body translation
 * (src/cli/cmd_run_body.c, run_parse.c): the bodies are compared with
 * what the docker CLI 28.2.2 sent for the same command lines, byte for
 * byte where the field order is Go's, and the refusals with docker's own
 * words; plus the value parsers and the stats math. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "cli/cmd_container.h"
#include "cli/run_internal.h"

/* Create bodies the docker CLI 28.2.2 sent (captured on the socket);
 * @DIR@ is the test's directory. */
static const char BODY_DEFAULT[] =
        "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
        "\"AttachStdout\""
        ":true,\"AttachStderr\":true,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":"
        "null,\"Cmd\":[\"echo\",\"hi\"],\"Image\":\"busybox\",\"Volumes\":{},\"WorkingDir\":\"\",\""
        "Entrypoint\":null,\"OnBuild\":null,\"Labels\":{},\"HostConfig\":{\"Binds\":null,\"Containe"
        "rIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},\"NetworkMode\":\"default\",\"P"
        "ortBindings\":{},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},"
        "\"AutoRemove\""
        ":true,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"ConsoleSize\":[0,0],\"CapAdd\":null,\"C"
        "apDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraH"
        "osts\":null,\"GroupAdd\":null,\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAd"
        "j\":0,\"PidMode\":\"\",\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyRootfs\":f"
        "alse,\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":0,\"Isolation\""
        ":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,"
        "\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":[],\"BlkioDevic"
        "eReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePer"
        "iod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"Devices\":[],\""
        "DeviceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":0,\"MemorySwap\":0,"
        "\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":0,\"Ulimits\":[],\"CpuCount"
        "\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"MaskedPaths\":null,\""
        "ReadonlyPaths\":null},\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"IPAMConfig"
        "\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriori"
        "ty\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPref"
        "ixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSN"
        "ames\":null}}}}";

static const char BODY_FULL[] =
        "{\"Hostname\":\"hh\",\"Domainname\":\"\",\"User\":\"1000:1000\",\"AttachStdin\":true,\"Att"
        "achStdout\":true,\"AttachStderr\":true,\"ExposedPorts\":{\"7000/tcp\":{},\"80/tcp\":{},\"9"
        "0/udp\":{},\"91/udp\":{}},\"Tty\":true,\"OpenStdin\":true,\"StdinOnce\":true,\"Env\":[\"A="
        "1\",\"X=1\"],\"Cmd\":[\"sh\",\"-c\",\"echo hi\"],\"Healthcheck\":{\"Test\":[\"CMD-SHELL\","
        "\"true\"],\"Interval\":5000000000,\"Timeout\":3000000000,\"StartPeriod\":1000000000,\"Retr"
        "ies\":2},\"Image\":\"busybox\",\"Volumes\":{},\"WorkingDir\":\"/tmp\",\"Entrypoint\":[\"/b"
        "in/"
        "sh\"],\"OnBuild\":null,\"Labels\":{\"a\":\"b\",\"lab\":\"x\"},\"StopSignal\":\"SIGUSR1\""
        ",\"StopTimeout\":7,\"HostConfig\":{\"Binds\":[\"/tmp:/mnt:ro\",\"vol1:/data\"],\"Container"
        "IDFile\":\"@DIR@/cid.txt\",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-size\":"
        "\"1m\"}},\"NetworkMode\":\"none\",\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPor"
        "t\":\"8080\"}],\"90/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9000\"}],\"91/udp\":[{"
        "\"HostIp\":\"127.0.0.1\",\"HostPort\":\"9001\"}]},\"RestartPolicy\":{\"Name\":\"on-failure"
        "\",\"MaximumRetryCount\":3},\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":nul"
        "l,\"ConsoleSize\":[0,0],\"CapAdd\":[\"CAP_NET_ADMIN\"],\"CapDrop\":[\"CAP_MKNOD\"],\"Cgrou"
        "pnsMode\":\"\",\"Dns\":[\"1.1.1.1\"],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":[\""
        "h:1.2.3.4\"],\"GroupAdd\":[\"10\"],\"IpcMode\":\"host\",\"Cgroup\":\"\",\"Links\":null,\"O"
        "omScoreAdj\":100,\"PidMode\":\"host\",\"Privileged\":false,\"PublishAllPorts\":true,\"Read"
        "onlyRootfs\":true,\"SecurityOpt\":[\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\""
        "}\",\"no-new-privileges\",\"label=disable\"],\"Tmpfs\":{\"/run\":\"rw,size=1m\"},\"UTSMode"
        "\":\"host\",\"UsernsMode\":\"host\",\"ShmSize\":134217728,\"Sysctls\":{\"net.ipv4.ip_forwa"
        "rd\":\"1\"},\"Isolation\":\"\",\"CpuShares\":512,\"Memory\":536870912,\"NanoCpus\":1500000"
        "000,\"CgroupParent\":\"\",\"BlkioWeight\":300,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBp"
        "s\":[],\"BlkioDeviceWriteBps\":[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],"
        "\""
        "CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus"
        "\":\"0\",\"CpusetMems\":\"0\",\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer"
        "\":\"/dev/xnull\",\"CgroupPermissions\":\"rw\"}],\"DeviceCgroupRules\":null,\"DeviceReques"
        "ts\":null,\"KernelMemory\":104857600,\"MemoryReservation\":268435456,\"MemorySwap\":107374"
        "1824,\"MemorySwappiness\":10,\"OomKillDisable\":true,\"PidsLimit\":50,\"Ulimits\":[{\"Name"
        "\":\"nofile\",\"Hard\":200,\"Soft\":100}],\"CpuCount\":0,\"CpuPercent\":0,"
        "\"IOMaximumIOps\""
        ":0,\"IOMaximumBandwidth\":0,\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/tmp\",\"Target\":"
        "\"/m2\",\"ReadOnly\":true},{\"Type\":\"tmpfs\",\"Target\":\"/t2\",\"TmpfsOptions\":{\"Size"
        "Bytes\":1048576}},{\"Type\":\"volume\",\"Source\":\"v2\",\"Target\":\"/v2\",\"VolumeOption"
        "s\":{\"NoCopy\":true,\"DriverConfig\":{}}}],\"MaskedPaths\":null,\"ReadonlyPaths\":null,\""
        "Init\":true},\"NetworkingConfig\":{\"EndpointsConfig\":{}}}";

static const char BODY_B1[] =
        "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
        "\"AttachStdout\""
        ":true,\"AttachStderr\":true,\"ExposedPorts\":{\"80/tcp\":{}},\"Tty\":false,\"OpenStdin\":f"
        "alse,\"StdinOnce\":false,\"Env\":[\"FOO=bar\",\"NOPE\"],\"Cmd\":null,\"Image\":\"busybox\""
        ",\"Volumes\":{},\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{},\"H"
        "ostConfig\":{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config"
        "\":{}},\"NetworkMode\":\"default\",\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPo"
        "rt\":\"8080\"}]},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},"
        "\"AutoRemove\""
        ":false,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"ConsoleSize\":[0,0],\"CapAdd\":null,\""
        "CapDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"Extra"
        "Hosts\":null,\"GroupAdd\":null,\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreA"
        "dj\":0,\"PidMode\":\"\",\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyRootfs\":"
        "false,\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":0,"
        "\"Isolation\""
        ":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,"
        "\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":[],\"BlkioDevic"
        "eReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePer"
        "iod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"Devices\":[],\""
        "DeviceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":0,\"MemorySwap\":0,"
        "\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":0,\"Ulimits\":[],\"CpuCount"
        "\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"MaskedPaths\":null,\""
        "ReadonlyPaths\":null},\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"IPAMConfig"
        "\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriori"
        "ty\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPref"
        "ixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSN"
        "ames\":null}}}}";

static const char BODY_B2[] =
        "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
        "\"AttachStdout\""
        ":true,\"AttachStderr\":true,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":"
        "null,\"Cmd\":null,\"Image\":\"busybox\",\"Volumes\":{\"/anon\":{}},\"WorkingDir\":\"\",\"E"
        "ntrypoint\":[\"\"],\"OnBuild\":null,\"Labels\":{},\"HostConfig\":{\"Binds\":[\"@DIR@/rel:/"
        "x\"],\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},\"NetworkMode\":"
        "\"mynet\",\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},"
        "\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"ConsoleSize\":[0,0],\"Ca"
        "pAdd\":null,\"CapDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearc"
        "h\":[],\"ExtraHosts\":null,\"GroupAdd\":null,\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":nu"
        "ll,\"OomScoreAdj\":0,\"PidMode\":\"\",\"Privileged\":false,\"PublishAllPorts\":false,\"Rea"
        "donlyRootfs\":false,\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":"
        "0,\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\",\"B"
        "lkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":"
        "[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,"
        "\""
        "CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"D"
        "evices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":0,\"M"
        "emorySwap\":0,\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":0,\"Ulimits\""
        ":[],\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"MaskedP"
        "aths\":null,\"ReadonlyPaths\":null},\"NetworkingConfig\":{\"EndpointsConfig\":{\"mynet\":{"
        "\"IPAMConfig\":null,\"Links\":null,\"Aliases\":[\"a1\"],\"MacAddress\":\"\",\"DriverOpts\""
        ":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress"
        "\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6Pref"
        "ixLen\":0,\"DNSNames\":null}}}}";

static const char BODY_B3[] =
        "{\"Hostname\":\"\",\"Domainname\":\"dom\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdo"
        "ut\":true,\"AttachStderr\":true,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"En"
        "v\":null,\"Cmd\":null,\"Healthcheck\":{\"Test\":[\"NONE\"]},\"Image\":\"busybox\",\"Volume"
        "s\":{},\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{},\"HostConfig"
        "\":{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},\""
        "NetworkMode\":\"default\",\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"unless-stopped"
        "\",\"MaximumRetryCount\":0},\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":[\""
        "other\"],\"ConsoleSize\":[0,0],\"CapAdd\":[\"ALL\"],\"CapDrop\":[\"CAP_NET_RAW\"],\"Cgroup"
        "nsMode\":\"private\",\"Dns\":[],\"DnsOptions\":[\"ndots:2\"],\"DnsSearch\":[\"x.org\"],\"E"
        "xtraHosts\":null,\"GroupAdd\":null,\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":null,\"OomSc"
        "oreAdj\":0,\"PidMode\":\"\",\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyRootf"
        "s\":false,\"SecurityOpt\":null,\"Tmpfs\":{\"/"
        "t\":\"\"},\"UTSMode\":\"\",\"UsernsMode\":\"\""
        ",\"ShmSize\":0,\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":500000000,\"Cg"
        "roupParent\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"B"
        "lkioDeviceWriteBps\":[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod"
        "\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\","
        "\""
        "CpusetMems\":\"\",\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"Memo"
        "ryReservation\":0,\"MemorySwap\":-1,\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"Pid"
        "sLimit\":0,\"Ulimits\":[],\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumB"
        "andwidth\":0,\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"@DIR@\",\"Target\":\"/b\",\"BindO"
        "ptions\":{\"Propagation\":\"rprivate\"}}],\"MaskedPaths\":null,\"ReadonlyPaths\":null},\"N"
        "etworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"IPAMConfig\":null,\"Links\":null,\""
        "Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\""
        ",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\""
        ":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}}}";

static const char BODY_B4[] =
        "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
        "\"AttachStdout\""
        ":true,\"AttachStderr\":true,\"ExposedPorts\":{\"6000/udp\":{},\"7000/tcp\":{},\"7001/tcp\""
        ":{},\"7002/tcp\":{}},\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,\""
        "Cmd\":null,\"Image\":\"busybox\",\"Volumes\":{},\"WorkingDir\":\"\",\"Entrypoint\":null,\""
        "OnBuild\":null,\"Labels\":{},\"HostConfig\":{\"Binds\":null,\"ContainerIDFile\":\"\",\"Log"
        "Config\":{\"Type\":\"\",\"Config\":{}},\"NetworkMode\":\"default\",\"PortBindings\":{\"600"
        "0/udp\":[{\"HostIp\":\"\",\"HostPort\":\"6000-6002\"}],\"7000/"
        "tcp\":[{\"HostIp\":\"::1\",\""
        "HostPort\":\"7000\"}],\"7001/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],\"7002/tcp\":[{\""
        "HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRe"
        "tryCount\":0},\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"ConsoleSiz"
        "e\":[0,0],\"CapAdd\":null,\"CapDrop\":null,\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\""
        ":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":null,\"IpcMode\":\"\",\"Cgroup\":"
        "\"\""
        ",\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\",\"Privileged\":false,"
        "\"PublishAllPorts\""
        ":false,\"ReadonlyRootfs\":false,\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\","
        "\"ShmSize\":0,\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParen"
        "t\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDevic"
        "eWriteBps\":[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"Cp"
        "uQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMe"
        "ms\":\"\",\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReserv"
        "ation\":0,\"MemorySwap\":0,\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":"
        "0,\"Ulimits\":[],\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,"
        "\"IOMaximumBandwidth\""
        ":0,\"MaskedPaths\":null,\"ReadonlyPaths\":null},\"NetworkingConfig\":{\"EndpointsConfig\":"
        "{\"default\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"Dr"
        "iverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\","
        "\""
        "IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"Globa"
        "lIPv6PrefixLen\":0,\"DNSNames\":null}}}}";

#define ARGV(...) ((char *const[]){__VA_ARGS__, NULL})

static char dir[] = "/tmp/husk-test-cli-run.XXXXXX";
static char *old_cwd;

static int setup(void **state)
{
	old_cwd = getcwd(NULL, 0);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(
	        atomic_write_file("env", "# comment\n\n  A=1\nUNSET_VAR_X\n", 28, 0644, NULL), 0);
	assert_int_equal(atomic_write_file("labels", "lab=x\n", 6, 0644, NULL), 0);
	/* pretty-printed: the CLI sends it compacted */
	assert_int_equal(atomic_write_file("sec.json",
	                                   "{\n  \"defaultAction\" : \"SCMP_ACT_ALLOW\"\n}\n", 41,
	                                   0644, NULL),
	                 0);
	assert_int_equal(atomic_write_file("bad.json", "{nope", 5, 0644, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(chdir(old_cwd), 0);
	free(old_cwd);
	rm_rf(dir);
	return 0;
}

static int argc_of(char *const *argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

/* Parse argv as `husk run` (or create) would and translate it. */
static int translate(bool is_run, char *const *argv, struct run_request *rq,
                     struct husk_error **err)
{
	_cleanup_(flags_freep) struct flags *f = NULL;
	int r = flags_parse(is_run ? cli_run_flags : cli_create_flags, argc_of(argv), argv,
	                    FLAGS_STOP_AT_FIRST_ARG, &f, err);

	return r ?: run_request_parse(f, is_run, rq, err);
}

static json_t *expected(const char *text)
{
	_cleanup_free_ char *s = NULL;
	struct strbuf sb = {0};
	json_t *j;

	for (const char *p = text; *p;) {
		const char *at = strstr(p, "@DIR@");
		size_t n = at ? (size_t)(at - p) : strlen(p);
		strbuf_append(&sb, p, n);
		if (!at)
			break;
		strbuf_puts(&sb, dir);
		p = at + 5;
	}
	s = strbuf_steal(&sb);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	return j;
}

/* The body, in Go's field order, as docker's (ConsoleSize aside: it is
 * our terminal's size with -t when stdout is one). */
static void assert_same_text(json_t *body, const char *want_text)
{
	_cleanup_json_ json_t *want = expected(want_text);
	_cleanup_free_ char *a = NULL, *b = NULL;

	json_object_del(json_object_get(body, "HostConfig"), "ConsoleSize");
	json_object_del(json_object_get(want, "HostConfig"), "ConsoleSize");
	a = json_dumps(body, JSON_COMPACT);
	b = json_dumps(want, JSON_COMPACT);
	assert_string_equal(a, b);
}

static void test_default_body(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct run_request rq;

	assert_int_equal(translate(true, ARGV("--rm", "busybox", "echo", "hi"), &rq, &err), 0);
	assert_same_text(rq.body, BODY_DEFAULT);
	assert_null(rq.name);
	assert_string_equal(rq.pull, "missing");
	assert_false(rq.detach);
	assert_true(rq.sig_proxy);
	run_request_release(&rq);
}

static void test_full_body(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *cid = str_printf("%s/cid.txt", dir);
	struct run_request rq;

	assert_int_equal(
	        translate(false,
	                  ARGV("--name", "full", "-i", "-t", "-e", "X=1", "--env-file", "env", "-w",
	                       "/tmp", "-u", "1000:1000", "--entrypoint", "/bin/sh", "--hostname",
	                       "hh", "-l", "a=b", "--label-file", "labels", "--init", "--restart",
	                       "on-failure:3", "--stop-signal", "SIGUSR1", "--stop-timeout", "7",
	                       "-v", "/tmp:/mnt:ro", "-v", "vol1:/data", "--mount",
	                       "type=bind,src=/tmp,dst=/m2,readonly", "--mount",
	                       "type=tmpfs,dst=/t2,tmpfs-size=1m", "--mount",
	                       "type=volume,src=v2,dst=/v2,volume-nocopy", "--tmpfs",
	                       "/run:rw,size=1m", "--read-only", "--ulimit", "nofile=100:200",
	                       "--sysctl", "net.ipv4.ip_forward=1", "--device",
	                       "/dev/null:/dev/xnull:rw", "--shm-size", "128m", "--log-driver",
	                       "json-file", "--log-opt", "max-size=1m", "--cpuset-cpus", "0",
	                       "--cpuset-mems", "0", "--cpus", "1.5", "--cpu-shares", "512",
	                       "--memory", "512m", "--memory-reservation", "256m", "--memory-swap",
	                       "1g", "--memory-swappiness", "10", "--kernel-memory", "100m",
	                       "--pids-limit", "50", "--blkio-weight", "300", "--oom-kill-disable",
	                       "--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD", "--security-opt",
	                       "seccomp=sec.json", "--security-opt", "no-new-privileges",
	                       "--security-opt", "label=disable", "--userns", "host", "--pid",
	                       "host", "--ipc", "host", "--uts", "host", "--network", "none", "-p",
	                       "8080:80", "-p", "127.0.0.1:9000-9001:90-91/udp", "-P", "--expose",
	                       "7000", "--dns", "1.1.1.1", "--add-host", "h:1.2.3.4", "--group-add",
	                       "10", "--oom-score-adj", "100", "--health-cmd", "true",
	                       "--health-interval", "5s", "--health-retries", "2",
	                       "--health-timeout", "3s", "--health-start-period", "1s", "--cidfile",
	                       cid, "busybox", "sh", "-c", "echo hi"),
	                  &rq, &err),
	        0);
	assert_same_text(rq.body, BODY_FULL);
	assert_string_equal(rq.name, "full");
	assert_string_equal(rq.cidfile, cid);
	run_request_release(&rq);
}

static void assert_same_json(bool is_run, char *const *argv, const char *want_text)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_json_ json_t *want = expected(want_text);
	struct run_request rq;

	if (translate(is_run, argv, &rq, &err) < 0)
		fail_msg("%s", error_message(err));
	json_object_del(json_object_get(rq.body, "HostConfig"), "ConsoleSize");
	json_object_del(json_object_get(want, "HostConfig"), "ConsoleSize");
	if (!json_equal(rq.body, want)) {
		_cleanup_free_ char *a = json_dumps(rq.body, JSON_COMPACT | JSON_SORT_KEYS);
		_cleanup_free_ char *b = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
		assert_string_equal(a, b);
	}
	run_request_release(&rq);
}

static void test_more_bodies(void **state)
{
	setenv("FOO", "bar", 1);
	unsetenv("NOPE");
	assert_same_json(
	        false, ARGV("--name", "c1", "-p", "8080:80", "-e", "FOO", "-e", "NOPE", "busybox"),
	        BODY_B1);
	assert_same_json(false,
	                 ARGV("--network", "mynet", "--network-alias", "a1", "--entrypoint", "",
	                      "-v", "./rel:/x", "-v", "/anon", "busybox"),
	                 BODY_B2);
	assert_same_json(false,
	                 ARGV("--no-healthcheck", "--restart", "unless-stopped", "--memory-swap",
	                      "-1", "--cpus", "0.5", "--tmpfs", "/t", "--mount",
	                      "type=bind,src=.,dst=/b,bind-propagation=rprivate", "--cap-add",
	                      "ALL", "--cap-drop", "net_raw", "-a", "stdout", "-a", "STDERR",
	                      "--dns-search", "x.org", "--dns-option", "ndots:2", "--domainname",
	                      "dom", "--volumes-from", "other", "--cgroupns", "private", "busybox"),
	                 BODY_B3);
	assert_same_json(false,
	                 ARGV("-p", "[::1]:7000:7000", "-p", "7001", "-p", "127.0.0.1::7002", "-p",
	                      "6000-6002:6000/udp", "busybox"),
	                 BODY_B4);
}

/* The body of `run ARGV` has mac as the endpoint's MacAddress on net. */
static void expect_mac(char *const *argv, const char *net, const char *mac)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct run_request rq;
	json_t *eps;

	assert_int_equal(translate(false, argv, &rq, &err), 0);
	eps = json_object_get(json_object_get(rq.body, "NetworkingConfig"), "EndpointsConfig");
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(eps, net), "MacAddress")), mac);
	run_request_release(&rq);
}

/* --mac-address: the endpoint's, docker's way (API 1.44), on the network
 * asked for; checked before anything is sent. */
static void test_mac_address(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct run_request rq;

	expect_mac(ARGV("--mac-address", "02:42:ac:11:00:99", "busybox"), "default",
	           "02:42:ac:11:00:99");
	expect_mac(ARGV("--network", "n1", "--mac-address", "02-42-ac-11-00-98", "busybox"), "n1",
	           "02-42-ac-11-00-98");
	char *bad[] = {"02:42:ac:11:00", "02:42:ac:11:00:9g", "02:42-ac:11:00:99",
	               "02:42:ac:11:00:99:", "zz"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		        translate(false, ARGV("--mac-address", bad[i], "busybox"), &rq, &err),
		        -EINVAL);
		_cleanup_free_ char *want = str_printf("%s is not a valid mac address", bad[i]);
		assert_string_equal(error_message(err), want);
		error_clear(&err);
	}
}

static void test_run_modes(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct run_request rq;
	json_t *b;

	/* -d: nothing attached, no stdin once; the ID is printed instead */
	assert_int_equal(translate(true, ARGV("-d", "-i", "--name", "x", "busybox"), &rq, &err), 0);
	b = rq.body;
	assert_true(rq.detach);
	assert_false(json_is_true(json_object_get(b, "AttachStdin")));
	assert_false(json_is_true(json_object_get(b, "AttachStdout")));
	assert_false(json_is_true(json_object_get(b, "StdinOnce")));
	assert_true(json_is_true(json_object_get(b, "OpenStdin")));
	run_request_release(&rq);
	/* -t: no signal proxying; -i: stdin attached once */
	assert_int_equal(
	        translate(true, ARGV("-it", "--detach-keys", "ctrl-a", "busybox"), &rq, &err), 0);
	assert_false(rq.sig_proxy);
	assert_string_equal(rq.detach_keys, "ctrl-a");
	assert_true(json_is_true(json_object_get(rq.body, "StdinOnce")));
	run_request_release(&rq);
	assert_int_equal(translate(true,
	                           ARGV("--sig-proxy=false", "--pull", "never", "-q", "--platform",
	                                "linux/amd64", "busybox"),
	                           &rq, &err),
	                 0);
	assert_false(rq.sig_proxy);
	assert_true(rq.quiet);
	assert_string_equal(rq.pull, "never");
	assert_string_equal(rq.platform, "linux/amd64");
	run_request_release(&rq);
}

static void assert_refused(bool is_run, char *const *argv, const char *msg)
{
	_cleanup_error_ struct husk_error *err = NULL;
	struct run_request rq;

	assert_int_equal(translate(is_run, argv, &rq, &err), -EINVAL);
	assert_string_equal(error_message(err), msg);
	assert_null(rq.body);
}

static void test_refusals(void **state)
{
	assert_refused(false, ARGV("-m", "abc", "busybox"),
	               "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'");
	assert_refused(false, ARGV("--shm-size", "1x", "busybox"),
	               "invalid argument \"1x\" for \"--shm-size\" flag: invalid suffix: 'x'");
	assert_refused(false, ARGV("--memory", "1.5.5g", "busybox"),
	               "invalid argument \"1.5.5g\" for \"-m, --memory\" flag: strconv.ParseFloat: "
	               "parsing \"1.5.5\": invalid syntax");
	assert_refused(false, ARGV("-p", "abc", "busybox"), "invalid containerPort: abc");
	assert_refused(false, ARGV("-p", "1:2:3:4:5", "busybox"), "invalid IP address: 1:2:3");
	assert_refused(false, ARGV("-p", "80-81:90-92", "busybox"),
	               "invalid ranges specified for container and host Ports: 90-92 and 80-81");
	assert_refused(false, ARGV("-p", "80/bogus", "busybox"), "invalid proto: bogus");
	assert_refused(false, ARGV("--mount", "type=bind,src=/x", "busybox"),
	               "invalid argument \"type=bind,src=/x\" for \"--mount\" flag: target is "
	               "required");
	assert_refused(false, ARGV("--mount", "type=tmpfs,dst=/x,volume-nocopy", "busybox"),
	               "invalid argument \"type=tmpfs,dst=/x,volume-nocopy\" for \"--mount\" flag: "
	               "cannot mix 'volume-*' options with mount type 'tmpfs'");
	assert_refused(false, ARGV("--mount", "foo=bar,dst=/x", "busybox"),
	               "invalid argument \"foo=bar,dst=/x\" for \"--mount\" flag: unexpected key "
	               "'foo' in 'foo=bar'");
	assert_refused(false, ARGV("--ulimit", "nofile=a", "busybox"),
	               "invalid argument \"nofile=a\" for \"--ulimit\" flag: strconv.ParseInt: "
	               "parsing \"a\": invalid syntax");
	assert_refused(false, ARGV("--ulimit", "bogus=1", "busybox"),
	               "invalid argument \"bogus=1\" for \"--ulimit\" flag: invalid ulimit type: "
	               "bogus");
	assert_refused(false, ARGV("--ulimit", "nofile=10:5", "busybox"),
	               "invalid argument \"nofile=10:5\" for \"--ulimit\" flag: ulimit soft limit "
	               "must be less than or equal to hard limit: 10 > 5");
	assert_refused(false, ARGV("--device", "relative:rel", "busybox"),
	               "rel is not an absolute path");
	assert_refused(
	        false, ARGV("--cpus", "1.0000000001", "busybox"),
	        "invalid argument \"1.0000000001\" for \"--cpus\" flag: value is too precise");
	assert_refused(
	        false, ARGV("--cpus", "x", "busybox"),
	        "invalid argument \"x\" for \"--cpus\" flag: failed to parse x as a rational "
	        "number");
	assert_refused(false, ARGV("--security-opt", "bogus", "busybox"),
	               "Invalid --security-opt: \"bogus\"");
	assert_refused(false, ARGV("--add-host", "bad", "busybox"),
	               "invalid argument \"bad\" for \"--add-host\" flag: bad format for add-host: "
	               "\"bad\"");
	assert_refused(
	        false, ARGV("--add-host", "h:1.2.3", "busybox"),
	        "invalid argument \"h:1.2.3\" for \"--add-host\" flag: invalid IP address in "
	        "add-host: \"1.2.3\"");
	assert_refused(
	        false, ARGV("--health-interval", "x", "busybox"),
	        "invalid argument \"x\" for \"--health-interval\" flag: time: invalid duration "
	        "\"x\"");
	assert_refused(
	        false, ARGV("--attach", "foo", "busybox"),
	        "invalid argument \"foo\" for \"-a, --attach\" flag: valid streams are STDIN, "
	        "STDOUT and STDERR");
	assert_refused(false, ARGV("--pull", "bogus", "busybox"),
	               "invalid pull option: 'bogus': must be one of \"always\", \"missing\" or "
	               "\"never\"");
	assert_refused(false, ARGV("--pid", "foo", "busybox"), "--pid: invalid PID mode");
	assert_refused(false, ARGV("--memory-swappiness", "200", "busybox"),
	               "invalid value: 200. Valid memory swappiness range is 0-100");
	assert_refused(false, ARGV("--sysctl", "kernel.foo=1", "busybox"),
	               "invalid argument \"kernel.foo=1\" for \"--sysctl\" flag: sysctl "
	               "'kernel.foo=1' is not allowed");
	assert_refused(false, ARGV("--restart", "on-failure:x", "busybox"),
	               "invalid argument \"on-failure:x\" for \"--restart\" flag: invalid restart "
	               "policy format: maximum retry count must be an integer");
	assert_refused(false, ARGV("--dns", "1.2.3", "busybox"),
	               "invalid argument \"1.2.3\" for \"--dns\" flag: IP address is not correctly "
	               "formatted: 1.2.3");
	assert_refused(false, ARGV("--expose", "80:80", "busybox"),
	               "invalid port format for --expose: 80:80");
	assert_refused(false, ARGV("--restart", "always", "--rm", "busybox"),
	               "conflicting options: cannot specify both --restart and --rm");
	assert_refused(false, ARGV("--no-healthcheck", "--health-cmd", "x", "busybox"),
	               "--no-healthcheck conflicts with --health-* options");
	assert_refused(true, ARGV("-d", "-a", "stdout", "busybox"),
	               "conflicting options: cannot specify both --attach and --detach");
	assert_refused(false, ARGV("--security-opt", "seccomp=bad.json", "busybox"),
	               "compacting json for seccomp profile (bad.json) failed: invalid JSON");
}

static void test_missing_files(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL, *err2 = NULL;
	struct run_request rq;

	assert_true(translate(false, ARGV("--env-file", "/nonexistent/env", "busybox"), &rq, &err) <
	            0);
	assert_non_null(strstr(error_message(err), "/nonexistent/env"));
	assert_true(translate(false, ARGV("--security-opt", "seccomp=/nonexistent.json", "busybox"),
	                      &rq, &err2) < 0);
	assert_non_null(strstr(error_message(err2), "opening seccomp profile (/nonexistent.json)"));
}

/* ---- the value parsers ---- */

static void test_ram_bytes(void **state)
{
	static const struct {
		const char *in;
		int64_t want;
		int r;
	} cases[] = {
	        {"512m", 512ll << 20, 0}, {"1g", 1ll << 30, 0},  {"1GiB", 1ll << 30, 0},
	        {"1.5k", 1536, 0},        {"100", 100, 0},       {"100b", 100, 0},
	        {"64 MB", 64ll << 20, 0}, {"2T", 2ll << 40, 0},  {"0", 0, 0},
	        {"abc", 0, -EINVAL},      {"1x", 0, -EBADMSG},   {"1kib2", 0, -EDOM},
	        {"1bb", 0, -EBADMSG},     {"1.5.5g", 0, -EDOM},  {"-1", 0, -EINVAL},
	        {"", 0, -EINVAL},         {"1mbx", 0, -EBADMSG},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -42;
		int r = parse_ram_bytes(cases[i].in, &v);
		if (r != cases[i].r)
			fail_msg("%s: %d, want %d", cases[i].in, r, cases[i].r);
		if (r == 0 && v != cases[i].want)
			fail_msg("%s: %lld", cases[i].in, (long long)v);
	}
}

static void test_nano_cpus_and_durations(void **state)
{
	int64_t v;

	assert_int_equal(parse_nano_cpus("1.5", &v), 0);
	assert_int_equal(v, 1500000000);
	assert_int_equal(parse_nano_cpus("0.000000001", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse_nano_cpus("2", &v), 0);
	assert_int_equal(v, 2000000000);
	assert_int_equal(parse_nano_cpus("1.0000000001", &v), -EDOM);
	assert_int_equal(parse_nano_cpus("-1", &v), -EINVAL);
	assert_int_equal(parse_nano_cpus("1.5x", &v), -EINVAL);
	assert_int_equal(parse_go_duration("1h30m", &v), 0);
	assert_int_equal(v, 5400ll * 1000000000);
	assert_int_equal(parse_go_duration("1.5s", &v), 0);
	assert_int_equal(v, 1500000000);
	assert_int_equal(parse_go_duration("300ms", &v), 0);
	assert_int_equal(v, 300000000);
	assert_int_equal(parse_go_duration("-2m", &v), 0);
	assert_int_equal(v, -120ll * 1000000000);
	assert_int_equal(parse_go_duration("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_go_duration("10", &v), -EINVAL);
	assert_int_equal(parse_go_duration("1x", &v), -EINVAL);
	assert_int_equal(parse_go_duration("", &v), -EINVAL);
}

static void test_detach_keys(void **state)
{
	unsigned char b[16];

	assert_int_equal(parse_detach_keys("ctrl-p,ctrl-q", b, sizeof(b)), 2);
	assert_int_equal(b[0], 16);
	assert_int_equal(b[1], 17);
	assert_int_equal(parse_detach_keys("a,ctrl-@,ctrl-[,ctrl-_", b, sizeof(b)), 4);
	assert_int_equal(b[0], 'a');
	assert_int_equal(b[1], 0);
	assert_int_equal(b[2], 27);
	assert_int_equal(b[3], 31);
	assert_int_equal(parse_detach_keys("ctrl-1", b, sizeof(b)), -EINVAL);
	assert_int_equal(parse_detach_keys("ab", b, sizeof(b)), -EINVAL);
	assert_int_equal(parse_detach_keys("a,b,c", b, 2), -E2BIG);
}

static void test_log_timestamps(void **state)
{
	_cleanup_error_ struct husk_error *err = NULL;
	int64_t now = 1795826082;
	_cleanup_free_ char *a = parse_log_timestamp("1s", now, NULL);
	_cleanup_free_ char *b = parse_log_timestamp("2026-11-28T00:34:41Z", now, NULL);
	_cleanup_free_ char *c = parse_log_timestamp("2026-11-28T00:34:41.5+01:00", now, NULL);
	_cleanup_free_ char *d = parse_log_timestamp("1795826000.123", now, NULL);
	_cleanup_free_ char *e = parse_log_timestamp("1.5m", now, NULL);
	char *bad = parse_log_timestamp("yesterday", now, &err);

	assert_string_equal(a, "1795826081");
	assert_string_equal(b, "1795826081.000000000");
	assert_string_equal(c, "1795822481.500000000");
	assert_string_equal(d, "1795826000.123");
	assert_string_equal(e, "1795825992");
	assert_null(bad);
	assert_string_equal(error_message(err),
	                    "failed to parse value as time or duration: \"yesterday\"");
}

static void test_csv(void **state)
{
	_cleanup_strv_ char **a = csv_split("type=bind,\"src=/a,b\",dst=/x", NULL);
	_cleanup_strv_ char **b = csv_split("\"q\"\"x\",", NULL);
	_cleanup_error_ struct husk_error *err = NULL;

	assert_non_null(a);
	assert_int_equal(strv_length(a), 3);
	assert_string_equal(a[1], "src=/a,b");
	assert_non_null(b);
	assert_int_equal(strv_length(b), 2);
	assert_string_equal(b[0], "q\"x");
	assert_string_equal(b[1], "");
	assert_null(csv_split("a\"b", &err));
	assert_string_equal(error_message(err), "bare \" in non-quoted-field");
}

static void test_caps_and_hosts(void **state)
{
	_cleanup_json_ json_t *add = NULL, *drop = NULL;
	_cleanup_free_ char *h = extra_host_parse("db=[::1]", NULL);
	_cleanup_free_ char *ip = ip_canonical("0:0:0:0:0:0:0:1", NULL);

	assert_int_equal(caps_normalize(ARGV(" net_admin", "CAP_SYS_TIME", "net_admin"),
	                                ARGV("sys_time", "mknod"), &add, &drop),
	                 0);
	assert_int_equal(json_array_size(add), 2);
	assert_string_equal(json_string_value(json_array_get(add, 0)), "CAP_NET_ADMIN");
	assert_string_equal(json_string_value(json_array_get(add, 1)), "CAP_SYS_TIME");
	assert_int_equal(json_array_size(drop), 1); /* adding wins */
	assert_string_equal(json_string_value(json_array_get(drop, 0)), "CAP_MKNOD");
	assert_string_equal(h, "db:::1");
	assert_string_equal(ip, "::1");
}

/* ---- stats: docker's CLI math ---- */

static void test_stats_row(void **state)
{
	_cleanup_json_ json_t *s = json_loads(
	        "{\"id\":\"fefe1e9121a187a594bb0872920edff9d17575d3e272196339aa86bd85e59944\","
	        "\"name\":\"/c3\",\"pids_stats\":{\"current\":3},"
	        "\"blkio_stats\":{\"io_service_bytes_recursive\":["
	        "{\"op\":\"Read\",\"value\":180224},{\"op\":\"Write\",\"value\":4096},"
	        "{\"op\":\"Total\",\"value\":184320}]},"
	        "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":300000000,\"percpu_usage\":[1,2]},"
	        "\"system_cpu_usage\":2000000000,\"online_cpus\":0},"
	        "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":100000000},"
	        "\"system_cpu_usage\":1000000000},"
	        "\"memory_stats\":{\"usage\":1048576,\"limit\":4194304,"
	        "\"stats\":{\"total_inactive_file\":524288}},"
	        "\"networks\":{\"eth0\":{\"rx_bytes\":1500,\"tx_bytes\":500},"
	        "\"eth1\":{\"rx_bytes\":500,\"tx_bytes\":0}}}",
	        0, NULL);
	_cleanup_json_ json_t *row = stats_row(s, NULL, false);

	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "ID")), "fefe1e9121a1");
	assert_string_equal(json_string_value(json_object_get(row, "Container")), "fefe1e9121a1");
	assert_string_equal(json_string_value(json_object_get(row, "Name")), "c3");
	/* 0.2e9 / 1e9 * 2 (percpu entries, online_cpus 0) * 100 */
	assert_string_equal(json_string_value(json_object_get(row, "CPUPerc")), "40.00%");
	assert_string_equal(json_string_value(json_object_get(row, "MemUsage")), "512KiB / 4MiB");
	assert_string_equal(json_string_value(json_object_get(row, "MemPerc")), "12.50%");
	assert_string_equal(json_string_value(json_object_get(row, "NetIO")), "2kB / 500B");
	assert_string_equal(json_string_value(json_object_get(row, "BlockIO")), "180kB / 4.1kB");
	assert_string_equal(json_string_value(json_object_get(row, "PIDs")), "3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_default_body),
	        cmocka_unit_test(test_full_body),
	        cmocka_unit_test(test_more_bodies),
	        cmocka_unit_test(test_mac_address),
	        cmocka_unit_test(test_run_modes),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_missing_files),
	        cmocka_unit_test(test_ram_bytes),
	        cmocka_unit_test(test_nano_cpus_and_durations),
	        cmocka_unit_test(test_detach_keys),
	        cmocka_unit_test(test_log_timestamps),
	        cmocka_unit_test(test_csv),
	        cmocka_unit_test(test_caps_and_hosts),
	        cmocka_unit_test(test_stats_row),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
