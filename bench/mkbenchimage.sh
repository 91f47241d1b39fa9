#!/bin/bash
# Make the benchmark image of bench/unpack.sh and bench/pull.sh, once, from
# Debian packages: an OCI archive (gzip layers) of four layers — a
# debootstrap minbase root filesystem, 20,000 small files, ~50 MB of
# incompressible data, and a small config layer. Prints the directory that
# holds image.oci.tar (the archive) and layers/ (the gzip blobs, for the
# floor measurement). Cached: a second call costs nothing.
set -euo pipefail

CACHE=${HUSK_BENCH_CACHE:-/var/tmp/husk-bench-cache}
OUT=$CACHE/image-v1
if [ -f "$OUT/.complete" ]; then
	echo "$OUT"
	exit 0
fi
command -v debootstrap >/dev/null || { echo "mkbenchimage: install debootstrap" >&2; exit 1; }
TMP=$(mktemp -d "$CACHE.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE"; mktemp -d "$CACHE/tmp.XXXXXX"; })
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/l1" "$TMP/l2/data" "$TMP/l3/blob" "$TMP/l4/etc" "$TMP/oci/blobs/sha256" "$TMP/layers"

echo "mkbenchimage: debootstrap minbase (a minute or two)" >&2
debootstrap --variant=minbase bookworm "$TMP/l1" http://deb.debian.org/debian >"$TMP/debootstrap.log" 2>&1
echo "mkbenchimage: small files and incompressible data" >&2
for d in $(seq -w 0 199); do
	mkdir -p "$TMP/l2/data/$d"
	for f in $(seq -w 0 99); do
		printf 'file %s/%s\n%0900d\n' "$d" "$f" 0 >"$TMP/l2/data/$d/$f.txt"
	done
done
# deterministic incompressible bytes: AES-CTR keystream of a fixed key
head -c $((50 * 1024 * 1024)) /dev/zero |
	openssl enc -aes-128-ctr -K 00112233445566778899aabbccddeeff -iv 0 >"$TMP/l3/blob/random.bin"
echo "bench image" >"$TMP/l4/etc/bench-release"

layer() { # DIR → prints "diffid blobdigest size"
	local tarf=$TMP/layer.tar diff blob
	tar --sort=name --mtime=@0 --numeric-owner --format=posix \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-C "$1" -cf "$tarf" .
	diff=$(sha256sum "$tarf" | cut -d' ' -f1)
	gzip -n -6 <"$tarf" >"$TMP/layer.tar.gz"
	blob=$(sha256sum "$TMP/layer.tar.gz" | cut -d' ' -f1)
	mv "$TMP/layer.tar.gz" "$TMP/oci/blobs/sha256/$blob"
	ln -f "$TMP/oci/blobs/sha256/$blob" "$TMP/layers/$blob.tar.gz"
	echo "$diff $blob $(stat -c %s "$TMP/oci/blobs/sha256/$blob")"
	rm -f "$tarf"
}

diffs=() blobs=() sizes=()
for l in l1 l2 l3 l4; do
	echo "mkbenchimage: layer $l" >&2
	read -r d b s < <(layer "$TMP/$l")
	diffs+=("sha256:$d") blobs+=("sha256:$b") sizes+=("$s")
done

config=$(jq -cn --argjson d "$(printf '%s\n' "${diffs[@]}" | jq -R . | jq -s .)" \
	'{architecture:"amd64", os:"linux", created:"1970-01-01T00:00:00Z",
	  config:{Env:["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd:["bash"]},
	  rootfs:{type:"layers", diff_ids:$d},
	  history:[{created:"1970-01-01T00:00:00Z", created_by:"debootstrap --variant=minbase bookworm"},
	           {created:"1970-01-01T00:00:00Z", created_by:"20000 small files"},
	           {created:"1970-01-01T00:00:00Z", created_by:"50 MB of random bytes"},
	           {created:"1970-01-01T00:00:00Z", created_by:"echo bench image"}]}')
cdigest=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
printf '%s' "$config" >"$TMP/oci/blobs/sha256/$cdigest"
layers_json=$(for i in 0 1 2 3; do
	jq -cn --arg d "${blobs[$i]}" --argjson s "${sizes[$i]}" \
		'{mediaType:"application/vnd.oci.image.layer.v1.tar+gzip", digest:$d, size:$s}'
done | jq -s .)
manifest=$(jq -cn --arg c "sha256:$cdigest" --argjson cs "${#config}" --argjson l "$layers_json" \
	'{schemaVersion:2, mediaType:"application/vnd.oci.image.manifest.v1+json",
	  config:{mediaType:"application/vnd.oci.image.config.v1+json", digest:$c, size:$cs}, layers:$l}')
mdigest=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)
printf '%s' "$manifest" >"$TMP/oci/blobs/sha256/$mdigest"
echo '{"imageLayoutVersion":"1.0.0"}' >"$TMP/oci/oci-layout"
jq -cn --arg d "sha256:$mdigest" --argjson s "${#manifest}" \
	'{schemaVersion:2, mediaType:"application/vnd.oci.image.index.v1+json",
	  manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json", digest:$d, size:$s,
	    annotations:{"org.opencontainers.image.ref.name":"bench:latest",
	                 "io.containerd.image.name":"docker.io/library/bench:latest"}}]}' >"$TMP/oci/index.json"
tar --sort=name --mtime=@0 --numeric-owner -C "$TMP/oci" -cf "$TMP/image.oci.tar" .
rm -rf "$TMP/l1" "$TMP/l2" "$TMP/l3" "$TMP/l4" "$TMP/oci"
touch "$TMP/.complete"
mkdir -p "$(dirname "$OUT")"
mv "$TMP" "$OUT"
trap - EXIT
echo "$OUT"
