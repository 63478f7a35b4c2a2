// A server-side cap on how long one streaming call may last, whatever the
// client's deadline: when it passes, the call is cancelled (the client sees
// CANCELLED), so that a stalled peer cannot hold pins or buffers for long.
#ifndef WEFT_KVCACHE_STREAM_TIME_LIMIT_H_
#define WEFT_KVCACHE_STREAM_TIME_LIMIT_H_

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"

namespace weft::kvcache {

class StreamTimeLimit {
 public:
  // Cancels `context` once `limit` has passed, unless destroyed first.
  // `context` stays valid until this object is destroyed: destroy it in the
  // reactor's OnDone at the latest.
  StreamTimeLimit(grpc::CallbackServerContext* context, absl::Duration limit);
  // Disarms; the timer can no longer touch the context once this returns.
  ~StreamTimeLimit();
  StreamTimeLimit(const StreamTimeLimit&) = delete;
  StreamTimeLimit& operator=(const StreamTimeLimit&) = delete;

 private:
  // Shared with the timer callback, which may run after this object is gone.
  struct Target {
    Mutex mu;
    grpc::CallbackServerContext* context ABSL_GUARDED_BY(mu) = nullptr;
  };

  std::shared_ptr<Target> target_;
  grpc::Alarm alarm_;
};

}  // namespace weft::kvcache

#endif  // WEFT_KVCACHE_STREAM_TIME_LIMIT_H_
