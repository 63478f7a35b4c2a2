#include "kvcache/stream_time_limit.h"

#include <chrono>

namespace weft::kvcache {

StreamTimeLimit::StreamTimeLimit(grpc::CallbackServerContext* context, absl::Duration limit)
    : target_(std::make_shared<Target>()) {
  {
    MutexLock lock(&target_->mu);
    target_->context = context;
  }
  // The callback holds the target, not `this`. It runs on a gRPC thread,
  // never inline with a reaction of the call, and TryCancel does not wait
  // for the call's reactions, so holding the lock around it cannot deadlock
  // with the destructor.
  alarm_.Set(absl::ToChronoTime(absl::Now() + limit), [target = target_](bool fired) {
    if (!fired) return;  // disarmed
    MutexLock lock(&target->mu);
    if (target->context != nullptr) target->context->TryCancel();
  });
}

StreamTimeLimit::~StreamTimeLimit() {
  {
    MutexLock lock(&target_->mu);
    target_->context = nullptr;
  }
  alarm_.Cancel();
}

}  // namespace weft::kvcache
