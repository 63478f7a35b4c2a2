// gRPC channels to decode instances, one per address, created on first use
// and shared by concurrent transfers. Thread-safe.
#ifndef WEFT_COMMON_KV_TRANSFER_CHANNEL_CACHE_H_
#define WEFT_COMMON_KV_TRANSFER_CHANNEL_CACHE_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/base/mutex.h"
#include "grpcpp/channel.h"

namespace weft::kv_transfer {

class ChannelCache {
 public:
  // The channel to `address` (insecure, no message size limit).
  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Mutex mu_;
  // shared_ptr: gRPC hands channels out shared; stubs keep them alive.
  absl::flat_hash_map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_CHANNEL_CACHE_H_
