#!/bin/bash
# bench/api.sh: the round trip of one API command through the CLI, side by
# side in one hyperfine run: `husk version` vs the docker CLI's
# `docker version`, both against the same huskd. Ratio printed last.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
command -v hyperfine >/dev/null || { echo "api.sh: hyperfine not installed" >&2; exit 1; }

DIR=$(mktemp -d /tmp/husk-bench.XXXXXX)
export HUSK_DATA_ROOT=$DIR/lib HUSK_EXEC_ROOT=$DIR/run
SOCK=$HUSK_EXEC_ROOT/husk.sock
trap 'kill "$(cat "$HUSK_EXEC_ROOT/huskd.pid" 2>/dev/null)" 2>/dev/null; sleep 0.2; rm -rf "$DIR"' EXIT

"$BUILD/husk" version >/dev/null 2>&1 # starts huskd
cmds=("$BUILD/husk -H unix://$SOCK version")
names=(husk)
if command -v docker >/dev/null; then
	cmds+=("docker -H unix://$SOCK version")
	names+=(docker)
fi
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 5 --runs 50 --export-json "$DIR/r.json" "${args[@]}"

if [ ${#cmds[@]} -gt 1 ]; then
	jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $d |
		"husk version vs docker version (same daemon): \($d / $h * 100 | round / 100)x faster (\($h * 1000 | . * 100 | round / 100) ms vs \($d * 1000 | . * 100 | round / 100) ms)"' "$DIR/r.json"
else
	jq -r '"husk version: \(.results[0].mean * 1000) ms (docker CLI not installed: no ratio)"' "$DIR/r.json"
fi
