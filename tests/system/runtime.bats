#!/usr/bin/env bats
# husk-runtime: busybox bundles run with the real kernel, checked from
# inside; runc's command line; the attack classes of the runtime issue.

load helpers

setup_file() {
	husk_file_setup
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	export RT_ROOT=$HUSK_TEST_DIR/state
}

teardown_file() {
	local id
	for id in $(husk-runtime --root "$RT_ROOT" list -q 2>/dev/null); do
		husk-runtime --root "$RT_ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	husk_file_teardown
}

rt() {
	husk-runtime --root "$RT_ROOT" "$@"
}

# bundle NAME JQ-FILTER: a fresh bundle whose config is the fixture's,
# changed by the jq filter; prints its path.
bundle() {
	local dir=$HUSK_TEST_DIR/bundles/$1
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a "$FIXTURE/bundle/rootfs" "$dir/rootfs"
	jq "${2:-.}" "$FIXTURE/bundle/config.json" >"$dir/config.json"
	echo "$dir"
}

# args for jq: '.process.args = ["sh","-c","..."]'
cmd() {
	jq -cn --arg c "$1" '["sh","-c",$c]'
}

cgroups_of() {
	find /sys/fs/cgroup -maxdepth 3 -type d -name "$1" 2>/dev/null
}

@test "run: output, exit status, hostname and pid 1 from inside" {
	local b
	b=$(bundle basic ".process.args = $(cmd 'echo pid=$$ host=$(hostname); exit 7')")
	run rt run -b "$b" basic
	assert_failure 7
	assert_output 'pid=1 host=husk'
	run rt state basic
	assert_failure
	assert_output --partial 'container "basic" does not exist'
	[ -z "$(cgroups_of basic)" ]
}

@test "a new network namespace has only lo" {
	local b
	b=$(bundle net ".process.args = $(cmd 'ip -o link | cut -d: -f2')")
	run rt run -b "$b" net
	assert_success
	assert_output ' lo'
}

@test "user namespace: ids mapped as config.json says" {
	local b
	b=$(bundle userns '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .process.args = ["sh","-c","cat /proc/self/uid_map; id -u; id -g"]')
	chown -R 100000:100000 "$b/rootfs"
	# the mapped root (host uid 100000) must be able to reach its rootfs
	local d=$b
	while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	run rt run -b "$b" userns
	assert_success
	assert_line --index 0 --regexp '^ +0 +100000 +65536$'
	assert_line --index 1 0
	assert_line --index 2 0
}

@test "memory limit: a process over it is OOM-killed" {
	local b
	b=$(bundle oom '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}
		| .process.args = ["tail", "/dev/zero"]')
	run rt run -b "$b" oom
	assert_failure 137
}

@test "cpu quota: 20% of a cpu makes a busy loop about 5x slower" {
	local loop='i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'
	local free capped t0 t1
	b=$(bundle cpufree ".process.args = $(cmd "$loop")")
	t0=$(date +%s%N); rt run -b "$b" cpufree; t1=$(date +%s%N)
	free=$(((t1 - t0) / 1000000))
	b=$(bundle cpucap ".linux.resources.cpu = {\"quota\": 20000, \"period\": 100000}
		| .process.args = $(cmd "$loop")")
	t0=$(date +%s%N); rt run -b "$b" cpucap; t1=$(date +%s%N)
	capped=$(((t1 - t0) / 1000000))
	echo "free ${free} ms, capped ${capped} ms" >&2
	[ "$capped" -gt $((free * 25 / 10)) ]
}

@test "pids limit: forks beyond it fail" {
	local b
	b=$(bundle pids ".linux.resources.pids = {\"limit\": 8}
		| .process.args = $(cmd 'for i in $(seq 1 20); do sleep 2 & done 2>&1; wait')")
	run rt run -b "$b" pids
	assert_output --partial "can't fork"
}

@test "dropped capabilities: no CAP_SYS_ADMIN, no CAP_NET_ADMIN" {
	local b
	b=$(bundle caps ".process.args = $(cmd 'hostname other; ip link add d0 type dummy; grep CapInh /proc/self/status')")
	run rt run -b "$b" caps
	assert_output --partial 'hostname: sethostname: Operation not permitted'
	assert_output --partial 'Operation not permitted'
	assert_output --partial 'CapInh:	0000000000000000'
}

@test "seccomp: a denied syscall fails with the errno asked" {
	local b
	b=$(bundle seccomp '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW",
		"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}
		| .process.args = ["sh","-c","mkdir /tmp/x; echo rc=$?"]')
	run rt run -b "$b" seccomp
	assert_output --partial 'Permission denied'
	assert_output --partial 'rc=1'
}

@test "masked and read-only /proc paths" {
	local b
	# masked files are /dev/null (1:3), masked dirs empty; which exist depends on the kernel
	b=$(bundle masked ".process.args = $(cmd 'for p in /proc/keys /proc/timer_list /proc/kcore; do [ -e $p ] && stat -c "%n %t:%T %s" $p; done; ls /proc/acpi | wc -l; echo x >/proc/sys/kernel/domainname')")
	run rt run -b "$b" masked
	assert_line --index 0 '/proc/keys 1:3 0'
	assert_line --index 1 '/proc/timer_list 1:3 0'
	assert_line --index 2 0
	assert_output --partial 'Read-only file system'
}

@test "terminal: the pty goes over --console-socket" {
	local b sock=$HUSK_TEST_DIR/tty.sock
	b=$(bundle tty '.process.terminal = true | .process.args = ["sh","-c","tty; stty size"]
		| .process.consoleSize = {"height": 30, "width": 100}')
	recvtty "$sock" >"$HUSK_TEST_DIR/tty.out" 2>&1 &
	local rpid=$!
	sleep 0.2
	rt run -d --console-socket "$sock" -b "$b" tty
	wait "$rpid"
	run cat "$HUSK_TEST_DIR/tty.out"
	assert_output --partial '/dev/pts/0'
	assert_output --partial '30 100'
	rt delete --force tty
}

@test "create, state, start, exec, kill, delete" {
	local b
	b=$(bundle life ".process.args = [\"sleep\", \"1000\"]")
	rt create -b "$b" --pid-file "$HUSK_TEST_DIR/life.pid" life
	run rt state life
	assert_success
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .pid <<<"$output")" = "$(cat "$HUSK_TEST_DIR/life.pid")" ]
	run rt start life
	assert_success
	[ "$(rt state life | jq -r .status)" = running ]
	run rt exec life sh -c 'echo in=$(hostname); exit 3'
	assert_failure 3
	assert_output 'in=husk'
	run rt exec life sleep-not-there
	assert_failure
	assert_output --partial 'executable file not found'
	run rt delete life
	assert_failure
	assert_output --partial 'not stopped: running'
	run rt ps --format json life
	[ "$(jq length <<<"$output")" -ge 1 ]
	rt kill life KILL
	for _ in $(seq 1 50); do [ "$(rt state life | jq -r .status)" = stopped ] && break; sleep 0.05; done
	[ "$(rt state life | jq -r .status)" = stopped ]
	rt delete life
	run rt state life
	assert_failure
	[ -z "$(cgroups_of life)" ]
}

@test "pause and resume freeze the container" {
	local b
	b=$(bundle frz ".process.args = [\"sleep\", \"1000\"]")
	rt run -d -b "$b" frz
	rt pause frz
	[ "$(rt state frz | jq -r .status)" = paused ]
	rt resume frz
	[ "$(rt state frz | jq -r .status)" = running ]
	rt delete --force frz
}

@test "hooks run with the state on stdin, in order" {
	local b log=$HUSK_TEST_DIR/hooks.log
	: >"$log"
	local h
	h() { jq -n --arg n "$1" --arg log "$log" '{"path":"/bin/sh","args":["sh","-c",("read s; echo " + $n + " $(echo \"$s\" | jq -r .status) >>" + $log)]}'; }
	b=$(bundle hooks ".process.args = [\"true\"]
		| .hooks = {\"prestart\": [$(h prestart)], \"createRuntime\": [$(h createRuntime)],
		  \"poststart\": [$(h poststart)], \"poststop\": [$(h poststop)]}")
	run rt run -b "$b" hooks
	assert_success
	run cat "$log"
	assert_line --index 0 'prestart creating'
	assert_line --index 1 'createRuntime creating'
	assert_line --index 2 --partial 'poststart'
	assert_line --index 3 'poststop stopped'
}

@test "bad config.json: one error naming the field, nothing left behind" {
	local b
	b=$(bundle bad '.process.args = "sh"')
	run rt run -b "$b" bad
	assert_failure 1
	assert_output --partial 'process.args'
	b=$(bundle bad2 '.linux.namespaces += [{"type":"bogus"}]')
	run rt run -b "$b" bad2
	assert_failure 1
	assert_output --partial 'unknown namespace type "bogus"'
	b=$(bundle bad3 '.process.capabilities.bounding += ["CAP_BOGUS"]')
	run rt create -b "$b" bad3
	assert_failure 1
	assert_output --partial 'CAP_BOGUS'
	b=$(bundle bad4 '.root.path = "missing"')
	run rt create -b "$b" bad4
	assert_failure 1
	assert_output --partial 'root.path'
	b=$(bundle bad5 '.process.args = ["/no/such/binary"]')
	run rt run -b "$b" bad5
	assert_failure 1
	assert_output --partial '/no/such/binary'
	[ ! -e "$RT_ROOT/bad" ] && [ ! -e "$RT_ROOT/bad5" ]
	[ -z "$(cgroups_of bad5)" ]
}

@test "attack: the runtime binary cannot be overwritten from the container (CVE-2019-5736)" {
	local b before
	before=$(sha256sum "$(command -v husk-runtime)" | cut -d' ' -f1)
	b=$(bundle exe ".process.args = [\"sleep\", \"1000\"]")
	rt create -b "$b" exe
	local pid
	pid=$(rt state exe | jq -r .pid)
	# the created container's init is still the runtime's image: a sealed memfd
	run readlink "/proc/$pid/exe"
	assert_output --partial 'memfd:husk-runtime'
	run rt exec exe sh -c 'echo pwned >/proc/1/exe'
	assert_failure
	rt delete --force exe
	[ "$(sha256sum "$(command -v husk-runtime)" | cut -d' ' -f1)" = "$before" ]
}

@test "attack: no host fd reaches the container, a cwd through one is refused (CVE-2024-21626)" {
	local b
	b=$(bundle fds ".process.args = [\"ls\", \"/proc/1/fd\"]")
	run rt run -b "$b" fds 3</etc/hostname 4<"$HUSK_TEST_DIR"
	assert_success
	# ls is pid 1 and holds its own directory fd (3) open while listing
	assert_output "$(printf '0\n1\n2\n3')"
	b=$(bundle fds2 ".process.args = [\"ls\", \"/proc/1/fd\"]")
	run rt run --preserve-fds 2 -b "$b" fds2 3</etc/hostname 4<"$HUSK_TEST_DIR"
	assert_output "$(printf '0\n1\n2\n3\n4\n5')"
	b=$(bundle cwd '.process.cwd = "/proc/self/fd/7" | .process.args = ["pwd"]')
	run rt run -b "$b" cwd 7</sys/fs/cgroup
	assert_failure
	refute_output --regexp '^/sys'
}

@test "attack: mount destinations through symlinks stay in the rootfs (CVE-2021-30465)" {
	local b host_tmp
	host_tmp=$HUSK_TEST_DIR/hostside
	mkdir -p "$host_tmp"
	b=$(bundle symlink ".mounts += [{\"destination\": \"/evil/x\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]
		| .process.args = $(cmd 'ls -d /evil/x && mount | grep -c /x')")
	ln -s "$host_tmp" "$b/rootfs/evil"
	run rt run -b "$b" symlink
	assert_success
	# the tmpfs landed inside the rootfs; the host directory did not get an x
	[ ! -e "$host_tmp/x" ]
}

@test "attack: a /proc symlink in the image cannot defeat procfs and masking (CVE-2019-16884)" {
	local b
	b=$(bundle fakeproc ".process.args = $(cmd 'wc -c </proc/kcore')")
	rm -rf "$b/rootfs/proc"
	ln -s /tmp "$b/rootfs/proc"
	run rt run -b "$b" fakeproc
	# refused, or mounted as a real procfs with /proc/kcore masked; never the host's /tmp
	if [ "$status" -eq 0 ]; then assert_output 0; else assert_output --partial 'proc'; fi
	# nothing was mounted over the host's /tmp
	run findmnt -n /tmp
	refute_output --partial proc
}
