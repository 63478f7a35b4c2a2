// This process's memory high-water marks, for benchmarks that report peak
// memory: VmHWM and VmRSS from /proc/self/status, and getrusage's
// ru_maxrss. VmHWM belongs to the current address space, so it starts afresh
// at exec; ru_maxrss can carry the parent's peak across a vfork-style spawn
// (posix_spawn), so a re-executed child should trust VmHWM.
#ifndef WEFT_COMMON_ENGINE_BENCH_PEAK_MEMORY_H_
#define WEFT_COMMON_ENGINE_BENCH_PEAK_MEMORY_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace weft::engine::bench {

struct MemoryUsage {
  int64_t vm_hwm_bytes = 0;     // peak resident set (/proc/self/status VmHWM); 0 if unknown
  int64_t vm_rss_bytes = 0;     // resident set now (VmRSS); 0 if unknown
  int64_t ru_maxrss_bytes = 0;  // getrusage(RUSAGE_SELF).ru_maxrss
};

// Reads the current values. Never fails: fields it cannot read stay 0.
MemoryUsage ReadMemoryUsage();

// Parses the text of /proc/<pid>/status (the "VmHWM:" and "VmRSS:" lines, in
// kB) into `usage`; other fields are left as they are.
void ParseProcStatus(absl::string_view text, MemoryUsage* usage);

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_PEAK_MEMORY_H_
