// The engine's Prometheus metrics in a prefill or decode process, sampled
// from the loop's load figures a few times a second:
//   weft_engine_running_requests{role,model}      sequences decoding (prompt computed)
//   weft_engine_waiting_requests{role,model}      sequences with prompt tokens left
//   weft_engine_waiting_prompt_tokens{role,model}
//   weft_kv_blocks_used{role,model}, weft_kv_blocks_total{role,model},
//   weft_kv_usage_ratio{role,model}               used / total
//   weft_kv_blocks_cached{role,model}             prefix-cache blocks (reusable)
//   weft_engine_step_seconds{role,model}          EWMA of step time
//   weft_prompt_tokens_total{role,model}          prompt tokens computed
//   weft_generation_tokens_total{role,model}      tokens sampled
//   weft_prefix_cache_hit_tokens_total{role,model}  prompt tokens served by the prefix cache
//   weft_engine_steps_total{role,model}
#ifndef WEFT_COMMON_ENGINE_SERVING_ENGINE_METRICS_H_
#define WEFT_COMMON_ENGINE_SERVING_ENGINE_METRICS_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/engine/runtime/engine_loop.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace weft::engine {

class EngineMetrics {
 public:
  // Polls `load()` every `period` until destroyed.
  EngineMetrics(prometheus::Registry& registry, const std::string& role, const std::string& model,
                std::function<EngineLoad()> load,
                std::chrono::milliseconds period = std::chrono::milliseconds(250));
  ~EngineMetrics();
  EngineMetrics(const EngineMetrics&) = delete;
  EngineMetrics& operator=(const EngineMetrics&) = delete;

  // Samples now (also done by the poller).
  void Update();

 private:
  std::function<EngineLoad()> load_;
  prometheus::Gauge &running_, &waiting_, &waiting_tokens_, &blocks_used_, &blocks_total_, &usage_,
      &blocks_cached_, &step_seconds_;
  prometheus::Counter &prompt_tokens_, &generation_tokens_, &cached_tokens_, &steps_;
  std::mutex mu_;  // Update's counter deltas; the poller's stop flag
  EngineLoad last_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread poller_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_SERVING_ENGINE_METRICS_H_
