// The weft.v1.KvCache gRPC service of weft-kvcache: the pooled KV block store
// (block_store.h), addressed by content hash, shared by every instance.
//
//   LookupPrefix  how many leading keys are stored (counted as prefix queries
//                 and hits)
//   PutBlocks     a client stream of chunks; each complete, checked block is
//                 stored as it arrives (block_assembler.h has the checks)
//   GetBlocks     pins the leading stored keys, says how many in a header,
//                 then streams them in chunks of KvCacheConfig.chunk_bytes,
//                 each with its crc32c; the pins end with the stream
//   GetStats      the store's state and counters
//
// Bad input is InvalidArgument naming the field ("keys[2].hash is 8 bytes;
// a block hash is 16"), a checksum mismatch DataLoss, a layout other than
// the model's stored one FailedPrecondition, no room ResourceExhausted; none
// of them changes what is stored. A stream that ends however early (client
// cancel, deadline, KvCacheConfig.max_stream_duration_ms, server drain)
// drops its partial block and its pins.
//
// Metrics (kvcache_metrics.h): weft_kvcache_capacity_bytes, _used_bytes,
// _blocks, _pinned_blocks, _put_buffered_bytes, _prefix_query_blocks_total,
// _prefix_hit_blocks_total, _evictions_total, _put_blocks_total,
// _put_bytes_total, _get_bytes_total.
#ifndef WEFT_KVCACHE_KVCACHE_SERVICE_H_
#define WEFT_KVCACHE_KVCACHE_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <memory>

#include "kvcache/kvcache_config.h"
#include "prometheus/registry.h"
#include "proto/kvcache.grpc.pb.h"

namespace weft::kvcache {

// Longest model name accepted, bytes.
inline constexpr size_t kMaxModelNameBytes = 256;

class KvCacheService final : public weft::v1::KvCache::CallbackService {
 public:
  // `registry` outlives the service.
  KvCacheService(const KvCacheOptions& options, prometheus::Registry& registry);
  ~KvCacheService() override;

  grpc::ServerUnaryReactor* LookupPrefix(grpc::CallbackServerContext* context,
                                         const weft::v1::LookupPrefixRequest* request,
                                         weft::v1::LookupPrefixResponse* response) override;
  grpc::ServerReadReactor<weft::v1::PutBlocksRequest>* PutBlocks(
      grpc::CallbackServerContext* context, weft::v1::PutBlocksResponse* response) override;
  grpc::ServerWriteReactor<weft::v1::GetBlocksResponse>* GetBlocks(
      grpc::CallbackServerContext* context, const weft::v1::GetBlocksRequest* request) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const weft::v1::GetStatsRequest* request,
                                     weft::v1::KvCacheStats* response) override;

  // What the calls share (the store, the put buffers, the metrics); defined
  // in the .cc file.
  struct State;

 private:
  // Outlives every call: the server stops before the service is destroyed.
  const std::unique_ptr<State> state_;
};

}  // namespace weft::kvcache

#endif  // WEFT_KVCACHE_KVCACHE_SERVICE_H_
