#!/usr/bin/env bats
# The image store (src/store) from the outside: its OCI layout read by
# skopeo, snapshots mounted, GC, check, permissions, and crash safety — an
# import killed with SIGKILL at random moments leaves a store that checks
# clean and takes the retried import. Driven by tests/system/store-tool.c.

load helpers

NAME=docker.io/library/busybox:latest

setup_file() {
	husk_file_setup
	FIX=$("$FIXTURES/mkbusybox.sh")
	export FIX
	# a plain layer tar of the busybox root
	tar -C "$FIX/rootfs" -cf "$HUSK_TEST_DIR/layer.tar" .
}

teardown_file() {
	husk_file_teardown
}

setup() {
	ROOT=$HUSK_TEST_DIR/root-$BATS_TEST_NUMBER
}

st() {
	store-tool --root "$ROOT" --grace 0 "$@"
}

import() {
	st import-tar "$HUSK_TEST_DIR/layer.tar" "$NAME"
}

@test "store: skopeo reads an imported image from the OCI layout" {
	require_cmd skopeo jq
	run -0 import
	id=${lines[-1]}
	run -0 skopeo inspect "oci:$ROOT/store/oci:$NAME"
	echo "$output" | jq -e '.Layers | length == 1'
	echo "$output" | jq -e '.Architecture == "amd64" and .Os == "linux"'
	run -0 skopeo inspect --config "oci:$ROOT/store/oci:$NAME"
	echo "$output" | jq -e '.rootfs.diff_ids | length == 1'
	# skopeo copy reads and verifies every blob
	run -0 skopeo copy "oci:$ROOT/store/oci:$NAME" "dir:$HUSK_TEST_DIR/copy"
	[ -f "$HUSK_TEST_DIR/copy/manifest.json" ]
	run -0 st ls
	assert_output "$id linux/amd64 $NAME"
}

@test "store: snapshot of an image, mounted and removed" {
	run -0 import
	run -0 st snapshot c1 "$NAME"
	run -0 st mount c1
	root=$output
	[ -x "$root/bin/busybox" ]
	[ -L "$root/bin/sh" ]
	if [ "$(cat "$ROOT/store/driver")" = overlay2 ]; then
		mountpoint -q "$root"
	fi
	run -0 st umount c1
	run -0 st rm-snapshot c1
	[ ! -e "$ROOT/store/snapshots/c1" ]
}

@test "store: vfs driver: the snapshot is a full copy" {
	run -0 store-tool --root "$ROOT" --driver vfs import-tar "$HUSK_TEST_DIR/layer.tar" "$NAME"
	run -0 cat "$ROOT/store/driver"
	assert_output vfs
	run -0 st snapshot c1 "$NAME"
	run -0 st mount c1
	assert_output "$ROOT/store/snapshots/c1/rootfs"
	[ -x "$output/bin/busybox" ]
	run ! mountpoint -q "$output"
	# the store keeps its driver
	run -1 store-tool --root "$ROOT" --driver overlay2 ls
	assert_output --partial 'holds layers of driver "vfs"'
	run -0 st rm-snapshot c1
}

@test "store: two concurrent imports of one layer unpack it once" {
	mkdir -p "$ROOT"
	store-tool --root "$ROOT" import-tar "$HUSK_TEST_DIR/layer.tar" "$NAME" &
	a=$!
	store-tool --root "$ROOT" import-tar "$HUSK_TEST_DIR/layer.tar" docker.io/library/other:1 &
	b=$!
	wait "$a"
	wait "$b"
	run -0 ls -A "$ROOT/store/layers"
	[ "${#lines[@]}" -eq 1 ]
	run -0 st ls
	# one image (the same config) with both names, in either order
	[ "${#lines[@]}" -eq 1 ]
	assert_output --partial "$NAME"
	assert_output --partial docker.io/library/other:1
	run -0 st check
	assert_output ""
}

@test "store: rm then gc leaves nothing; check is clean" {
	run -0 import
	run -0 st check
	assert_output ""
	run -0 st rm "$NAME"
	run -0 st gc
	assert_output --partial "blobs 3 layers 1"
	[ -z "$(ls "$ROOT/store/oci/blobs/sha256")" ]
	[ -z "$(ls "$ROOT/store/layers")" ]
	run -0 st check
	assert_output ""
}

@test "store: check finds a corrupted blob and --repair removes it" {
	run -0 st put-blob "$HUSK_TEST_DIR/layer.tar"
	blob=$ROOT/store/oci/blobs/sha256/${output#sha256:}
	printf 'X' | dd of="$blob" conv=notrunc status=none
	run -1 st check
	assert_output --partial "digest mismatch"
	run -1 st check --repair
	assert_output --partial "repaired: removed blob"
	run -0 st check
	[ ! -e "$blob" ]
}

@test "store: not traversable by other users" {
	require_cmd setpriv
	run -0 import
	run -0 stat -c %a "$ROOT/store"
	assert_output 700
	run -0 stat -c %a "$ROOT"
	[ $((0$output & 7)) -eq 0 ]
	run ! setpriv --reuid=65534 --regid=65534 --clear-groups \
		ls "$ROOT/store/layers"
	run ! setpriv --reuid=65534 --regid=65534 --clear-groups \
		stat "$ROOT/store/oci/index.json"
}

# Milliseconds since the epoch.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

@test "store: an import killed at random moments (30 times) leaves a clean store" {
	# how long an import takes here: the kills spread over all of it
	start=$(now_ms)
	run -0 import
	span=$(($(now_ms) - start + 20))
	[ "$span" -ge 50 ] || span=50
	for i in $(seq 1 30); do
		run -0 st rm "$NAME"
		run -0 st gc
		delay=$((RANDOM % span))
		run timeout -s KILL "$(printf '0.%03d' "$delay")" \
			store-tool --root "$ROOT" --grace 0 import-tar "$HUSK_TEST_DIR/layer.tar" "$NAME"
		[ "$status" -eq 0 ] || [ "$status" -eq 137 ] || {
			echo "iteration $i: import failed with $status: $output"
			false
		}
		# no corruption; leftovers of the killed writer are allowed
		run st check
		[ "$status" -eq 0 ] || {
			echo "iteration $i (killed after ${delay} ms): $output"
			false
		}
		refute_output --partial "problem:"
		# the retried import succeeds and repair clears the leftovers
		run -0 import
		run -0 st check --repair
		run -0 st check
		assert_output ""
		run -0 st ls
		assert_output --partial "$NAME"
	done
	run -0 skopeo inspect "oci:$ROOT/store/oci:$NAME"
}

@test "store: leftovers of a killed import are removed by gc" {
	run -0 import
	run -0 st rm "$NAME"
	run -0 st gc
	# kill an import as soon as it has an ingest file or a temp layer
	store-tool --root "$ROOT" import-tar "$HUSK_TEST_DIR/layer.tar" "$NAME" &
	pid=$!
	for _ in $(seq 1 2000); do
		if [ -n "$(ls "$ROOT/store/ingest" 2>/dev/null)" ]; then break; fi
	done
	kill -KILL "$pid" || true
	wait "$pid" || true
	run -0 st check
	if [ -n "$output" ]; then assert_output --partial "leftover:"; fi
	run -0 st gc
	run -0 st check
	assert_output ""
}
