#include "kvcache/kvcache_config.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config/server_config.h"

namespace weft::kvcache {

absl::Status ValidateKvCacheConfig(const weft::v1::KvCacheConfig& config) {
  std::vector<std::string> problems;
  if (!config.has_server()) {
    problems.push_back("server is required");
  } else if (absl::Status s = ValidateServerConfig(config.server(), "server"); !s.ok()) {
    problems.emplace_back(s.message());
  }
  const uint64_t capacity = config.capacity_bytes();
  if (capacity == 0) {
    problems.push_back(absl::StrCat("capacity_bytes is required (1..", kMaxCapacityBytes, ")"));
  } else if (capacity > kMaxCapacityBytes) {
    problems.push_back(absl::StrCat("capacity_bytes: ", capacity, " exceeds ", kMaxCapacityBytes));
  }
  if (capacity != 0 && config.max_block_bytes() > capacity) {
    problems.push_back(absl::StrCat("max_block_bytes: ", config.max_block_bytes(),
                                    " exceeds capacity_bytes (", capacity, ")"));
  }
  if (config.max_put_buffer_bytes() != 0) {
    const uint64_t max_block = config.max_block_bytes() != 0
                                   ? config.max_block_bytes()
                                   : std::min(kDefaultMaxBlockBytes, capacity);
    if (config.max_put_buffer_bytes() < max_block) {
      problems.push_back(absl::StrCat("max_put_buffer_bytes: ", config.max_put_buffer_bytes(),
                                      " is less than max_block_bytes (", max_block,
                                      "): no block could be received"));
    }
  }
  if (config.chunk_bytes() != 0 &&
      (config.chunk_bytes() < kMinChunkBytes || config.chunk_bytes() > kMaxChunkBytes)) {
    problems.push_back(absl::StrCat("chunk_bytes: ", config.chunk_bytes(), " is outside ",
                                    kMinChunkBytes, "..", kMaxChunkBytes));
  }
  if (config.max_keys_per_request() > kMaxKeysPerRequestLimit) {
    problems.push_back(absl::StrCat("max_keys_per_request: ", config.max_keys_per_request(),
                                    " exceeds ", kMaxKeysPerRequestLimit));
  }
  if (config.max_stream_duration_ms() > kMaxStreamDurationMsLimit) {
    problems.push_back(absl::StrCat("max_stream_duration_ms: ", config.max_stream_duration_ms(),
                                    " exceeds ", kMaxStreamDurationMsLimit));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(config.GetTypeName(), ": ", absl::StrJoin(problems, "; ")));
}

KvCacheOptions KvCacheOptionsFromConfig(const weft::v1::KvCacheConfig& config) {
  KvCacheOptions options;
  options.capacity_bytes = config.capacity_bytes();
  options.max_block_bytes = config.max_block_bytes() != 0
                                ? config.max_block_bytes()
                                : std::min(kDefaultMaxBlockBytes, options.capacity_bytes);
  options.max_put_buffer_bytes = config.max_put_buffer_bytes() != 0
                                     ? config.max_put_buffer_bytes()
                                     : std::max(kDefaultMaxPutBufferBytes, options.max_block_bytes);
  if (config.chunk_bytes() != 0) options.chunk_bytes = config.chunk_bytes();
  if (config.max_keys_per_request() != 0) {
    options.max_keys_per_request = config.max_keys_per_request();
  }
  if (config.max_stream_duration_ms() != 0) {
    options.max_stream_duration = absl::Milliseconds(config.max_stream_duration_ms());
  }
  return options;
}

}  // namespace weft::kvcache
