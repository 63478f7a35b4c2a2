// Logging for weft processes: one line per message on stderr,
//   I20261129 15:04:05.123456 4242 router_main.cc:42] message
// in the format of Abseil's (and glog's) LOG. The Abseil release Debian 12
// ships (20220623) predates absl/log, so weft carries this small equivalent
// built on Abseil's time and synchronization; the macro names follow absl/log
// so that a later Abseil can replace it without touching call sites.
//
// Thread-safe: lines from concurrent threads never interleave.
#ifndef WEFT_COMMON_LOGGING_LOG_H_
#define WEFT_COMMON_LOGGING_LOG_H_

#include <sstream>

#include "absl/strings/string_view.h"

namespace weft {

enum class LogSeverity { kInfo = 0, kWarning = 1, kError = 2, kFatal = 3 };

// Messages below this severity are dropped. Default kInfo. Thread-safe.
void SetMinLogSeverity(LogSeverity severity);
LogSeverity MinLogSeverity();

// Parses "info", "warning", "error", "fatal" (any case). Returns false if the
// name is none of these.
bool ParseLogSeverity(absl::string_view name, LogSeverity* out);

namespace log_internal {

// Collects one message and writes it when destroyed; kFatal aborts after
// writing.
class LogMessage {
 public:
  LogMessage(const char* file, int line, LogSeverity severity);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  std::ostream& stream() { return stream_; }

 private:
  const char* file_;
  int line_;
  LogSeverity severity_;
  std::ostringstream stream_;
};

// Makes `cond ? (void)0 : LogMessage(...).stream() << ...` well-typed.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace log_internal
}  // namespace weft

#define WEFT_LOG_SEVERITY_INFO ::weft::LogSeverity::kInfo
#define WEFT_LOG_SEVERITY_WARNING ::weft::LogSeverity::kWarning
#define WEFT_LOG_SEVERITY_ERROR ::weft::LogSeverity::kError
#define WEFT_LOG_SEVERITY_FATAL ::weft::LogSeverity::kFatal

// WEFT_LOG(INFO) << "listening on " << port;
#define WEFT_LOG(severity)                                                                     \
  (WEFT_LOG_SEVERITY_##severity < ::weft::MinLogSeverity())                                    \
      ? (void)0                                                                                \
      : ::weft::log_internal::Voidify() &                                                      \
            ::weft::log_internal::LogMessage(__FILE__, __LINE__, WEFT_LOG_SEVERITY_##severity) \
                .stream()

// For invariants whose failure is a bug: logs and aborts. Never for input
// validation (return an absl::Status instead).
#define WEFT_CHECK(condition)                                                                 \
  (condition)                                                                                 \
      ? (void)0                                                                               \
      : ::weft::log_internal::Voidify() &                                                     \
            ::weft::log_internal::LogMessage(__FILE__, __LINE__, ::weft::LogSeverity::kFatal) \
                    .stream()                                                                 \
                << "Check failed: " #condition " "

#endif  // WEFT_COMMON_LOGGING_LOG_H_
