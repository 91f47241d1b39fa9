#include "network/portredir.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/str.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define MAP_ENTRIES 65536
#define PROG_MAX    64 /* programs looked at per hook when finding ours */

/* The maps' layouts, shared with the programs below. Addresses and ports
 * are as the kernel's bpf_sock_addr has them: network byte order, the
 * port in the low 16 bits of a 32-bit word. */
struct port_key {
	uint64_t netns; /* the cookie of the namespace the connect() is made in */
	uint32_t ip;    /* 0: published on every address */
	uint32_t port;
};
struct addr {
	uint32_t ip;
	uint32_t port;
};

enum { HOOK_CONNECT, HOOK_PEERNAME, HOOK_RELEASE, HOOK_N };

static const struct hook {
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
	const char *what;
} hooks[HOOK_N] = {
        [HOOK_CONNECT] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, "connect4"},
        [HOOK_PEERNAME] = {BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME,
                           "getpeername4"},
        [HOOK_RELEASE] = {BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE, "sock_release"},
};

struct portredir {
	char name[PORTREDIR_NAME_MAX];
	int cgroup;       /* the cgroup2 root, where the programs attach */
	uint64_t netns;   /* our network namespace's cookie */
	int prog[HOOK_N]; /* ours, attached; -1 when not */
	int ports, peers; /* the maps; -1 when not */
	bool active;
};

static int sys_bpf(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static uint64_t ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* ---- the programs ---- */

struct prog {
	struct bpf_insn v[64];
	size_t n;
};

static size_t emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	p->v[p->n] = (struct bpf_insn){
	        .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return p->n++;
}

/* Point the jump at index j to the next instruction to be emitted. */
static void land(struct prog *p, size_t j)
{
	p->v[j].off = (int16_t)(p->n - j - 1);
}

#define MOV(p, d, s)     emit(p, BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOVI(p, d, v)    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, v)
#define ADDI(p, d, v)    emit(p, BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, v)
#define ANDI(p, d, v)    emit(p, BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, v)
#define LDW(p, d, s, o)  emit(p, BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define STW(p, d, o, s)  emit(p, BPF_STX | BPF_W | BPF_MEM, d, s, o, 0)
#define STDW(p, d, o, s) emit(p, BPF_STX | BPF_DW | BPF_MEM, d, s, o, 0)
#define STWI(p, d, o, v) emit(p, BPF_ST | BPF_W | BPF_MEM, d, 0, o, v)
#define JNEI(p, d, v)    emit(p, BPF_JMP | BPF_JNE | BPF_K, d, 0, 0, v)
#define JEQI(p, d, v)    emit(p, BPF_JMP | BPF_JEQ | BPF_K, d, 0, 0, v)
#define CALL(p, f)       emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT(p)          emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LDMAP(p, d, fd)                                                                            \
	(emit(p, BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), emit(p, 0, 0, 0, 0, 0))
#define STACK(p, d, o) (MOV(p, d, BPF_REG_10), ADDI(p, d, o))

#define SA_IP    offsetof(struct bpf_sock_addr, user_ip4)
#define SA_PORT  offsetof(struct bpf_sock_addr, user_port)
#define SA_PROTO offsetof(struct bpf_sock_addr, protocol)
#define SK_PROTO offsetof(struct bpf_sock, protocol)

/* Return 1: the hooks never refuse. */
static void allow(struct prog *p)
{
	MOVI(p, BPF_REG_0, 1);
	EXIT(p);
}

/* The socket's (r1's) cookie at fp-8, and the peers map's helper on it. */
static void peer_op(struct prog *p, int peers, int helper)
{
	CALL(p, BPF_FUNC_get_socket_cookie);
	STDW(p, BPF_REG_10, -8, BPF_REG_0);
	LDMAP(p, BPF_REG_1, peers);
	STACK(p, BPF_REG_2, -8);
	CALL(p, helper);
}

/* The address at reg into the context (r6)'s user_ip4/user_port. */
static void set_addr(struct prog *p, int reg)
{
	LDW(p, BPF_REG_2, reg, 0);
	STW(p, BPF_REG_6, SA_IP, BPF_REG_2);
	LDW(p, BPF_REG_2, reg, 4);
	STW(p, BPF_REG_6, SA_PORT, BPF_REG_2);
}

/* connect4: a TCP connect() to a published (address, port) made in our
 * namespace goes to the container; the socket's cookie remembers where it
 * was meant to go. The stack: -16 port_key, -32 (-24 cookie, -32 addr). */
static void prog_connect(struct prog *p, int ports, int peers)
{
	size_t not_tcp, hit, not_lo, miss;

	MOV(p, BPF_REG_6, BPF_REG_1);
	LDW(p, BPF_REG_2, BPF_REG_6, SA_PROTO);
	not_tcp = JNEI(p, BPF_REG_2, IPPROTO_TCP);
	CALL(p, BPF_FUNC_get_netns_cookie); /* r1 is still the context */
	STDW(p, BPF_REG_10, -16, BPF_REG_0);
	LDW(p, BPF_REG_2, BPF_REG_6, SA_IP);
	STW(p, BPF_REG_10, -8, BPF_REG_2);
	LDW(p, BPF_REG_3, BPF_REG_6, SA_PORT);
	STW(p, BPF_REG_10, -4, BPF_REG_3);
	LDMAP(p, BPF_REG_1, ports);
	STACK(p, BPF_REG_2, -16);
	CALL(p, BPF_FUNC_map_lookup_elem);
	hit = JNEI(p, BPF_REG_0, 0);
	/* 127.0.0.0/8 (the first byte is the low one): published on every address */
	LDW(p, BPF_REG_2, BPF_REG_10, -8);
	ANDI(p, BPF_REG_2, 0xff);
	not_lo = JNEI(p, BPF_REG_2, 127);
	STWI(p, BPF_REG_10, -8, 0);
	LDMAP(p, BPF_REG_1, ports);
	STACK(p, BPF_REG_2, -16);
	CALL(p, BPF_FUNC_map_lookup_elem);
	miss = JEQI(p, BPF_REG_0, 0);
	land(p, hit);
	MOV(p, BPF_REG_7, BPF_REG_0);
	MOV(p, BPF_REG_1, BPF_REG_6);
	CALL(p, BPF_FUNC_get_socket_cookie);
	STDW(p, BPF_REG_10, -24, BPF_REG_0);
	LDW(p, BPF_REG_2, BPF_REG_6, SA_IP);
	STW(p, BPF_REG_10, -32, BPF_REG_2);
	LDW(p, BPF_REG_2, BPF_REG_6, SA_PORT);
	STW(p, BPF_REG_10, -28, BPF_REG_2);
	LDMAP(p, BPF_REG_1, peers);
	STACK(p, BPF_REG_2, -24);
	STACK(p, BPF_REG_3, -32);
	MOVI(p, BPF_REG_4, BPF_ANY);
	CALL(p, BPF_FUNC_map_update_elem); /* a full map only costs getpeername */
	set_addr(p, BPF_REG_7);
	land(p, not_tcp);
	land(p, not_lo);
	land(p, miss);
	allow(p);
}

/* getpeername4: a redirected socket's peer is the published address. */
static void prog_peername(struct prog *p, int ports, int peers)
{
	size_t miss;

	(void)ports;
	MOV(p, BPF_REG_6, BPF_REG_1);
	peer_op(p, peers, BPF_FUNC_map_lookup_elem);
	miss = JEQI(p, BPF_REG_0, 0);
	set_addr(p, BPF_REG_0);
	land(p, miss);
	allow(p);
}

/* sock_release: forget a TCP socket's entry. */
static void prog_release(struct prog *p, int ports, int peers)
{
	size_t not_tcp;

	(void)ports;
	MOV(p, BPF_REG_6, BPF_REG_1);
	LDW(p, BPF_REG_2, BPF_REG_6, SK_PROTO);
	not_tcp = JNEI(p, BPF_REG_2, IPPROTO_TCP);
	peer_op(p, peers, BPF_FUNC_map_delete_elem); /* r1 is still the context */
	land(p, not_tcp);
	allow(p);
}

static void (*const builders[HOOK_N])(struct prog *, int, int) = {
        [HOOK_CONNECT] = prog_connect,
        [HOOK_PEERNAME] = prog_peername,
        [HOOK_RELEASE] = prog_release,
};

/* ---- the kernel's objects ---- */

static int map_create(const char *name, uint32_t key_size, uint32_t value_size,
                      struct husk_error **err)
{
	union bpf_attr a = {0};
	int fd;

	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = MAP_ENTRIES;
	a.map_flags = BPF_F_NO_PREALLOC;
	snprintf(a.map_name, sizeof(a.map_name), "%s", name);
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return error_set_errno(err, errno, "create the BPF map %s", name);
	return fd;
}

static int prog_load(struct portredir *p, int hook, struct husk_error **err)
{
	struct prog prog = {0};
	union bpf_attr a = {0};
	char log[4096] = "";
	int fd;

	builders[hook](&prog, p->ports, p->peers);
	a.prog_type = hooks[hook].type;
	a.expected_attach_type = hooks[hook].attach;
	a.insns = ptr(prog.v);
	a.insn_cnt = (uint32_t)prog.n;
	a.license = ptr("Apache-2.0");
	snprintf(a.prog_name, sizeof(a.prog_name), "%s", p->name);
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0 && errno == EACCES) { /* the verifier's reason */
		a.log_buf = ptr(log);
		a.log_size = sizeof(log);
		a.log_level = 1;
		fd = sys_bpf(BPF_PROG_LOAD, &a);
	}
	if (fd < 0) {
		int e = errno;
		size_t n = strlen(log);
		while (n && log[n - 1] == '\n')
			log[--n] = '\0';
		const char *last = strrchr(log, '\n');
		return error_set_errno(err, e, "load the BPF %s program%s%s", hooks[hook].what,
		                       *log ? ": " : "", last ? last + 1 : log);
	}
	return fd;
}

/* The name (and with ret_maps, up to 4 map ids) of the program fd. */
static int prog_info(int fd, char name[PORTREDIR_NAME_MAX], uint32_t *ret_maps, uint32_t *ret_nmaps)
{
	struct bpf_prog_info info = {0};
	union bpf_attr a = {0};
	uint32_t maps[4] = {0};

	info.nr_map_ids = 4;
	info.map_ids = ptr(maps);
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = ptr(&info);
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
		return -errno;
	memcpy(name, info.name, PORTREDIR_NAME_MAX);
	name[PORTREDIR_NAME_MAX - 1] = '\0';
	if (ret_maps) {
		*ret_nmaps = info.nr_map_ids < 4 ? info.nr_map_ids : 4;
		memcpy(ret_maps, maps, sizeof(maps));
	}
	return 0;
}

static int map_key_size(int fd)
{
	struct bpf_map_info info = {0};
	union bpf_attr a = {0};

	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = ptr(&info);
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0 ? -errno : (int)info.key_size;
}

/* Call f on an fd of each program named p->name attached to the hook
 * (the fd is f's to keep or close). */
static int each_ours(struct portredir *p, int hook, void (*f)(struct portredir *, int, int))
{
	uint32_t ids[PROG_MAX] = {0};
	union bpf_attr a = {0};

	a.query.target_fd = (uint32_t)p->cgroup;
	a.query.attach_type = hooks[hook].attach;
	a.query.prog_ids = ptr(ids);
	a.query.prog_cnt = PROG_MAX;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return -errno;
	for (uint32_t i = 0; i < a.query.prog_cnt && i < PROG_MAX; i++) {
		union bpf_attr g = {0};
		char name[PORTREDIR_NAME_MAX];
		int fd;

		g.prog_id = ids[i];
		fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (fd < 0)
			continue; /* gone meanwhile */
		if (prog_info(fd, name, NULL, NULL) == 0 && streq(name, p->name))
			f(p, hook, fd);
		else
			close(fd);
	}
	return 0;
}

static void detach(struct portredir *p, int hook, int fd)
{
	union bpf_attr a = {0};

	a.target_fd = (uint32_t)p->cgroup;
	a.attach_bpf_fd = (uint32_t)fd;
	a.attach_type = hooks[hook].attach;
	sys_bpf(BPF_PROG_DETACH, &a);
	close(fd);
}

/* Take over a program found attached (the first of its hook). */
static void adopt(struct portredir *p, int hook, int fd)
{
	if (p->prog[hook] >= 0) {
		close(fd);
		return;
	}
	p->prog[hook] = fd;
}

static void close_all(struct portredir *p)
{
	for (int h = 0; h < HOOK_N; h++)
		p->prog[h] = safe_close(p->prog[h]);
	p->ports = safe_close(p->ports);
	p->peers = safe_close(p->peers);
	p->active = false;
}

/* The maps of the connect program found attached. */
static void adopt_maps(struct portredir *p)
{
	uint32_t ids[4] = {0}, n = 0;
	char name[PORTREDIR_NAME_MAX];

	if (p->prog[HOOK_CONNECT] < 0 || prog_info(p->prog[HOOK_CONNECT], name, ids, &n) < 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		union bpf_attr a = {0};
		int fd;

		a.map_id = ids[i];
		fd = sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		int ks = map_key_size(fd);
		if (ks == sizeof(struct port_key) && p->ports < 0)
			p->ports = fd;
		else if (ks == sizeof(uint64_t) && p->peers < 0)
			p->peers = fd;
		else
			close(fd);
	}
}

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n < PORTREDIR_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* The root of the cgroup2 hierarchy: alone at /sys/fs/cgroup, or beside
 * the v1 controllers at /sys/fs/cgroup/unified. */
static int cgroup2_root(struct husk_error **err)
{
	static const char *const paths[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	struct statfs st;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (statfs(paths[i], &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
			return open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return error_set(err, ENOTSUP, "no cgroup2 hierarchy to attach to");
}

int portredir_open(const char *name, struct portredir **ret, struct husk_error **err)
{
	socklen_t len = sizeof(uint64_t);
	struct portredir *p;
	int s, r = 0;

	if (!name_ok(name))
		return error_set(err, EINVAL, "invalid BPF program name \"%s\"", name ? name : "");
	p = calloc(1, sizeof(*p));
	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (int h = 0; h < HOOK_N; h++)
		p->prog[h] = -1;
	p->ports = p->peers = -1;
	p->cgroup = cgroup2_root(err);
	if (p->cgroup < 0)
		r = p->cgroup == -ENOTSUP ? -ENOTSUP
		                          : error_set_errno(err, errno, "open the cgroup2 root");
	if (r == 0) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0 || getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &p->netns, &len) < 0)
			r = error_set_errno(err, errno, "the network namespace's cookie");
		safe_close(s);
	}
	for (int h = 0; r == 0 && h < HOOK_N; h++) {
		int q = each_ours(p, h, adopt);
		if (q < 0)
			r = error_set(err, ENOTSUP, "query the cgroup's BPF %s programs: %s",
			              hooks[h].what, strerror(-q));
	}
	if (r < 0) {
		portredir_free(p);
		return r;
	}
	adopt_maps(p);
	p->active = p->ports >= 0 && p->peers >= 0;
	for (int h = 0; h < HOOK_N; h++)
		p->active = p->active && p->prog[h] >= 0;
	*ret = p;
	return 0;
}

void portredir_free(struct portredir *p)
{
	if (!p)
		return;
	close_all(p);
	safe_close(p->cgroup);
	free(p);
}

bool portredir_active(const struct portredir *p)
{
	return p && p->active;
}

int portredir_remove(struct portredir *p, struct husk_error **err)
{
	int r = 0;

	close_all(p);
	for (int h = 0; h < HOOK_N; h++) {
		int q = each_ours(p, h, detach);
		if (q < 0 && r == 0)
			r = error_set_errno(err, -q, "detach the BPF %s programs", hooks[h].what);
	}
	return r;
}

int portredir_ensure(struct portredir *p, struct husk_error **err)
{
	int r = 0;

	if (p->active)
		return 0;
	portredir_remove(p, NULL); /* what a half-done attach left */
	p->ports = map_create("husk_ports", sizeof(struct port_key), sizeof(struct addr), err);
	if (p->ports < 0)
		return p->ports;
	p->peers = map_create("husk_peers", sizeof(uint64_t), sizeof(struct addr), err);
	if (p->peers < 0)
		r = p->peers;
	for (int h = 0; r == 0 && h < HOOK_N; h++) {
		union bpf_attr a = {0};

		p->prog[h] = prog_load(p, h, err);
		if (p->prog[h] < 0) {
			r = p->prog[h];
			break;
		}
		a.target_fd = (uint32_t)p->cgroup;
		a.attach_bpf_fd = (uint32_t)p->prog[h];
		a.attach_type = hooks[h].attach;
		a.attach_flags = BPF_F_ALLOW_MULTI;
		if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
			r = error_set_errno(err, errno, "attach the BPF %s program", hooks[h].what);
	}
	if (r < 0) {
		portredir_remove(p, NULL);
		return r;
	}
	p->active = true;
	return 0;
}

static struct port_key port_key(const struct portredir *p, struct in_addr host_ip,
                                uint16_t host_port)
{
	return (struct port_key){.netns = p->netns, .ip = host_ip.s_addr, .port = htons(host_port)};
}

int portredir_add(struct portredir *p, struct in_addr host_ip, uint16_t host_port,
                  struct in_addr ip, uint16_t port, struct husk_error **err)
{
	struct port_key k = port_key(p, host_ip, host_port);
	struct addr v = {.ip = ip.s_addr, .port = htons(port)};
	union bpf_attr a = {0};

	if (!p->active)
		return error_set(err, ENOTSUP, "the BPF programs are not attached");
	a.map_fd = (uint32_t)p->ports;
	a.key = ptr(&k);
	a.value = ptr(&v);
	a.flags = BPF_ANY;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0)
		return error_set_errno(err, errno == E2BIG ? ENOSPC : errno, "redirect port %u",
		                       host_port);
	return 0;
}

int portredir_del(struct portredir *p, struct in_addr host_ip, uint16_t host_port,
                  struct husk_error **err)
{
	struct port_key k = port_key(p, host_ip, host_port);
	union bpf_attr a = {0};

	if (!p->active)
		return 0;
	a.map_fd = (uint32_t)p->ports;
	a.key = ptr(&k);
	if (sys_bpf(BPF_MAP_DELETE_ELEM, &a) < 0 && errno != ENOENT)
		return error_set_errno(err, errno, "stop redirecting port %u", host_port);
	return 0;
}

int portredir_count(struct portredir *p, size_t *ret, struct husk_error **err)
{
	struct port_key k, next;
	union bpf_attr a = {0};
	size_t n = 0;

	*ret = 0;
	if (!p->active)
		return 0;
	a.map_fd = (uint32_t)p->ports;
	a.key = 0; /* the first key */
	a.next_key = ptr(&next);
	while (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) == 0) {
		n++;
		k = next;
		a.key = ptr(&k);
	}
	if (errno != ENOENT)
		return error_set_errno(err, errno, "count the redirected ports");
	*ret = n;
	return 0;
}
