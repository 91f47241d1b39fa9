#!/usr/bin/env bats
# Image archives: husk load / save / import (src/image/{load,save,import}.c)
# through huskd, against the busybox fixtures, podman, skopeo and the docker
# CLI; hostile archives fail with a clear message and leave nothing behind.
# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

load helpers

setup_file() {
	husk_file_setup
	BB=$("$FIXTURES/mkbusybox.sh")
	export BB
	# shellcheck disable=SC1091
	. "$BB/digests.env"
	export CONFIG_DIGEST DIFF_ID LAYER_DIGEST
	W=$HUSK_TEST_DIR/work
	mkdir -p "$W"
	export W
	huskd_start
}

teardown_file() {
	huskd2_stop
	husk_file_teardown
}

api() {
	curl -sf --unix-socket "$HUSK_SOCK" "http://d/v1.43$1"
}

# "repo:tag id" per tag of every image, sorted.
images_list() {
	api /images/json | jq -r '.[] | (.RepoTags // ["<none>"])[] as $t | "\($t) \(.Id)"' | sort
}

# podman with all of its state under this file's test directory.
podman_t() {
	local p=$HUSK_TEST_DIR/podman
	podman --root "$p/root" --runroot "$p/run" --tmpdir "$p/tmp" \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}

# A second daemon with its own store, for round trips.
huskd2_start() {
	D2=$HUSK_TEST_DIR/d2
	mkdir -p "$D2/root" "$D2/run"
	echo '{}' >"$D2/daemon.json"
	huskd --data-root "$D2/root" --exec-root "$D2/run" -H "unix://$D2/run/husk.sock" \
		--pidfile "$D2/run/huskd.pid" --config-file "$D2/daemon.json" \
		>>"$D2/huskd.log" 2>&1 &
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$D2/run/husk.sock" http://d/_ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$D2/huskd.log" >&2
	return 1
}

huskd2_stop() {
	local pid
	pid=$(cat "$HUSK_TEST_DIR/d2/run/huskd.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

husk2() {
	HUSK_HOST=unix://$HUSK_TEST_DIR/d2/run/husk.sock husk "$@"
}

# The store has no problems (leftover blobs of a failed load are GC's).
store_checks_clean() {
	command -v store-tool >/dev/null || return 0
	run -0 store-tool --root "$HUSK_DATA_ROOT" check
	refute_output --partial problem:
}

@test "load: a docker-archive, tagged from RepoTags" {
	run -0 husk load -i "$BB/busybox.tar"
	assert_output "Loaded image: busybox:latest"
	run -0 images_list
	assert_output "busybox:latest $CONFIG_DIGEST"
	store_checks_clean
}

@test "load: the same archive again is idempotent and fast" {
	local before start end
	before=$(images_list)
	start=$(date +%s%N)
	run -0 husk load -i "$BB/busybox.tar"
	end=$(date +%s%N)
	assert_output "Loaded image: busybox:latest"
	assert_equal "$(images_list)" "$before"
	# nothing to unpack: well under a second
	[ $(((end - start) / 1000000)) -lt 1000 ]
	# from stdin, quietly, too
	run -0 husk load -q <"$BB/busybox.tar"
	assert_output "Loaded image: busybox:latest"
}

@test "load: an oci-archive, plain, gzip and zstd, named by its annotations" {
	tar -C "$BB/oci" -cf "$W/oci.tar" .
	run -0 husk load -i "$W/oci.tar"
	assert_output "Loaded image: busybox:latest"
	gzip -c "$W/oci.tar" >"$W/oci.tar.gz"
	run -0 husk load -i "$W/oci.tar.gz"
	assert_output "Loaded image: busybox:latest"
	require_cmd zstd
	zstd -q -c "$W/oci.tar" >"$W/oci.tar.zst"
	run -0 husk load -i "$W/oci.tar.zst"
	assert_output "Loaded image: busybox:latest"
	run -0 images_list
	assert_output "busybox:latest $CONFIG_DIGEST"
}

@test "load: an oci-archive whose ref.name is only a tag loads untagged" {
	local d=$W/tagonly
	rm -rf "$d"
	cp -a "$BB/oci" "$d"
	jq -c '.manifests[0].annotations = {"org.opencontainers.image.ref.name": "latest"}' \
		"$BB/oci/index.json" >"$d/index.json"
	tar -C "$d" -cf "$W/tagonly.tar" .
	run -0 husk load -i "$W/tagonly.tar"
	assert_output "Loaded image ID: $CONFIG_DIGEST"
}

@test "save: a docker-archive as docker save writes it, the same bytes twice" {
	run -0 husk save busybox -o "$W/s1.tar"
	run -0 husk save busybox -o "$W/s2.tar"
	cmp "$W/s1.tar" "$W/s2.tar"
	husk save busybox >"$W/s3.tar"
	cmp "$W/s1.tar" "$W/s3.tar"
	run -0 tar -tf "$W/s1.tar"
	assert_line "${CONFIG_DIGEST#sha256:}.json"
	assert_line manifest.json
	assert_line repositories
	assert_line --regexp '^[0-9a-f]{64}/layer.tar$'
	assert_line --regexp '^[0-9a-f]{64}/VERSION$'
	run -0 tar -xOf "$W/s1.tar" manifest.json
	echo "$output" | jq -e '.[0].RepoTags == ["busybox:latest"] and (.[0].Layers | length) == 1'
	# the layer is the uncompressed tar: its digest is the diff ID
	layer=$(tar -xOf "$W/s1.tar" manifest.json | jq -r '.[0].Layers[0]')
	assert_equal "sha256:$(tar -xOf "$W/s1.tar" "$layer" | sha256sum | cut -d' ' -f1)" "$DIFF_ID"
	run -0 bash -c "tar -tvf '$W/s1.tar' | awk '{print \$2, \$4}' | sort -u"
	assert_output "0/0 1970-01-01"
}

@test "save: an unknown image fails before anything is written" {
	run -1 husk save nope -o "$W/nope.tar"
	assert_output --partial "No such image: nope"
	[ ! -e "$W/nope.tar" ]
	run -0 find "$W" -name '.husk-save-*'
	assert_output ""
}

@test "save: refuses to write a tar to a terminal" {
	require_cmd script
	run script -qec "husk save busybox" /dev/null
	assert_failure
	assert_output --partial "cowardly refusing to save to a terminal. Use the -o flag or redirect"
}

@test "save: --format oci is an OCI layout skopeo reads" {
	require_cmd skopeo
	run -0 husk save --format oci busybox -o "$W/o.tar"
	run -0 tar -tf "$W/o.tar"
	assert_line oci-layout
	assert_line index.json
	run -0 tar -xOf "$W/o.tar" index.json
	echo "$output" | jq -e '.manifests[0].annotations["io.containerd.image.name"] ==
		"docker.io/library/busybox:latest"'
	run -0 skopeo inspect --config "oci-archive:$W/o.tar"
	echo "$output" | jq -e '.rootfs.diff_ids == ["'"$DIFF_ID"'"]'
}

@test "save then load into another daemon gives the same image ID" {
	huskd2_start
	run -0 husk save busybox -o "$W/rt.tar"
	run -0 husk2 load -i "$W/rt.tar"
	assert_output "Loaded image: busybox:latest"
	run -0 curl -sf --unix-socket "$HUSK_TEST_DIR/d2/run/husk.sock" http://d/images/json
	echo "$output" | jq -e '.[0].Id == "'"$CONFIG_DIGEST"'"'
	run -0 husk save --format oci busybox -o "$W/rt-oci.tar"
	run -0 husk2 load -i "$W/rt-oci.tar"
	# and the second daemon saves the very same bytes
	run -0 husk2 save busybox -o "$W/rt2.tar"
	cmp "$W/rt.tar" "$W/rt2.tar"
	huskd2_stop
}

@test "podman loads what husk saves, and husk loads what podman saves" {
	require_cmd podman
	run -0 husk save busybox -o "$W/for-podman.tar"
	run -0 podman_t load -i "$W/for-podman.tar"
	run -0 podman_t images --no-trunc --format '{{.ID}}'
	assert_output --partial "${CONFIG_DIGEST#sha256:}"
	run -0 podman_t tag busybox localhost/from-podman:v1
	run -0 podman_t save --format docker-archive -o "$W/p-docker.tar" localhost/from-podman:v1
	run -0 husk load -i "$W/p-docker.tar"
	assert_output "Loaded image: localhost/from-podman:v1"
	run -0 podman_t save --format oci-archive -o "$W/p-oci.tar" localhost/from-podman:v1
	run -0 husk load -i "$W/p-oci.tar"
	assert_output "Loaded image: localhost/from-podman:v1"
	podman_t system reset -f >/dev/null 2>&1 || true
}

@test "skopeo copy oci: to oci-archive: loads" {
	require_cmd skopeo
	run -0 skopeo --insecure-policy copy -q "oci:$BB/oci:latest" "oci-archive:$W/sk.tar:sk/busybox:v2"
	run -0 husk load -i "$W/sk.tar"
	assert_output "Loaded image: sk/busybox:v2"
	run -0 api /images/sk/busybox:v2/json
	echo "$output" | jq -e '.Id == "'"$CONFIG_DIGEST"'"'
}

@test "import: a rootfs tar with --change and --message" {
	tar -C "$BB/rootfs" -cf "$W/rootfs.tar" .
	run -0 husk import -c 'CMD ["sh"]' -c 'ENV A=b' -c 'WORKDIR /tmp' -c 'EXPOSE 80' \
		-c 'LABEL x=y "z=a b"' -m "from a test" "$W/rootfs.tar" imported:v1
	assert_output --regexp '^sha256:[0-9a-f]{64}$'
	id=$output
	run -0 api /images/imported:v1/json
	echo "$output" | jq -e '.Id == "'"$id"'"'
	echo "$output" | jq -e '.Config.Cmd == ["sh"] and .Config.Env == ["A=b"]'
	echo "$output" | jq -e '.Config.WorkingDir == "/tmp" and .Config.ExposedPorts == {"80/tcp": {}}'
	echo "$output" | jq -e '.Config.Labels == {"x": "y", "z": "a b"}'
	echo "$output" | jq -e '.Comment == "from a test" and .Os == "linux"'
	echo "$output" | jq -e '.RootFS.Layers | length == 1'
	run -0 api /images/imported:v1/history
	echo "$output" | jq -e '.[0].Comment == "from a test"'
	store_checks_clean
}

@test "import: a gzip'd tar from stdin, shell-form CMD, no tag" {
	tar -C "$BB/rootfs" -czf "$W/rootfs.tgz" .
	run -0 husk import -c 'CMD echo hi' - <"$W/rootfs.tgz"
	id=$output
	run -0 api "/images/$id/json"
	echo "$output" | jq -e '.Config.Cmd == ["/bin/sh", "-c", "echo hi"] and .RepoTags == []'
	echo "$output" | jq -e '.Comment == "Imported from -"'
}

@test "import: a bad change fails before anything is stored" {
	local before
	before=$(images_list)
	run -1 husk import -c 'FROB x' "$W/rootfs.tar" bad:1
	assert_output --partial 'invalid change "FROB x": unknown instruction "FROB"'
	run -1 husk import "$W/does-not-exist"
	assert_output --partial "does-not-exist"
	assert_equal "$(images_list)" "$before"
}

# ---- hostile archives: a clear error, nothing recorded ----

# Unpack the fixture's docker-archive into $1 for editing.
docker_dir() {
	rm -rf "$1"
	mkdir -p "$1"
	tar -C "$1" -xf "$BB/busybox.tar"
}

# husk load $1 fails with $2 in its message; the image list is unchanged
# and the store checks clean.
load_fails() {
	local before
	before=$(images_list)
	run -1 husk load -i "$1"
	assert_output --partial "$2"
	assert_equal "$(images_list)" "$before"
	store_checks_clean
}

@test "hostile: a truncated archive" {
	head -c $(($(stat -c %s "$BB/busybox.tar") / 2)) "$BB/busybox.tar" >"$W/trunc.tar"
	load_fails "$W/trunc.tar" "unexpected end of archive"
	gzip -c "$BB/busybox.tar" | head -c 100000 >"$W/trunc.tar.gz"
	load_fails "$W/trunc.tar.gz" "unexpected end of archive"
}

@test "hostile: manifest.json names a file that is not in the archive" {
	docker_dir "$W/m"
	jq -c '.[0].Layers = ["0123/layer.tar"]' "$W/m/manifest.json" >"$W/m/x" &&
		mv "$W/m/x" "$W/m/manifest.json"
	tar -C "$W/m" -cf "$W/missing.tar" .
	load_fails "$W/missing.tar" 'layer "0123/layer.tar" is missing from the archive'
	rm -rf "$W/o" && cp -a "$BB/oci" "$W/o"
	rm "$W/o/blobs/sha256/${LAYER_DIGEST#sha256:}"
	tar -C "$W/o" -cf "$W/missing-oci.tar" .
	load_fails "$W/missing-oci.tar" "layer $LAYER_DIGEST is missing from the archive"
}

@test "hostile: a layer whose diff ID does not match the config" {
	docker_dir "$W/d"
	layer=$(jq -r '.[0].Layers[0]' "$W/d/manifest.json")
	echo extra >"$W/extra"
	tar -C "$W" -rf "$W/d/$layer" extra
	tar -C "$W/d" -cf "$W/diffid.tar" .
	load_fails "$W/diffid.tar" "diff ID mismatch"
	# a new image made of the same blob under a config that lies
	docker_dir "$W/d2"
	cfg=$(jq -r '.[0].Config' "$W/d2/manifest.json")
	jq -c '.rootfs.diff_ids = ["sha256:'"$(printf '0%.0s' {1..64})"'"]' "$W/d2/$cfg" >"$W/d2/x.json"
	hex=$(sha256sum "$W/d2/x.json" | cut -d' ' -f1)
	mv "$W/d2/x.json" "$W/d2/$hex.json"
	jq -c '.[0].Config = "'"$hex"'.json" | .[0].RepoTags = ["liar:1"]' "$W/d2/manifest.json" \
		>"$W/d2/m" && mv "$W/d2/m" "$W/d2/manifest.json"
	tar -C "$W/d2" -cf "$W/liar.tar" .
	load_fails "$W/liar.tar" "diff ID mismatch"
}

@test "hostile: a huge manifest.json, garbage, an empty input" {
	docker_dir "$W/h"
	{
		cat "$W/h/manifest.json"
		head -c $((9 << 20)) /dev/zero | tr '\0' ' '
	} >"$W/h/m" && mv "$W/h/m" "$W/h/manifest.json"
	tar -C "$W/h" -cf "$W/huge.tar" .
	load_fails "$W/huge.tar" '"manifest.json" is larger than'
	head -c 4096 /dev/urandom >"$W/garbage"
	load_fails "$W/garbage" "invalid archive"
	: >"$W/empty"
	load_fails "$W/empty" "invalid archive: the input is empty"
	tar -C "$BB" -cf "$W/notimage.tar" digests.env
	load_fails "$W/notimage.tar" "neither manifest.json nor index.json"
}

# The fixture's docker-archive plus hostile entries (python's tarfile
# writes any name): climbing names, absolute names, a non-hex blob name, a
# symlink out of the archive, devices.
odd_archive() {
	python3 - "$BB/busybox.tar" "$1" <<'PY'
import io, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as i, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as o:
    for m in i.getmembers():
        o.addfile(m, i.extractfile(m) if m.isfile() else None)
    def add(name, data=b"junk\n", **kw):
        t = tarfile.TarInfo(name)
        for k, v in kw.items():
            setattr(t, k, v)
        t.size = len(data) if t.isfile() else 0
        o.addfile(t, io.BytesIO(data) if t.isfile() else None)
    add("../../escape")
    add("/abs/escape")
    add("blobs/sha256/notahex")
    add("blobs/sha256/../../../escape2")
    add("evil/layer.tar", type=tarfile.SYMTYPE, linkname="/etc/passwd")
    add("dev/layer.tar", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
PY
}

@test "hostile: entries with odd names are never written by name" {
	odd_archive "$W/odd.tar"
	run -0 husk load -i "$W/odd.tar"
	assert_output "Loaded image: busybox:latest"
	[ ! -e /abs ]
	run -0 find "$(dirname "$HUSK_TEST_DIR")" "$HUSK_DATA_ROOT" -maxdepth 4 -name 'escape*'
	assert_output ""
	store_checks_clean
}

@test "hostile: a blob whose bytes do not match its name" {
	rm -rf "$W/o" && cp -a "$BB/oci" "$W/o"
	cfg=$W/o/blobs/sha256/${CONFIG_DIGEST#sha256:}
	sed -i 's/"sh"/"XX"/' "$cfg"
	tar -C "$W/o" -cf "$W/badblob.tar" .
	load_fails "$W/badblob.tar" "digest mismatch"
}

# ---- the docker CLI against huskd ----

@test "docker CLI: load, save and import through huskd" {
	require_cmd docker
	export DOCKER_HOST=unix://$HUSK_SOCK
	run -0 docker load -i "$BB/busybox.tar"
	assert_output "Loaded image: busybox:latest"
	run -0 docker save busybox -o "$W/y.tar"
	cmp "$W/y.tar" "$W/s1.tar"
	run -0 docker image save busybox:latest -o "$W/y2.tar"
	run -0 tar -tf "$W/y2.tar"
	assert_line manifest.json
	run -0 docker import -c 'CMD ["sh"]' "$W/rootfs.tar" docker-imported:1
	assert_output --regexp '^sha256:[0-9a-f]{64}$'
	run -1 docker load -i "$W/garbage"
	assert_output --partial "invalid archive"
}
