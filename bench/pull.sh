#!/bin/bash
# bench/pull.sh: a cold pull of the same ~200 MB 4-layer image (made by
# bench/mkbenchimage.sh from Debian packages) from a local docker-registry
# on 127.0.0.1:5310 whose storage is on tmpfs: `husk pull` vs `podman pull`
# (both download, verify and unpack into their store) vs `skopeo copy` to a
# dir: (downloads and verifies only: a floor for the transfer). Each run
# starts from an empty store (prepare, not timed); ≥ 5 runs each in one
# hyperfine run. The ratios are printed last. Goal: husk ≥ 2x podman.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
RUNS=${RUNS:-5}
PORT=${PORT:-5310}
REF=127.0.0.1:$PORT/bench:latest
for c in hyperfine jq podman skopeo docker-registry curl; do
	command -v "$c" >/dev/null || { echo "pull.sh: $c is not installed" >&2; exit 1; }
done
IMG=$("$SRC/bench/mkbenchimage.sh")
ARCHIVE=$IMG/image.oci.tar

# Registry, stores and the skopeo output share one tmpfs: the contenders
# measure themselves, not the host disk.
DIR=$(mktemp -d /var/tmp/husk-bench-pull.XXXXXX)
mount -t tmpfs -o size=6g,mode=0700 husk-bench "$DIR"
cleanup() {
	set +e
	"$DIR/husk-stop" 2>/dev/null
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
docker-registry serve "$DIR/registry.yml" >>"$DIR/registry.log" 2>&1 &
echo $! >"$DIR/registry.pid"
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null && break; sleep 0.05; done
skopeo copy -q --dest-tls-verify=false "oci-archive:$ARCHIVE" "docker://$REF"

# husk: a fresh daemon and data root before every run (not timed)
cat >"$DIR/husk-fresh" <<SH
#!/bin/bash
[ -f $DIR/run/huskd.pid ] && kill \$(cat $DIR/run/huskd.pid) 2>/dev/null && sleep 0.3
findmnt -rn -o TARGET | grep "^$DIR/root" | sort -r | xargs -r umount -l 2>/dev/null
rm -rf $DIR/root $DIR/run
mkdir -p $DIR/run
echo '{}' >$DIR/daemon.json
$BUILD/huskd --data-root $DIR/root --exec-root $DIR/run --config-file $DIR/daemon.json >>$DIR/huskd.log 2>&1 &
for _ in \$(seq 1 200); do [ -S $DIR/run/husk.sock ] && exit 0; sleep 0.02; done
exit 1
SH
cat >"$DIR/husk-stop" <<SH
#!/bin/bash
[ -f $DIR/run/huskd.pid ] && kill \$(cat $DIR/run/huskd.pid) 2>/dev/null
exit 0
SH
PODMAN="podman --root $DIR/podman/root --runroot $DIR/podman/run --tmpdir $DIR/podman/tmp --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
cat >"$DIR/podman-fresh" <<SH
#!/bin/bash
findmnt -rn -o TARGET | grep "^$DIR/podman" | sort -r | xargs -r umount -l 2>/dev/null
rm -rf $DIR/podman
mkdir -p $DIR/podman/tmp
SH
cat >"$DIR/skopeo-fresh" <<SH
#!/bin/bash
rm -rf $DIR/skopeo-out
SH
chmod +x "$DIR"/husk-fresh "$DIR"/husk-stop "$DIR"/podman-fresh "$DIR"/skopeo-fresh
export CONTAINERS_CONF=$DIR/containers.conf
: >"$CONTAINERS_CONF"

echo "image: $(du -h "$ARCHIVE" | cut -f1) compressed, $(find "$IMG/layers" -name '*.tar.gz' | wc -l) layers, from $REF"
hyperfine --runs "$RUNS" --export-json "$DIR/r.json" \
	-n "husk pull" --prepare "$DIR/husk-fresh" \
	"$BUILD/husk -H unix://$DIR/run/husk.sock pull -q $REF" \
	-n "podman pull" --prepare "$DIR/podman-fresh" "$PODMAN pull -q --tls-verify=false $REF" \
	-n "skopeo copy (no unpack)" --prepare "$DIR/skopeo-fresh" \
	"skopeo copy -q --src-tls-verify=false docker://$REF dir:$DIR/skopeo-out"

jq -r '.results | (.[0].mean) as $h | (.[1].mean) as $p | (.[2].mean) as $s |
	"husk pull: \($h * 1000 | round) ms, podman pull: \($p * 1000 | round) ms, skopeo copy to dir: \($s * 1000 | round) ms; husk is \($p / $h * 100 | round / 100)x faster than podman (goal: 2x) and takes \($h / $s * 100 | round / 100)x the time of skopeo'"'"'s download-only copy"' "$DIR/r.json"
