#include "network/ipam.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/json.h"
#include "base/str.h"

#define LEASES_MAX (16u << 20)

static uint32_t mask_of(unsigned prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

int ipam_subnet_parse(const char *s, struct ipam_subnet *ret, struct husk_error **err)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL, *digits;
	struct in_addr a;
	unsigned long prefix = 0;
	size_t ndigits;
	uint32_t h;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return error_set(err, EINVAL, "invalid subnet \"%s\": expected ADDRESS/PREFIX",
		                 s ? s : "");
	memcpy(addr, s, slash - s);
	addr[slash - s] = 0;
	/* decimal digits only, as inet_pton() takes the address: strtoul()
	 * would also take " 16", "+16", "016" and "-18446744073709551600" */
	digits = slash + 1;
	ndigits = strspn(digits, "0123456789");
	if (inet_pton(AF_INET, addr, &a) != 1 || ndigits == 0 || digits[ndigits] ||
	    (ndigits > 1 && digits[0] == '0'))
		return error_set(err, EINVAL,
		                 "invalid subnet \"%s\": expected an IPv4 ADDRESS/PREFIX", s);
	for (size_t i = 0; i < ndigits && prefix <= 32; i++)
		prefix = prefix * 10 + (unsigned long)(digits[i] - '0');
	if (prefix < 8 || prefix > 30)
		return error_set(err, EINVAL, "invalid subnet \"%s\": the prefix must be 8 to 30",
		                 s);
	h = ntohl(a.s_addr);
	if (h & ~mask_of(prefix)) {
		struct in_addr n = {htonl(h & mask_of(prefix))};
		char nbuf[INET_ADDRSTRLEN];
		return error_set(err, EINVAL, "invalid subnet %s: it should be %s/%lu", s,
		                 inet_ntop(AF_INET, &n, nbuf, sizeof(nbuf)), prefix);
	}
	*ret = (struct ipam_subnet){a, (unsigned)prefix};
	return 0;
}

const char *ipam_subnet_format(const struct ipam_subnet *s, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", inet_ntop(AF_INET, &s->net, a, sizeof(a)), s->prefix);
	return buf;
}

bool ipam_overlaps(const struct ipam_subnet *a, const struct ipam_subnet *b)
{
	uint32_t m = mask_of(a->prefix < b->prefix ? a->prefix : b->prefix);

	return (ntohl(a->net.s_addr) & m) == (ntohl(b->net.s_addr) & m);
}

bool ipam_contains(const struct ipam_subnet *s, struct in_addr a)
{
	return (ntohl(a.s_addr) & mask_of(s->prefix)) == ntohl(s->net.s_addr);
}

struct in_addr ipam_first_host(const struct ipam_subnet *s)
{
	return (struct in_addr){htonl(ntohl(s->net.s_addr) + 1)};
}

int ipam_pick_subnet(const struct ipam_subnet *taken, size_t n_taken, struct ipam_subnet *ret,
                     struct husk_error **err)
{
	for (unsigned i = 0; i <= 15; i++) {
		/* docker's 172.17-31 first, podman's 10.88.0.0/16 last: podman
		 * takes 10.88 without looking at routes, so it goes to the pool
		 * least likely to meet it */
		uint32_t net = i == 15 ? (10u << 24 | 88u << 16) : (172u << 24 | (17u + i) << 16);
		struct ipam_subnet c = {{htonl(net)}, 16};
		bool free_ = true;

		for (size_t j = 0; j < n_taken && free_; j++)
			if (taken[j].prefix > 0 && ipam_overlaps(&c, &taken[j]))
				free_ = false;
		if (free_) {
			*ret = c;
			return 0;
		}
	}
	return error_set(err, ENOSPC,
	                 "no free subnet: all of husk's default pools (172.17.0.0/16 … "
	                 "172.31.0.0/16, 10.88.0.0/16) overlap existing routes or networks");
}

struct ipam {
	char *path;
	struct ipam_subnet subnet;
	struct in_addr gw;
	json_t *leases; /* "10.88.0.2" → owner */
	uint32_t last;  /* host order, last address handed out */
};

void ipam_free(struct ipam *p)
{
	if (!p)
		return;
	free(p->path);
	json_decref(p->leases);
	free(p);
}

static int ipam_save(struct ipam *p, struct husk_error **err)
{
	char subnet[32], last[INET_ADDRSTRLEN];
	struct in_addr l = {htonl(p->last)};
	_cleanup_(json_decrefp) json_t *doc = NULL;
	_cleanup_free_ char *text = NULL;

	doc = json_pack("{s:s, s:s, s:O}", "subnet",
	                ipam_subnet_format(&p->subnet, subnet, sizeof(subnet)), "last",
	                inet_ntop(AF_INET, &l, last, sizeof(last)), "leases", p->leases);
	text = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	return atomic_write_file(p->path, text, strlen(text), 0600, err);
}

static int ipam_load(struct ipam *p, struct husk_error **err)
{
	_cleanup_(json_decrefp) json_t *doc = NULL;
	struct ipam_subnet s;
	struct in_addr last;
	char want[32];
	const char *key;
	json_t *v;

	if (json_load_path(p->path, LEASES_MAX, &doc, err) < 0)
		return error_wrap(err, "leases");
	const char *subnet = json_string_value(json_object_get(doc, "subnet"));
	json_t *leases = json_object_get(doc, "leases");
	const char *l = json_string_value(json_object_get(doc, "last"));
	if (!subnet || !json_is_object(leases) || !l || inet_pton(AF_INET, l, &last) != 1 ||
	    ipam_subnet_parse(subnet, &s, NULL) < 0)
		return error_set(err, EINVAL,
		                 "leases \"%s\": damaged (expected subnet, last, leases)", p->path);
	if (s.net.s_addr != p->subnet.net.s_addr || s.prefix != p->subnet.prefix)
		return error_set(err, EINVAL, "leases \"%s\": for subnet %s, not %s", p->path,
		                 subnet, ipam_subnet_format(&p->subnet, want, sizeof(want)));
	json_object_foreach (leases, key, v) {
		struct in_addr a;
		if (!json_is_string(v) || inet_pton(AF_INET, key, &a) != 1 ||
		    !ipam_contains(&p->subnet, a))
			return error_set(err, EINVAL, "leases \"%s\": bad lease \"%s\"", p->path,
			                 key);
	}
	p->leases = json_incref(leases);
	p->last = ntohl(last.s_addr);
	return 0;
}

int ipam_open(const char *path, const struct ipam_subnet *s, struct in_addr gw, struct ipam **ret,
              struct husk_error **err)
{
	_cleanup_(ipam_freep) struct ipam *p = calloc(1, sizeof(*p));
	struct stat st;
	int r;

	if (!p || !(p->path = strdup(path)))
		return error_set(err, ENOMEM, "out of memory");
	p->subnet = *s;
	p->gw = gw;
	if (stat(path, &st) == 0)
		r = ipam_load(p, err);
	else if (errno == ENOENT) {
		p->leases = json_object();
		p->last = ntohl(gw.s_addr);
		r = p->leases ? ipam_save(p, err) : error_set(err, ENOMEM, "out of memory");
	} else
		r = error_set_errno(err, errno, "leases \"%s\"", path);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

static const char *lease_of(const struct ipam *p, const char *owner)
{
	const char *key;
	json_t *v;

	json_object_foreach (p->leases, key, v)
		if (streq(json_string_value(v), owner))
			return key;
	return NULL;
}

bool ipam_lookup(const struct ipam *p, const char *owner, struct in_addr *ret)
{
	const char *key = lease_of(p, owner);

	return key && inet_pton(AF_INET, key, ret) == 1;
}

size_t ipam_count(const struct ipam *p)
{
	return json_object_size(p->leases);
}

static bool usable(const struct ipam *p, uint32_t h)
{
	uint32_t net = ntohl(p->subnet.net.s_addr), bcast = net | ~mask_of(p->subnet.prefix);
	char key[INET_ADDRSTRLEN];
	struct in_addr a = {htonl(h)};

	if (h <= net || h >= bcast || h == ntohl(p->gw.s_addr))
		return false;
	inet_ntop(AF_INET, &a, key, sizeof(key));
	return !json_object_get(p->leases, key);
}

static int lease(struct ipam *p, const char *owner, uint32_t h, struct in_addr *ret,
                 struct husk_error **err)
{
	char key[INET_ADDRSTRLEN];
	struct in_addr a = {htonl(h)};
	uint32_t old_last = p->last;
	int r;

	inet_ntop(AF_INET, &a, key, sizeof(key));
	if (json_object_set_new(p->leases, key, json_string(owner)) < 0)
		return error_set(err, ENOMEM, "out of memory");
	p->last = h;
	r = ipam_save(p, err);
	if (r < 0) {
		json_object_del(p->leases, key);
		p->last = old_last;
		return r;
	}
	*ret = a;
	return 0;
}

int ipam_alloc(struct ipam *p, const char *owner, struct in_addr want, struct in_addr *ret,
               struct husk_error **err)
{
	uint32_t net = ntohl(p->subnet.net.s_addr), size = ~mask_of(p->subnet.prefix) + 1u;
	char text[INET_ADDRSTRLEN];

	if (ipam_lookup(p, owner, ret) && (!want.s_addr || want.s_addr == ret->s_addr))
		return 0;
	if (want.s_addr) {
		inet_ntop(AF_INET, &want, text, sizeof(text));
		if (!ipam_contains(&p->subnet, want))
			return error_set(err, EINVAL, "address %s is outside the subnet", text);
		if (!usable(p, ntohl(want.s_addr)))
			return error_set(err, EEXIST, "address %s is in use", text);
		return lease(p, owner, ntohl(want.s_addr), ret, err);
	}
	for (uint32_t i = 1; i <= size; i++) {
		uint32_t h = net + (p->last - net + i) % size;
		if (usable(p, h))
			return lease(p, owner, h, ret, err);
	}
	return error_set(err, ENOSPC, "no free address in %s",
	                 ipam_subnet_format(&p->subnet, text, sizeof(text)));
}

int ipam_release(struct ipam *p, const char *owner, struct husk_error **err)
{
	const char *key = lease_of(p, owner);
	_cleanup_free_ char *k = NULL;
	int r;

	if (!key)
		return 0;
	k = strdup(key);
	if (!k)
		return error_set(err, ENOMEM, "out of memory");
	json_object_del(p->leases, k);
	r = ipam_save(p, err);
	if (r < 0)
		json_object_set_new(p->leases, k, json_string(owner));
	return r;
}
