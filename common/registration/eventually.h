// For tests: waits for a condition by polling it, with a deadline, instead
// of sleeping for a guessed time.
#ifndef WEFT_COMMON_REGISTRATION_EVENTUALLY_H_
#define WEFT_COMMON_REGISTRATION_EVENTUALLY_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace weft::registration {

// Polls `condition` every few milliseconds; false if it does not hold within
// `timeout`.
inline bool Eventually(const std::function<bool()>& condition,
                       absl::Duration timeout = absl::Seconds(15)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

}  // namespace weft::registration

#endif  // WEFT_COMMON_REGISTRATION_EVENTUALLY_H_
