/* logfile_read.c — the json-file reader: the rotated files oldest first, a
 * backward scan for `tail`, a forward pass that filters, and follow with
 * inotify across rotations. Every line is the container's: capped, and
 * skipped when it does not parse. */
#include "engine/logfile.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "base/fs.h"

#define BLOCK 65536

struct reader {
	const struct logfile_read_opts *o;
	logfile_entry_fn fn;
	void *data;
	struct strbuf scratch; /* the timestamp prefix and payload */
};

enum {
	DELIVER_SKIPPED = 0,
	DELIVER_DONE = 1, /* an entry after `until`: nothing more to read */
	DELIVER_SENT = 2,
};

/* Whether the entry is one the options select; DELIVER_DONE past until. */
static int select_entry(const struct logfile_read_opts *o, enum logfile_stream s, int64_t t)
{
	if (o->until_ns && t > o->until_ns)
		return DELIVER_DONE;
	if ((s == LOGFILE_STDOUT && !o->out) || (s == LOGFILE_STDERR && !o->err))
		return DELIVER_SKIPPED;
	if (o->since_ns && t < o->since_ns)
		return DELIVER_SKIPPED;
	return DELIVER_SENT;
}

/* Parse, filter and hand one line to the callback. */
static int deliver(struct reader *rd, const char *line, size_t len)
{
	_cleanup_free_ char *payload = NULL;
	enum logfile_stream s;
	size_t n;
	int64_t t;
	int r;

	if (logfile_decode(line, len, &s, &payload, &n, &t) < 0)
		return DELIVER_SKIPPED;
	r = select_entry(rd->o, s, t);
	if (r != DELIVER_SENT)
		return r;
	if (!rd->o->timestamps) {
		r = rd->fn((int)s, payload, n, t, rd->data);
		return r < 0 ? r : DELIVER_SENT;
	}
	char ts[48];
	logfile_format_time(ts, sizeof(ts), t, false);
	rd->scratch.len = 0;
	if (strbuf_printf(&rd->scratch, "%s ", ts) < 0 ||
	    strbuf_append(&rd->scratch, payload, n) < 0)
		return -ENOMEM;
	r = rd->fn((int)s, rd->scratch.buf, rd->scratch.len, t, rd->data);
	return r < 0 ? r : DELIVER_SENT;
}

/* ---- forward ---- */

struct linereader {
	int fd;
	char *buf;
	size_t len, cap;
	bool skipping; /* inside a line longer than LOGFILE_LINE_MAX */
};

static void lr_reset(struct linereader *lr, int fd)
{
	safe_close(lr->fd);
	lr->fd = fd;
	lr->len = 0;
	lr->skipping = false;
}

/* Deliver the complete lines in the buffer; keep the incomplete tail. */
static int lr_lines(struct linereader *lr, struct reader *rd)
{
	size_t done = 0;
	char *nl;
	int r = 0;

	while ((nl = memchr(lr->buf + done, '\n', lr->len - done))) {
		size_t n = (size_t)(nl - (lr->buf + done));
		if (!lr->skipping)
			r = deliver(rd, lr->buf + done, n);
		lr->skipping = false;
		done += n + 1;
		if (r < 0 || r == DELIVER_DONE)
			break;
	}
	memmove(lr->buf, lr->buf + done, lr->len - done);
	lr->len -= done;
	if (lr->len >= LOGFILE_LINE_MAX) {
		lr->skipping = true;
		lr->len = 0;
	}
	return r < 0 || r == DELIVER_DONE ? r : 0;
}

/* Read the fd to EOF, delivering each complete line. Returns 0,
 * DELIVER_DONE, the callback's negative value, or -errno with *err. */
static int lr_drain(struct linereader *lr, struct reader *rd, struct husk_error **err)
{
	for (;;) {
		ssize_t n;
		int r;

		if (lr->cap - lr->len < BLOCK) {
			char *b = realloc(lr->buf, lr->len + BLOCK);
			if (!b)
				return error_set(err, ENOMEM, "out of memory");
			lr->buf = b;
			lr->cap = lr->len + BLOCK;
		}
		n = RETRY_EINTR(read(lr->fd, lr->buf + lr->len, BLOCK));
		if (n < 0)
			return error_set_errno(err, errno, "read log");
		if (n == 0)
			return 0;
		lr->len += (size_t)n;
		r = lr_lines(lr, rd);
		if (r != 0)
			return r;
	}
}

/* ---- backward (tail) ---- */

struct backscan {
	int fd;
	char *win; /* file bytes [wstart, end) of the current search */
	size_t cap;
	off_t wstart;
};

/* Find the start of a line longer than the cap that ends before pos. */
static int skip_long_line(struct backscan *b, off_t pos, off_t *ret_start)
{
	char tmp[4096];

	while (pos > 0) {
		size_t n = (size_t)MIN((off_t)sizeof(tmp), pos);
		const char *p;
		if (pread(b->fd, tmp, n, pos - (off_t)n) != (ssize_t)n)
			return -EIO;
		p = memrchr(tmp, '\n', n);
		if (p) {
			*ret_start = pos - (off_t)n + (p - tmp) + 1;
			return 0;
		}
		pos -= (off_t)n;
	}
	*ret_start = 0;
	return 0;
}

/* The line that ends at `end` (exclusive, with its newline if any): its
 * start, and its bytes (without the newline) or NULL when over the cap. */
static int prev_line(struct backscan *b, off_t end, off_t *ret_start, const char **ret_line,
                     size_t *ret_len)
{
	for (;;) {
		size_t have = (size_t)(end - b->wstart), more, len;
		const char *p = have > 1 ? memrchr(b->win, '\n', have - 1) : NULL;

		if (p || b->wstart == 0) {
			*ret_start = p ? b->wstart + (p - b->win) + 1 : 0;
			len = (size_t)(end - *ret_start);
			*ret_line = b->win + (*ret_start - b->wstart);
			*ret_len = len && (*ret_line)[len - 1] == '\n' ? len - 1 : len;
			return 0;
		}
		if (have >= LOGFILE_LINE_MAX) {
			int r = skip_long_line(b, b->wstart, ret_start);
			b->wstart = *ret_start;
			*ret_line = NULL;
			*ret_len = 0;
			return r;
		}
		more = (size_t)MIN((off_t)BLOCK, b->wstart);
		if (have + more > b->cap) {
			char *w = realloc(b->win, have + more);
			if (!w)
				return -ENOMEM;
			b->win = w;
			b->cap = have + more;
		}
		memmove(b->win + more, b->win, have);
		if (pread(b->fd, b->win, more, b->wstart - (off_t)more) != (ssize_t)more)
			return -EIO;
		b->wstart -= (off_t)more;
	}
}

/* Count selected entries of one file backwards from its end; when `*want`
 * reaches 0, *ret_off is where to start reading. 1 when found. */
static int tail_file(struct reader *rd, int fd, long *want, off_t *ret_off)
{
	struct backscan b = {.fd = fd};
	const char *line;
	struct stat st;
	off_t end, start;
	size_t len;
	char last;
	int r = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	end = b.wstart = st.st_size;
	/* an incomplete last line (being written) is no entry yet */
	if (end > 0 && (pread(fd, &last, 1, end - 1) != 1 || last != '\n')) {
		r = prev_line(&b, end, &start, &line, &len);
		end = start;
	}
	while (r == 0 && end > 0 && *want > 0) {
		_cleanup_free_ char *payload = NULL;
		enum logfile_stream s;
		size_t n;
		int64_t t;

		r = prev_line(&b, end, &start, &line, &len);
		if (r < 0)
			break;
		/* over-long lines are no entries; neither are lines after until */
		if (line && logfile_decode(line, len, &s, &payload, &n, &t) == 0 &&
		    select_entry(rd->o, s, t) == DELIVER_SENT)
			(*want)--;
		end = start;
	}
	free(b.win);
	if (r < 0)
		return r;
	*ret_off = end;
	return *want == 0;
}

/* Where the last `tail` selected entries start: file index and offset. */
static int tail_start(struct reader *rd, const int *fds, size_t n, size_t *ret_file, off_t *ret_off)
{
	long want = rd->o->tail;

	*ret_file = 0;
	*ret_off = 0;
	for (size_t i = n; i-- > 0;) {
		int r = tail_file(rd, fds[i], &want, ret_off);
		if (r < 0)
			return r;
		if (r > 0) {
			*ret_file = i;
			return 0;
		}
	}
	*ret_off = 0; /* fewer entries than asked: everything */
	return 0;
}

/* ---- files ---- */

/* Open <path>.N-1 … <path>.1, <path> (those that exist), oldest first. The
 * newest, when it is <path> itself, is last and *ret_has_current says so. */
static int open_files(const char *path, unsigned max_files, int **ret_fds, size_t *ret_n,
                      bool *ret_has_current, struct husk_error **err)
{
	int *fds = calloc(max_files, sizeof(int));
	size_t n = 0;

	if (!fds)
		return error_set(err, ENOMEM, "out of memory");
	*ret_has_current = false;
	for (unsigned i = max_files; i-- > 0;) {
		_cleanup_free_ char *name = i ? str_printf("%s.%u", path, i) : strdup(path);
		int fd;
		if (!name) {
			free(fds);
			return error_set(err, ENOMEM, "out of memory");
		}
		fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0 && errno != ENOENT) {
			int e = errno;
			while (n > 0)
				safe_close(fds[--n]);
			free(fds);
			return error_set_errno(err, e, "open log \"%s\"", name);
		}
		if (fd >= 0)
			fds[n++] = fd;
		if (fd >= 0 && i == 0)
			*ret_has_current = true;
	}
	*ret_fds = fds;
	*ret_n = n;
	return 0;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Follow <path>: drain on every change, switch to the new file after a
 * rotation, until stop_fd is readable (then drain once more). */
static int follow(struct reader *rd, const char *path, struct linereader *lr, int stop_fd,
                  struct husk_error **err)
{
	_cleanup_free_ char *dir = path_dirname(path);
	_cleanup_close_ int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	bool stopping = false;
	char evbuf[4096];

	if (!dir)
		return error_set(err, ENOMEM, "out of memory");
	if (ino < 0 ||
	    inotify_add_watch(ino, dir,
	                      IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0)
		return error_set_errno(err, errno, "watch log \"%s\"", path);
	for (;;) {
		int r = lr->fd >= 0 ? lr_drain(lr, rd, err) : 0;
		if (r != 0)
			return r == DELIVER_DONE ? 0 : r;
		if (lr->fd < 0 || !same_file(lr->fd, path)) {
			/* rotated (or created): the old file is drained, read the new one */
			int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (fd >= 0) {
				lr_reset(lr, fd);
				continue;
			}
		}
		if (stopping)
			return 0;
		if (rd->o->until_ns) {
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			if ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec > rd->o->until_ns)
				stopping = true;
		}
		struct pollfd p[2] = {{.fd = ino, .events = POLLIN},
		                      {.fd = stop_fd, .events = POLLIN}};
		/* the timeout covers an event lost to a full inotify queue */
		if (RETRY_EINTR(poll(p, 2, 1000)) < 0)
			return error_set_errno(err, errno, "follow log \"%s\"", path);
		if (p[1].revents)
			stopping = true;
		while (read(ino, evbuf, sizeof(evbuf)) > 0)
			;
	}
}

int logfile_read(const char *path, unsigned max_files, const struct logfile_read_opts *o,
                 int stop_fd, logfile_entry_fn fn, void *data, struct husk_error **err)
{
	struct reader rd = {.o = o, .fn = fn, .data = data};
	struct linereader lr = {.fd = -1};
	_cleanup_free_ int *fds = NULL;
	size_t n = 0, first = 0;
	bool has_current;
	off_t off = 0;
	int r;

	r = open_files(path, max_files ? max_files : 1, &fds, &n, &has_current, err);
	if (r < 0)
		return r;
	if (n > 0 && o->tail >= 0 && (r = tail_start(&rd, fds, n, &first, &off)) < 0)
		r = error_set_errno(err, -r, "read log \"%s\"", path);
	for (size_t i = 0; i < n; i++) {
		if (i < first || r != 0) {
			safe_close(fds[i]);
			continue;
		}
		lr_reset(&lr, fds[i]);
		if (i == first && lseek(lr.fd, off, SEEK_SET) < 0)
			r = error_set_errno(err, errno, "read log \"%s\"", path);
		r = r ?: lr_drain(&lr, &rd, err);
		/* the newest file stays open for follow; a rotated one is done */
		if (!(has_current && i == n - 1))
			lr_reset(&lr, -1);
	}
	if (r == 0 && o->follow)
		r = follow(&rd, path, &lr, stop_fd, err);
	lr_reset(&lr, -1);
	free(lr.buf);
	strbuf_release(&rd.scratch);
	return r == DELIVER_DONE ? 0 : r;
}
