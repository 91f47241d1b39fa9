#include "network/nat.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"

#define LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

struct nat {
	char table[NAT_TABLE_MAX];
	struct nft_ctx *ctx;
	pthread_mutex_t lock; /* libnftables contexts are not thread-safe */
};

/* The table. Maps take (host address . port) or port alone (published on
 * every address) to (container address . port). */
static const char table_body[] =
        "{\n"
        "  map tcp_ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }\n"
        "  map tcp_any { type inet_service : ipv4_addr . inet_service; }\n"
        "  map udp_ip { type ipv4_addr . inet_service : ipv4_addr . inet_service; }\n"
        "  map udp_any { type inet_service : ipv4_addr . inet_service; }\n"
        "  set subnets { type ipv4_addr; flags interval; }\n"
        "  set bridges { type ifname; }\n"
        "  chain publish {\n"
        "    dnat ip to ip daddr . tcp dport map @tcp_ip\n"
        "    dnat ip to tcp dport map @tcp_any\n"
        "    dnat ip to ip daddr . udp dport map @udp_ip\n"
        "    dnat ip to udp dport map @udp_any\n"
        "  }\n"
        "  chain prerouting {\n"
        "    type nat hook prerouting priority dstnat; policy accept;\n"
        "    fib daddr type local jump publish\n"
        "  }\n"
        "  chain output {\n"
        "    type nat hook output priority -100; policy accept;\n"
        "    fib daddr type local jump publish\n"
        "  }\n"
        "  chain postrouting {\n"
        "    type nat hook postrouting priority srcnat; policy accept;\n"
        "    ip saddr @subnets oifname != @bridges masquerade\n"
        /* 127.0.0.1:port from the host: the reply must come back to us */
        "    ip saddr 127.0.0.0/8 oifname @bridges masquerade\n"
        /* a container reaching a published port of one on its own bridge */
        "    ct status dnat ip saddr @subnets oifname @bridges masquerade\n"
        "  }\n"
        "}\n";

/* nftables' identifiers: a letter, then letters, digits and underscores */
static bool table_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n < NAT_TABLE_MAX && strchr(LETTERS, s[0]) &&
	       strspn(s, LETTERS "0123456789_") == n;
}

int nat_open(const char *table, struct nat **ret, struct husk_error **err)
{
	struct nat *n;

	if (!table_name_ok(table))
		return error_set(err, EINVAL, "invalid nftables table name \"%s\"",
		                 table ? table : "");
	n = calloc(1, sizeof(*n));
	if (!n)
		return error_set(err, ENOMEM, "out of memory");
	snprintf(n->table, sizeof(n->table), "%s", table);
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!n->ctx) {
		free(n);
		return error_set(err, ENOMEM, "nftables: cannot create a context");
	}
	nft_ctx_buffer_output(n->ctx);
	nft_ctx_buffer_error(n->ctx);
	pthread_mutex_init(&n->lock, NULL);
	*ret = n;
	return 0;
}

void nat_free(struct nat *n)
{
	if (!n)
		return;
	nft_ctx_free(n->ctx);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Run cmd; on failure -EIO (or ENOENT when the kernel said so) with
 * nftables' own first line of error. ret_out (may be NULL) gets the
 * output. Called with the lock held. */
static int run_locked(struct nat *n, const char *cmd, char **ret_out, struct husk_error **err)
{
	const char *e, *out;

	if (nft_run_cmd_from_buffer(n->ctx, cmd) == 0) {
		out = nft_ctx_get_output_buffer(n->ctx);
		if (ret_out && !(*ret_out = strdup(out ? out : "")))
			return error_set(err, ENOMEM, "out of memory");
		nft_ctx_get_error_buffer(n->ctx); /* reset it */
		return 0;
	}
	nft_ctx_get_output_buffer(n->ctx);
	e = nft_ctx_get_error_buffer(n->ctx);
	e = e ? e : "";
	if (strstr(e, "No such file or directory") || strstr(e, "element does not exist"))
		return error_set(err, ENOENT, "nftables: %.*s", (int)strcspn(e, "\n"), e);
	if (strstr(e, "File exists"))
		return error_set(err, EEXIST, "nftables: %.*s", (int)strcspn(e, "\n"), e);
	return error_set(err, EIO, "nftables: %.*s", (int)strcspn(e, "\n"), e);
}

static int run(struct nat *n, const char *cmd, char **ret_out, struct husk_error **err)
{
	int r;

	pthread_mutex_lock(&n->lock);
	r = run_locked(n, cmd, ret_out, err);
	pthread_mutex_unlock(&n->lock);
	return r;
}

/* "<verb> table ip <table>" */
static int table_cmd(struct nat *n, const char *verb, struct husk_error **err)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "%s table ip %s", verb, n->table);
	return run(n, cmd, NULL, err);
}

const char *nat_table(const struct nat *n)
{
	return n->table;
}

bool nat_exists(struct nat *n)
{
	return table_cmd(n, "list", NULL) == 0;
}

int nat_ensure(struct nat *n, struct husk_error **err)
{
	_cleanup_free_ char *text = str_printf("table ip %s %s", n->table, table_body);
	char list[64];
	int r = 0;

	if (!text)
		return error_set(err, ENOMEM, "out of memory");
	snprintf(list, sizeof(list), "list table ip %s", n->table);
	pthread_mutex_lock(&n->lock);
	if (run_locked(n, list, NULL, NULL) < 0)
		r = run_locked(n, text, NULL, err);
	pthread_mutex_unlock(&n->lock);
	return r < 0 ? error_wrap(err, "create table ip %s", n->table) : 0;
}

int nat_remove(struct nat *n, struct husk_error **err)
{
	_cleanup_error_ struct husk_error *e = NULL;
	int r = table_cmd(n, "delete", &e);

	if (r < 0 && r != -ENOENT && err)
		*err = TAKE_PTR(e);
	return r == -ENOENT ? 0 : r;
}

static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 16 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

/* One element command; for "delete", an absent element is fine. */
static int element_cmd(struct nat *n, const char *verb, const char *set, const char *elem,
                       struct husk_error **err)
{
	_cleanup_free_ char *cmd =
	        str_printf("%s element ip %s %s { %s }\n", verb, n->table, set, elem);
	int r;

	if (!cmd)
		return error_set(err, ENOMEM, "out of memory");
	_cleanup_error_ struct husk_error *e = NULL;
	r = run(n, cmd, NULL, &e);
	if (r == -ENOENT && streq(verb, "delete"))
		return 0;
	if (r < 0 && err)
		*err = TAKE_PTR(e);
	return r;
}

static int network_cmd(struct nat *n, const char *verb, const char *bridge,
                       const struct ipam_subnet *s, struct husk_error **err)
{
	char net[32], quoted[24];
	int r;

	if (!ifname_ok(bridge))
		return error_set(err, EINVAL, "invalid bridge name \"%s\"", bridge);
	snprintf(quoted, sizeof(quoted), "\"%s\"", bridge);
	r = element_cmd(n, verb, "subnets", ipam_subnet_format(s, net, sizeof(net)), err);
	if (r < 0)
		return r;
	return element_cmd(n, verb, "bridges", quoted, err);
}

int nat_network_add(struct nat *n, const char *bridge, const struct ipam_subnet *s,
                    struct husk_error **err)
{
	int r = network_cmd(n, "add", bridge, s, err);

	return r < 0 ? error_wrap(err, "masquerade for \"%s\"", bridge) : 0;
}

int nat_network_del(struct nat *n, const char *bridge, const struct ipam_subnet *s,
                    struct husk_error **err)
{
	return network_cmd(n, "delete", bridge, s, err);
}

/* "tcp_any { 1234" / "tcp_ip { 127.0.0.1 . 1234" — the element key. */
static char *port_key(const struct nat_port *p)
{
	char host[INET_ADDRSTRLEN];
	const char *proto = p->proto == IPPROTO_UDP ? "udp" : "tcp";

	if (!p->host_ip.s_addr)
		return str_printf("%s_any { %u", proto, p->host_port);
	return str_printf("%s_ip { %s . %u", proto,
	                  inet_ntop(AF_INET, &p->host_ip, host, sizeof(host)), p->host_port);
}

static const char *port_text(const struct nat_port *p, char *buf, size_t len)
{
	char host[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s:%u", inet_ntop(AF_INET, &p->host_ip, host, sizeof(host)),
	         p->host_port);
	return buf;
}

int nat_port_add(struct nat *n, const struct nat_port *p, struct husk_error **err)
{
	_cleanup_free_ char *key = port_key(p), *cmd = NULL;
	char ip[INET_ADDRSTRLEN], text[32];
	int r;

	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return error_set(err, EINVAL, "unsupported protocol %d", p->proto);
	if (!p->host_port || !p->port)
		return error_set(err, EINVAL, "invalid port 0");
	if (!key)
		return error_set(err, ENOMEM, "out of memory");
	/* "create" fails on an existing key where "add" would not */
	cmd = str_printf("create element ip %s %s : %s . %u }\n", n->table, key,
	                 inet_ntop(AF_INET, &p->ip, ip, sizeof(ip)), p->port);
	if (!cmd)
		return error_set(err, ENOMEM, "out of memory");
	r = run(n, cmd, NULL, err);
	if (r == -EEXIST) {
		error_clear(err);
		return error_set(err, EEXIST, "Bind for %s failed: port is already allocated",
		                 port_text(p, text, sizeof(text)));
	}
	return r < 0 ? error_wrap(err, "publish %s", port_text(p, text, sizeof(text))) : 0;
}

int nat_port_del(struct nat *n, const struct nat_port *p, struct husk_error **err)
{
	_cleanup_free_ char *key = port_key(p), *cmd = NULL;
	int r;

	if (!key || !(cmd = str_printf("delete element ip %s %s }\n", n->table, key)))
		return error_set(err, ENOMEM, "out of memory");
	_cleanup_error_ struct husk_error *e = NULL;
	r = run(n, cmd, NULL, &e);
	if (r < 0 && r != -ENOENT && err)
		*err = TAKE_PTR(e);
	return r == -ENOENT ? 0 : r;
}

int nat_port_count(struct nat *n, size_t *ret, struct husk_error **err)
{
	_cleanup_free_ char *out = NULL;
	_cleanup_(json_decrefp) json_t *doc = NULL;
	json_t *items, *item, *map;
	size_t i, count = 0;
	char list[64];
	int r;

	pthread_mutex_lock(&n->lock);
	nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_JSON);
	snprintf(list, sizeof(list), "list table ip %s", n->table);
	r = run_locked(n, list, &out, err);
	nft_ctx_output_set_flags(n->ctx, 0);
	pthread_mutex_unlock(&n->lock);
	if (r == -ENOENT) {
		error_clear(err);
		*ret = 0;
		return 0;
	}
	if (r < 0)
		return r;
	doc = json_loads(out, 0, NULL);
	items = json_object_get(doc, "nftables");
	if (!json_is_array(items))
		return error_set(err, EIO, "nftables: unexpected JSON listing");
	json_array_foreach (items, i, item) {
		map = json_object_get(item, "map");
		if (map)
			count += json_array_size(json_object_get(map, "elem"));
	}
	*ret = count;
	return 0;
}
