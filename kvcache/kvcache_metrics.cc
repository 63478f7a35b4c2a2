#include "kvcache/kvcache_metrics.h"

#include <string>

namespace weft::kvcache {
namespace {

prometheus::Gauge& Gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Counter& Counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

KvCacheMetrics::KvCacheMetrics(prometheus::Registry& registry)
    : capacity_bytes(
          Gauge(registry, "weft_kvcache_capacity_bytes", "Byte budget of the stored KV blocks")),
      used_bytes(Gauge(registry, "weft_kvcache_used_bytes", "Bytes of stored KV blocks")),
      blocks(Gauge(registry, "weft_kvcache_blocks", "Stored KV blocks")),
      pinned_blocks(Gauge(registry, "weft_kvcache_pinned_blocks",
                          "Stored KV blocks held by GetBlocks streams in progress")),
      put_buffered_bytes(Gauge(registry, "weft_kvcache_put_buffered_bytes",
                               "Bytes of partial blocks held by PutBlocks streams in progress")),
      prefix_query_blocks(Counter(registry, "weft_kvcache_prefix_query_blocks_total",
                                  "Block keys asked about by LookupPrefix")),
      prefix_hit_blocks(Counter(registry, "weft_kvcache_prefix_hit_blocks_total",
                                "Leading block keys LookupPrefix found stored")),
      evictions(
          Counter(registry, "weft_kvcache_evictions_total", "KV blocks evicted to make room")),
      put_blocks(Counter(registry, "weft_kvcache_put_blocks_total",
                         "Complete KV blocks accepted by PutBlocks")),
      put_bytes(Counter(registry, "weft_kvcache_put_bytes_total",
                        "Bytes of the KV blocks accepted by PutBlocks")),
      get_bytes(
          Counter(registry, "weft_kvcache_get_bytes_total", "Payload bytes sent by GetBlocks")) {}

}  // namespace weft::kvcache
