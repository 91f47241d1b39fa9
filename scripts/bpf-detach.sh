#!/bin/bash
# bpf-detach.sh NAME: detach the BPF programs named NAME from the root of
# the cgroup2 hierarchy — what a huskd that was killed and never restarted
# leaves attached (its redirect of the host's connections to published
# ports; a restarted daemon of the same data root takes them over, or
# detaches them when nothing runs). Quiet; nothing to do is fine.
set -uo pipefail
name=${1:?usage: bpf-detach.sh NAME}
command -v bpftool >/dev/null && command -v jq >/dev/null || exit 0
for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -f -c %T "$root" 2>/dev/null)" = cgroup2fs ] || continue
	bpftool -j cgroup show "$root" 2>/dev/null |
		jq -r --arg n "$name" '.[] | select(.name == $n) | "\(.attach_type) \(.id)"' |
		while read -r type id; do
			bpftool cgroup detach "$root" "$type" id "$id" 2>/dev/null
		done
	exit 0
done
