/* replay.c — main() for the replay builds of the fuzz targets: runs
 * LLVMFuzzerTestOneInput() once on every file of the directories (or on
 * the files) given as arguments, in name order, and prints TAP:
 *   ok 1 - corpus/json/seed-object
 * A crash or sanitizer abort ends the run, which tests/run.sh counts as a
 * failure; an argument that cannot be read or holds no input is "not ok".
 * No fuzzing happens here: this is how `make test` catches regressions.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/str.h"
#include "fuzz.h"

/* Inputs are small (build-libfuzzer.sh keeps them under 4 KiB); anything
 * far larger is not a corpus file. */
#define REPLAY_MAX_INPUT (1u << 20)

static unsigned n_tests;
static unsigned n_failed;

static void report(bool ok, const char *name, const char *why)
{
	n_tests++;
	n_failed += !ok;
	printf("%sok %u - %s%s%s\n", ok ? "" : "not ", n_tests, name, why ? ": " : "",
	       why ? why : "");
	fflush(stdout);
}

static void run_file(const char *path)
{
	_cleanup_error_ struct husk_error *err = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;

	if (read_file(path, REPLAY_MAX_INPUT, &buf, &len, &err) < 0) {
		report(false, path, error_message(err));
		return;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	report(true, path, NULL);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void run_dir(const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, not_hidden, alphasort);

	if (n <= 0) {
		report(false, dir, n < 0 ? strerror(errno) : "no inputs");
		free(names);
		return;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = path_join(dir, names[i]->d_name);

		if (path)
			run_file(path);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			run_dir(argv[i]);
		else
			run_file(argv[i]);
	}
	printf("1..%u\n", n_tests);
	return n_failed ? 1 : 0;
}
