#!/bin/bash
# Install husk's Debian build and test dependencies. Idempotent and quiet
# when everything is present; apt-get update runs only when something is
# missing.
set -euo pipefail

PACKAGES=(
	# build
	meson ninja-build pkg-config gcc libc6-dev
	libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev
	libarchive-dev libzstd-dev zlib1g-dev libisal-dev libseccomp-dev libcap-dev libmnl-dev
	# tests
	libcmocka-dev bats bats-assert bats-support
	busybox-static jq curl socat clang-format shellcheck bpftool
	# peers the tests and benchmarks compare with and interoperate with
	runc skopeo podman hyperfine containerd time debootstrap isal
	docker-registry apache2-utils docker.io python3-docker wrk libcrypt-dev libnftables-dev libgnutls28-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
	[[ $p == \#* ]] && continue
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
