#include "runtime/sync.h"

#include <string.h>
#include <sys/socket.h>

#include "base/str.h"

int sync_send(int fd, enum sync_type t, const void *payload, size_t len)
{
	char buf[SYNC_MSG_MAX];
	uint32_t type = t;
	ssize_t n;

	if (len > sizeof(buf) - sizeof(type))
		len = sizeof(buf) - sizeof(type);
	memcpy(buf, &type, sizeof(type));
	if (len)
		memcpy(buf + sizeof(type), payload, len);
	n = RETRY_EINTR(send(fd, buf, sizeof(type) + len, MSG_NOSIGNAL));
	return n < 0 ? -errno : 0;
}

void sync_send_error(int fd, int code, const char *msg)
{
	char buf[SYNC_MSG_MAX - 4];
	int32_t c = code < 0 ? -code : code;
	size_t len = strnlen(msg, sizeof(buf) - sizeof(c) - 1);

	memcpy(buf, &c, sizeof(c));
	memcpy(buf + sizeof(c), msg, len);
	(void)sync_send(fd, SYNC_ERROR, buf, sizeof(c) + len);
}

int sync_recv(int fd, enum sync_type *ret_type, char *buf, size_t cap)
{
	char msg[SYNC_MSG_MAX];
	uint32_t type;
	ssize_t n = RETRY_EINTR(recv(fd, msg, sizeof(msg), 0));
	size_t len;

	if (n < 0)
		return errno == ECONNRESET ? -EPIPE : -errno;
	if (n == 0)
		return -EPIPE;
	if ((size_t)n < sizeof(type))
		return -EBADMSG;
	memcpy(&type, msg, sizeof(type));
	len = MIN((size_t)n - sizeof(type), cap ? cap - 1 : 0);
	if (cap) {
		memcpy(buf, msg + sizeof(type), len);
		buf[len] = 0;
	}
	*ret_type = type;
	return (int)len;
}

int sync_expect(int fd, enum sync_type want, const char *what, struct husk_error **err)
{
	char buf[SYNC_MSG_MAX];
	enum sync_type t;
	int32_t code;
	int n = sync_recv(fd, &t, buf, sizeof(buf));

	if (n == -EPIPE)
		return error_set(err, EPIPE, "%s: the container init exited", what);
	if (n < 0)
		return error_set_errno(err, -n, "%s: read from the container init", what);
	if (t == SYNC_ERROR && n >= (int)sizeof(code)) {
		memcpy(&code, buf, sizeof(code));
		return error_set(err, code > 0 ? code : EIO, "%s", buf + sizeof(code));
	}
	if (t != want)
		return error_set(err, EPROTO, "%s: unexpected message %u from the container init",
		                 what, (unsigned)t);
	return 0;
}
