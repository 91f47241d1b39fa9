/* console.h — pseudo-terminals for containers: create a pty from the
 * container's devpts, hand the master to the caller over the
 * --console-socket with SCM_RIGHTS (as runc does), and make the slave the
 * process's controlling terminal and stdio. */
#pragma once

#include "base/error.h"

/* Connect to the console socket path; an fd or -errno with *err. */
int console_socket_connect(const char *path, struct husk_error **err);
/* Open a new pty master from ptmx_path (e.g. "<rootfs>/dev/pts/ptmx");
 * *ret_slave_path gets the slave's path ("<pts dir>/N"). */
int console_open(const char *ptmx_path, int *ret_master, char **ret_slave_path,
                 struct husk_error **err);
/* Send fd over sock with SCM_RIGHTS (name is carried as the payload). */
int console_send_fd(int sock, int fd, const char *name);
/* Receive an fd sent with console_send_fd; -errno. */
int console_recv_fd(int sock);
/* Set the window size. */
int console_resize(int fd, unsigned rows, unsigned cols);
/* Make slave the controlling terminal and stdin/stdout/stderr (after setsid). */
int console_make_controlling(int slave, struct husk_error **err);
/* Copy between our stdio and master until the master hangs up (the
 * foreground `run`/`exec` with a terminal and no console socket). */
void console_proxy(int master);
