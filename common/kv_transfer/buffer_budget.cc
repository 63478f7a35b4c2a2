#include "common/kv_transfer/buffer_budget.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace weft::kv_transfer {

BufferBudget::Reservation& BufferBudget::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void BufferBudget::Reservation::Release() {
  if (budget_ != nullptr) budget_->Return(bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

absl::StatusOr<BufferBudget::Reservation> BufferBudget::Reserve(uint64_t bytes) {
  MutexLock lock(&mu_);
  if (bytes > limit_ - used_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the put buffers are full: ", used_, " of ", limit_,
        " bytes are held by streams in progress, and this block needs ", bytes, "; retry later"));
  }
  used_ += bytes;
  if (gauge_ != nullptr) gauge_->Set(static_cast<double>(used_));
  Reservation reservation;
  reservation.budget_ = this;
  reservation.bytes_ = bytes;
  return reservation;
}

uint64_t BufferBudget::used_bytes() const {
  MutexLock lock(&mu_);
  return used_;
}

void BufferBudget::Return(uint64_t bytes) {
  MutexLock lock(&mu_);
  used_ -= bytes;
  if (gauge_ != nullptr) gauge_->Set(static_cast<double>(used_));
}

}  // namespace weft::kv_transfer
