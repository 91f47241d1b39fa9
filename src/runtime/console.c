#include "runtime/console.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

#include "base/fs.h"
#include "base/str.h"

int console_socket_connect(const char *path, struct husk_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(err, ENAMETOOLONG, "console socket \"%s\": path too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return error_set_errno(err, errno, "connect to console socket \"%s\"", path);
	return TAKE_FD(fd);
}

int console_open(const char *ptmx_path, int *ret_master, char **ret_slave_path,
                 struct husk_error **err)
{
	_cleanup_close_ int m = open(ptmx_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	_cleanup_free_ char *dir = NULL;
	unsigned int n = 0;
	int unlock = 0;

	if (m < 0)
		return error_set_errno(err, errno, "open \"%s\"", ptmx_path);
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0)
		return error_set_errno(err, errno, "set up pty \"%s\"", ptmx_path);
	dir = path_dirname(ptmx_path);
	*ret_slave_path = dir ? str_printf("%s/%u", dir, n) : NULL;
	if (!*ret_slave_path)
		return error_set(err, ENOMEM, "out of memory");
	*ret_master = TAKE_FD(m);
	return 0;
}

int console_send_fd(int sock, int fd, const char *name)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return RETRY_EINTR(sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 ? -errno : 0;
}

int console_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0}, name[256];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf,
	                    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (RETRY_EINTR(recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0)
		return -errno;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int console_resize(int fd, unsigned rows, unsigned cols)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};

	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

int console_make_controlling(int slave, struct husk_error **err)
{
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return error_set_errno(err, errno, "make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return error_set_errno(err, errno, "dup the pty onto fd %d", fd);
	return 0;
}

static bool pump(int from, int to)
{
	char buf[16384];
	ssize_t n = RETRY_EINTR(read(from, buf, sizeof(buf)));

	return n > 0 && write_all(to, buf, n) == 0;
}

void console_proxy(int master)
{
	struct termios saved, raw;
	bool tty = tcgetattr(STDIN_FILENO, &saved) == 0;
	struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
	                      {.fd = master, .events = POLLIN}};
	struct winsize ws;

	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
			ioctl(master, TIOCSWINSZ, &ws);
	}
	for (;;) {
		if (RETRY_EINTR(poll(p, 2, -1)) < 0)
			break;
		if (p[1].revents & POLLIN && !pump(master, STDOUT_FILENO))
			break;
		if (p[1].revents & (POLLHUP | POLLERR) && !(p[1].revents & POLLIN))
			break;
		if (p[0].revents & (POLLIN | POLLHUP) && !pump(STDIN_FILENO, master))
			p[0].fd = -1; /* stdin closed: keep reading output */
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}
