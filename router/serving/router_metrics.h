// The router's Prometheus metrics: latency as the client sees it, measured at
// the router, per served model (label `model`):
//   weft_router_time_to_first_token_seconds     request received -> first token sent
//   weft_router_inter_token_latency_seconds     between successive token writes
//   weft_router_time_per_output_token_seconds   (e2e - ttft) / (tokens - 1), per request
//   weft_router_e2e_request_latency_seconds     request received -> response complete
//   weft_router_request_queue_time_seconds      request received -> KV reserved on decode
//   weft_router_requests_total{finish_reason}   finished requests: stop, length, abort, error
//   weft_router_rejected_requests_total{code}   requests answered with an error status
//   weft_router_requests_running                requests generating (prefill done)
//   weft_router_requests_waiting                requests admitted, not yet generating
//   weft_router_predicted_ttft_seconds, weft_router_predicted_tpot_seconds
//                                               admission's predictions for admitted sequences
//   weft_router_ttft_prediction_ratio, weft_router_tpot_prediction_ratio
//                                               observed / predicted, per sequence (1 = exact)
//   weft_router_slo_rejections_total{target}    requests refused (429) to protect a target
//   weft_router_slo_checked_requests_total      requests that completed (SLO attainment's base)
//   weft_router_slo_met_requests_total{target}  of those, the ones that met the ttft / tpot
//                                               target, or "all" of them (goodput)
//   weft_router_slo_target_seconds{target}      the model's configured target (0: none)
//   weft_router_prompt_tokens_total, weft_router_generation_tokens_total,
//   weft_router_cached_prompt_tokens_total      (prompt tokens served from a prefix cache)
// Histogram buckets follow vLLM's, so that dashboards carry over.
#ifndef WEFT_ROUTER_SERVING_ROUTER_METRICS_H_
#define WEFT_ROUTER_SERVING_ROUTER_METRICS_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/base/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace weft::router {

// One model's series.
struct ModelMetrics {
  prometheus::Histogram* ttft;
  prometheus::Histogram* itl;
  prometheus::Histogram* tpot;
  prometheus::Histogram* e2e;
  prometheus::Histogram* queue_time;
  prometheus::Counter* finished_stop;
  prometheus::Counter* finished_length;
  prometheus::Counter* finished_abort;
  prometheus::Counter* finished_error;
  prometheus::Gauge* running;
  prometheus::Gauge* waiting;
  prometheus::Counter* prompt_tokens;
  prometheus::Counter* generation_tokens;
  prometheus::Counter* cached_prompt_tokens;
  prometheus::Histogram* predicted_ttft;
  prometheus::Histogram* predicted_tpot;
  prometheus::Histogram* ttft_prediction_ratio;
  prometheus::Histogram* tpot_prediction_ratio;
  prometheus::Counter* slo_rejections_ttft;
  prometheus::Counter* slo_rejections_tpot;
  prometheus::Counter* slo_checked;
  prometheus::Counter* slo_met_ttft;
  prometheus::Counter* slo_met_tpot;
  prometheus::Counter* slo_met_all;
  prometheus::Gauge* slo_target_ttft;
  prometheus::Gauge* slo_target_tpot;
};

class RouterMetrics {
 public:
  // `registry` outlives the metrics.
  explicit RouterMetrics(prometheus::Registry& registry);
  RouterMetrics(const RouterMetrics&) = delete;
  RouterMetrics& operator=(const RouterMetrics&) = delete;

  // The series of `model`, created on first use. Thread-safe; the result
  // lives as long as this object.
  ModelMetrics& ForModel(absl::string_view model);

  // An error response with HTTP status `code` (400, 404, 429, 503, ...).
  void CountRejected(int code);

 private:
  prometheus::Family<prometheus::Histogram>& ttft_;
  prometheus::Family<prometheus::Histogram>& itl_;
  prometheus::Family<prometheus::Histogram>& tpot_;
  prometheus::Family<prometheus::Histogram>& e2e_;
  prometheus::Family<prometheus::Histogram>& queue_time_;
  prometheus::Family<prometheus::Counter>& finished_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Gauge>& running_;
  prometheus::Family<prometheus::Gauge>& waiting_;
  prometheus::Family<prometheus::Counter>& prompt_tokens_;
  prometheus::Family<prometheus::Counter>& generation_tokens_;
  prometheus::Family<prometheus::Counter>& cached_prompt_tokens_;
  prometheus::Family<prometheus::Histogram>& predicted_ttft_;
  prometheus::Family<prometheus::Histogram>& predicted_tpot_;
  prometheus::Family<prometheus::Histogram>& ttft_prediction_ratio_;
  prometheus::Family<prometheus::Histogram>& tpot_prediction_ratio_;
  prometheus::Family<prometheus::Counter>& slo_rejections_;
  prometheus::Family<prometheus::Counter>& slo_checked_;
  prometheus::Family<prometheus::Counter>& slo_met_;
  prometheus::Family<prometheus::Gauge>& slo_target_;

  Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<ModelMetrics>> models_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_ROUTER_METRICS_H_
