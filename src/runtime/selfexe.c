#include "runtime/selfexe.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/macro.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int selfexe_is_sealed(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return -errno;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

static int copy_all(int out, int in, off_t size)
{
	while (size > 0) {
		ssize_t n = sendfile(out, in, NULL, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		size -= n;
	}
	return 0;
}

int selfexe_ensure_sealed(char **argv)
{
	_cleanup_close_ int self = -1, mfd = -1;
	struct stat st;
	int r = selfexe_is_sealed();

	if (r != 0)
		return r > 0 ? 0 : r;
	self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0 || fstat(self, &st) < 0)
		return -errno;
	mfd = memfd_create("husk-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	r = copy_all(mfd, self, st.st_size);
	if (r < 0)
		return r;
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return -errno;
	fexecve(mfd, argv, environ);
	return -errno;
}
