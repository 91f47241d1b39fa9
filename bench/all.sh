#!/bin/bash
# make bench: run every benchmark in bench/ (each prints its ratio last).
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
rc=0
for b in "$SRC"/bench/*.sh; do
	case $(basename "$b") in all.sh | mk*.sh) continue ;; esac
	echo "== $(basename "$b")"
	"$b" "$BUILD" || rc=1
done
exit $rc
