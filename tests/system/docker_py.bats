#!/usr/bin/env bats
# Debian's python3-docker SDK against huskd, negotiating the API version:
# run (attached, --rm, detached), logs, exec_run (exit codes, demux,
# stream), list and filters, attrs, stop, kill, wait, remove, and the SDK's
# exceptions for Docker's errors.

load helpers

setup_file() {
	husk_file_setup
	huskd_start
	FIXTURE=$("$FIXTURES/mkbusybox.sh")
	export FIXTURE
	husk load -i "$FIXTURE/busybox.tar" >/dev/null
}

teardown_file() {
	husk_file_teardown
}

setup() {
	python3 -c 'import docker' 2>/dev/null || skip "python3-docker is not installed on this host"
}

# Run a Python snippet with `client` connected to this file's huskd.
py() {
	python3 - "$HUSK_SOCK" <<EOF
import sys, time, docker
client = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
$1
EOF
}

@test "version negotiation" {
	run py 'print(client.api.api_version, client.version()["ApiVersion"])'
	assert_success
	assert_output '1.44 1.44'
}

@test "containers.run: attached output, --rm, exit status as ContainerError" {
	run py '
print(repr(client.containers.run("busybox", ["echo", "hello"], remove=True)))
try:
    client.containers.run("busybox", ["sh", "-c", "echo oops >&2; exit 3"], remove=True)
except docker.errors.ContainerError as e:
    print("exit", e.exit_status)
print(len(client.containers.list(all=True)))'
	assert_success
	assert_line --index 0 "b'hello\\n'"
	assert_line --index 1 'exit 3'
	assert_line --index 2 '0'
}

@test "detached: logs, exec_run, list filters, attrs, stop, remove" {
	run py '
c = client.containers.run("busybox", ["sh", "-c", "echo started; sleep 300"], detach=True,
                          name="py1", labels={"app": "demo"})
for _ in range(50):
    if c.logs():
        break
    time.sleep(0.1)
print(c.logs().decode().strip())
r = c.exec_run(["sh", "-c", "echo out; exit 4"])
print(r.exit_code, r.output.decode().strip())
r = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
print(r.exit_code, r.output)
r = c.exec_run("env", environment={"X": "1"}, user="nobody", workdir="/tmp")
print("X=1" in r.output.decode())
print([x.name for x in client.containers.list(filters={"label": "app=demo"})])
print([x.name for x in client.containers.list(filters={"status": "exited"})])
c.reload()
print(c.status, c.attrs["Config"]["Labels"]["app"], c.attrs["State"]["Running"])
print(c.top()["Titles"][1])
s = c.stats(stream=False)
print(s["name"], s["pids_stats"]["current"] >= 1)
c.stop(timeout=1)
c.reload()
print(c.status, c.attrs["State"]["ExitCode"])
c.remove()
try:
    client.containers.get("py1")
except docker.errors.NotFound:
    print("gone")'
	assert_success
	assert_line --index 0 started
	assert_line --index 1 '4 out'
	assert_line --index 2 "0 (b'o\\n', b'e\\n')"
	assert_line --index 3 True
	assert_line --index 4 "['py1']"
	assert_line --index 5 '[]'
	assert_line --index 6 'running demo True'
	assert_line --index 7 PID
	assert_line --index 8 '/py1 True'
	assert_line --index 9 'exited 137'
	assert_line --index 10 gone
}

@test "kill, wait, streaming logs and exec, errors" {
	run py '
c = client.containers.run("busybox", ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.2; done; exit 5"],
                          detach=True)
print(c.wait()["StatusCode"])
print(b"".join(c.logs(stream=True)).decode().split())
c.remove()
c = client.containers.run("busybox", ["sleep", "300"], detach=True)
out = c.exec_run(["sh", "-c", "echo a; echo b"], stream=True).output
print(b"".join(out).decode().split())
c.kill()
print(c.wait()["StatusCode"])
try:
    c.kill()
except docker.errors.APIError as e:
    print(e.status_code, "is not running" in str(e))
c.remove()
try:
    client.containers.create("nosuch", "true")
except docker.errors.ImageNotFound:
    print("no image")
try:
    client.containers.create("busybox", "true", name="bad name")
except docker.errors.APIError as e:
    print(e.status_code)'
	assert_success
	assert_line --index 0 5
	assert_line --index 1 "['1', '2', '3']"
	assert_line --index 2 "['a', 'b']"
	assert_line --index 3 137
	assert_line --index 4 '409 True'
	assert_line --index 5 'no image'
	assert_line --index 6 400
}
