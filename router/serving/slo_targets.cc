#include "router/serving/slo_targets.h"

namespace weft::router {
namespace {

std::optional<absl::Duration> Pick(uint32_t key_ms, uint32_t model_ms, uint32_t default_ms) {
  const uint32_t ms = key_ms != 0 ? key_ms : model_ms != 0 ? model_ms : default_ms;
  if (ms == 0) return std::nullopt;
  return absl::Milliseconds(ms);
}

}  // namespace

SloTargets ResolveSlo(const weft::v1::SloConfig& router_default, const weft::v1::SloConfig& model,
                      const weft::v1::SloConfig* key) {
  const weft::v1::SloConfig none;
  const weft::v1::SloConfig& k = key != nullptr ? *key : none;
  return {.ttft = Pick(k.ttft_ms(), model.ttft_ms(), router_default.ttft_ms()),
          .tpot = Pick(k.tpot_ms(), model.tpot_ms(), router_default.tpot_ms())};
}

SloAttainment CheckSlo(const SloTargets& targets, std::optional<absl::Duration> ttft,
                       std::optional<absl::Duration> tpot) {
  return {.ttft = !targets.ttft.has_value() || (ttft.has_value() && *ttft <= *targets.ttft),
          .tpot = !targets.tpot.has_value() || !tpot.has_value() || *tpot <= *targets.tpot};
}

}  // namespace weft::router
