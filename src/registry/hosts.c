/* hosts.c — which base URLs a registry is spoken to on, and how: Docker
 * Hub's API host and mirrors, the insecure rules (plain http and
 * unverified TLS only for listed hosts and CIDRs and for loopback; https is
 * always tried first, as dockerd does), per-host CAs and client
 * certificates from the certs dirs, and the host key credentials are filed
 * under. */
#include "registry/internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "base/fs.h"
#include "base/str.h"

#define CERT_FILE_MAX (4u << 20)
#define SYSTEM_CA     "/etc/ssl/certs/ca-certificates.crt"

static const char *const default_certs_dirs[] = {"/etc/husk/certs.d", "/etc/docker/certs.d", NULL};

char *registry_host_key(const char *server)
{
	const char *p = server;
	size_t len;

	if (isempty(server))
		return strdup("docker.io");
	if (startswith(p, "https://"))
		p += strlen("https://");
	else if (startswith(p, "http://"))
		p += strlen("http://");
	len = strcspn(p, "/?#");
	if ((len == 9 && strncmp(p, "docker.io", len) == 0) ||
	    (len == 15 && strncmp(p, "index.docker.io", len) == 0) ||
	    (len == 20 && strncmp(p, REGISTRY_DOCKER_HUB_HOST, len) == 0))
		return strdup("docker.io");
	return strndup(p, len);
}

char *reg_api_host(const char *domain)
{
	if (streq(domain, "docker.io") || streq(domain, "index.docker.io"))
		return strdup(REGISTRY_DOCKER_HUB_HOST);
	return strdup(domain);
}

/* The host name or IP literal of "host[:port]", without brackets. */
static char *host_name(const char *host)
{
	const char *colon;

	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		return end ? strndup(host + 1, end - host - 1) : strdup(host);
	}
	colon = strrchr(host, ':');
	return colon ? strndup(host, colon - host) : strdup(host);
}

bool reg_cidr_contains(const char *cidr, const char *ip)
{
	unsigned char net[16], addr[16];
	const char *slash = strchr(cidr, '/');
	_cleanup_free_ char *base = slash ? strndup(cidr, slash - cidr) : NULL;
	int family, bits, len;
	int64_t prefix;

	if (!base || str_to_int64(slash + 1, &prefix) < 0)
		return false;
	family = strchr(base, ':') ? AF_INET6 : AF_INET;
	len = family == AF_INET6 ? 16 : 4;
	if (prefix < 0 || prefix > len * 8 || inet_pton(family, base, net) != 1 ||
	    inet_pton(family, ip, addr) != 1)
		return false;
	bits = (int)prefix;
	for (int i = 0; i < len && bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((net[i] & mask) != (addr[i] & mask))
			return false;
	}
	return true;
}

static bool ip_is_loopback(const char *ip)
{
	return reg_cidr_contains("127.0.0.0/8", ip) || reg_cidr_contains("::1/128", ip) ||
	       reg_cidr_contains("::ffff:127.0.0.0/104", ip);
}

bool reg_host_is_loopback(const char *host)
{
	_cleanup_free_ char *name = host_name(host);

	if (!name)
		return false;
	if (streq(name, "localhost") || endswith(name, ".localhost"))
		return true;
	return ip_is_loopback(name);
}

static bool is_ip_literal(const char *name)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/* Does name (a host name or IP literal) have an address inside cidr? Names
 * are resolved as dockerd does; a name that does not resolve matches no
 * CIDR. */
static bool name_in_cidr(const char *name, const char *cidr)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	bool found = false;

	if (is_ip_literal(name))
		return reg_cidr_contains(cidr, name);
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return false;
	for (struct addrinfo *a = res; a && !found; a = a->ai_next) {
		char ip[INET6_ADDRSTRLEN];
		const void *src =
		        a->ai_family == AF_INET
		                ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
		                : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;

		if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
		    inet_ntop(a->ai_family, src, ip, sizeof(ip)))
			found = reg_cidr_contains(cidr, ip);
	}
	freeaddrinfo(res);
	return found;
}

/* An insecure-registries entry as written, without a scheme or a trailing
 * slash (dockerd refuses those; being lenient costs nothing). */
static bool entry_matches(const char *entry, const char *host, const char *name)
{
	const char *e = startswith(entry, "http://") ?: startswith(entry, "https://") ?: entry;
	size_t len = strcspn(e, "/");

	if (e[len] == '/' && e[len + 1])
		return name_in_cidr(name, e); /* "10.0.0.0/8"; anything else matches nothing */
	return (strlen(host) == len && strncmp(e, host, len) == 0) ||
	       (strlen(name) == len && strncmp(e, name, len) == 0);
}

bool reg_host_insecure(const struct registry_options *o, const char *host)
{
	_cleanup_free_ char *name = host_name(host);

	if (!name)
		return false;
	if (reg_host_is_loopback(host))
		return true;
	STRV_FOREACH (e, o ? o->insecure : NULL)
		if (entry_matches(*e, host, name))
			return true;
	return false;
}

/* ---- TLS material ---- */

void reg_tls_release(struct reg_tls *t)
{
	free(t->ca_pem);
	free(t->cert);
	free(t->key);
	*t = (struct reg_tls){0};
}

static int ca_append(struct strbuf *sb, const char *path, struct husk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, CERT_FILE_MAX, &buf, &len, err);

	if (r < 0)
		return r;
	if (strbuf_append(sb, buf, len) < 0 || strbuf_puts(sb, "\n") < 0)
		return error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int dir_entries(const char *dir, char ***ret)
{
	_cleanup_strv_ char **v = strv_new();
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return -errno;
	while (v && (de = readdir(d)))
		if (de->d_name[0] != '.' && strv_push(&v, de->d_name) < 0)
			strv_free(TAKE_PTR(v));
	closedir(d);
	if (!v)
		return -ENOMEM;
	*ret = TAKE_PTR(v);
	return 0;
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One certs dir's <dir>/<host>/: CAs into sb, the first client pair. */
static int tls_dir(const char *dir, struct strbuf *sb, struct reg_tls *t, struct husk_error **err)
{
	_cleanup_strv_ char **names = NULL;
	int r = dir_entries(dir, &names);

	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return error_set_errno(err, -r, "read certificates directory \"%s\"", dir);
	qsort(names, strv_length(names), sizeof(char *), strcmp_ptr);
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *path = path_join(dir, *n), *base = NULL, *other = NULL;
		bool is_cert = endswith(*n, ".cert"), is_key = endswith(*n, ".key");

		if (!path)
			return error_set(err, ENOMEM, "out of memory");
		if (endswith(*n, ".crt")) {
			if ((r = ca_append(sb, path, err)) < 0)
				return r;
			continue;
		}
		if (!is_cert && !is_key)
			continue;
		base = strndup(path, strlen(path) - (is_cert ? 5 : 4));
		other = base ? str_printf("%s%s", base, is_cert ? ".key" : ".cert") : NULL;
		if (!other)
			return error_set(err, ENOMEM, "out of memory");
		if (access(other, R_OK) < 0)
			return error_set(err, EINVAL,
			                 is_cert ? "missing key %s for client certificate %s"
			                         : "missing client certificate %s for key %s",
			                 other, path);
		if (is_cert && !t->cert) {
			t->cert = TAKE_PTR(path);
			t->key = TAKE_PTR(other);
		}
	}
	return 0;
}

int reg_tls_load(const struct registry_options *o, const char *host, struct reg_tls *ret,
                 struct husk_error **err)
{
	char *const *dirs = o && o->certs_dirs ? o->certs_dirs : (char *const *)default_certs_dirs;
	struct strbuf sb = {0};
	struct reg_tls t = {0};
	int r = 0;

	if (strchr(host, '/') || streq(host, "..") || streq(host, "."))
		return error_set(err, EINVAL, "invalid registry host \"%s\"", host);
	for (size_t i = 0; r == 0 && dirs[i]; i++) {
		_cleanup_free_ char *dir = path_join(dirs[i], host);
		r = dir ? tls_dir(dir, &sb, &t, err) : error_set(err, ENOMEM, "out of memory");
	}
	if (r == 0 && sb.len) {
		/* the blob replaces curl's CA file: keep the system's CAs in it */
		const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
		const char *sys = v && v->cainfo ? v->cainfo : SYSTEM_CA;
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;

		if (read_file(sys, CERT_FILE_MAX * 4, &buf, &len, NULL) == 0 &&
		    (strbuf_puts(&sb, "\n") < 0 || strbuf_append(&sb, buf, len) < 0))
			r = error_set(err, ENOMEM, "out of memory");
		t.ca_pem_len = sb.len;
		t.ca_pem = strbuf_steal(&sb);
	}
	strbuf_release(&sb);
	if (r < 0) {
		reg_tls_release(&t);
		return reg_wrap(r, err, "registry \"%s\"", host);
	}
	*ret = t;
	return 0;
}

/* ---- endpoints ---- */

void reg_endpoint_free(struct reg_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->scheme);
	free(ep->host);
	free(ep->origin);
	reg_tls_release(&ep->tls);
	registry_auth_release(&ep->auth);
	reg_challenges_free(ep->challenges, ep->n_challenges);
	free(ep);
}

void reg_endpoints_free(struct reg_endpoint **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		reg_endpoint_free(v[i]);
	free(v);
}

static int endpoint_new(struct reg_client *c, const char *scheme, const char *host,
                        const char *auth_key, bool mirror, struct reg_endpoint **ret,
                        struct husk_error **err)
{
	_cleanup_(reg_endpoint_freep) struct reg_endpoint *ep = calloc(1, sizeof(*ep));
	int r;

	if (!ep)
		return error_set(err, ENOMEM, "out of memory");
	ep->c = c;
	ep->mirror = mirror;
	ep->scheme = strdup(scheme);
	ep->host = strdup(host);
	ep->origin = str_printf("%s://%s", scheme, host);
	if (!ep->scheme || !ep->host || !ep->origin)
		return error_set(err, ENOMEM, "out of memory");
	if (streq(scheme, "https")) {
		r = reg_tls_load(c->o, host, &ep->tls, err);
		if (r < 0)
			return r;
		ep->tls.skip_verify = reg_host_insecure(c->o, host);
	}
	if (c->o && c->o->auth_lookup) {
		r = c->o->auth_lookup(auth_key, &ep->auth, c->o->auth_data);
		if (r < 0)
			return error_set_errno(err, -r, "credentials for \"%s\"", auth_key);
	}
	*ret = TAKE_PTR(ep);
	return 0;
}

static int endpoints_push(struct reg_endpoint ***v, size_t *n, struct reg_endpoint *ep)
{
	struct reg_endpoint **p = reallocarray(*v, *n + 1, sizeof(*p));

	if (!p) {
		reg_endpoint_free(ep);
		return -ENOMEM;
	}
	p[(*n)++] = ep;
	*v = p;
	return 0;
}

/* A registry-mirrors entry: "https://mirror.example[:port][/]". */
static int mirror_endpoint(struct reg_client *c, const char *url, struct reg_endpoint **ret,
                           struct husk_error **err)
{
	const char *rest = startswith(url, "https://");
	const char *scheme = rest ? "https" : "http";
	_cleanup_free_ char *host = NULL;
	size_t len;

	if (!rest)
		rest = startswith(url, "http://");
	if (!rest)
		return error_set(err, EINVAL,
		                 "invalid mirror \"%s\": expected http(s)://host[:port]", url);
	len = strcspn(rest, "/?#");
	if (len == 0 || (rest[len] && !streq(rest + len, "/")))
		return error_set(
		        err, EINVAL,
		        "invalid mirror \"%s\": path, query, or fragment at end of the URI", url);
	host = strndup(rest, len);
	if (!host)
		return error_set(err, ENOMEM, "out of memory");
	return endpoint_new(c, scheme, host, host, true, ret, err);
}

int reg_endpoints(struct reg_client *c, const char *domain, bool pull, struct reg_endpoint ***ret,
                  size_t *ret_n, struct husk_error **err)
{
	_cleanup_free_ char *host = reg_api_host(domain), *key = registry_host_key(domain);
	struct reg_endpoint **v = NULL, *ep = NULL;
	size_t n = 0;
	int r = 0;

	if (!host || !key)
		return error_set(err, ENOMEM, "out of memory");
	if (pull && streq(key, "docker.io"))
		STRV_FOREACH (m, c->o ? c->o->mirrors : NULL) {
			if ((r = mirror_endpoint(c, *m, &ep, err)) < 0 ||
			    (r = endpoints_push(&v, &n, ep)) < 0)
				goto fail;
		}
	if ((r = endpoint_new(c, "https", host, key, false, &ep, err)) < 0 ||
	    (r = endpoints_push(&v, &n, ep)) < 0)
		goto fail;
	if (reg_host_insecure(c->o, host) &&
	    ((r = endpoint_new(c, "http", host, key, false, &ep, err)) < 0 ||
	     (r = endpoints_push(&v, &n, ep)) < 0))
		goto fail;
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	reg_endpoints_free(v, n);
	return r == -ENOMEM ? error_set(err, ENOMEM, "out of memory") : r;
}
