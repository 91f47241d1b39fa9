/* Unit tests for src/network/portredir.c against the kernel's BPF: the
 * programs are attached to the cgroup2 root (the whole machine's sockets
 * pass them), but redirect only connects made in this test's own network
 * namespace, under a name of the test's own, and are detached at the end.
 * A connect to a published port lands on the target listener while
 * getpeername() still tells the published address; a port published on
 * one address is redirected from that address only; another namespace,
 * UDP and an unpublished port are left alone; a second handle of the same
 * name takes the programs over (a daemon's restart), and removal detaches
 * them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/netlink.h"
#include "network/portredir.h"

static char name[PORTREDIR_NAME_MAX];

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct sockaddr_in sin_of(const char *s, uint16_t port)
{
	return (struct sockaddr_in){
	        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = ip(s)};
}

static void lo_up(void)
{
	struct nl *nl = NULL;
	struct husk_error *err = NULL;

	assert_int_equal(nl_open(-1, &nl, &err), 0);
	assert_int_equal(nl_link_up(nl, "lo", NULL, &err), 0);
	nl_close(nl);
}

/* A listener on addr:port. */
static int listener(const char *addr, uint16_t port)
{
	struct sockaddr_in a = sin_of(addr, port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

/* connect() to addr:port: the socket, or -errno. */
static int dial(int type, const char *addr, uint16_t port)
{
	struct sockaddr_in a = sin_of(addr, port);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static void assert_addr(const struct sockaddr_in *a, const char *addr, uint16_t port)
{
	char text[INET_ADDRSTRLEN];

	assert_string_equal(inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text)), addr);
	assert_int_equal(ntohs(a->sin_port), port);
}

/* A connect to addr:port is taken by the listener l: the client sees the
 * published address (told, or addr) as its peer, the server its own. */
static void assert_lands(int l, const char *addr, uint16_t port, const char *at, uint16_t at_port,
                         const char *told)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int c = dial(SOCK_STREAM, addr, port), s;

	assert_true(c >= 0);
	assert_int_equal(getpeername(c, (struct sockaddr *)&a, &len), 0);
	assert_addr(&a, told ? told : addr, port);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	len = sizeof(a);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	assert_addr(&a, at, at_port);
	close(s);
	close(c);
}

static void test_redirect(void **state)
{
	_cleanup_(portredir_freep) struct portredir *p = NULL;
	struct husk_error *err = NULL;
	size_t count = 9;
	int l = listener("127.0.0.2", 18402), c;

	(void)state;
	assert_int_equal(portredir_open(name, &p, &err), 0);
	assert_false(portredir_active(p));
	assert_int_equal(portredir_count(p, &count, &err), 0);
	assert_int_equal(count, 0);
	assert_int_equal(portredir_add(p, ip("0.0.0.0"), 18401, ip("127.0.0.2"), 18402, &err),
	                 -ENOTSUP);
	error_free(err);
	err = NULL;
	assert_int_equal(portredir_ensure(p, &err), 1);
	assert_true(portredir_active(p));
	assert_int_equal(portredir_ensure(p, &err), 0); /* once is enough */

	/* nothing listens on 18401 before it is published */
	assert_int_equal(dial(SOCK_STREAM, "127.0.0.1", 18401), -ECONNREFUSED);
	assert_int_equal(portredir_add(p, ip("0.0.0.0"), 18401, ip("127.0.0.2"), 18402, &err), 0);
	assert_int_equal(portredir_add(p, ip("127.0.0.3"), 18403, ip("127.0.0.2"), 18402, &err), 0);
	assert_int_equal(portredir_count(p, &count, &err), 0);
	assert_int_equal(count, 2);

	/* published on every address: any loopback address */
	assert_lands(l, "127.0.0.1", 18401, "127.0.0.2", 18402, NULL);
	assert_lands(l, "127.0.0.9", 18401, "127.0.0.2", 18402, NULL);
	/* published on 127.0.0.3: that address only */
	assert_lands(l, "127.0.0.3", 18403, "127.0.0.2", 18402, NULL);
	assert_int_equal(dial(SOCK_STREAM, "127.0.0.1", 18403), -ECONNREFUSED);

	/* 0.0.0.0 is loopback: the peer told is 127.0.0.1, as the kernel says */
	assert_lands(l, "0.0.0.0", 18401, "127.0.0.2", 18402, "127.0.0.1");

	/* a socket that connects again elsewhere tells its real peer */
	struct sockaddr_in pub = sin_of("127.0.0.1", 18405), other = sin_of("127.0.0.6", 18406);
	int l2 = listener("127.0.0.6", 18406);
	assert_int_equal(portredir_add(p, ip("0.0.0.0"), 18405, ip("127.0.0.5"), 18407, &err), 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&pub, sizeof(pub)), -1);
	assert_int_equal(errno, ECONNREFUSED); /* nothing at the target */
	assert_int_equal(connect(c, (struct sockaddr *)&other, sizeof(other)), 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	assert_int_equal(getpeername(c, (struct sockaddr *)&a, &len), 0);
	assert_addr(&a, "127.0.0.6", 18406);
	close(c);
	close(l2);
	assert_int_equal(portredir_del(p, ip("0.0.0.0"), 18405, &err), 0);

	/* UDP is DNAT's: a connected UDP socket keeps its peer */
	c = dial(SOCK_DGRAM, "127.0.0.1", 18401);
	assert_true(c >= 0);
	len = sizeof(a);
	assert_int_equal(getpeername(c, (struct sockaddr *)&a, &len), 0);
	assert_addr(&a, "127.0.0.1", 18401);
	close(c);

	/* another namespace is left alone */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(2);
		lo_up();
		_exit(dial(SOCK_STREAM, "127.0.0.1", 18401) == -ECONNREFUSED ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* replaced, then withdrawn */
	assert_int_equal(portredir_add(p, ip("0.0.0.0"), 18401, ip("127.0.0.4"), 18404, &err), 0);
	assert_int_equal(dial(SOCK_STREAM, "127.0.0.1", 18401), -ECONNREFUSED);
	assert_int_equal(portredir_del(p, ip("0.0.0.0"), 18401, &err), 0);
	assert_int_equal(portredir_del(p, ip("0.0.0.0"), 18401, &err), 0); /* absent is fine */
	assert_int_equal(dial(SOCK_STREAM, "127.0.0.1", 18401), -ECONNREFUSED);
	assert_int_equal(portredir_count(p, &count, &err), 0);
	assert_int_equal(count, 1);

	assert_int_equal(portredir_remove(p, &err), 0);
	assert_false(portredir_active(p));
	assert_int_equal(dial(SOCK_STREAM, "127.0.0.3", 18403), -ECONNREFUSED);
	close(l);
}

/* A daemon's restart: the next handle of the name finds programs and map. */
static void test_restart(void **state)
{
	struct portredir *p = NULL, *q = NULL;
	struct husk_error *err = NULL;
	size_t count = 0;
	int l = listener("127.0.0.2", 18412);

	(void)state;
	assert_int_equal(portredir_open(name, &p, &err), 0);
	assert_int_equal(portredir_ensure(p, &err), 1);
	assert_int_equal(portredir_add(p, ip("0.0.0.0"), 18411, ip("127.0.0.2"), 18412, &err), 0);
	portredir_free(p); /* the daemon goes; the programs stay */
	assert_lands(l, "127.0.0.1", 18411, "127.0.0.2", 18412, NULL);

	assert_int_equal(portredir_open(name, &q, &err), 0);
	assert_true(portredir_active(q));
	assert_int_equal(portredir_count(q, &count, &err), 0);
	assert_int_equal(count, 1);
	assert_int_equal(portredir_ensure(q, &err), 0);
	assert_lands(l, "127.0.0.1", 18411, "127.0.0.2", 18412, NULL);
	assert_int_equal(portredir_del(q, ip("0.0.0.0"), 18411, &err), 0);
	assert_int_equal(dial(SOCK_STREAM, "127.0.0.1", 18411), -ECONNREFUSED);
	assert_int_equal(portredir_add(q, ip("0.0.0.0"), 18411, ip("127.0.0.2"), 18412, &err), 0);
	assert_int_equal(portredir_remove(q, &err), 0);
	portredir_free(q);

	/* nothing of the name is left to find */
	assert_int_equal(portredir_open(name, &q, &err), 0);
	assert_false(portredir_active(q));
	assert_int_equal(dial(SOCK_STREAM, "127.0.0.1", 18411), -ECONNREFUSED);
	portredir_free(q);
	close(l);
}

static void test_bad_names(void **state)
{
	struct portredir *p = NULL;
	struct husk_error *err = NULL;

	(void)state;
	assert_int_equal(portredir_open("bad-name", &p, &err), -EINVAL);
	assert_string_equal(error_message(err), "invalid BPF program name \"bad-name\"");
	error_free(err);
	err = NULL;
	assert_int_equal(portredir_open("", &p, &err), -EINVAL);
	error_free(err);
	err = NULL;
	assert_int_equal(portredir_open("a_name_too_long_for_bpf", &p, &err), -EINVAL);
	error_free(err);
	assert_null(p);
}

/* Whatever a failed test left attached goes. */
static int teardown(void **state)
{
	struct portredir *p = NULL;

	(void)state;
	if (portredir_open(name, &p, NULL) == 0) {
		portredir_remove(p, NULL);
		portredir_free(p);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_redirect),
	        cmocka_unit_test(test_restart),
	        cmocka_unit_test(test_bad_names),
	};
	snprintf(name, sizeof(name), "hut_%08x", (unsigned)getpid());
	/* redirect only in a namespace of our own */
	if (unshare(CLONE_NEWNET) < 0)
		return 1;
	lo_up();
	/* a kernel without cgroup2 or BPF: published ports go through DNAT
	 * alone, and there is nothing here to test */
	struct portredir *p = NULL;
	struct husk_error *err = NULL;
	int r = portredir_open(name, &p, &err);
	if (r == 0)
		r = portredir_ensure(p, &err);
	if (r < 0) {
		printf("skipped: %s\n", error_message(err));
		error_free(err);
		portredir_free(p);
		return 77;
	}
	portredir_remove(p, NULL);
	portredir_free(p);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
