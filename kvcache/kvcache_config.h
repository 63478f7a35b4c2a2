// weft.v1.KvCacheConfig: its validation, and the settings it gives with the
// defaults of unset fields applied.
#ifndef WEFT_KVCACHE_KVCACHE_CONFIG_H_
#define WEFT_KVCACHE_KVCACHE_CONFIG_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/config.pb.h"

namespace weft::kvcache {

inline constexpr uint64_t kMaxCapacityBytes = uint64_t{1} << 50;
inline constexpr uint64_t kDefaultMaxBlockBytes = uint64_t{64} << 20;
inline constexpr uint64_t kDefaultMaxPutBufferBytes = uint64_t{256} << 20;
inline constexpr uint32_t kDefaultChunkBytes = 1 << 20;
inline constexpr uint32_t kMinChunkBytes = 1 << 10;
inline constexpr uint32_t kMaxChunkBytes = (4 << 20) - (64 << 10);
inline constexpr uint32_t kDefaultMaxKeysPerRequest = 8192;
inline constexpr uint32_t kMaxKeysPerRequestLimit = 1 << 20;
inline constexpr uint32_t kDefaultMaxStreamDurationMs = 60'000;
inline constexpr uint32_t kMaxStreamDurationMsLimit = 3'600'000;

// The settings of a valid KvCacheConfig, defaults applied.
struct KvCacheOptions {
  uint64_t capacity_bytes = 0;
  uint64_t max_block_bytes = 0;
  uint64_t max_put_buffer_bytes = 0;
  uint32_t chunk_bytes = kDefaultChunkBytes;
  uint32_t max_keys_per_request = kDefaultMaxKeysPerRequest;
  absl::Duration max_stream_duration = absl::Milliseconds(kDefaultMaxStreamDurationMs);
};

// Checks every field; InvalidArgument naming each bad one by its path
// ("weft.v1.KvCacheConfig: server.grpc_address is required; capacity_bytes is
// required (1..1125899906842624)").
absl::Status ValidateKvCacheConfig(const weft::v1::KvCacheConfig& config);

// `config` has passed ValidateKvCacheConfig.
KvCacheOptions KvCacheOptionsFromConfig(const weft::v1::KvCacheConfig& config);

}  // namespace weft::kvcache

#endif  // WEFT_KVCACHE_KVCACHE_CONFIG_H_
