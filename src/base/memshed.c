/* memshed.c — see memshed.h. */
#include <link.h>
#include <malloc.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/memshed.h"
#include "base/str.h"

static int drop_segments(struct dl_phdr_info *info, size_t size, void *data)
{
	const bool *libraries = data;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	const char *name = info->dlpi_name;

	(void)size;
	if (name && name[0] && (!*libraries || startswith(name, "linux-vdso")))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
		/* writable segments (with RELRO inside them) hold private
		 * changes: they stay */
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		start = (start + page - 1) & ~(page - 1);
		end &= ~(page - 1);
		if (end > start)
			madvise((void *)start, end - start, MADV_DONTNEED);
	}
	return 0;
}

void memshed(bool libraries)
{
	malloc_trim(0);
	dl_iterate_phdr(drop_segments, &libraries);
}
