#!/usr/bin/env bats
# The busybox fixtures (tests/fixtures/mkbusybox.sh) that other system tests
# build on: the rootfs runs, the bundle runs under runc, the OCI layout and
# the docker-save archive are accepted by skopeo and podman, and the cache
# is reused rather than rebuilt.
# shellcheck disable=SC2154 # $stderr is set by bats' run --separate-stderr

load helpers
setup_file() {
	husk_file_setup
	MKBUSYBOX=$FIXTURES/mkbusybox.sh
	BB_DIR=$("$MKBUSYBOX" 2>/dev/null)
	export MKBUSYBOX BB_DIR
}
teardown_file() { husk_file_teardown; }

bats_require_minimum_version 1.5.0

# podman with all of its state under this file's test directory.
podman_t() {
	local p=$HUSK_TEST_DIR/podman
	podman --root "$p/root" --runroot "$p/run" --tmpdir "$p/tmp" \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}

@test "fixtures: the script prints a directory with a working busybox rootfs" {
	[ "$(id -u)" = 0 ] || skip "chroot needs root"
	run --separate-stderr "$MKBUSYBOX"
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_output "$BB_DIR"
	[[ $output == /* ]]

	local r=$BB_DIR/rootfs
	[ -x "$r/bin/busybox" ] && [ ! -L "$r/bin/busybox" ]
	assert_equal "$(readlink "$r/bin/sh")" /bin/busybox
	assert_equal "$(readlink "$r/usr/bin/wget")" /bin/busybox
	assert_equal "$(find "$r" -type l | wc -l)" \
		"$(("$("$r/bin/busybox" --list-full | wc -l)" - 1))"
	run grep -x 'root:x:0:0:root:/root:/bin/sh' "$r/etc/passwd"
	assert_success
	assert_equal "$(stat -c %a "$r/tmp")" 1777
	assert_equal "$(stat -c %a "$r/root")" 700
	assert_equal "$(find "$r" ! -user 0 -o ! -group 0 | wc -l)" 0
	[ -f "$BB_DIR/.complete" ]

	run chroot "$r" /bin/sh -c 'echo ok'
	assert_success
	assert_output ok
}

@test "fixtures: a second run reuses the cached directory" {
	local before after
	before=$(stat -c '%i %y' "$BB_DIR/.complete")
	run --separate-stderr "$MKBUSYBOX"
	assert_success
	assert_output "$BB_DIR"
	assert_equal "$stderr" ""
	after=$(stat -c '%i %y' "$BB_DIR/.complete")
	assert_equal "$after" "$before"
	# No temporary directories are left in the cache.
	run find "$(dirname "$BB_DIR")" -maxdepth 1 -name '.tmp-busybox-*'
	assert_output ""
}

@test "fixtures: bundle/config.json is a runc-style spec and runs under runc" {
	local cfg=$BB_DIR/bundle/config.json
	run jq -e '.process.args == ["sh"] and .root.path == "rootfs"
		and .root.readonly == true and .process.terminal == false' "$cfg"
	assert_success
	[ -x "$BB_DIR/bundle/rootfs/bin/busybox" ]

	require_cmd runc
	local b=$HUSK_TEST_DIR/bundle
	cp -a "$BB_DIR/bundle" "$b"
	jq '.process.args = ["sh", "-c", "echo hello-from-runc"]' "$cfg" >"$b/config.json"
	run runc --root "$HUSK_TEST_DIR/runc" run -b "$b" "fixture-$$"
	assert_success
	assert_output hello-from-runc
	runc --root "$HUSK_TEST_DIR/runc" delete -f "fixture-$$" 2>/dev/null || true
}

@test "fixtures: skopeo inspects the OCI layout" {
	require_cmd skopeo
	# shellcheck source=/dev/null
	. "$BB_DIR/digests.env"
	run --separate-stderr skopeo inspect "oci:$BB_DIR/oci:latest"
	assert_success
	run jq -e --arg l "$LAYER_DIGEST" --arg m "$MANIFEST_DIGEST" \
		'.Layers == [$l] and .Digest == $m and .Os == "linux"
		and .Architecture == "amd64"' <<<"$output"
	assert_success
	run --separate-stderr skopeo inspect --config "oci:$BB_DIR/oci:latest"
	assert_success
	assert_equal "$(jq -r '.rootfs.diff_ids[0]' <<<"$output")" "$DIFF_ID"
}

@test "fixtures: skopeo copies the OCI layout, verifying every blob" {
	require_cmd skopeo
	# shellcheck source=/dev/null
	. "$BB_DIR/digests.env"
	run skopeo --insecure-policy copy -q \
		"oci:$BB_DIR/oci:latest" "dir:$HUSK_TEST_DIR/copy"
	assert_success
	[ -f "$HUSK_TEST_DIR/copy/${LAYER_DIGEST#sha256:}" ]
	[ -f "$HUSK_TEST_DIR/copy/${CONFIG_DIGEST#sha256:}" ]
	run jq -e --arg l "$LAYER_DIGEST" '.layers[0].digest == $l' \
		"$HUSK_TEST_DIR/copy/manifest.json"
	assert_success
}

@test "fixtures: podman loads busybox.tar" {
	require_cmd podman
	run podman_t load -i "$BB_DIR/busybox.tar"
	local load_status=$status load_output=$output
	run podman_t images --format '{{.Repository}}:{{.Tag}}'
	local images_output=$output
	podman_t system reset -f >/dev/null 2>&1 || true
	if [ -d "$HUSK_TEST_DIR/podman" ]; then
		grep -F " $HUSK_TEST_DIR/podman/" /proc/self/mounts | cut -d' ' -f2 |
			sort -r | xargs -r -n1 umount -l 2>/dev/null || true
		rm -rf "$HUSK_TEST_DIR/podman"
	fi

	status=$load_status output=$load_output
	assert_success
	assert_output --partial "busybox:latest"
	output=$images_output
	assert_line "localhost/busybox:latest"
}

@test "fixtures: --tag makes a separately cached image with that name" {
	local cache=$HUSK_TEST_DIR/cache-tag
	run --separate-stderr "$MKBUSYBOX" --cache "$cache" --tag example.test/mini:v2
	assert_success
	local dir=$output
	[ "$dir" != "$BB_DIR" ]
	[[ $dir == "$cache"/busybox-* ]]
	[ -f "$dir/.complete" ]
	run jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"],
		.manifests[0].annotations["io.containerd.image.name"]' "$dir/oci/index.json"
	assert_line -n 0 v2
	assert_line -n 1 example.test/mini:v2
	run tar -xOf "$dir/busybox.tar" manifest.json
	assert_success
	run jq -e '.[0].RepoTags == ["example.test/mini:v2"]' <<<"$output"
	assert_success
	run tar -xOf "$dir/busybox.tar" repositories
	assert_success
	run jq -e '.["example.test/mini"].v2 | length == 64' <<<"$output"
	assert_success
	run grep -x 'IMAGE_REF=example.test/mini:v2' "$dir/digests.env"
	assert_success
}

@test "fixtures: a missing busybox fails cleanly" {
	local cache=$HUSK_TEST_DIR/cache-missing
	mkdir -p "$cache"
	MKBUSYBOX_BUSYBOX=$HUSK_TEST_DIR/no/busybox \
		run --separate-stderr "$MKBUSYBOX" --cache "$cache"
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" \
		"mkbusybox.sh: $HUSK_TEST_DIR/no/busybox not found: install busybox-static"
	run ls -A "$cache"
	assert_output ""
}

@test "fixtures: a failure mid-build leaves no temporary directory" {
	local cache=$HUSK_TEST_DIR/cache-broken fake=$HUSK_TEST_DIR/fake-busybox
	printf '#!/bin/sh\nexit 3\n' >"$fake"
	chmod +x "$fake"
	MKBUSYBOX_BUSYBOX=$fake run --separate-stderr "$MKBUSYBOX" --cache "$cache"
	assert_failure
	assert_output ""
	run ls -A "$cache"
	assert_success
	assert_output ""
}
