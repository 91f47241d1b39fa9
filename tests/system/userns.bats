#!/usr/bin/env bats
# userns-remap: a huskd whose containers run in a user namespace mapped to
# a test user's subordinate ids (the user and its /etc/subuid, /etc/subgid
# lines are made here and taken away in teardown_file). Root inside, the
# mapped uid outside; images kept in <data-root>/<uid>.<gid> with their
# owners shifted, and handed back (save, cp, export) with the image's own;
# dockerd's refusals and words; the docker CLI driving it; bad settings.

load helpers

DOCKER=/usr/local/bin/docker
REMAP_USER=husk-userns-t
# the test user's ranges: far from where dockerd puts "dockremap" (100000)
START=700000
START2=800000

hk() {
	husk -H "unix://$HUSK_SOCK" "$@"
}

# The ids (uid gid) of path as the host sees them.
owner() {
	stat -c '%u %g' "$1"
}

setup_file() {
	require_cmd useradd usermod userdel
	husk_file_setup
	# the remapped root must pass every directory above the data root
	chmod o+x "$HUSK_TEST_DIR"
	local d=$HUSK_TEST_DIR
	while [ "$d" != / ]; do
		d=$(dirname "$d")
		chmod o+x "$d"
	done
	cp -a /etc/subuid "$HUSK_TEST_DIR/subuid.orig" 2>/dev/null || : >"$HUSK_TEST_DIR/subuid.none"
	cp -a /etc/subgid "$HUSK_TEST_DIR/subgid.orig" 2>/dev/null || : >"$HUSK_TEST_DIR/subgid.none"
	userdel "$REMAP_USER" >/dev/null 2>&1 || true
	useradd -r -s /bin/false "$REMAP_USER"
	# two ranges each, in file order: container ids 0-65535 then 65536-65545
	printf '%s:%d:65536\n%s:%d:10\n' "$REMAP_USER" "$START" "$REMAP_USER" "$START2" >>/etc/subuid
	printf '%s:%d:65536\n%s:%d:10\n' "$REMAP_USER" "$START" "$REMAP_USER" "$START2" >>/etc/subgid
	printf '{"userns-remap": "%s"}\n' "$REMAP_USER" >"$HUSK_TEST_DIR/daemon.json"
	# a dockerd with the same setting, for comparison (started by its test)
	DK=$(mktemp -d /tmp/hk-userns.XXXXXX)
	chmod 711 "$DK"
	export DK
	huskd_start
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	hk load -i "$FIXTURE/busybox.tar" >/dev/null
}

restore_id_files() {
	local f
	for f in subuid subgid; do
		if [ -f "$HUSK_TEST_DIR/$f.orig" ]; then
			cp -a "$HUSK_TEST_DIR/$f.orig" "/etc/$f"
		elif [ -f "$HUSK_TEST_DIR/$f.none" ]; then
			rm -f "/etc/$f"
		fi
	done
}

# The bridge and nft table a daemon with data root $1 made.
net_clean() {
	local h
	h=$(printf %s "$1" | sha256sum | cut -c1-8)
	ip link del "husk$h" 2>/dev/null || true
	nft delete table ip "husk_$h" 2>/dev/null || true
}

teardown_file() {
	if [ -S "${HUSK_SOCK:-}" ]; then
		hk ps -aq 2>/dev/null | xargs -r husk -H "unix://$HUSK_SOCK" rm -f >/dev/null 2>&1 || true
	fi
	huskd_stop
	[ -z "${DK:-}" ] || dockerd_private_stop "$DK"
	if [ -n "${HUSK_TEST_DIR:-}" ]; then
		restore_id_files
		[ ! -f "$HUSK_TEST_DIR/dockremap.made" ] || userdel dockremap >/dev/null 2>&1 || true
	fi
	userdel "$REMAP_USER" >/dev/null 2>&1 || true
	if [ -n "${DK:-}" ]; then
		findmnt --list -n -o TARGET | grep -F "$DK/" | sort -r | xargs -r umount -l
		rm -rf "$DK"
	fi
	husk_file_teardown
}

@test "userns: the data root is <data-root>/<uid>.<gid>, reachable by the remapped root only" {
	run hk info --format json
	assert_success
	assert_equal "$(jq -r .DockerRootDir <<<"$output")" "$HUSK_DATA_ROOT/$START.$START"
	jq -e '.SecurityOptions | index("name=userns")' <<<"$output"
	assert_equal "$(stat -c '%a %u %g' "$HUSK_DATA_ROOT")" "710 0 $START"
	assert_equal "$(stat -c '%a %u %g' "$HUSK_DATA_ROOT/$START.$START")" "710 0 $START"
	# the layers are stored shifted: busybox's root-owned files are START's
	local lay=("$HUSK_DATA_ROOT/$START.$START"/store/layers/*/diff)
	assert_equal "$(owner "${lay[0]}/bin/busybox")" "$START $START"
}

@test "userns: root in the container is the mapped uid on the host" {
	run hk run --rm busybox sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'
	assert_success
	assert_equal "$(sed -n 1p <<<"$output")" 0
	assert_equal "$(sed -n 2p <<<"$output")" 0
	# all the user's ranges, in file order
	assert_equal "$(sed -n 3,4p <<<"$output" | tr -s ' ' | sed 's/^ //')" \
		"$(printf '0 %d 65536\n65536 %d 10' "$START" "$START2")"
	assert_equal "$(sed -n 5p <<<"$output" | tr -s ' ' | sed 's/^ //')" "0 $START 65536"

	hk run -d --name sleeper busybox sleep 300
	local pid
	pid=$(hk inspect sleeper --format '{{.State.Pid}}')
	assert_equal "$(ps -o uid= -p "$pid" | tr -d ' ')" "$START"
	assert_equal "$(ps -o gid= -p "$pid" | tr -d ' ')" "$START"
	run hk exec sleeper id -u
	assert_output 0
	hk rm -f sleeper >/dev/null
}

@test "userns: the rootfs shows as root's inside; what the container writes is the mapped ids' outside" {
	run hk run --rm busybox stat -c '%u %g' /bin/busybox /etc /
	assert_success
	assert_output "$(printf '0 0\n0 0\n0 0')"
	mkdir -p "$HUSK_TEST_DIR/bind"
	chmod 777 "$HUSK_TEST_DIR/bind"
	hk run --rm -v "$HUSK_TEST_DIR/bind:/b" busybox sh -c 'touch /b/f && mkdir /b/d && chown 1000:2000 /b/d'
	assert_equal "$(owner "$HUSK_TEST_DIR/bind/f")" "$START $START"
	assert_equal "$(owner "$HUSK_TEST_DIR/bind/d")" "$((START + 1000)) $((START + 2000))"
	# the container's root may edit its /etc files and /dev/shm, write its
	# rootfs and named volumes
	run hk run --rm -v uvol:/data busybox sh -c \
		'echo "10.0.0.1 x" >>/etc/hosts && echo h >/etc/hostname && touch /dev/shm/s /newfile /data/v && stat -c "%u" /data/v /newfile'
	assert_success
	assert_output "$(printf '0\n0')"
	assert_equal "$(owner "$HUSK_DATA_ROOT/$START.$START/volumes/uvol/_data/v")" "$START $START"
	# a uid past the mapping cannot be used inside
	run hk run --rm busybox chown 70000 /tmp
	assert_failure
}

@test "userns: --userns=host runs as the host's root" {
	run hk run --rm --userns=host busybox sh -c 'id -u; cat /proc/self/uid_map'
	assert_success
	assert_equal "$(sed -n 1p <<<"$output")" 0
	assert_equal "$(sed -n 2p <<<"$output" | tr -s ' ' | sed 's/^ //')" "0 0 4294967295"
	hk run -d --name hostns --userns=host busybox sleep 300
	assert_equal "$(ps -o uid= -p "$(hk inspect hostns --format '{{.State.Pid}}')" | tr -d ' ')" 0
	hk rm -f hostns >/dev/null
	# and may then share the host's namespaces or be privileged
	run hk run --rm --userns=host --privileged --pid=host --network=host busybox true
	assert_success
}

@test "userns: dockerd's refusals under remapping, in its words" {
	run hk run --rm --privileged busybox true
	assert_failure
	assert_output --partial "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode"
	run hk run --rm --pid=host busybox true
	assert_failure
	assert_output --partial "cannot share the host PID namespace when user namespaces are enabled"
	run hk run --rm --network=host busybox true
	assert_failure
	assert_output --partial "cannot share the host's network namespace when user namespaces are enabled"
	# as under dockerd, not refused but the kernel will not mount the host
	# IPC namespace's mqueue from the container's user namespace (moby#36674)
	run hk run --rm --ipc=host busybox true
	assert_failure
	assert_output --partial '"/dev/mqueue"'
	assert_output --partial "Operation not permitted"
	# sharing another container's namespaces joins its user namespace too
	hk run -d --name donor --ipc=shareable busybox sleep 300
	run hk run --rm --pid=container:donor --ipc=container:donor --network=container:donor \
		busybox sh -c 'readlink /proc/self/ns/user; id -u'
	assert_success
	assert_equal "$(sed -n 1p <<<"$output")" \
		"$(readlink "/proc/$(hk inspect donor --format '{{.State.Pid}}')/ns/user")"
	assert_equal "$(sed -n 2p <<<"$output")" 0
	hk rm -f donor >/dev/null
}

@test "userns: an image keeps its own ids: import, run, save, cp, export" {
	local src=$HUSK_TEST_DIR/img
	mkdir -p "$src"
	cp -a "$FIXTURE/rootfs/." "$src/"
	mkdir -p "$src/home/u"
	echo data >"$src/home/u/file"
	chown -R 1000:2000 "$src/home/u"
	chown 65540:65541 "$src/home/u/file" # in the second range
	tar -C "$src" --numeric-owner -cf "$HUSK_TEST_DIR/img.tar" .
	hk import "$HUSK_TEST_DIR/img.tar" owned:1 >/dev/null
	run hk run --rm owned:1 stat -c '%u %g' /home/u /home/u/file
	assert_success
	assert_output "$(printf '1000 2000\n65540 65541')"
	# stored shifted through both ranges
	local f
	f=$(ls -d "$HUSK_DATA_ROOT/$START.$START"/store/layers/*/diff/home/u/file)
	assert_equal "$(owner "$f")" "$((START2 + 4)) $((START2 + 5))"

	# save: the layer carries the original owners, byte for byte the loaded
	# busybox layer
	hk save -o "$HUSK_TEST_DIR/saved.tar" owned:1 busybox
	mkdir -p "$HUSK_TEST_DIR/saved"
	tar -C "$HUSK_TEST_DIR/saved" -xf "$HUSK_TEST_DIR/saved.tar"
	run bash -c "for l in \$(jq -r '.[].Layers[]' '$HUSK_TEST_DIR/saved/manifest.json'); do tar -tvf '$HUSK_TEST_DIR/saved/'\$l --numeric-owner; done"
	assert_success
	assert_output --regexp "1000/2000 .* \\./home/u/"
	assert_output --regexp "65540/65541 .* \\./home/u/file"
	refute_output --regexp " ${START}/"
	mkdir -p "$HUSK_TEST_DIR/orig"
	tar -C "$HUSK_TEST_DIR/orig" -xf "$FIXTURE/busybox.tar"
	local ol sl
	ol=$(jq -r '.[0].Layers[0]' "$HUSK_TEST_DIR/orig/manifest.json")
	sl=$(jq -r '.[] | select(.RepoTags[0] == "busybox:latest") | .Layers[0]' "$HUSK_TEST_DIR/saved/manifest.json")
	assert_equal "$(tar -tvf "$HUSK_TEST_DIR/saved/$sl" --numeric-owner | md5sum)" \
		"$(tar -tvf "$HUSK_TEST_DIR/orig/$ol" --numeric-owner | md5sum)"

	# docker cp and export: the container's view of the owners, both ways
	hk create --name cpt owned:1 stat -c '%u %g' /tmp/in >/dev/null
	run bash -c "husk -H unix://$HUSK_SOCK cp cpt:/home/u - | tar -tv --numeric-owner"
	assert_success
	assert_output --regexp "1000/2000 .* u/"
	assert_output --regexp "65540/65541 .* u/file"
	run bash -c "husk -H unix://$HUSK_SOCK export cpt | tar -tv --numeric-owner | grep -E ' (\\./)?(bin/busybox|home/u/file)\$'"
	assert_success
	assert_line --regexp "^-.* 0/0 .*bin/busybox"
	assert_line --regexp "^-.* 65540/65541 .*home/u/file"
	touch "$HUSK_TEST_DIR/in"
	chown 3000:3001 "$HUSK_TEST_DIR/in"
	tar -C "$HUSK_TEST_DIR" --numeric-owner -cf - in | hk cp - cpt:/tmp
	run hk start -a cpt
	assert_success
	assert_output "3000 3001"
	hk rm cpt >/dev/null
}

@test "userns: a layer owner outside the mapping is refused, naming the entry" {
	local src=$HUSK_TEST_DIR/big
	mkdir -p "$src"
	touch "$src/far"
	chown 70000:0 "$src/far"
	tar -C "$src" --numeric-owner -cf "$HUSK_TEST_DIR/big.tar" .
	run hk import "$HUSK_TEST_DIR/big.tar" far:1
	assert_failure
	assert_output --partial 'entry "./far"'
	assert_output --partial "uid 70000 is outside the daemon's user namespace mapping"
}

@test "userns: the docker CLI drives the remapped huskd" {
	[ -x "$DOCKER" ] || skip "the docker CLI is not installed"
	run "$DOCKER" -H "unix://$HUSK_SOCK" info --format '{{json .SecurityOptions}}'
	assert_success
	assert_output --partial '"name=userns"'
	run "$DOCKER" -H "unix://$HUSK_SOCK" run --rm busybox id -u
	assert_success
	assert_output 0
	run "$DOCKER" -H "unix://$HUSK_SOCK" run --rm --privileged busybox true
	assert_failure
	assert_output --partial "privileged mode is incompatible with user namespaces"
	run "$DOCKER" -H "unix://$HUSK_SOCK" run --rm --userns=host busybox cat /proc/self/uid_map
	assert_success
	assert_output --partial 4294967295
}

@test "userns: the same refusals as a dockerd with userns-remap" {
	command -v dockerd >/dev/null && [ -x "$DOCKER" ] || skip "dockerd or the docker CLI is not installed"
	# (3>&-: bats waits for whatever holds its descriptor 3)
	dockerd --data-root "$DK/d" --exec-root "$DK/x" -H "unix://$DK/docker.sock" \
		--pidfile "$DK/d.pid" --bridge=none --iptables=false --ip6tables=false \
		--userns-remap "$REMAP_USER" >"$DK/dockerd.log" 2>&1 3>&- &
	local ok=
	for _ in $(seq 1 300); do
		if curl -sf --unix-socket "$DK/docker.sock" http://d/_ping >/dev/null 2>&1; then
			ok=1
			break
		fi
		sleep 0.1
	done
	[ -n "$ok" ] || skip "dockerd with userns-remap did not start: $(tail -3 "$DK/dockerd.log")"
	"$DOCKER" -H "unix://$DK/docker.sock" load -i "$FIXTURE/busybox.tar" >/dev/null
	[ -d "$DK/d/$START.$START" ]
	local opts
	for opts in --privileged --pid=host --network=host; do
		run "$DOCKER" -H "unix://$DK/docker.sock" create "$opts" busybox true
		assert_failure
		local want=${output#*daemon: }
		run hk create "$opts" busybox true
		assert_failure
		assert_output --partial "$want"
	done
	run "$DOCKER" -H "unix://$DK/docker.sock" info --format '{{json .SecurityOptions}}'
	assert_output --partial '"name=userns"'
}

# huskd with daemon.json dj (and flags) against its own roots: its status
# and output.
huskd_try() {
	local dj=$1
	shift
	local d=$HUSK_TEST_DIR/try
	rm -rf "$d"
	mkdir -p "$d"
	printf '%s\n' "$dj" >"$d/daemon.json"
	run timeout 20 huskd --data-root "$d/root" --exec-root "$d/run" -H "unix://$d/s.sock" \
		--pidfile "$d/p.pid" --config-file "$d/daemon.json" "$@"
}

@test "userns: bad userns-remap settings are clear errors" {
	huskd_try '{"userns-remap": "a:b:c"}'
	assert_failure
	assert_output --partial 'userns-remap \"a:b:c\": invalid user/group specification'
	huskd_try '{"userns-remap": "no-such-user-husk"}'
	assert_failure
	assert_output --partial 'no user \"no-such-user-husk\" in the passwd database'
	huskd_try "{\"userns-remap\": \"$REMAP_USER:no-such-group-husk\"}"
	assert_failure
	assert_output --partial 'no group \"no-such-group-husk\"'
	# a user without subordinate ranges
	huskd_try '{"userns-remap": "nobody:65534"}'
	assert_failure
	assert_output --partial 'no subuid ranges found for user \"nobody\"'
	huskd_try '{"userns-remap": 5}'
	assert_failure
	assert_output --partial '"userns-remap": expected a string'
	huskd_try "{\"userns-remap\": \"$REMAP_USER\"}" --userns-remap "$REMAP_USER"
	assert_failure
	assert_output --partial "specified both as a flag and in the configuration file: userns-remap"
	# the flag is known
	huskd_try '{}' --userns-remap root --validate
	assert_success
	# a data root the remapped root cannot reach
	local d=$HUSK_TEST_DIR/closed
	mkdir -p "$d"
	chmod 700 "$d"
	run timeout 20 huskd --data-root "$d/root" --exec-root "$d/run" -H "unix://$d/s.sock" \
		--pidfile "$d/p.pid" --config-file "$HUSK_TEST_DIR/try/daemon.json" --userns-remap "$REMAP_USER"
	assert_failure
	assert_output --partial "a subdirectory in your graphroot path ($d/root/$START.$START) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories"
}

@test "userns: \"default\" creates dockremap with the next free subordinate ranges, as dockerd" {
	if id dockremap >/dev/null 2>&1; then
		skip "this host has a dockremap user already"
	fi
	: >"$HUSK_TEST_DIR/dockremap.made"
	local d=$HUSK_TEST_DIR/dflt
	mkdir -p "$d"
	echo '{}' >"$d/daemon.json"
	huskd --data-root "$d/root" --exec-root "$d/run" -H "unix://$d/s.sock" \
		--pidfile "$d/p.pid" --config-file "$d/daemon.json" --userns-remap default \
		>"$d/log" 2>&1 3>&- &
	local pid=$!
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$d/s.sock" http://d/_ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	run curl -sf --unix-socket "$d/s.sock" http://d/info
	kill "$pid"
	wait "$pid" || true
	net_clean "$d/root"
	assert_equal "$(jq -r .DockerRootDir <<<"$output")" "$d/root/100000.100000"
	grep -F 'creating the user \"dockremap\"' "$d/log"
	id dockremap
	# dockerd's first free range from 100000 past everything taken
	run grep '^dockremap:' /etc/subuid
	assert_output "dockremap:100000:65536"
	run grep '^dockremap:' /etc/subgid
	assert_output "dockremap:100000:65536"
	userdel dockremap
	rm -f "$HUSK_TEST_DIR/dockremap.made"
	restore_id_files
	# put the test user's lines back for the tests after this one
	printf '%s:%d:65536\n%s:%d:10\n' "$REMAP_USER" "$START" "$REMAP_USER" "$START2" >>/etc/subuid
	printf '%s:%d:65536\n%s:%d:10\n' "$REMAP_USER" "$START" "$REMAP_USER" "$START2" >>/etc/subgid
}
