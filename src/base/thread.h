/* thread.h — a detached thread, for work nobody joins (the owner counts
 * what is still running itself, if it must wait for it). */
#pragma once

/* Run fn(arg) on a new detached thread: 0, or the positive error number of
 * pthread_create (then fn never runs). */
int thread_detached(void *(*fn)(void *), void *arg);
