// Counts the router's work in flight — request sessions and the calls they
// make to prefill and decode — so that the router, when stopping, waits
// until nothing that refers to its parts (stubs, registry, metrics) is left
// before those parts are destroyed.
#ifndef WEFT_ROUTER_SERVING_LIVE_WORK_H_
#define WEFT_ROUTER_SERVING_LIVE_WORK_H_

#include <cstdint>

#include "absl/time/time.h"
#include "common/base/mutex.h"

namespace weft::router {

class LiveWork {
 public:
  // Held by one piece of work for its lifetime; move-only. An empty token
  // (default-constructed, or moved from) counts nothing.
  class Token {
   public:
    Token() = default;
    Token(Token&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Token& operator=(Token&& other) noexcept;
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;
    ~Token() { Release(); }

   private:
    friend class LiveWork;
    explicit Token(LiveWork* owner) : owner_(owner) {}
    void Release();
    LiveWork* owner_ = nullptr;
  };

  LiveWork() = default;
  LiveWork(const LiveWork&) = delete;
  LiveWork& operator=(const LiveWork&) = delete;

  // Thread-safe.
  Token Enter();
  int64_t count() const;
  // Waits until count() is 0 (true) or `deadline` passes (false).
  bool WaitIdle(absl::Time deadline) const;

 private:
  mutable Mutex mu_;
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_LIVE_WORK_H_
