#!/usr/bin/env bash
# Writes compile_commands.json (for clangd and other editors) from Bazel's
# action graph: every C++ compile action of //..., with paths made absolute
# against the execution root.
set -euo pipefail
cd "$(dirname "$0")/.."
bazel build //...  # generated headers must exist
execroot="$(bazel info execution_root 2>/dev/null)"
bazel aquery 'mnemonic("CppCompile", //...)' --output=jsonproto 2>/dev/null |
  python3 -c '
import json, sys
execroot = sys.argv[1]
graph = json.load(sys.stdin)
entries = []
for action in graph.get("actions", []):
    args = action.get("arguments", [])
    if "-c" not in args:
        continue
    src = args[args.index("-c") + 1]
    entries.append({"directory": execroot, "arguments": args, "file": src})
json.dump(entries, sys.stdout, indent=1)
' "$execroot" > compile_commands.json
echo "compile_commands.json: $(grep -c '"file"' compile_commands.json) entries"
