// A byte budget shared by PutBlocks streams for the partial blocks they
// buffer, so that many concurrent streams cannot exhaust host memory.
#ifndef WEFT_COMMON_KV_TRANSFER_BUFFER_BUDGET_H_
#define WEFT_COMMON_KV_TRANSFER_BUFFER_BUDGET_H_

#include <cstdint>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/base/mutex.h"
#include "prometheus/gauge.h"

namespace weft::kv_transfer {

class BufferBudget {
 public:
  // Bytes held until destroyed or released. Movable.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept { *this = std::move(other); }
    Reservation& operator=(Reservation&& other) noexcept;
    ~Reservation() { Release(); }

    uint64_t bytes() const { return bytes_; }
    // Gives the bytes back now; idempotent.
    void Release();

   private:
    friend class BufferBudget;
    BufferBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // `gauge`, if not null, outlives the budget and shows the bytes in use.
  explicit BufferBudget(uint64_t limit_bytes, prometheus::Gauge* gauge = nullptr)
      : limit_(limit_bytes), gauge_(gauge) {}
  BufferBudget(const BufferBudget&) = delete;
  BufferBudget& operator=(const BufferBudget&) = delete;

  // ResourceExhausted if `bytes` more would exceed the limit.
  absl::StatusOr<Reservation> Reserve(uint64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t used_bytes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Return(uint64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  const uint64_t limit_;
  prometheus::Gauge* const gauge_;
  mutable Mutex mu_;
  uint64_t used_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_BUFFER_BUDGET_H_
