/* container_fs.c — the files huskd writes for a container's /etc:
 * hostname, hosts and resolv.conf, as dockerd writes them. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"
#include "engine/container_internal.h"
#include "engine/engine.h"

#define HOST_FILE_MAX (1u << 20)

static const char *const etc_files[] = {"hostname", "hosts", "resolv.conf"};

static const char default_hosts[] = "127.0.0.1\tlocalhost\n"
                                    "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                    "fe00::0\tip6-localnet\n"
                                    "ff00::0\tip6-mcastprefix\n"
                                    "ff02::1\tip6-allnodes\n"
                                    "ff02::2\tip6-allrouters\n";

static const char *net_mode(const struct ctr *c)
{
	const char *m = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	return isempty(m) ? "default" : m;
}

/* The host's own file, or "" when it cannot be read. */
static char *host_file(const char *path)
{
	char *buf = NULL;

	if (read_file(path, HOST_FILE_MAX, &buf, NULL, NULL) < 0)
		return strdup("");
	return buf;
}

/* ExtraHosts ["name:ip", …] as hosts lines. */
static int append_extra_hosts(struct strbuf *sb, const struct ctr *c)
{
	json_t *extra = json_object_get(c->host_config, "ExtraHosts");
	size_t i;
	json_t *v;

	json_array_foreach (extra, i, v) {
		const char *s = json_string_value(v), *colon;
		if (!s || !(colon = strchr(s, ':')))
			continue;
		if (strbuf_printf(sb, "%s\t%.*s\n", colon + 1, (int)(colon - s), s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static char *hosts_text(const struct ctr *c)
{
	struct strbuf sb = {0};
	_cleanup_free_ char *host = NULL;

	if (streq(net_mode(c), "host")) {
		host = host_file("/etc/hosts");
		if (!host || strbuf_puts(&sb, host) < 0)
			goto oom;
		if (sb.len && sb.buf[sb.len - 1] != '\n' && strbuf_puts(&sb, "\n") < 0)
			goto oom;
	} else if (strbuf_puts(&sb, default_hosts) < 0) {
		goto oom;
	}
	if (append_extra_hosts(&sb, c) < 0)
		goto oom;
	return strbuf_steal(&sb);
oom:
	strbuf_release(&sb);
	return NULL;
}

static bool loopback_nameserver(const char *line)
{
	const char *p = startswith(line, "nameserver");

	if (!p || (*p != ' ' && *p != '\t'))
		return false;
	p += strspn(p, " \t");
	return startswith(p, "127.") || startswith(p, "::1") || startswith(p, "0:0:0:0:0:0:0:1");
}

/* HostConfig's key, or daemon.json's when the container sets none. */
static json_t *dns_setting(const struct ctr *c, const char *key, const char *daemon_key)
{
	json_t *v = json_object_get(c->host_config, key);

	return json_array_size(v) ? v : json_object_get(c->cs->e->cfg.file, daemon_key);
}

/* The host's resolv.conf as the container gets it: loopback nameservers
 * cannot be reached from another network namespace, so they are dropped;
 * no public resolver is put in their place (the host's network decides
 * what may be reached). HostConfig Dns/DnsSearch/DnsOptions (else
 * daemon.json's dns, dns-search, dns-opts) replace the host's lines of
 * their kind. */
static char *resolv_text(const struct ctr *c)
{
	json_t *dns = dns_setting(c, "Dns", "dns");
	json_t *search = dns_setting(c, "DnsSearch", "dns-search");
	json_t *opts = dns_setting(c, "DnsOptions", "dns-opts");
	bool own_ns = !streq(net_mode(c), "host") && !streq(net_mode(c), "none");
	_cleanup_free_ char *host = host_file("/etc/resolv.conf");
	_cleanup_strv_ char **lines = host ? strv_split(host, "\n") : NULL;
	struct strbuf sb = {0};
	bool dropped = false;
	size_t i;
	json_t *v;

	if (!lines)
		return NULL;
	STRV_FOREACH (l, lines) {
		if (isempty(*l))
			continue;
		if ((json_array_size(dns) && startswith(*l, "nameserver")) ||
		    (json_array_size(search) &&
		     (startswith(*l, "search") || startswith(*l, "domain"))) ||
		    (json_array_size(opts) && startswith(*l, "options")))
			continue;
		if (own_ns && loopback_nameserver(*l)) {
			dropped = true;
			continue;
		}
		strbuf_printf(&sb, "%s\n", *l);
	}
	json_array_foreach (dns, i, v)
		strbuf_printf(&sb, "nameserver %s\n", json_string_value(v) ?: "");
	if (json_array_size(search)) {
		strbuf_puts(&sb, "search");
		json_array_foreach (search, i, v)
			strbuf_printf(&sb, " %s", json_string_value(v) ?: "");
		strbuf_puts(&sb, "\n");
	}
	if (json_array_size(opts)) {
		strbuf_puts(&sb, "options");
		json_array_foreach (opts, i, v)
			strbuf_printf(&sb, " %s", json_string_value(v) ?: "");
		strbuf_puts(&sb, "\n");
	}
	if (dropped && !json_array_size(dns))
		strbuf_puts(&sb, "# husk: the host's loopback nameservers are not reachable from "
		                 "the container's network namespace\n");
	return strbuf_steal(&sb);
}

int ctr_write_etc_files(struct ctr *c, struct husk_error **err)
{
	const char *hn = json_string_value(json_object_get(c->config, "Hostname"));
	_cleanup_free_ char *hostname = str_printf("%s\n", hn ? hn : "");
	_cleanup_free_ char *hosts = hosts_text(c), *resolv = resolv_text(c);
	_cleanup_close_ int dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (dfd < 0)
		return error_set_errno(err, errno, "open \"%s\"", c->dir);
	if (!hostname || !hosts || !resolv)
		return error_set(err, ENOMEM, "out of memory");
	/* a hostname line for the container's name, as dockerd adds its IP's */
	if (!streq(net_mode(c), "host") && !isempty(hn)) {
		char *h2 = str_printf("%s127.0.1.1\t%s\n", hosts, hn);
		if (!h2)
			return error_set(err, ENOMEM, "out of memory");
		free(hosts);
		hosts = h2;
	}
	r = atomic_replace_at(dfd, "hostname", hostname, strlen(hostname), 0644, err);
	if (r == 0)
		r = atomic_replace_at(dfd, "hosts", hosts, strlen(hosts), 0644, err);
	if (r == 0)
		r = atomic_replace_at(dfd, "resolv.conf", resolv, strlen(resolv), 0644, err);
	/* userns-remap: the container's root may edit them, as under dockerd */
	for (size_t i = 0; r == 0 && i < ELEMENTSOF(etc_files); i++)
		r = userns_remap_chown_at(&c->cs->e->remap, dfd, etc_files[i], true, err);
	return r;
}
