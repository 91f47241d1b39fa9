/* recvtty — a console-socket receiver for tests, like runc's recvtty:
 * listen on a unix socket, take the pty master a runtime sends with
 * SCM_RIGHTS, optionally write a line to it, and copy everything the
 * container prints to stdout until the pty hangs up.
 *
 *   recvtty SOCKET_PATH [INPUT]
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		return -1;
	return fd;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0}, name[256];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &mh, 0) < 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int main(int argc, char **argv)
{
	char buf[4096];
	int l, c, m;
	struct winsize ws;

	if (argc < 2) {
		fprintf(stderr, "usage: recvtty SOCKET [INPUT]\n");
		return 2;
	}
	l = listen_on(argv[1]);
	if (l < 0 || (c = accept(l, NULL, NULL)) < 0 || (m = recv_fd(c)) < 0) {
		perror("recvtty");
		return 1;
	}
	if (isatty(m) && ioctl(m, TIOCGWINSZ, &ws) == 0)
		fprintf(stderr, "recvtty: got a pty %ux%u\n", ws.ws_row, ws.ws_col);
	if (argc > 2 && (write(m, argv[2], strlen(argv[2])) < 0 || write(m, "\n", 1) < 0))
		return 1;
	for (;;) {
		ssize_t n = read(m, buf, sizeof(buf));
		if (n <= 0)
			break; /* EIO once the last slave fd closes */
		if (write(STDOUT_FILENO, buf, n) < 0)
			return 1;
	}
	return 0;
}
