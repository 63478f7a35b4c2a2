// Runs a program to completion and collects its standard output; its
// standard error passes through to ours (so a child's logs show as it runs).
// The benchmark re-executes itself this way once per (model, precision), so
// that each row's peak memory is that of a process that ran only that row.
#ifndef WEFT_COMMON_ENGINE_BENCH_CHILD_PROCESS_H_
#define WEFT_COMMON_ENGINE_BENCH_CHILD_PROCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace weft::engine::bench {

struct ChildResult {
  int wait_status = 0;  // as waitpid reports it
  std::string stdout_text;

  // Whether the child exited with status 0.
  bool Succeeded() const;
  // "exit status N" or "killed by signal N".
  std::string Describe() const;
};

// Starts argv[0] (a path) with `argv` and standard input from /dev/null,
// and waits for it. Internal if it cannot be started.
absl::StatusOr<ChildResult> RunChild(const std::vector<std::string>& argv);

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_CHILD_PROCESS_H_
