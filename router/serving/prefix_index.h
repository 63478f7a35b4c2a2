// The router's approximate view of which prompt prefixes are cached where:
// for each full KV block of a prompt it routed (the chained hash of model,
// tenant and the tokens up to the block's end), the prefill instances that
// computed it. A prefill instance keeps the blocks it computed in its own
// prefix cache and publishes them to the shared kvcache pool, so
//   Match(instance)  ~ the prefix that instance has locally,
//   MatchAny()       ~ the prefix the kvcache pool holds (any instance can
//                      load it instead of computing it).
// Bounded: the least recently used blocks are forgotten first, as caches
// evict them. Thread-safe.
#ifndef WEFT_ROUTER_SERVING_PREFIX_INDEX_H_
#define WEFT_ROUTER_SERVING_PREFIX_INDEX_H_

#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/base/mutex.h"

namespace weft::router {

class PrefixIndex {
 public:
  // Remembers at most `max_blocks` block hashes.
  explicit PrefixIndex(size_t max_blocks);

  // The chained hashes of the full blocks of `tokens`, salted with the model
  // and the tenant (so that tenants never share entries).
  static std::vector<uint64_t> BlockHashes(absl::string_view model, absl::string_view tenant,
                                           absl::Span<const uint32_t> tokens, int32_t block_size);

  // `instance` now holds these blocks (it is computing them).
  void Record(absl::string_view instance, absl::Span<const uint64_t> hashes);

  // How many leading blocks of `hashes` `instance` holds; any instance.
  int64_t Match(absl::string_view instance, absl::Span<const uint64_t> hashes) const;
  int64_t MatchAny(absl::Span<const uint64_t> hashes) const;

  size_t size() const;

 private:
  struct Entry {
    std::vector<std::string> instances;  // most recent last, at most kMaxHolders
    std::list<uint64_t>::iterator lru;
  };
  static constexpr size_t kMaxHolders = 8;

  const size_t max_blocks_;
  mutable Mutex mu_;
  absl::flat_hash_map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::list<uint64_t> lru_ ABSL_GUARDED_BY(mu_);  // most recent first
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_PREFIX_INDEX_H_
