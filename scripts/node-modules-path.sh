#!/usr/bin/env bash
# Prints where scripts/install-deps.sh keeps the npm packages of
# k8s/tests/package-lock.json: one directory per version of the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
lock_hash="$(sha256sum k8s/tests/package-lock.json | cut -c1-16)"
echo "${XDG_CACHE_HOME:-$HOME/.cache}/weft/npm-$lock_hash/node_modules"
