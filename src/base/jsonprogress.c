/* jsonprogress.c — Docker's progress bar text (see jsonprogress.h). */
#include <stdio.h>
#include <string.h>

#include "base/jsonprogress.h"
#include "base/macro.h"

void jsonprogress_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1000.0 && u + 1 < ELEMENTSOF(units)) {
		v /= 1000.0;
		u++;
	}
	/* C's %.4g rounds the binary value as Go's strconv does */
	snprintf(buf, len, "%.4g%s", v, units[u]);
}

void jsonprogress_format(uint64_t current, uint64_t total, unsigned width, char *buf, size_t len)
{
	char cur[32], tot[32], bar[64] = "";
	unsigned pct;

	if (len == 0)
		return;
	buf[0] = 0;
	if (current == 0 && total == 0)
		return;
	jsonprogress_human_size(current, cur, sizeof(cur));
	if (total == 0) {
		snprintf(buf, len, "%8s", cur);
		return;
	}
	/* Go: int(float64(current)/float64(total)*100) / 2, capped at 50 */
	pct = (unsigned)MIN((double)current / (double)total * 100.0, 100.0) / 2;
	if (width > 110) {
		size_t n = 0;

		bar[n++] = '[';
		for (unsigned i = 0; i < pct; i++)
			bar[n++] = '=';
		bar[n++] = '>';
		for (unsigned i = pct; i < 50; i++)
			bar[n++] = ' ';
		bar[n++] = ']';
		bar[n++] = ' ';
		bar[n] = 0;
	}
	jsonprogress_human_size(total, tot, sizeof(tot));
	if (current > total)
		snprintf(buf, len, "%s%8s", bar, cur);
	else
		snprintf(buf, len, "%s%8s/%s", bar, cur, tot);
}
