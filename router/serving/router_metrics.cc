#include "router/serving/router_metrics.h"

#include <string>

namespace weft::router {
namespace {

const prometheus::Histogram::BucketBoundaries kTtftBuckets = {
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25, 0.5,   0.75,
    1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160., 640.0, 2560.0};
const prometheus::Histogram::BucketBoundaries kItlBuckets = {
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
    0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
const prometheus::Histogram::BucketBoundaries kE2eBuckets = {
    0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
    30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
const prometheus::Histogram::BucketBoundaries kRatioBuckets = {0.1, 0.25, 0.5, 0.67, 0.8, 0.9, 1.0,
                                                               1.1, 1.25, 1.5, 2.0,  4.0, 10.0};

prometheus::Family<prometheus::Histogram>& Histogram(prometheus::Registry& r,
                                                     const std::string& name,
                                                     const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& r, const std::string& name,
                                                 const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

prometheus::Family<prometheus::Gauge>& Gauge(prometheus::Registry& r, const std::string& name,
                                             const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

}  // namespace

RouterMetrics::RouterMetrics(prometheus::Registry& r)
    : ttft_(Histogram(r, "weft_router_time_to_first_token_seconds",
                      "Time from receiving a request to sending its first token")),
      itl_(Histogram(r, "weft_router_inter_token_latency_seconds",
                     "Time between successive token writes of a response")),
      tpot_(Histogram(r, "weft_router_time_per_output_token_seconds",
                      "Per request: (end-to-end - TTFT) / (output tokens - 1)")),
      e2e_(Histogram(r, "weft_router_e2e_request_latency_seconds",
                     "Time from receiving a request to completing its response")),
      queue_time_(Histogram(r, "weft_router_request_queue_time_seconds",
                            "Time from receiving a request to its KV reservation on decode")),
      finished_(Counter(r, "weft_router_requests_total", "Finished requests by finish reason")),
      rejected_(Counter(r, "weft_router_rejected_requests_total",
                        "Requests answered with an HTTP error, by status code")),
      running_(Gauge(r, "weft_router_requests_running", "Requests generating tokens")),
      waiting_(Gauge(r, "weft_router_requests_waiting",
                     "Requests admitted and not yet generating (tokenizing, reserving, prefill)")),
      prompt_tokens_(Counter(r, "weft_router_prompt_tokens_total", "Prompt tokens of requests")),
      generation_tokens_(
          Counter(r, "weft_router_generation_tokens_total", "Tokens generated for requests")),
      cached_prompt_tokens_(Counter(r, "weft_router_cached_prompt_tokens_total",
                                    "Prompt tokens served from a prefix cache")),
      predicted_ttft_(Histogram(r, "weft_router_predicted_ttft_seconds",
                                "Admission's predicted time to first token, per sequence")),
      predicted_tpot_(Histogram(r, "weft_router_predicted_tpot_seconds",
                                "Admission's predicted time per output token, per sequence")),
      ttft_prediction_ratio_(Histogram(r, "weft_router_ttft_prediction_ratio",
                                       "Observed / predicted time to first token, per sequence")),
      tpot_prediction_ratio_(Histogram(r, "weft_router_tpot_prediction_ratio",
                                       "Observed / predicted time per output token, per sequence")),
      slo_rejections_(Counter(r, "weft_router_slo_rejections_total",
                              "Requests refused with 429 because a latency target would be missed, "
                              "by target")),
      slo_checked_(Counter(r, "weft_router_slo_checked_requests_total",
                           "Requests that completed, checked against their latency targets")),
      slo_met_(Counter(r, "weft_router_slo_met_requests_total",
                       "Completed requests that met the target (ttft, tpot, or all: goodput); "
                       "a request without that target meets it")),
      slo_target_(Gauge(r, "weft_router_slo_target_seconds",
                        "The model's latency target (over the router's default); 0: none")) {}

ModelMetrics& RouterMetrics::ForModel(absl::string_view model) {
  MutexLock lock(&mu_);
  std::unique_ptr<ModelMetrics>& m = models_[model];
  if (m == nullptr) {
    const prometheus::Labels l{{"model", std::string(model)}};
    auto with = [&l](const char* key, const char* value) {
      prometheus::Labels labels = l;
      labels[key] = value;
      return labels;
    };
    m = std::make_unique<ModelMetrics>(ModelMetrics{
        .ttft = &ttft_.Add(l, kTtftBuckets),
        .itl = &itl_.Add(l, kItlBuckets),
        .tpot = &tpot_.Add(l, kItlBuckets),
        .e2e = &e2e_.Add(l, kE2eBuckets),
        .queue_time = &queue_time_.Add(l, kTtftBuckets),
        .finished_stop = &finished_.Add(with("finish_reason", "stop")),
        .finished_length = &finished_.Add(with("finish_reason", "length")),
        .finished_abort = &finished_.Add(with("finish_reason", "abort")),
        .finished_error = &finished_.Add(with("finish_reason", "error")),
        .running = &running_.Add(l),
        .waiting = &waiting_.Add(l),
        .prompt_tokens = &prompt_tokens_.Add(l),
        .generation_tokens = &generation_tokens_.Add(l),
        .cached_prompt_tokens = &cached_prompt_tokens_.Add(l),
        .predicted_ttft = &predicted_ttft_.Add(l, kTtftBuckets),
        .predicted_tpot = &predicted_tpot_.Add(l, kItlBuckets),
        .ttft_prediction_ratio = &ttft_prediction_ratio_.Add(l, kRatioBuckets),
        .tpot_prediction_ratio = &tpot_prediction_ratio_.Add(l, kRatioBuckets),
        .slo_rejections_ttft = &slo_rejections_.Add(with("target", "ttft")),
        .slo_rejections_tpot = &slo_rejections_.Add(with("target", "tpot")),
        .slo_checked = &slo_checked_.Add(l),
        .slo_met_ttft = &slo_met_.Add(with("target", "ttft")),
        .slo_met_tpot = &slo_met_.Add(with("target", "tpot")),
        .slo_met_all = &slo_met_.Add(with("target", "all")),
        .slo_target_ttft = &slo_target_.Add(with("target", "ttft")),
        .slo_target_tpot = &slo_target_.Add(with("target", "tpot")),
    });
  }
  return *m;
}

void RouterMetrics::CountRejected(int code) {
  rejected_.Add({{"code", std::to_string(code)}}).Increment();
}

}  // namespace weft::router
