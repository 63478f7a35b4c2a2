#include "common/engine/bench/peak_memory.h"

#include <sys/resource.h>

#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace weft::engine::bench {
namespace {

// "   123456 kB" -> 123456 * 1024; 0 if malformed.
int64_t ParseKilobytes(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (!absl::ConsumeSuffix(&value, "kB")) return 0;
  int64_t kb = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &kb) || kb < 0) return 0;
  return kb * 1024;
}

}  // namespace

void ParseProcStatus(absl::string_view text, MemoryUsage* usage) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "VmHWM:")) {
      usage->vm_hwm_bytes = ParseKilobytes(line);
    } else if (absl::ConsumePrefix(&line, "VmRSS:")) {
      usage->vm_rss_bytes = ParseKilobytes(line);
    }
  }
}

MemoryUsage ReadMemoryUsage() {
  MemoryUsage usage;
  std::ifstream in("/proc/self/status");
  if (in) {
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ParseProcStatus(text, &usage);
  }
  struct rusage ru = {};
  if (getrusage(RUSAGE_SELF, &ru) == 0) usage.ru_maxrss_bytes = int64_t{ru.ru_maxrss} * 1024;
  return usage;
}

}  // namespace weft::engine::bench
