#!/usr/bin/env bash
# Bazel test: renders and validates k8s/ (see validate_manifests.mjs) with the
# kubectl on PATH and the npm packages scripts/install-deps.sh put in
# WEFT_NODE_MODULES.
set -euo pipefail
if [[ -z "${WEFT_NODE_MODULES:-}" || ! -d "${WEFT_NODE_MODULES}/kubernetes-models" ]]; then
  echo "WEFT_NODE_MODULES does not name the installed npm packages: run scripts/install-deps.sh," >&2
  echo "and run the tests through scripts/test.sh (or pass --test_env=WEFT_NODE_MODULES=\$(scripts/node-modules-path.sh))" >&2
  exit 1
fi
for tool in kubectl node; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
# A real copy: kustomize refuses files reached through links out of its root.
work="${TEST_TMPDIR:-$(mktemp -d)}/manifests"
rm -rf "$work"
mkdir -p "$work"
cp -rL "${TEST_SRCDIR}/${TEST_WORKSPACE}/k8s" "$work/k8s"
ln -s "$WEFT_NODE_MODULES" "$work/k8s/tests/node_modules"
kubectl version --client 2>/dev/null | head -2 || true
exec node "$work/k8s/tests/validate_manifests.mjs" "$work/k8s" kubectl
