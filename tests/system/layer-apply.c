/* layer-apply — a test driver for src/archive/ until the CLI has verbs
 * that reach it. Not installed.
 *
 *   layer-apply [apply] [--vfs] [--no-thread] [--expect-blob D] [--expect-diff-id D]
 *               [--max-entries N] [--max-size N] LAYER TARGET
 *       unpack LAYER ("-": stdin) into TARGET (which must exist); on
 *       failure print the error, remove TARGET (as the store does with its
 *       temporary snapshot) and exit 1
 *   layer-apply many [--parallel N] LAYER TARGET [LAYER TARGET…]
 *       unpack independent layers concurrently (overlay whiteouts)
 *   layer-apply diff [--compression none|gzip|zstd] [--timestamp T] [--content]
 *               UPPER [LOWER] OUT
 *       write the diff of an overlay upper dir (or of two trees) to OUT
 *   layer-apply compress [--compression C] IN OUT
 *
 * On success each prints key=value lines: entries, bytes, compression,
 * compressed_size, uncompressed_size, blob, diff_id.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/str.h"

static void print_stats(const struct layer_stats *st)
{
	printf("entries=%llu\nbytes=%llu\ncompression=%s\ncompressed_size=%llu\n"
	       "uncompressed_size=%llu\nblob=%s\ndiff_id=%s\n",
	       (unsigned long long)st->entries, (unsigned long long)st->bytes,
	       layer_compression_name(st->compression), (unsigned long long)st->compressed_size,
	       (unsigned long long)st->uncompressed_size, st->blob.str, st->diff_id.str);
}

static int fail(struct husk_error *err)
{
	fprintf(stderr, "layer-apply: %s\n", error_message(err));
	error_free(err);
	return 1;
}

static int open_in(const char *path)
{
	int fd = streq(path, "-") ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "layer-apply: open \"%s\": %s\n", path, strerror(errno));
	return fd;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	if (str_to_uint64(s, ret) < 0) {
		fprintf(stderr, "layer-apply: invalid number \"%s\"\n", s);
		return -1;
	}
	return 0;
}

static int cmd_apply(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"vfs", no_argument, NULL, 'v'},
	        {"no-thread", no_argument, NULL, 'T'},
	        {"expect-blob", required_argument, NULL, 'b'},
	        {"expect-diff-id", required_argument, NULL, 'd'},
	        {"max-entries", required_argument, NULL, 'e'},
	        {"max-size", required_argument, NULL, 's'},
	        {},
	};
	struct apply_opts o = {.overlay_whiteouts = true};
	struct digest blob, diff_id;
	struct husk_error *err = NULL;
	struct layer_stats st;
	int c, fd, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			o.overlay_whiteouts = false;
			break;
		case 'T':
			o.no_thread = true;
			break;
		case 'b':
			if (digest_parse(optarg, &blob, &err) < 0)
				return fail(err);
			o.expect_blob = &blob;
			break;
		case 'd':
			if (digest_parse(optarg, &diff_id, &err) < 0)
				return fail(err);
			o.expect_diff_id = &diff_id;
			break;
		case 'e':
			if (parse_u64(optarg, &o.max_entries) < 0)
				return 2;
			break;
		case 's':
			if (parse_u64(optarg, &o.max_size) < 0)
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: layer-apply [apply] [options] LAYER TARGET\n");
		return 2;
	}
	fd = open_in(argv[optind]);
	if (fd < 0)
		return 1;
	r = layer_apply(fd, argv[optind + 1], &o, &st, &err);
	close(fd);
	if (r < 0) {
		rm_rf(argv[optind + 1]);
		return fail(err);
	}
	print_stats(&st);
	return 0;
}

static int cmd_many(int argc, char **argv)
{
	static const struct option opts[] = {{"parallel", required_argument, NULL, 'p'}, {}};
	struct layer_apply_job *jobs;
	struct husk_error *err = NULL;
	uint64_t parallel = 0;
	size_t n;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'p' || parse_u64(optarg, &parallel) < 0)
			return 2;
	}
	if (argc - optind < 2 || (argc - optind) % 2) {
		fprintf(stderr, "usage: layer-apply many [--parallel N] LAYER TARGET...\n");
		return 2;
	}
	n = (size_t)(argc - optind) / 2;
	jobs = calloc(n, sizeof(*jobs));
	if (!jobs)
		return 1;
	for (size_t i = 0; i < n; i++) {
		jobs[i].in_fd = open_in(argv[optind + 2 * i]);
		if (jobs[i].in_fd < 0)
			return 1;
		jobs[i].target_dir = argv[optind + 2 * i + 1];
		jobs[i].opts.overlay_whiteouts = true;
	}
	r = layer_apply_many(jobs, n, (unsigned)parallel, &err);
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			print_stats(&jobs[i].stats);
		error_free(jobs[i].error);
		close(jobs[i].in_fd);
	}
	free(jobs);
	return r < 0 ? fail(err) : 0;
}

static int parse_compression(const char *s, enum archive_compression *ret)
{
	if (layer_compression_parse(s, ret) < 0) {
		fprintf(stderr, "layer-apply: unknown compression \"%s\"\n", s);
		return -1;
	}
	return 0;
}

static int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"compression", required_argument, NULL, 'c'},
	        {"timestamp", required_argument, NULL, 't'},
	        {"content", no_argument, NULL, 'C'},
	        {},
	};
	struct diff_opts o = {.compression = ARCHIVE_GZIP, .timestamp = -1};
	struct husk_error *err = NULL;
	struct layer_stats st;
	int c, fd, r, nargs;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_compression(optarg, &o.compression) < 0)
				return 2;
			break;
		case 't':
			if (str_to_int64(optarg, &o.timestamp) < 0)
				return 2;
			break;
		case 'C':
			o.compare_content = true;
			break;
		default:
			return 2;
		}
	}
	nargs = argc - optind;
	if (nargs != 2 && nargs != 3) {
		fprintf(stderr, "usage: layer-apply diff [options] UPPER [LOWER] OUT\n");
		return 2;
	}
	fd = open(argv[argc - 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1;
	r = layer_diff(argv[optind], nargs == 3 ? argv[optind + 1] : NULL, fd, &o, &st, &err);
	close(fd);
	if (r < 0)
		return fail(err);
	print_stats(&st);
	return 0;
}

static int cmd_compress(int argc, char **argv)
{
	static const struct option opts[] = {{"compression", required_argument, NULL, 'c'}, {}};
	enum archive_compression comp = ARCHIVE_GZIP;
	struct husk_error *err = NULL;
	struct layer_stats st;
	int c, in, out, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (c != 'c' || parse_compression(optarg, &comp) < 0)
			return 2;
	if (argc - optind != 2) {
		fprintf(stderr, "usage: layer-apply compress [--compression C] IN OUT\n");
		return 2;
	}
	in = open_in(argv[optind]);
	if (in < 0)
		return 1;
	out = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return 1;
	r = layer_compress(in, out, comp, &st, &err);
	close(in);
	close(out);
	if (r < 0)
		return fail(err);
	print_stats(&st);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
        {"apply", cmd_apply},
        {"many", cmd_many},
        {"diff", cmd_diff},
        {"compress", cmd_compress},
};

int main(int argc, char **argv)
{
	if (argc > 1)
		for (size_t i = 0; i < ELEMENTSOF(commands); i++)
			if (streq(argv[1], commands[i].name))
				return commands[i].fn(argc - 1, argv + 1);
	return cmd_apply(argc, argv);
}
