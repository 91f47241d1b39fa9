#!/bin/bash
# bench/runtime.sh: `husk-runtime run` vs `runc run` of the same busybox
# bundle running /bin/true, in one hyperfine run, with the floor
# `unshare -m -u -i -p -n -f true`; then peak RSS of each runtime.
# The ratio is printed last.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-30}
for c in hyperfine runc jq; do
	command -v "$c" >/dev/null || { echo "runtime.sh: $c is not installed" >&2; exit 1; }
done

DIR=$(mktemp -d /tmp/husk-bench-rt.XXXXXX)
# Both runtimes keep their state on a tmpfs, as /run is on a normal host.
mkdir -p "$DIR/state"
mount -t tmpfs -o mode=0700 husk-bench "$DIR/state"
trap 'umount "$DIR/state"; rm -rf "$DIR"' EXIT
FIX=$("$SRC/tests/fixtures/mkbusybox.sh")
mkdir -p "$DIR/bundle"
cp -a "$FIX/bundle/rootfs" "$DIR/bundle/rootfs"
jq '.process.args = ["/bin/true"]' "$FIX/bundle/config.json" >"$DIR/bundle/config.json"

HUSK=("$BUILD/husk-runtime" --root "$DIR/state/husk" run -b "$DIR/bundle" husk-bench)
RUNC=(runc --root "$DIR/state/runc" run -b "$DIR/bundle" runc-bench)
FLOOR=(unshare -m -u -i -p -n -f true)

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$DIR/r.json" \
	-n husk-runtime "${HUSK[*]}" -n runc "${RUNC[*]}" -n floor "${FLOOR[*]}"

rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
if [ -x /usr/bin/time ]; then
	echo "peak RSS: husk-runtime $(rss "${HUSK[@]}") KiB, runc $(rss "${RUNC[@]}") KiB"
fi
jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $r | (.[2].mean) as $f |
	"husk-runtime run: \($h * 1000 * 100 | round / 100) ms, runc run: \($r * 1000 * 100 | round / 100) ms, floor: \($f * 1000 * 100 | round / 100) ms; husk-runtime is \($r / $h * 100 | round / 100)x faster than runc and \($h / $f * 100 | round / 100)x the floor"' "$DIR/r.json"
