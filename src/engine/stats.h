/* stats.h — a container's resource usage in Docker's stats JSON, read
 * from its cgroup on v1, v2 and hybrid hosts and from its /proc.
 *
 * One sample is what the kernel says now: CPU time (total, per CPU, user,
 * kernel, throttling) next to the host's CPU time from /proc/stat, memory
 * (usage, peak, the full memory.stat, the limit — the host's memory when
 * unlimited), pids, block I/O per device, and the network counters of the
 * container's interfaces (/proc/<pid>/net/dev shows its network
 * namespace; "lo" is left out, a host-network container has none). Two
 * samples make the response the docker CLI computes CPU % from.
 *
 * It only reads: it never writes to a cgroup, enters a namespace or
 * prints.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>
#include "base/error.h"
#include "runtime/cgroup_probe.h"

/* Sample the cgroup cgroups_path ("/husk/<id>": absolute, below each
 * hierarchy's mount point; ".." refused with -EINVAL) and the process pid
 * (<= 0: no networks). *ret: {read, pids_stats{current, limit?},
 * blkio_stats{io_service_bytes_recursive[{major, minor, op:"read"|"write",
 * value}], io_serviced_recursive[…], …}, num_procs:0, storage_stats{},
 * cpu_stats{cpu_usage{total_usage, percpu_usage? (v1), usage_in_kernelmode,
 * usage_in_usermode}, system_cpu_usage, online_cpus, throttling_data{periods,
 * throttled_periods, throttled_time}}, memory_stats{usage, max_usage? (v1),
 * failcnt? (v1), stats{…}, limit}, networks?{eth0{rx_bytes, rx_packets,
 * rx_errors, rx_dropped, tx_bytes, tx_packets, tx_errors, tx_dropped}}}.
 * -ENOENT `cgroup "/husk/x" does not exist` when it is gone. */
int stats_sample(const struct cgroup_layout *l, const char *cgroups_path, pid_t pid, json_t **ret,
                 struct husk_error **err);

/* The API's stats object: cur's fields in Docker's order with
 * "precpu_stats" = prev's cpu_stats and "preread" = prev's read (zeroed
 * precpu and "0001-01-01T00:00:00Z" when prev is NULL), "name" ("/c1")
 * and "id". cur and prev are borrowed. NULL on OOM. */
json_t *stats_response(json_t *cur, json_t *prev, const char *name, const char *id);

/* The docker CLI's numbers from a response (cli/command/container/
 * stats_helpers.go), for husk's own `stats` and for tests. */
struct stats_numbers {
	double cpu_percent;
	uint64_t mem_usage, mem_limit; /* usage without inactive file cache */
	double mem_percent;
	uint64_t net_rx, net_tx, blk_read, blk_write, pids;
};
void stats_compute(json_t *response, struct stats_numbers *ret);
