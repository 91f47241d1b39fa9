/* jsonprogress.h — Docker's progress text, as jsonmessage.JSONProgress
 * String() makes it: "[=====>     ]  12.3MB/45.6MB". dockerd puts it in the
 * "progress" field of its JSON progress messages (formatted at width 200);
 * the docker CLI redraws it from "progressDetail" at its terminal's width.
 * huskd and husk share this so both agree with Docker byte for byte. Pure
 * formatting: no I/O, no allocation.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define JSONPROGRESS_TEXT_MAX     128 /* enough for any jsonprogress_format() output */
#define JSONPROGRESS_DAEMON_WIDTH 200 /* what dockerd formats at (no terminal) */

/* go-units HumanSize, i.e. Go's "%.4g" over SI units: "36.45kB",
 * "3.073MB", "512B". */
void jsonprogress_human_size(uint64_t bytes, char *buf, size_t len);

/* JSONProgress.String() for bytes without a start time: "" when current
 * and total are both 0; "%8s" of current when total is 0; else the bar
 * "[==>   ] " (50 steps, only when width > 110) then "%8s/%s" of current
 * and total (current alone when it exceeds total). Truncated to len. */
void jsonprogress_format(uint64_t current, uint64_t total, unsigned width, char *buf, size_t len);
