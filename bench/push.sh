#!/bin/bash
# bench/push.sh: push the same ~200 MB 4-layer image (bench/mkbenchimage.sh)
# to an empty local docker-registry on 127.0.0.1:5311 (storage on tmpfs,
# emptied and restarted before every run, not timed): `husk push` vs
# `podman push` from their stores (the image loaded once beforehand) vs
# `skopeo copy` of the OCI archive (reads and uploads the compressed blobs
# as they are: a floor for the transfer). ≥ 5 runs each in one hyperfine
# run. The ratios are printed last. Goal: husk ≥ 1.5x podman.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-5}
PORT=${PORT:-5311}
REF=127.0.0.1:$PORT/bench:latest
for c in hyperfine jq podman skopeo docker-registry curl; do
	command -v "$c" >/dev/null || { echo "push.sh: $c is not installed" >&2; exit 1; }
done
IMG=$("$SRC/bench/mkbenchimage.sh")
ARCHIVE=$IMG/image.oci.tar

DIR=$(mktemp -d /var/tmp/husk-bench-push.XXXXXX)
mount -t tmpfs -o size=6g,mode=0700 husk-bench "$DIR"
cleanup() {
	set +e
	[ -f "$DIR/run/huskd.pid" ] && kill "$(cat "$DIR/run/huskd.pid")" 2>/dev/null
	[ -f "$DIR/registry.pid" ] && kill "$(cat "$DIR/registry.pid")" 2>/dev/null
	sleep 0.3
	findmnt -rn -o TARGET | grep "^$DIR/" | sort -r | xargs -r umount -l 2>/dev/null
	umount -l "$DIR" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

cat >"$DIR/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DIR/registry
http:
  addr: 127.0.0.1:$PORT
YML
# an empty registry before every run
cat >"$DIR/registry-fresh" <<SH
#!/bin/bash
if [ -f $DIR/registry.pid ]; then
	kill \$(cat $DIR/registry.pid) 2>/dev/null
	while kill -0 \$(cat $DIR/registry.pid) 2>/dev/null; do sleep 0.02; done
fi
rm -rf $DIR/registry
docker-registry serve $DIR/registry.yml >>$DIR/registry.log 2>&1 &
echo \$! >$DIR/registry.pid
for _ in \$(seq 1 200); do curl -sf http://127.0.0.1:$PORT/v2/ >/dev/null && exit 0; sleep 0.02; done
exit 1
SH
chmod +x "$DIR/registry-fresh"
"$DIR/registry-fresh"

# each contender holds the image in its own store (not timed)
mkdir -p "$DIR/run" "$DIR/podman/tmp"
echo '{}' >"$DIR/daemon.json"
"$BUILD/huskd" --data-root "$DIR/root" --exec-root "$DIR/run" --config-file "$DIR/daemon.json" \
	--pidfile "$DIR/run/huskd.pid" >>"$DIR/huskd.log" 2>&1 &
for _ in $(seq 1 200); do [ -S "$DIR/run/husk.sock" ] && break; sleep 0.02; done
HUSK="$BUILD/husk -H unix://$DIR/run/husk.sock"
$HUSK load -q -i "$ARCHIVE" >/dev/null
$HUSK tag bench:latest "$REF"
export CONTAINERS_CONF=$DIR/containers.conf
: >"$CONTAINERS_CONF"
PODMAN="podman --root $DIR/podman/root --runroot $DIR/podman/run --tmpdir $DIR/podman/tmp --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
$PODMAN load -q -i "$ARCHIVE" >/dev/null
$PODMAN tag bench:latest "$REF"

echo "image: $(du -h "$ARCHIVE" | cut -f1) compressed, $(find "$IMG/layers" -name '*.tar.gz' | wc -l) layers, to $REF"
hyperfine --runs "$RUNS" --export-json "$DIR/r.json" --prepare "$DIR/registry-fresh" \
	-n "husk push" "$HUSK push -q $REF" \
	-n "podman push" "$PODMAN push -q --tls-verify=false $REF" \
	-n "skopeo copy (archive as is)" \
	"skopeo copy -q --dest-tls-verify=false oci-archive:$ARCHIVE docker://$REF"

jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $p | (.[2].mean) as $s |
	"husk push: \($h * 1000 | round) ms, podman push: \($p * 1000 | round) ms, skopeo copy of the archive: \($s * 1000 | round) ms; husk is \($p / $h * 100 | round / 100)x faster than podman (goal: 1.5x) and takes \($h / $s * 100 | round / 100)x the time of skopeo'"'"'s copy"' "$DIR/r.json"
