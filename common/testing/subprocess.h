// A child process for integration tests: started with posix_spawn, output to
// a log file, signalled and reaped with timeouts. The destructor kills and
// reaps a child that is still running, so a failing test leaks nothing.
#ifndef WEFT_COMMON_TESTING_SUBPROCESS_H_
#define WEFT_COMMON_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace weft::testutil {

class Subprocess {
 public:
  // Starts argv[0] (a path) with `argv`; stdout and stderr go to `log_path`.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const std::vector<std::string>& argv,
                                                           const std::string& log_path);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  absl::Status Signal(int signal);

  // Waits until the child exits and returns its wait status (see waitpid),
  // or DeadlineExceeded after `timeout` (the child keeps running).
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // True until the child has been reaped (by Wait) or found exited.
  bool Running();

  // The log file's contents so far.
  std::string Log() const;

 private:
  Subprocess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}

  pid_t pid_;
  std::string log_path_;
  bool reaped_ = false;
  int wait_status_ = 0;
};

// What a weft service writes to --ready_file once serving.
struct ReadyInfo {
  int grpc_port = 0;
  int metrics_port = 0;
  int pid = 0;
};

// Polls for `path` until it exists and parses, the process exits (an error
// with its log), or `timeout` passes.
absl::StatusOr<ReadyInfo> WaitForReadyFile(const std::string& path, Subprocess& process,
                                           absl::Duration timeout);

}  // namespace weft::testutil

#endif  // WEFT_COMMON_TESTING_SUBPROCESS_H_
