#include "router/serving/live_work.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace weft::router {

LiveWork::Token& LiveWork::Token::operator=(Token&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    other.owner_ = nullptr;
  }
  return *this;
}

void LiveWork::Token::Release() {
  if (owner_ == nullptr) return;
  MutexLock lock(&owner_->mu_);
  --owner_->count_;
  owner_ = nullptr;
}

LiveWork::Token LiveWork::Enter() {
  MutexLock lock(&mu_);
  ++count_;
  return Token(this);
}

int64_t LiveWork::count() const {
  MutexLock lock(&mu_);
  return count_;
}

bool LiveWork::WaitIdle(absl::Time deadline) const {
  // Shutdown only: polling keeps the lock free of condition variables that
  // TSan cannot see through absl::Mutex.
  while (count() > 0) {
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(absl::Milliseconds(10), deadline - now));
  }
  return true;
}

}  // namespace weft::router
