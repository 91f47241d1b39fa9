/* fuzz_config.c — daemon.json validation: the input is written to a memfd
 * and engine_config_load() reads it through /proc/self/fd/N, as it would
 * read /etc/husk/daemon.json (the file path is the only way in).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/fs.h"
#include "base/str.h"
#include "engine/config.h"
#include "fuzz.h"

/* One memfd for the whole run: libFuzzer calls the target millions of
 * times in one process, and an fd per input would be slow. */
static int memfd = -1;

static int write_input(const uint8_t *data, size_t size)
{
	if (memfd < 0)
		memfd = memfd_create("daemon.json", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 0) < 0)
		return -1;
	return size && pwrite(memfd, data, size, 0) != (ssize_t)size ? -1 : 0;
}

static void check(const struct engine_config *c, int r, const struct husk_error *err)
{
	if (r < 0) {
		if (isempty(error_message(err)))
			abort();
		return;
	}
	/* a loaded config has its derived defaults and a file object */
	if (!c->pidfile || strv_length(c->hosts) == 0 || !json_is_object(c->file) ||
	    !c->data_root || !c->exec_root || !c->cgroup_driver)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *flag_keys[] = {"debug", "group", NULL};
	_cleanup_error_ struct husk_error *err = NULL;
	struct engine_config c;
	int r;

	if (write_input(data, size) < 0 || engine_config_init(&c) < 0)
		return 0;
	free(c.config_file);
	c.config_file = str_printf("/proc/self/fd/%d", memfd);
	if (c.config_file) {
		r = engine_config_load(&c, true, flag_keys, &err);
		check(&c, r, err);
	}
	engine_config_release(&c);
	return 0;
}
