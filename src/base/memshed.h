/* memshed.h — give a long-lived, mostly idle process's resident set back.
 *
 * Code and read-only data that ran once (start-up, a create, a burst of
 * requests) stay mapped in the page tables, counted in the resident set
 * of every process that touched them, until memory is short. After a busy
 * spell a process may drop them: they remain in the page cache, and what
 * is needed again faults back in cheaply. Free heap goes back to the
 * kernel too. Never touches writable mappings (nothing is lost), never
 * prints.
 */
#pragma once

#include <stdbool.h>

/* Drop the read-only loaded segments of the main program and, with
 * libraries, of every shared object (not the vdso), and trim the heap. */
void memshed(bool libraries);
