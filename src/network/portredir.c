#include "network/portredir.h"

#include <arpa/inet.h>
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

#define PORTS_MAX   65536 /* published ports */
#define SOCKETS_MAX 16384 /* redirected sockets remembered for getpeername */
#define PROG_MAX    64    /* programs per hook: the kernel's own limit */
#define LAYOUT      "1"   /* the maps' layout, in their names */

/* The maps' layouts, shared with the programs below. Addresses and ports
 * are as the kernel's bpf_sock_addr has them: network byte order, the
 * port in the low 16 bits of a 32-bit word. */
struct addr {
	uint32_t ip; /* as a key, 0: published on every address */
	uint32_t port;
};
struct sock_entry {
	struct addr published; /* what the socket was connected to */
	struct addr target;    /* where it went */
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
	int ports, socks; /* the maps; -1 when not */
	bool active;
};

/* A zeroed attribute union: `= {0}` zeroes only the first member. */
#define ATTR(a)                                                                                    \
	union bpf_attr a;                                                                          \
	memset(&a, 0, sizeof(a))

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
	struct bpf_insn v[96];
	size_t n;
	bool overflow;
};

static size_t emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n >= sizeof(p->v) / sizeof(p->v[0])) {
		p->overflow = true;
		return p->n - 1;
	}
	p->v[p->n] = (struct bpf_insn){
	        .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return p->n++;
}

/* Point the jump at index j to the next instruction to be emitted. */
static void land(struct prog *p, size_t j)
{
	p->v[j].off = (int16_t)(p->n - j - 1);
}

#define R0  BPF_REG_0
#define R1  BPF_REG_1
#define R2  BPF_REG_2
#define R3  BPF_REG_3
#define R4  BPF_REG_4
#define R6  BPF_REG_6
#define R7  BPF_REG_7
#define R10 BPF_REG_10

#define MOV(p, d, s)     emit(p, BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOVI(p, d, v)    emit(p, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, v)
#define MOVW(p, d, v)    emit(p, BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, (int32_t)(v))
#define ADDI(p, d, v)    emit(p, BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, v)
#define ANDW(p, d, v)    emit(p, BPF_ALU | BPF_AND | BPF_K, d, 0, 0, (int32_t)(v))
#define LDW(p, d, s, o)  emit(p, BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define STW(p, d, o, s)  emit(p, BPF_STX | BPF_W | BPF_MEM, d, s, o, 0)
#define STDW(p, d, o, s) emit(p, BPF_STX | BPF_DW | BPF_MEM, d, s, o, 0)
#define STWI(p, d, o, v) emit(p, BPF_ST | BPF_W | BPF_MEM, d, 0, o, v)
#define JNEI(p, d, v)    emit(p, BPF_JMP | BPF_JNE | BPF_K, d, 0, 0, v)
#define JEQI(p, d, v)    emit(p, BPF_JMP | BPF_JEQ | BPF_K, d, 0, 0, v)
#define JNEW(p, d, v)    emit(p, BPF_JMP32 | BPF_JNE | BPF_K, d, 0, 0, (int32_t)(v))
#define JNE(p, d, s)     emit(p, BPF_JMP | BPF_JNE | BPF_X, d, s, 0, 0)
#define JA(p)            emit(p, BPF_JMP | BPF_JA, 0, 0, 0, 0)
#define CALL(p, f)       emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT(p)          emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define STACK(p, d, o)   (MOV(p, d, R10), ADDI(p, d, o))

#define SA_IP    offsetof(struct bpf_sock_addr, user_ip4)
#define SA_PORT  offsetof(struct bpf_sock_addr, user_port)
#define SA_PROTO offsetof(struct bpf_sock_addr, protocol)
#define SK_PROTO offsetof(struct bpf_sock, protocol)

/* A 64-bit immediate (src 0) or a map's address (BPF_PSEUDO_MAP_FD). */
static void ld64(struct prog *p, uint8_t dst, uint8_t src, uint64_t v)
{
	emit(p, BPF_LD | BPF_DW | BPF_IMM, dst, src, 0, (int32_t)(uint32_t)v);
	emit(p, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

/* Return 1: the hooks never refuse. */
static void allow(struct prog *p)
{
	MOVI(p, R0, 1);
	EXIT(p);
}

/* The two jumps (ret) to take when the context (r1, kept in r6) is not a
 * TCP socket of our namespace: every socket of the machine passes these
 * hooks. */
static void ours_or_jump(struct prog *p, const struct portredir *r, int16_t proto_off,
                         size_t ret[2])
{
	MOV(p, R6, R1);
	LDW(p, R2, R6, proto_off);
	ret[0] = JNEI(p, R2, IPPROTO_TCP);
	CALL(p, BPF_FUNC_get_netns_cookie); /* r1 is still the context */
	ld64(p, R2, 0, r->netns);
	ret[1] = JNE(p, R0, R2);
}

static void land2(struct prog *p, const size_t j[2])
{
	land(p, j[0]);
	land(p, j[1]);
}

/* The socket's (r6's) cookie at fp-8, and the sockets map's helper on it. */
static void sock_op(struct prog *p, const struct portredir *r, int helper)
{
	MOV(p, R1, R6);
	CALL(p, BPF_FUNC_get_socket_cookie);
	STDW(p, R10, -8, R0);
	ld64(p, R1, BPF_PSEUDO_MAP_FD, (uint32_t)r->socks);
	STACK(p, R2, -8);
	CALL(p, helper);
}

/* The address at reg (+off) into the context (r6)'s user_ip4/user_port. */
static void set_addr(struct prog *p, int reg, int16_t off)
{
	LDW(p, R2, reg, off);
	STW(p, R6, SA_IP, R2);
	LDW(p, R2, reg, off + 4);
	STW(p, R6, SA_PORT, R2);
}

/* connect4: a TCP connect() to a published (address, port) made in our
 * namespace goes to the container, and the socket's entry remembers both;
 * any other connect of the socket drops its entry. The stack: -8 the
 * ports key, then the socket's cookie; -40 its entry. */
static void prog_connect(struct prog *p, const struct portredir *r)
{
	size_t not_ours[2], hit, not_lo, miss, was_any, done;

	ours_or_jump(p, r, SA_PROTO, not_ours);
	LDW(p, R2, R6, SA_IP);
	STW(p, R10, -8, R2);
	LDW(p, R3, R6, SA_PORT);
	STW(p, R10, -4, R3);
	ld64(p, R1, BPF_PSEUDO_MAP_FD, (uint32_t)r->ports);
	STACK(p, R2, -8);
	CALL(p, BPF_FUNC_map_lookup_elem);
	hit = JNEI(p, R0, 0);
	/* a loopback address: a port published on every address */
	LDW(p, R2, R10, -8);
	ANDW(p, R2, htonl(0xff000000));
	not_lo = JNEW(p, R2, htonl(0x7f000000));
	STWI(p, R10, -8, 0);
	ld64(p, R1, BPF_PSEUDO_MAP_FD, (uint32_t)r->ports);
	STACK(p, R2, -8);
	CALL(p, BPF_FUNC_map_lookup_elem);
	miss = JEQI(p, R0, 0);
	land(p, hit);
	MOV(p, R7, R0);
	LDW(p, R2, R6, SA_IP);
	was_any = JNEI(p, R2, 0); /* 0.0.0.0 is loopback, as the kernel tells it */
	MOVW(p, R2, htonl(INADDR_LOOPBACK));
	land(p, was_any);
	STW(p, R10, -40, R2);
	LDW(p, R2, R6, SA_PORT);
	STW(p, R10, -36, R2);
	LDW(p, R2, R7, 0);
	STW(p, R10, -32, R2);
	LDW(p, R2, R7, 4);
	STW(p, R10, -28, R2);
	MOV(p, R1, R6);
	CALL(p, BPF_FUNC_get_socket_cookie);
	STDW(p, R10, -8, R0);
	ld64(p, R1, BPF_PSEUDO_MAP_FD, (uint32_t)r->socks);
	STACK(p, R2, -8);
	STACK(p, R3, -40);
	MOVI(p, R4, BPF_ANY);
	CALL(p, BPF_FUNC_map_update_elem); /* a failure only costs getpeername */
	set_addr(p, R7, 0);
	done = JA(p);
	land(p, not_lo);
	land(p, miss);
	sock_op(p, r, BPF_FUNC_map_delete_elem);
	land2(p, not_ours);
	land(p, done);
	allow(p);
}

/* getpeername4: a socket still connected where its redirect took it tells
 * the published address as its peer. */
static void prog_peername(struct prog *p, const struct portredir *r)
{
	size_t not_ours[2], miss, moved_ip, moved_port;

	ours_or_jump(p, r, SA_PROTO, not_ours);
	sock_op(p, r, BPF_FUNC_map_lookup_elem);
	miss = JEQI(p, R0, 0);
	LDW(p, R2, R0, 8);
	LDW(p, R3, R6, SA_IP);
	moved_ip = JNE(p, R2, R3);
	LDW(p, R2, R0, 12);
	LDW(p, R3, R6, SA_PORT);
	moved_port = JNE(p, R2, R3);
	set_addr(p, R0, 0);
	land2(p, not_ours);
	land(p, miss);
	land(p, moved_ip);
	land(p, moved_port);
	allow(p);
}

/* sock_release: forget a TCP socket's entry. */
static void prog_release(struct prog *p, const struct portredir *r)
{
	size_t not_ours[2];

	ours_or_jump(p, r, SK_PROTO, not_ours);
	sock_op(p, r, BPF_FUNC_map_delete_elem);
	land2(p, not_ours);
	allow(p);
}

static void (*const builders[HOOK_N])(struct prog *, const struct portredir *) = {
        [HOOK_CONNECT] = prog_connect,
        [HOOK_PEERNAME] = prog_peername,
        [HOOK_RELEASE] = prog_release,
};

/* ---- the kernel's objects ---- */

/* "<name>p1" (ports) or "<name>s1" (sockets): whose, what, which layout. */
static void map_name(const struct portredir *p, char kind, char ret[BPF_OBJ_NAME_LEN])
{
	snprintf(ret, BPF_OBJ_NAME_LEN, "%s%c" LAYOUT, p->name, kind);
}

static int map_create(const struct portredir *p, char kind, enum bpf_map_type type,
                      uint32_t key_size, uint32_t value_size, uint32_t max, struct husk_error **err)
{
	ATTR(a);
	int fd;

	a.map_type = type;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = max;
	a.map_flags = type == BPF_MAP_TYPE_HASH ? BPF_F_NO_PREALLOC : 0;
	map_name(p, kind, a.map_name);
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return error_set_errno(err, errno, "create the BPF map %s", a.map_name);
	return fd;
}

/* The verifier's last words, from its log. */
static const char *log_tail(char *log)
{
	size_t n = strlen(log);
	const char *last;

	while (n && log[n - 1] == '\n')
		log[--n] = '\0';
	last = strrchr(log, '\n');
	return last ? last + 1 : log;
}

static int prog_load(struct portredir *p, int hook, struct husk_error **err)
{
	struct prog prog = {0};
	char log[4096] = "";
	ATTR(a);
	int fd;

	builders[hook](&prog, p);
	if (prog.overflow)
		return error_set(err, E2BIG, "the BPF %s program is too long", hooks[hook].what);
	a.prog_type = hooks[hook].type;
	a.expected_attach_type = hooks[hook].attach;
	a.insns = ptr(prog.v);
	a.insn_cnt = (uint32_t)prog.n;
	a.license = ptr("Apache-2.0");
	snprintf(a.prog_name, sizeof(a.prog_name), "%s", p->name);
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0 && (errno == EACCES || errno == EINVAL)) { /* the verifier's reason */
		a.log_buf = ptr(log);
		a.log_size = sizeof(log);
		a.log_level = 1;
		fd = sys_bpf(BPF_PROG_LOAD, &a);
	}
	if (fd < 0) {
		int e = errno;
		const char *why = log_tail(log);
		return error_set_errno(err, e, "load the BPF %s program%s%s", hooks[hook].what,
		                       *why ? ": " : "", why);
	}
	return fd;
}

/* BPF_OBJ_GET_INFO_BY_FD into info (len bytes); its name (at name_off)
 * into name. */
static int obj_info(int fd, void *info, uint32_t len, size_t name_off, char name[BPF_OBJ_NAME_LEN])
{
	ATTR(a);

	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = len;
	a.info.info = ptr(info);
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
		return -errno;
	memcpy(name, (const char *)info + name_off, BPF_OBJ_NAME_LEN);
	name[BPF_OBJ_NAME_LEN - 1] = '\0';
	return 0;
}

/* The name (and with ret_maps, up to 4 map ids) of the program fd. */
static int prog_info(int fd, char name[BPF_OBJ_NAME_LEN], uint32_t *ret_maps, uint32_t *ret_nmaps)
{
	struct bpf_prog_info info = {0};
	uint32_t maps[4] = {0};
	int r;

	info.nr_map_ids = 4;
	info.map_ids = ptr(maps);
	r = obj_info(fd, &info, sizeof(info), offsetof(struct bpf_prog_info, name), name);
	if (r == 0 && ret_maps) {
		*ret_nmaps = info.nr_map_ids < 4 ? info.nr_map_ids : 4;
		memcpy(ret_maps, maps, sizeof(maps));
	}
	return r;
}

static int map_info_name(int fd, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_map_info info = {0};

	return obj_info(fd, &info, sizeof(info), offsetof(struct bpf_map_info, name), name);
}

/* Call f on an fd of each program named p->name attached to the hook
 * (the fd is f's to keep or close); the first of f's failures. */
static int each_ours(struct portredir *p, int hook, int (*f)(struct portredir *, int, int))
{
	uint32_t ids[PROG_MAX] = {0};
	int r = 0;
	ATTR(a);

	a.query.target_fd = (uint32_t)p->cgroup;
	a.query.attach_type = hooks[hook].attach;
	a.query.prog_ids = ptr(ids);
	a.query.prog_cnt = PROG_MAX;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return -errno;
	for (uint32_t i = 0; i < a.query.prog_cnt && i < PROG_MAX; i++) {
		char name[BPF_OBJ_NAME_LEN];
		ATTR(g);
		int fd, k;

		g.prog_id = ids[i];
		fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (fd < 0)
			continue; /* gone meanwhile */
		if (prog_info(fd, name, NULL, NULL) < 0 || !streq(name, p->name)) {
			close(fd);
			continue;
		}
		k = f(p, hook, fd);
		if (k < 0 && r == 0)
			r = k;
	}
	return r;
}

static int detach(struct portredir *p, int hook, int fd)
{
	ATTR(a);
	int r = 0;

	a.target_fd = (uint32_t)p->cgroup;
	a.attach_bpf_fd = (uint32_t)fd;
	a.attach_type = hooks[hook].attach;
	if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
		r = -errno;
	close(fd);
	return r;
}

/* Take over a program found attached (the first of its hook). */
static int adopt(struct portredir *p, int hook, int fd)
{
	if (p->prog[hook] >= 0)
		close(fd);
	else
		p->prog[hook] = fd;
	return 0;
}

static void close_all(struct portredir *p)
{
	for (int h = 0; h < HOOK_N; h++)
		p->prog[h] = safe_close(p->prog[h]);
	p->ports = safe_close(p->ports);
	p->socks = safe_close(p->socks);
	p->active = false;
}

/* The maps of the connect program found attached, by their names (another
 * layout's are not ours to use). */
static void adopt_maps(struct portredir *p)
{
	char want_ports[BPF_OBJ_NAME_LEN], want_socks[BPF_OBJ_NAME_LEN], name[BPF_OBJ_NAME_LEN];
	uint32_t ids[4] = {0}, n = 0;

	if (p->prog[HOOK_CONNECT] < 0 || prog_info(p->prog[HOOK_CONNECT], name, ids, &n) < 0)
		return;
	map_name(p, 'p', want_ports);
	map_name(p, 's', want_socks);
	for (uint32_t i = 0; i < n; i++) {
		ATTR(a);
		int fd;

		a.map_id = ids[i];
		fd = sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		if (map_info_name(fd, name) == 0 && streq(name, want_ports) && p->ports < 0)
			p->ports = fd;
		else if (streq(name, want_socks) && p->socks < 0)
			p->socks = fd;
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
	int fd;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (statfs(paths[i], &st) < 0 || st.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		fd = open(paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return fd >= 0 ? fd : error_set_errno(err, errno, "open %s", paths[i]);
	}
	return error_set(err, ENOTSUP, "no cgroup2 hierarchy to attach to");
}

static int netns_cookie(uint64_t *ret, struct husk_error **err)
{
	socklen_t len = sizeof(*ret);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r = 0;

	if (s < 0)
		return error_set_errno(err, errno, "socket");
	if (getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, ret, &len) < 0)
		r = error_set(err, ENOTSUP, "the network namespace's cookie: %s", strerror(errno));
	close(s);
	return r;
}

int portredir_open(const char *name, struct portredir **ret, struct husk_error **err)
{
	struct portredir *p;
	int r;

	if (!name_ok(name))
		return error_set(err, EINVAL, "invalid BPF program name \"%s\"", name ? name : "");
	p = calloc(1, sizeof(*p));
	if (!p)
		return error_set(err, ENOMEM, "out of memory");
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (int h = 0; h < HOOK_N; h++)
		p->prog[h] = -1;
	p->ports = p->socks = -1;
	p->cgroup = r = cgroup2_root(err);
	if (r >= 0)
		r = netns_cookie(&p->netns, err);
	for (int h = 0; r >= 0 && h < HOOK_N; h++) {
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
	p->active = p->ports >= 0 && p->socks >= 0;
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
			r = error_set(err, EIO, "detach the BPF %s programs %s: %s", hooks[h].what,
			              p->name, strerror(-q));
	}
	return r;
}

int portredir_ensure(struct portredir *p, struct husk_error **err)
{
	int r;

	if (p->active)
		return 0;
	portredir_remove(p, NULL); /* what a half-done attach or another layout left */
	p->ports = r = map_create(p, 'p', BPF_MAP_TYPE_HASH, sizeof(struct addr),
	                          sizeof(struct addr), PORTS_MAX, err);
	if (r >= 0)
		p->socks = r = map_create(p, 's', BPF_MAP_TYPE_LRU_HASH, sizeof(uint64_t),
		                          sizeof(struct sock_entry), SOCKETS_MAX, err);
	for (int h = 0; r >= 0 && h < HOOK_N; h++) {
		ATTR(a);

		p->prog[h] = r = prog_load(p, h, err);
		if (r < 0)
			break;
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
	return 1;
}

static struct addr addr_of(struct in_addr ip, uint16_t port)
{
	return (struct addr){.ip = ip.s_addr, .port = htons(port)};
}

int portredir_add(struct portredir *p, struct in_addr host_ip, uint16_t host_port,
                  struct in_addr ip, uint16_t port, struct husk_error **err)
{
	struct addr k = addr_of(host_ip, host_port), v = addr_of(ip, port);
	ATTR(a);

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
	struct addr k = addr_of(host_ip, host_port);
	ATTR(a);

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
	struct addr k, next;
	size_t n = 0;
	ATTR(a);

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
