#!/usr/bin/env bash
# fuzz.sh: run every native Go fuzz target of the module for a short time.
# Usage: fuzz.sh [DURATION]   (default 10s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}
ran=0
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "${pkg}" | grep '^Fuzz' || true); do
		echo "fuzz: ${pkg} ${target} for ${time}"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "${time}" "${pkg}"
		ran=$((ran + 1))
	done
done
echo "fuzz: ${ran} targets ran"
