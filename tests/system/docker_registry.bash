# shellcheck shell=bash
# Debian's docker-registry (distribution 2.8) as a peer: the configuration
# the system tests (registry_cli.bats, registry_client.bats) and the
# benchmarks (bench/lib.sh) give it. Sourced (in bats: `load
# docker_registry`); it starts nothing by itself and must not depend on
# bats, so that the benchmarks can use it too.

# docker_registry_config DIR ADDR [YAML]: write DIR/config.yml for a
# registry that keeps its blobs in DIR/data (deletes allowed), logs errors
# only, and listens on ADDR unless YAML (more top-level configuration,
# e.g. auth:) brings an http: section of its own.
docker_registry_config() {
	local dir=$1
	mkdir -p "$dir/data"
	cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
${3:-}
EOF
	if ! grep -q '^http:' "$dir/config.yml"; then
		printf 'http:\n  addr: "%s"\n  secret: husk-test\n' "$2" >>"$dir/config.yml"
	fi
}
