#!/usr/bin/env bats
# Health checks: Config.Healthcheck (flags, API, the image's) probed by
# huskd while the container runs; State.Health in inspect, the ps status
# and health filter, health_status events, the docker CLI's view, survival
# across a huskd restart and a restart policy restart, dockerd's errors;
# and, where a dockerd runs here, the same run compared with dockerd's.

load helpers

DOCKER=/usr/local/bin/docker

setup_file() {
	husk_file_setup_busybox
	# the last test's private dockerd: short, containerd's sockets live here
	DK=$(mktemp -d /tmp/hk-health.XXXXXX)
	export DK
	# an image whose config has a health check
	tar -C "$FIXTURE/rootfs" -cf "$HUSK_TEST_DIR/rootfs.tar" .
	husk import -c 'HEALTHCHECK CMD echo from-image' -c 'CMD ["sleep", "1000"]' \
		"$HUSK_TEST_DIR/rootfs.tar" hc-image:v1 >/dev/null
}

teardown_file() {
	if [ -n "${DK:-}" ] && [ -d "$DK" ]; then
		if [ -S "$DK/docker.sock" ]; then
			"$DOCKER" -H "unix://$DK/docker.sock" ps -aq 2>/dev/null |
				xargs -r "$DOCKER" -H "unix://$DK/docker.sock" rm -f >/dev/null 2>&1 || true
		fi
		dockerd_private_stop "$DK"
		# what dockerd started (containerd, shims) and mounted under $DK
		pgrep -f -- "$DK/" | xargs -r kill -KILL 2>/dev/null || true
		findmnt --list -n -o TARGET | grep -F "$DK/" | sort -r | xargs -r umount -l
		rm -rf "$DK"
	fi
	husk_file_teardown
}

teardown() {
	[ -S "${HUSK_SOCK:-}" ] || return 0
	husk ps -aq | xargs -r husk rm -f >/dev/null 2>&1 || true
}

api() {
	curl -sS --max-time 60 --unix-socket "$HUSK_SOCK" "$@"
}

health() {
	husk inspect --format '{{json .State.Health}}' "$1"
}

# wait_health NAME STATUS [SECONDS]: until State.Health.Status is STATUS.
wait_health() {
	local s=
	for _ in $(seq 1 $((${3:-15} * 10))); do
		s=$(husk inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1")
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1: health \"$s\", expected \"$2\"; $(health "$1")" >&2
	return 1
}

@test "health: a passing check makes the container healthy, with its log" {
	husk run -d --name ok --health-cmd 'echo hi; exit 0' --health-interval 1s busybox sleep 1000
	run -0 health ok
	echo "$output" | jq -e '.Status == "starting" and .FailingStreak == 0 and .Log == []'
	run -0 husk ps --filter name=ok --format '{{.Status}}'
	assert_output --regexp '^Up .* \(health: starting\)$'
	wait_health ok healthy
	sleep 1.2
	run -0 health ok
	echo "$output" | jq -e '.FailingStreak == 0 and (.Log | length) >= 2 and (.Log | length) <= 5'
	echo "$output" | jq -e '.Log | all(.ExitCode == 0 and .Output == "hi\n")'
	echo "$output" | jq -e '.Log[0] | keys == ["End", "ExitCode", "Output", "Start"]'
	echo "$output" | jq -e '.Log[0].Start | test("^[0-9-]{10}T[0-9:]{8}(\\.[0-9]+)?Z$")'
	echo "$output" | jq -e '.Log | all(.End >= .Start)'
	run -0 husk inspect --format '{{json .Config.Healthcheck}}' ok
	assert_output '{"Test":["CMD-SHELL","echo hi; exit 0"],"Interval":1000000000}'
	# probes are execs dockerd does not keep
	run -0 husk inspect --format '{{json .ExecIDs}}' ok
	assert_output null
	run -0 husk ps --filter name=ok --format '{{.Status}}'
	assert_output --regexp '^Up .* \(healthy\)$'
	run -0 husk ps --filter health=healthy --format '{{.Names}}'
	assert_output ok
	run -0 husk ps --filter health=none --filter health=unhealthy --format '{{.Names}}'
	assert_output ''
}

@test "health: failures make it unhealthy after Retries; no check is health=none" {
	husk run -d --name bad --health-cmd 'echo oops >&2; exit 3' --health-interval 1s \
		--health-retries 2 busybox sleep 1000
	husk run -d --name plain busybox sleep 1000
	wait_health bad unhealthy
	run -0 health bad
	echo "$output" | jq -e '.FailingStreak >= 2 and (.Log | all(.ExitCode == 3 and .Output == "oops\n"))'
	run -0 husk ps --filter name=bad --format '{{.Status}}'
	assert_output --regexp '^Up .* \(unhealthy\)$'
	run -0 husk ps --filter health=unhealthy --format '{{.Names}}'
	assert_output bad
	run -0 husk ps --filter health=none --format '{{.Names}}'
	assert_output plain
	run -0 husk inspect --format '{{json .State.Health}}' plain
	assert_output null
	run -0 husk ps --filter name=plain --format '{{.Status}}'
	assert_output --regexp '^Up [^(]*$'
	run -1 husk ps --filter health=bogus
	assert_output --partial 'Unrecognised filter value for health: bogus'
}

@test "health: a paused container's probes fail with dockerd's words and make it unhealthy" {
	husk run -d --name pz --health-cmd 'exit 0' --health-interval 1s --health-retries 2 \
		busybox sleep 1000
	wait_health pz healthy
	husk pause pz
	wait_health pz unhealthy
	id=$(husk inspect -f '{{.Id}}' pz)
	run -0 health pz
	echo "$output" | jq -e --arg m "Container $id is paused, unpause the container before exec" \
		'.FailingStreak >= 2 and (.Log[-1] | .ExitCode == -1 and .Output == $m)'
	husk unpause pz
	wait_health pz healthy
	husk rm -f pz >/dev/null
}

@test "health: a probe past its timeout is killed and fails with dockerd's words" {
	husk run -d --name slow --health-cmd 'echo started; sleep 97' --health-interval 1s \
		--health-timeout 1s --health-retries 1 busybox sleep 1000
	wait_health slow unhealthy 20
	run -0 health slow
	echo "$output" | jq -e '.Log[0].ExitCode == -1'
	echo "$output" | jq -e '.Log[0].Output == "Health check exceeded timeout (1s): started\n"'
	# the probe is gone, not left behind in the container
	sleep 0.5
	run -0 husk top slow
	refute_output --partial 'sleep 97'
}

@test "health: output is cut at 4096 bytes with dockerd's marker" {
	# shellcheck disable=SC2016 # the container's shell expands it
	husk run -d --name big --health-interval 1s \
		--health-cmd 'i=0; while [ $i -lt 500 ]; do echo 0123456789; i=$((i+1)); done' \
		busybox sleep 1000
	wait_health big healthy
	run -0 health big
	echo "$output" | jq -e '.Log[0].Output | length == 4099 and endswith("...")'
}

@test "health: failures in the start period do not count; a success ends it" {
	husk run -d --name sp --health-cmd 'test -e /tmp/ok' --health-interval 1s \
		--health-start-period 60s --health-start-interval 1s --health-retries 1 \
		busybox sleep 1000
	sleep 3.5
	run -0 health sp
	echo "$output" | jq -e '.Status == "starting" and .FailingStreak == 0 and (.Log | length) >= 2'
	echo "$output" | jq -e '.Log | all(.ExitCode == 1)'
	husk exec sp touch /tmp/ok
	wait_health sp healthy
	husk exec sp rm /tmp/ok
	# the start period is over: one failure (Retries 1) is enough
	wait_health sp unhealthy
	run -0 health sp
	echo "$output" | jq -e '.FailingStreak >= 1'
}

@test "health: the exec form of Test through the API" {
	run -0 api -X POST -H 'Content-Type: application/json' 'http://d/containers/create?name=cmdform' \
		-d '{"Image": "busybox", "Cmd": ["sleep", "1000"],
		     "Healthcheck": {"Test": ["CMD", "/bin/echo", "exec", "form"], "Interval": 1000000000}}'
	husk start cmdform
	wait_health cmdform healthy
	run -0 health cmdform
	echo "$output" | jq -e '.Log[0].Output == "exec form\n"'
}

@test "health: the image's health check is inherited, --no-healthcheck turns it off" {
	husk run -d --name inherit --health-interval 1s hc-image:v1
	run -0 husk inspect --format '{{json .Config.Healthcheck}}' inherit
	assert_output '{"Test":["CMD-SHELL","echo from-image"],"Interval":1000000000}'
	wait_health inherit healthy
	run -0 health inherit
	echo "$output" | jq -e '.Log[0].Output == "from-image\n"'

	husk run -d --name off --no-healthcheck hc-image:v1
	run -0 husk inspect --format '{{json .Config.Healthcheck}}' off
	assert_output '{"Test":["NONE"]}'
	sleep 1.5
	run -0 husk inspect --format '{{json .State.Health}}' off
	assert_output null
	run -0 husk ps --filter health=none --format '{{.Names}}'
	assert_output off
}

@test "health: health_status events, and the probes' exec events" {
	since=$(date +%s)
	husk run -d --name ev --health-cmd 'exit 0' --health-interval 1s busybox sleep 1000
	wait_health ev healthy
	husk rm -f ev
	run -0 husk events --since "$since" --until "$(date +%s.%N)" --filter container=ev \
		--format '{{.Type}} {{.Action}}'
	assert_line 'container health_status: healthy'
	assert_line 'container exec_create: /bin/sh -c exit 0'
	assert_line 'container exec_start: /bin/sh -c exit 0'
	# once: an event marks a change, not every probe
	[ "$(grep -c health_status <<<"$output")" -eq 1 ]
	run -0 husk events --since "$since" --until "$(date +%s.%N)" \
		--filter event=health_status --format '{{.Action}} {{.Actor.Attributes.name}}'
	assert_output 'health_status: healthy ev'
}

@test "health: the docker CLI sees the same" {
	[ -x "$DOCKER" ] || skip "the docker CLI is not at $DOCKER"
	export DOCKER_HOST=unix://$HUSK_SOCK
	# (the docker CLI sends --health-start-interval to API 1.44 and later only)
	"$DOCKER" run -d --name dk --health-cmd 'exit 0' --health-interval 1s \
		--health-start-period 5s --health-start-interval 100ms busybox sleep 1000
	run -0 "$DOCKER" inspect --format '{{.Config.Healthcheck.StartPeriod}}' dk
	assert_output 5s
	run -0 "$DOCKER" inspect --format '{{.Config.Healthcheck.StartInterval}}' dk
	assert_output 100ms
	wait_health dk healthy
	run -0 "$DOCKER" inspect --format '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' dk
	assert_output 'healthy 0'
	run -0 "$DOCKER" ps --filter health=healthy --format '{{.Names}} {{.Status}}'
	assert_output --regexp '^dk Up .* \(healthy\)$'
	run -1 "$DOCKER" create --health-interval 1ns busybox
	assert_output --partial 'Interval in Healthcheck cannot be less than 1ms'
}

@test "health: State.Health survives a huskd restart and probing goes on" {
	husk run -d --name live --health-cmd 'exit 0' --health-interval 1s busybox sleep 1000
	wait_health live healthy
	sleep 1.5
	before=$(health live | jq '.Log | length')
	last=$(health live | jq -r '.Log[-1].Start')
	id=$(husk inspect --format '{{.Id}}' live)
	huskd_stop
	run -0 jq -e '.State.Health.Status == "healthy"' \
		"$HUSK_DATA_ROOT/containers/$id/config.v2.json"
	huskd_start
	run -0 health live
	echo "$output" | jq -e '(.Log | length) >= '"$before"
	wait_health live healthy
	sleep 1.2
	run -0 health live
	echo "$output" | jq -e '.Log[-1].Start > "'"$last"'"'
	# stopped: no more probes, and dockerd's "unhealthy" once its monitor stops
	husk stop -t 1 live
	run -0 husk inspect --format '{{.State.Health.Status}}' live
	assert_output unhealthy
	n=$(health live | jq '.Log | length')
	stopped=$(health live | jq -r '.Log[-1].Start')
	sleep 1.5
	[ "$(health live | jq -r '.Log[-1].Start')" = "$stopped" ]
	# started again: starting, the log kept, then healthy
	husk start live
	run -0 health live
	echo "$output" | jq -e '.Status == "starting" and (.Log | length) == '"$n"
	wait_health live healthy
}

@test "health: a restart policy restart probes the new run" {
	husk run -d --name rp --restart on-failure --health-cmd 'exit 0' --health-interval 1s \
		busybox sh -c 'sleep 2; exit 1'
	wait_health rp healthy
	for _ in $(seq 1 100); do
		[ "$(husk inspect --format '{{.RestartCount}}' rp)" -ge 1 ] && break
		sleep 0.1
	done
	run -0 husk inspect --format '{{.RestartCount}}' rp
	[ "$output" -ge 1 ]
	started=$(husk inspect --format '{{.State.StartedAt}}' rp)
	sleep 1.5
	run -0 health rp
	echo "$output" | jq -e '.Log[-1].Start > "'"$started"'"'
}

@test "health: bad values are refused with docker's and dockerd's words" {
	run -125 husk create --health-retries -1 --health-cmd true busybox
	assert_output --partial -- '--health-retries cannot be negative'
	run -125 husk create --health-interval=-1s busybox
	assert_output --partial -- '--health-interval cannot be negative'
	run -125 husk create --no-healthcheck --health-cmd true busybox
	assert_output --partial -- '--no-healthcheck conflicts with --health-* options'
	run -125 husk create --health-interval 1x busybox
	assert_output --partial 'invalid argument "1x" for "--health-interval" flag'
	run -1 husk create --health-interval 1ns busybox
	assert_output --partial 'Interval in Healthcheck cannot be less than 1ms'
	run -1 husk create --health-timeout 500us busybox
	assert_output --partial 'Timeout in Healthcheck cannot be less than 1ms'
	for kv in 'Retries -1 Retries in Healthcheck cannot be negative' \
		'StartPeriod 5 StartPeriod in Healthcheck cannot be less than 1ms' \
		'StartInterval 5 StartInterval in Healthcheck cannot be less than 1ms'; do
		read -r key val msg <<<"$kv"
		run -0 curl -s -o "$HUSK_TEST_DIR/body" -w '%{http_code}' --unix-socket "$HUSK_SOCK" \
			-H 'Content-Type: application/json' -X POST http://d/containers/create \
			-d '{"Image": "busybox", "Healthcheck": {"Test": ["CMD", "true"], "'"$key"'": '"$val"'}}'
		assert_output 400
		jq -e --arg m "$msg" '.message == $m' "$HUSK_TEST_DIR/body"
	done
	run -0 husk ps -aq
	assert_output ''
}

# ---- the same run on a real dockerd, where one runs here ----

@test "health: inspect's Health and the errors match dockerd's" {
	dockerd_private_start "$DK" || skip "no dockerd runs here (dockerd or $DOCKER missing)"
	dk() { "$DOCKER" -H "unix://$DOCKERD_SOCK" "$@"; }
	dk load -i "$FIXTURE/busybox.tar" >/dev/null
	for cli in dk husk; do
		$cli run -d --name cmp-ok --health-cmd 'echo hi' --health-interval 1s busybox sleep 1000
		$cli run -d --name cmp-slow --health-cmd 'sleep 5' --health-interval 1s \
			--health-timeout 1s --health-retries 1 busybox sleep 1000
	done >/dev/null
	sleep 4.5
	shape='{Status, FailingStreak: (.FailingStreak > 0),
		Log: [.Log[0] | {ExitCode, Output, Start: (.Start | type), End: (.End | type)}]}'
	for c in cmp-ok cmp-slow; do
		want=$(dk inspect --format '{{json .State.Health}}' "$c" | jq -cS "$shape")
		got=$(husk inspect --format '{{json .State.Health}}' "$c" | jq -cS "$shape")
		[ "$got" = "$want" ] || {
			echo "$c: husk $got, dockerd $want" >&2
			false
		}
		want=$(dk ps --filter "name=$c" --format '{{.Status}}' | sed 's/^Up [^(]*//')
		got=$(husk ps --filter "name=$c" --format '{{.Status}}' | sed 's/^Up [^(]*//')
		[ "$got" = "$want" ]
		want=$(dk inspect --format '{{json .Config.Healthcheck}}' "$c")
		got=$(husk inspect --format '{{json .Config.Healthcheck}}' "$c")
		[ "$got" = "$want" ]
	done
	for args in '--health-retries -1 --health-cmd true' '--health-interval 1ns' \
		'--no-healthcheck --health-cmd true' '--health-timeout 500us'; do
		# shellcheck disable=SC2086
		want=$(dk create $args busybox 2>&1 | head -1 | sed 's/^docker: //')
		# shellcheck disable=SC2086
		got=$(husk create $args busybox 2>&1 | head -1 | sed 's/^husk: //')
		[ "$got" = "$want" ] || {
			echo "$args: husk \"$got\", dockerd \"$want\"" >&2
			false
		}
	done
	# husk's CLI against a daemon older than API 1.44 (this dockerd): the
	# start interval is refused before anything is created, as docker does
	run husk -H "unix://$DOCKERD_SOCK" create --name old-api --health-cmd true \
		--health-start-interval 1s busybox
	assert_failure
	assert_output --regexp '"--health-start-interval" requires API version 1.44, but the daemon API version is 1\.[0-9]+'
	run dk inspect old-api
	assert_failure
}
