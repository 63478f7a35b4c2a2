#include "common/logging/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"

namespace weft {
namespace {

std::atomic<int> g_min_severity{static_cast<int>(LogSeverity::kInfo)};

Mutex& OutputMutex() {
  static Mutex* mu = new Mutex();
  return *mu;
}

constexpr char kSeverityLetter[] = {'I', 'W', 'E', 'F'};

const char* Basename(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash == nullptr ? path : slash + 1;
}

}  // namespace

void SetMinLogSeverity(LogSeverity severity) {
  g_min_severity.store(static_cast<int>(severity), std::memory_order_relaxed);
}

LogSeverity MinLogSeverity() {
  return static_cast<LogSeverity>(g_min_severity.load(std::memory_order_relaxed));
}

bool ParseLogSeverity(absl::string_view name, LogSeverity* out) {
  std::string lower(name);
  absl::AsciiStrToLower(&lower);
  if (lower == "info") {
    *out = LogSeverity::kInfo;
  } else if (lower == "warning") {
    *out = LogSeverity::kWarning;
  } else if (lower == "error") {
    *out = LogSeverity::kError;
  } else if (lower == "fatal") {
    *out = LogSeverity::kFatal;
  } else {
    return false;
  }
  return true;
}

namespace log_internal {

LogMessage::LogMessage(const char* file, int line, LogSeverity severity)
    : file_(file), line_(line), severity_(severity) {}

LogMessage::~LogMessage() {
  const std::string prefix =
      absl::FormatTime("%Y%m%d %H:%M:%E6S", absl::Now(), absl::UTCTimeZone());
  std::string text = stream_.str();
  {
    MutexLock lock(&OutputMutex());
    std::fprintf(stderr, "%c%s %d %s:%d] %s\n", kSeverityLetter[static_cast<int>(severity_)],
                 prefix.c_str(), static_cast<int>(gettid()), Basename(file_), line_, text.c_str());
    std::fflush(stderr);
  }
  if (severity_ == LogSeverity::kFatal) std::abort();
}

}  // namespace log_internal
}  // namespace weft
