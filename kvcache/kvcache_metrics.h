// The Prometheus metrics of weft-kvcache (all in bytes or blocks):
//   weft_kvcache_capacity_bytes              gauge: the byte budget
//   weft_kvcache_used_bytes                  gauge: bytes of stored blocks
//   weft_kvcache_blocks                      gauge: stored blocks
//   weft_kvcache_pinned_blocks               gauge: blocks held by GetBlocks streams
//   weft_kvcache_put_buffered_bytes          gauge: partial blocks held by PutBlocks streams
//   weft_kvcache_prefix_query_blocks_total   counter: keys asked about by LookupPrefix
//   weft_kvcache_prefix_hit_blocks_total     counter: leading keys LookupPrefix found
//   weft_kvcache_evictions_total             counter: blocks evicted for space
//   weft_kvcache_put_blocks_total            counter: complete blocks accepted by PutBlocks
//   weft_kvcache_put_bytes_total             counter: their bytes
//   weft_kvcache_get_bytes_total             counter: payload bytes sent by GetBlocks
// The prefix hit ratio is rate(hit) / rate(query).
#ifndef WEFT_KVCACHE_KVCACHE_METRICS_H_
#define WEFT_KVCACHE_KVCACHE_METRICS_H_

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace weft::kvcache {

// The metric handles; each is thread-safe.
struct KvCacheMetrics {
  // Registers the metrics in `registry`, which outlives this object.
  explicit KvCacheMetrics(prometheus::Registry& registry);

  prometheus::Gauge& capacity_bytes;
  prometheus::Gauge& used_bytes;
  prometheus::Gauge& blocks;
  prometheus::Gauge& pinned_blocks;
  prometheus::Gauge& put_buffered_bytes;
  prometheus::Counter& prefix_query_blocks;
  prometheus::Counter& prefix_hit_blocks;
  prometheus::Counter& evictions;
  prometheus::Counter& put_blocks;
  prometheus::Counter& put_bytes;
  prometheus::Counter& get_bytes;
};

}  // namespace weft::kvcache

#endif  // WEFT_KVCACHE_KVCACHE_METRICS_H_
