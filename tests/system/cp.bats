#!/usr/bin/env bats
# docker cp, export and diff: husk against huskd, side by side with the
# docker CLI against a private dockerd where one can run (the same command,
# the same status, words and resulting files), running and stopped
# containers, volumes, the docker CLI driving huskd, and the attacks a
# container or a tar can try (symlinks out of the root, "..", links
# through which to write, a client that leaves mid-stream).

load helpers

DOCKER=/usr/local/bin/docker

setup_file() {
	husk_file_setup
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	huskd_start
	hk load -i "$FIXTURE/busybox.tar" >/dev/null
	hk volume create cpvol >/dev/null
	hk run -d --name run1 -v cpvol:/data busybox sleep 1000 >/dev/null
	hk create --name stop1 -v cpvol:/data busybox true >/dev/null
	DK=$(mktemp -d /tmp/hk-cp.XXXXXX)
	export DK
	if dockerd_private_start "$DK"; then
		dk load -i "$FIXTURE/busybox.tar" >/dev/null
		dk run -d --name run1 busybox sleep 1000 >/dev/null
		dk create --name stop1 busybox true >/dev/null
	fi
}

teardown_file() {
	if [ -n "${DOCKERD_SOCK:-}" ] && [ -S "$DOCKERD_SOCK" ]; then
		dk ps -aq 2>/dev/null | xargs -r "$DOCKER" -H "unix://$DOCKERD_SOCK" rm -f >/dev/null 2>&1 || true
	fi
	[ -z "${DK:-}" ] || dockerd_private_stop "$DK"
	husk_file_teardown
	if [ -n "${DK:-}" ]; then
		findmnt --list -n -o TARGET | grep -F "$DK/" | sort -r | xargs -r umount -l
		rm -rf "$DK"
	fi
}

hk() {
	husk -H "unix://$HUSK_SOCK" "$@"
}

dk() {
	"$DOCKER" -H "unix://$DOCKERD_SOCK" "$@"
}

# A fresh local work dir for side $1: file, dir/sub/s, link -> file,
# dlink -> dir.
workdir() {
	local w=$BATS_TEST_TMPDIR/$1
	rm -rf "$w"
	mkdir -p "$w/dir/sub"
	echo f >"$w/file"
	echo s >"$w/dir/sub/s"
	ln -s file "$w/link"
	ln -s dir "$w/dlink"
	echo "$w"
}

# One side of a cp comparison: "<status> <output> | <files>" with the
# work dir's path taken out. $1: hk or dk; $2: the files to list after,
# "local" (the work dir) or "tmp" (run1's /tmp, reset first); the rest:
# the cp arguments.
cp_side() {
	local who=$1 where=$2 w out st=0
	shift 2
	w=$(workdir "$who")
	if [ "$where" = tmp ]; then
		"$who" exec run1 sh -c 'rm -rf /tmp/*; mkdir /tmp/d; echo x >/tmp/f; ln -s /etc /tmp/etc'
	fi
	out=$(cd "$w" && "$who" cp "$@" 2>&1) || st=$?
	# docker's CLI logs its tar writer's complaints when the copy is refused
	out=$(grep -v 'level=error' <<<"${out//$w/W}")
	if [ "$where" = tmp ]; then
		echo "$st $out | $("$who" exec run1 find /tmp | sort | tr '\n' ' ')"
	else
		echo "$st $out | $(cd "$w" && find . | sort | tr '\n' ' ')"
	fi
}

# The same cp with husk→huskd and docker→dockerd: same status, words and
# files; $2 is the status husk must give (checked even without dockerd).
same_side() {
	local where=$1 want=$2 h d
	shift 2
	h=$(cp_side hk "$where" "$@")
	[ "${h%% *}" = "$want" ] || {
		echo "husk cp $*: $h" >&2
		return 1
	}
	[ -n "$DOCKERD_SOCK" ] || return 0
	d=$(cp_side dk "$where" "$@")
	[ "$h" = "$d" ] || {
		printf 'cp %s\n husk:   %s\n docker: %s\n' "$*" "$h" "$d" >&2
		return 1
	}
}

same_cp() {
	same_side local "$@"
}

same_cp_in() {
	same_side tmp "$@"
}

# Resources of huskd that a stream must not leak.
huskd_resources() {
	local pid
	pid=$(huskd_pid)
	echo "fds=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)" \
		"children=$(pgrep -c -P "$pid" -x huskd || true)" \
		"mounts=$(grep -c -F "$HUSK_TEST_DIR" /proc/self/mountinfo || true)"
}

@test "cp out of a container: docker's path rules, words and statuses" {
	same_cp 0 run1:/etc/passwd .
	same_cp 0 run1:/etc/passwd newfile
	same_cp 0 run1:/etc/passwd file
	same_cp 0 run1:/etc/passwd link
	same_cp 0 run1:/etc/group dir
	same_cp 0 run1:/etc/group dir/
	same_cp 0 run1:/etc/group dlink
	same_cp 0 run1:/root newdir
	same_cp 0 run1:/root dir
	same_cp 0 run1:/root/. newdir2
	same_cp 0 run1:/root/. dir
	same_cp 1 run1:/root file
	same_cp 1 run1:/etc/passwd nodir/
	same_cp 1 run1:/etc/passwd nodir/x
	same_cp 1 run1:/nonexistent x
	same_cp 1 nosuch:/etc x
	same_cp 1 run1:/a stop1:/b
	same_cp 1 a b
}

@test "cp out: the file's bytes, - as a tar on stdout, -L through a symlink" {
	run -0 hk cp run1:/etc/passwd "$BATS_TEST_TMPDIR/p"
	hk exec run1 cat /etc/passwd | cmp - "$BATS_TEST_TMPDIR/p"
	run -0 bash -c "husk -H unix://$HUSK_SOCK cp run1:/etc/passwd - | tar tf -"
	assert_output passwd
	hk exec run1 ln -sf /etc/passwd /tmp/plink
	run -0 bash -c "husk -H unix://$HUSK_SOCK cp run1:/tmp/plink - | tar tvf -"
	assert_output --partial 'plink -> /etc/passwd'
	run -0 hk cp -L run1:/tmp/plink "$BATS_TEST_TMPDIR/followed"
	cmp "$BATS_TEST_TMPDIR/p" "$BATS_TEST_TMPDIR/followed"
}

@test "cp into a container: docker's path rules, words and statuses" {
	same_cp_in 0 file run1:/tmp
	same_cp_in 0 file run1:/tmp/new
	same_cp_in 0 file run1:/tmp/f
	same_cp_in 0 dir run1:/tmp/newd
	same_cp_in 0 dir run1:/tmp/d
	same_cp_in 0 dir/. run1:/tmp/d
	same_cp_in 0 link run1:/tmp
	same_cp_in 0 -L link run1:/tmp
	same_cp_in 0 -L dlink/ run1:/tmp/
	same_cp_in 1 dir run1:/tmp/f
	same_cp_in 1 file run1:/tmp/nodir/
	same_cp_in 1 file run1:/tmp/nodir/x
	same_cp_in 1 /nonexistent run1:/tmp
	same_cp_in 1 file nosuch:/tmp
}

@test "cp into a container: a tar on stdin, gzip too; - needs a directory" {
	echo hi >"$BATS_TEST_TMPDIR/hi.txt"
	tar -C "$BATS_TEST_TMPDIR" -cf "$BATS_TEST_TMPDIR/hi.tar" hi.txt
	gzip -k "$BATS_TEST_TMPDIR/hi.tar"
	run -0 hk cp - run1:/tmp <"$BATS_TEST_TMPDIR/hi.tar"
	run -0 hk exec run1 cat /tmp/hi.txt
	assert_output hi
	hk exec run1 rm /tmp/hi.txt
	run -0 hk cp - run1:/tmp <"$BATS_TEST_TMPDIR/hi.tar.gz"
	run -0 hk exec run1 cat /tmp/hi.txt
	assert_output hi
	run -1 hk cp - run1:/tmp/hi.txt <"$BATS_TEST_TMPDIR/hi.tar"
	assert_output 'destination "run1:/tmp/hi.txt" must be a directory'
}

@test "cp on a stopped container, both ways, and its volume" {
	hk exec run1 sh -c 'echo vol >/data/v'
	run -0 hk cp stop1:/etc/passwd "$BATS_TEST_TMPDIR/sp"
	hk exec run1 cat /etc/passwd | cmp - "$BATS_TEST_TMPDIR/sp"
	echo in >"$BATS_TEST_TMPDIR/in"
	run -0 hk cp "$BATS_TEST_TMPDIR/in" stop1:/root/in
	run -0 hk cp stop1:/root/in -
	assert_output --partial in
	# the volume, mounted for the copy in the child's namespace only
	run -0 hk cp stop1:/data/v "$BATS_TEST_TMPDIR/v"
	[ "$(cat "$BATS_TEST_TMPDIR/v")" = vol ]
	[ -z "$(grep -F "$HUSK_TEST_DIR" /proc/self/mountinfo | grep -F /snapshots/ | grep -v merged || true)" ]
	if [ -n "$DOCKERD_SOCK" ]; then
		same_cp 0 stop1:/etc/passwd x
		same_cp 1 stop1:/nope x
	fi
}

@test "cp sees a running container's volume and its own mount namespace" {
	hk exec run1 sh -c 'echo live >/data/live'
	run -0 hk cp run1:/data/live -
	assert_output --partial live
	echo put >"$BATS_TEST_TMPDIR/put"
	run -0 hk cp "$BATS_TEST_TMPDIR/put" run1:/data/
	run -0 hk exec run1 cat /data/put
	assert_output put
}

@test "cp -a: what is copied in belongs to the container's user, found in its /etc/passwd" {
	local d=$BATS_TEST_TMPDIR
	echo owned >"$d/owned"
	chown 42:43 "$d/owned"
	hk run -d --name cpu1 -u 1234:2345 busybox sleep 1000 >/dev/null
	hk cp -a "$d/owned" cpu1:/tmp/
	run hk exec cpu1 stat -c '%u:%g' /tmp/owned
	assert_output 1234:2345
	# without -a, the archive's owners
	hk cp "$d/owned" cpu1:/tmp/plain
	run hk exec cpu1 stat -c '%u:%g' /tmp/plain
	assert_output 42:43
	# a name from the container's own passwd (the host may have no such user)
	hk create --name cpu2 -u nobody busybox true >/dev/null
	hk cp -a "$d/owned" cpu2:/
	run bash -c "$(declare -f hk); hk cp cpu2:/owned - | tar tv --numeric-owner"
	assert_output --regexp '^-rw-r--r-- 65534/65534 '
	# no user: root
	hk create --name cpu4 busybox true >/dev/null
	hk cp -a "$d/owned" cpu4:/tmp/
	run bash -c "$(declare -f hk); hk cp cpu4:/tmp/owned - | tar tv --numeric-owner"
	assert_output --regexp '^-rw-r--r-- 0/0 '
	# a user the container does not know: said, nothing written
	hk create --name cpu3 -u nosuchuser busybox true >/dev/null
	run hk cp -a "$d/owned" cpu3:/
	assert_failure
	assert_output --partial 'unable to find user nosuchuser'
	run hk cp cpu3:/owned -
	assert_failure
	hk rm -f cpu1 cpu2 cpu3 cpu4 >/dev/null
}

@test "cp into a read-only rootfs is refused with docker's words" {
	hk run -d --name ro1 --read-only busybox sleep 1000
	run -1 hk cp "$BATS_TEST_TMPDIR" ro1:/tmp
	assert_output 'Error response from daemon: container rootfs is marked read-only'
	hk rm -f ro1
}

@test "export: the rootfs as a tar, without volumes; -o and a bad path" {
	run -0 bash -c "husk -H unix://$HUSK_SOCK export run1 | tar tf -"
	assert_line bin/busybox
	assert_line etc/passwd
	refute_line data/live
	run -0 hk export -o "$BATS_TEST_TMPDIR/s.tar" stop1
	run -0 tar tf "$BATS_TEST_TMPDIR/s.tar"
	assert_line bin/busybox
	run -1 hk export -o /nonexistent/x.tar stop1
	assert_output 'failed to export container: invalid output path: directory "/nonexistent" does not exist'
	run -1 hk export nosuch
	assert_output 'Error response from daemon: No such container: nosuch'
	run -0 hk container export stop1 -o "$BATS_TEST_TMPDIR/c.tar"
	# a terminal on stdout is refused, as docker does
	run -1 python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode())
sys.exit(os.waitstatus_to_exitcode(st))' husk -H "unix://$HUSK_SOCK" export stop1
	assert_output --partial 'cowardly refusing to save to a terminal. Use the -o flag or redirect'
}

@test "diff: added, changed, deleted, as dockerd reports them" {
	local cmd='mkdir -p /root/a/b; touch /root/a/b/c /tmp/x; rm /bin/arch; echo >>/etc/group'
	hk run -d --name df1 busybox sleep 1000 >/dev/null
	run -0 hk diff df1
	assert_output ''
	hk exec df1 sh -c "$cmd"
	run -0 hk diff df1
	hdiff=$output
	assert_line 'D /bin/arch'
	assert_line 'A /root/a/b/c'
	assert_line 'C /etc/group'
	run -0 hk container diff df1
	hk rm -f df1 >/dev/null
	if [ -n "$DOCKERD_SOCK" ]; then
		dk run -d --name df1 busybox sleep 1000 >/dev/null
		dk exec df1 sh -c "$cmd"
		ddiff=$(dk diff df1 | sort)
		dk rm -f df1 >/dev/null
		[ "$(sort <<<"$hdiff")" = "$ddiff" ]
	fi
	# (/data: the volume's mount point, made for the copy as a start makes it)
	run -0 hk diff stop1
	assert_output $'A /data\nC /root\nA /root/in'
	run -1 hk diff nosuch
}

@test "the docker CLI drives huskd's cp both ways" {
	[ -x "$DOCKER" ] || skip "the docker CLI is not at $DOCKER"
	echo dk >"$BATS_TEST_TMPDIR/dkin"
	run -0 "$DOCKER" -H "unix://$HUSK_SOCK" cp "$BATS_TEST_TMPDIR/dkin" run1:/tmp/dkin
	run -0 "$DOCKER" -H "unix://$HUSK_SOCK" cp run1:/tmp/dkin "$BATS_TEST_TMPDIR/dkout"
	cmp "$BATS_TEST_TMPDIR/dkin" "$BATS_TEST_TMPDIR/dkout"
	run -0 "$DOCKER" -H "unix://$HUSK_SOCK" cp run1:/etc "$BATS_TEST_TMPDIR/etc"
	[ -f "$BATS_TEST_TMPDIR/etc/passwd" ]
	run -1 "$DOCKER" -H "unix://$HUSK_SOCK" cp run1:/nonexistent "$BATS_TEST_TMPDIR/x"
	assert_output --partial 'Could not find the file /nonexistent in container run1'
	run -0 "$DOCKER" -H "unix://$HUSK_SOCK" diff stop1
	run -0 bash -c "'$DOCKER' -H unix://$HUSK_SOCK export stop1 | tar tf - | grep -c ."
}

# ---- attacks ----

@test "attack: symlinks to / and /etc in the container never reach the host's files" {
	local c p
	evil_tar links "$BATS_TEST_TMPDIR/links.tar"
	echo container-file >"$BATS_TEST_TMPDIR/husk-cp-marker"
	echo pwn >"$BATS_TEST_TMPDIR/husk-cp-pwned"
	for c in run1 stop1; do
		run -0 put_tar "$BATS_TEST_TMPDIR/links.tar" "$c" /tmp
		assert_output 200
		run -0 hk cp "$BATS_TEST_TMPDIR/husk-cp-marker" "$c:/etc/"
		for p in /tmp/rootl/etc/husk-cp-marker /tmp/upl/husk-cp-marker /tmp/etcl/husk-cp-marker; do
			run -0 bash -c "husk -H unix://$HUSK_SOCK cp $c:$p - | tar xOf -"
			assert_output container-file
		done
		# writes through them land in the container's /etc, as docker's do
		run -0 hk cp "$BATS_TEST_TMPDIR/husk-cp-pwned" "$c:/tmp/etcl/"
		run -0 hk cp "$BATS_TEST_TMPDIR/husk-cp-pwned" "$c:/tmp/upl/"
		run -0 bash -c "husk -H unix://$HUSK_SOCK cp $c:/etc/husk-cp-pwned - | tar xOf -"
		assert_output pwn
	done
	[ ! -e /etc/husk-cp-pwned ]
	[ ! -e /etc/husk-cp-marker ]
}

# A tar made by python: a symlink to the host's /etc, a file through it,
# "../" names and a hard link out.
evil_tar() {
	python3 - "$1" "$2" <<'EOF'
import io, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w") as t:
    def add(name, data=b"pwned\n", **kw):
        ti = tarfile.TarInfo(name)
        for k, v in kw.items():
            setattr(ti, k, v)
        ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
        t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
    if kind == "links":
        add("etcl", type=tarfile.SYMTYPE, linkname="/etc")
        add("rootl", type=tarfile.SYMTYPE, linkname="/")
        add("upl", type=tarfile.SYMTYPE, linkname="../../../../../etc")
    elif kind == "symlink":
        add("evil", type=tarfile.SYMTYPE, linkname="/etc")
        add("evil/husk-cp-evil")
    elif kind == "dotdot":
        add("../../../../../../etc/husk-cp-evil")
    elif kind == "hardlink":
        add("hl", type=tarfile.LNKTYPE, linkname="../../../../etc/passwd")
    elif kind == "whiteout":
        add(".wh.passwd")
    elif kind == "dir-over-file":
        add("passwd", type=tarfile.DIRTYPE, mode=0o755)
    elif kind == "device":
        add("null2", type=tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666)
EOF
}

put_tar() {
	curl -s -o "$BATS_TEST_TMPDIR/put.out" -w '%{http_code}' --unix-socket "$HUSK_SOCK" \
		-X PUT -T "$1" "http://d/v1.43/containers/$2/archive?path=$3&noOverwriteDirNonDir=true"
}

@test "attack: a tar's symlink, ../ names and hard links cannot write outside" {
	local c kind
	for c in run1 stop1; do
		for kind in symlink dotdot hardlink; do
			evil_tar "$kind" "$BATS_TEST_TMPDIR/$kind.tar"
			run -0 put_tar "$BATS_TEST_TMPDIR/$kind.tar" "$c" /tmp
			assert_output 500
			[ ! -e /etc/husk-cp-evil ]
			[ ! -e /tmp/husk-cp-evil ]
			[ ! -e /tmp/hl ]
		done
		# nor in the container outside the target
		run -1 hk cp "$c:/etc/husk-cp-evil" -
		run -1 hk cp "$c:/tmp/hl" -
	done
	evil_tar dotdot "$BATS_TEST_TMPDIR/dd.tar"
	run -0 put_tar "$BATS_TEST_TMPDIR/dd.tar" run1 /tmp
	run cat "$BATS_TEST_TMPDIR/put.out"
	assert_output --partial 'path escapes'
}

@test "PUT: whiteout names are plain files; dir/non-dir replacement refused as dockerd" {
	evil_tar whiteout "$BATS_TEST_TMPDIR/wh.tar"
	run -0 put_tar "$BATS_TEST_TMPDIR/wh.tar" run1 /etc
	assert_output 200
	run -0 hk exec run1 cat /etc/passwd # not deleted by the ".wh." name
	run -0 hk exec run1 cat /etc/.wh.passwd
	evil_tar dir-over-file "$BATS_TEST_TMPDIR/dof.tar"
	run -0 put_tar "$BATS_TEST_TMPDIR/dof.tar" run1 /etc
	assert_output 500
	run cat "$BATS_TEST_TMPDIR/put.out"
	assert_output '{"message":"cannot overwrite non-directory \"/etc/passwd\" with directory \"/etc\""}'
	run -0 put_tar "$BATS_TEST_TMPDIR/dof.tar" run1 /nonexistent
	assert_output 404
	# device nodes: dockerd (as root) makes them, and so does huskd
	evil_tar device "$BATS_TEST_TMPDIR/dev.tar"
	run -0 put_tar "$BATS_TEST_TMPDIR/dev.tar" stop1 /tmp
	assert_output 200
	run -0 bash -c "husk -H unix://$HUSK_SOCK cp stop1:/tmp/null2 - | tar tvf -"
	assert_output --regexp '^crw-rw-rw- 0/0 +1,3 '
	[ ! -e /tmp/null2 ]
	run -0 put_tar "$BATS_TEST_TMPDIR/dof.tar" run1 /etc/passwd
	assert_output 400
	run cat "$BATS_TEST_TMPDIR/put.out"
	assert_output '{"message":"extraction point is not a directory"}'
}

@test "HEAD archive: the path-stat header as dockerd's, 404 for a missing file" {
	local hdr
	hdr=$(curl -sI --unix-socket "$HUSK_SOCK" "http://d/v1.43/containers/run1/archive?path=/etc/passwd" |
		tr -d '\r' | sed -n 's/^X-Docker-Container-Path-Stat: //p')
	run -0 bash -c "base64 -d <<<'$hdr'"
	assert_output --regexp '^\{"name":"passwd","size":[0-9]+,"mode":420,"mtime":"[0-9T:.-]+Z","linkTarget":""\}$'
	run -0 curl -s -o /dev/null -w '%{http_code}' -I --unix-socket "$HUSK_SOCK" \
		"http://d/v1.43/containers/run1/archive?path=/nonexistent"
	assert_output 404
	hk exec run1 ln -sfn /etc/passwd /tmp/pl
	hdr=$(curl -sI --unix-socket "$HUSK_SOCK" "http://d/v1.43/containers/run1/archive?path=/tmp/pl" |
		tr -d '\r' | sed -n 's/^X-Docker-Container-Path-Stat: //p')
	run -0 bash -c "base64 -d <<<'$hdr'"
	assert_output --partial '"mode":134218239' # symlink | 0777
	assert_output --partial '"linkTarget":"/etc/passwd"'
}

@test "a client leaving mid-stream leaks no fd, mount or child" {
	local before after
	hk exec run1 dd if=/dev/zero of=/tmp/big bs=1M count=64 2>/dev/null
	hk cp run1:/tmp/big "$BATS_TEST_TMPDIR/warm" # the first request's own allocations
	rm -f "$BATS_TEST_TMPDIR/warm"
	before=$(huskd_resources)
	for c in run1 stop1; do
		curl -s --unix-socket "$HUSK_SOCK" "http://d/v1.43/containers/$c/archive?path=/bin" |
			head -c 1000 >/dev/null || true
		curl -s --unix-socket "$HUSK_SOCK" "http://d/v1.43/containers/$c/export" |
			head -c 1000 >/dev/null || true
	done
	# a PUT whose body stops half way (the client is gone)
	python3 - "$HUSK_SOCK" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"PUT /v1.43/containers/stop1/archive?path=/tmp HTTP/1.1\r\nHost: d\r\n"
          b"Transfer-Encoding: chunked\r\nContent-Type: application/x-tar\r\n\r\n"
          b"1000\r\n" + b"\0" * 100)
s.close()
EOF
	for _ in $(seq 1 50); do
		after=$(huskd_resources)
		[ "$after" = "$before" ] && break
		sleep 0.1
	done
	[ "$after" = "$before" ] || {
		echo "before: $before after: $after" >&2
		return 1
	}
	kill -0 "$(huskd_pid)"
}

@test "cp, export, diff: usage errors as docker's" {
	run -125 hk cp
	assert_output --partial '"husk cp" requires exactly 2 arguments'
	run -1 hk cp "" run1:/tmp
	assert_output 'source can not be empty'
	run -1 hk cp run1:/tmp ""
	assert_output 'destination can not be empty'
	run -0 hk container cp run1:/etc/hostname "$BATS_TEST_TMPDIR/hn"
}
