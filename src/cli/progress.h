/* progress.h — renders the daemon's JSON progress stream (pull, push) as
 * the docker CLI does (jsonmessage.DisplayJSONMessagesStream).
 *
 * On a terminal: one line per item (layer), redrawn in place with ANSI
 * cursor movement, with Docker's bar at the terminal's width, plus the
 * transfer speed. Elsewhere: plain lines, each status change once, no bars.
 * Quiet: nothing. An in-stream error message ends the stream as an error
 * carrying exactly its text. Renders only: never talks to the daemon.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "base/error.h"

enum progress_mode {
	PROGRESS_PLAIN, /* not a terminal: status changes, no bars */
	PROGRESS_TTY,   /* a terminal: lines redrawn in place */
	PROGRESS_QUIET, /* nothing but errors */
};

struct progress;

/* A renderer writing to out; width is the terminal's columns (the bar is
 * drawn only past 110, as docker does). NULL on OOM. */
struct progress *progress_new(FILE *out, enum progress_mode mode, unsigned width);
/* The renderer for out as docker picks it: QUIET when quiet, TTY when
 * out is a terminal (its width, else 80), else PLAIN. NULL on OOM. */
struct progress *progress_new_for(FILE *out, bool quiet);
void progress_free(struct progress *p);

/* Render one line of the stream (an api_client_line_fn; data is the
 * struct progress). A message with "error"/"errorDetail" returns -EIO with
 * *err set to its message; a line that is not JSON is printed as is. */
int progress_line(const char *line, size_t len, void *data, struct husk_error **err);
