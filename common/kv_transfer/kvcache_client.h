// A client of weft-kvcache for one model: fetch the longest stored prefix of
// a list of block keys, and store blocks. Both are optimizations for the
// caller — a failure means "compute it" or "not cached" — so errors are
// returned for logging and metrics, never fatal to a request.
#ifndef WEFT_COMMON_KV_TRANSFER_KVCACHE_CLIENT_H_
#define WEFT_COMMON_KV_TRANSFER_KVCACHE_CLIENT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "proto/kvcache.grpc.pb.h"

namespace weft::kv_transfer {

class KvCacheClient {
 public:
  KvCacheClient(std::shared_ptr<grpc::Channel> channel, std::string model,
                size_t chunk_bytes = 1 << 20);

  // The blocks of the longest leading run of `keys` (16-byte chained hashes)
  // the pool holds, each reassembled and checksum-verified, in order.
  // FailedPrecondition if the pool's layout for this model is not `layout`.
  absl::StatusOr<std::vector<std::string>> GetPrefix(const std::vector<std::string>& keys,
                                                     const weft::v1::KvBlockLayout& layout,
                                                     absl::Time deadline);

  // Stores `blocks` under `keys`; returns how many the pool added (already
  // stored ones are refreshed, not added).
  absl::StatusOr<int32_t> Put(const std::vector<std::string>& keys,
                              const std::vector<std::string>& blocks,
                              const weft::v1::KvBlockLayout& layout, absl::Time deadline);

 private:
  std::unique_ptr<weft::v1::KvCache::Stub> stub_;
  const std::string model_;
  const size_t chunk_bytes_;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_KVCACHE_CLIENT_H_
