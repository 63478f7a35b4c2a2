#!/usr/bin/env bash
# Checks the Prometheus rule files with `promtool check rules` and runs their
# unit tests (tests/*.test.yaml) with `promtool test rules`. Runs under
# `bazel test //k8s/prometheus:promtool_test`; needs promtool (Debian's
# `prometheus` package, /usr/bin/promtool). $PROMTOOL overrides the binary.
set -euo pipefail

promtool="${PROMTOOL:-}"
if [[ -z "${promtool}" ]]; then
  promtool="$(command -v promtool || true)"
fi
if [[ -z "${promtool}" && -x /usr/bin/promtool ]]; then
  promtool=/usr/bin/promtool
fi
if [[ -z "${promtool}" || ! -x "${promtool}" ]]; then
  echo "FAIL: promtool not found (looked at \$PROMTOOL, PATH and /usr/bin/promtool)." >&2
  echo "      Install it with: sudo apt-get install prometheus" >&2
  exit 1
fi

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  dir="${TEST_SRCDIR}/${TEST_WORKSPACE:-weft}/k8s/prometheus"
else
  dir="$(cd "$(dirname "$0")" && pwd)"
fi

shopt -s nullglob
rule_files=("${dir}"/rules/*.rules.yaml)
test_files=("${dir}"/tests/*.test.yaml)
if (( ${#rule_files[@]} == 0 || ${#test_files[@]} == 0 )); then
  echo "FAIL: no rule files or no test files under ${dir}" \
    "(rules: ${#rule_files[@]}, tests: ${#test_files[@]}); check the data of the test" >&2
  exit 1
fi

"${promtool}" --version 2>&1 | head -n 1
status=0
echo "== promtool check rules"
if ! "${promtool}" check rules "${rule_files[@]}"; then
  echo "FAIL: promtool check rules" >&2
  status=1
fi
for f in "${test_files[@]}"; do
  echo "== promtool test rules ${f#"${dir}"/}"
  if ! "${promtool}" test rules "${f}"; then
    echo "FAIL: promtool test rules ${f#"${dir}"/}" >&2
    status=1
  fi
done
if (( status == 0 )); then
  echo "PASS: ${#rule_files[@]} rule files checked, ${#test_files[@]} test files passed"
fi
exit "${status}"
