#include "router/serving/instance_picker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "router/serving/latency_predictor.h"

namespace weft::router {
namespace {

constexpr double kUnknown = std::numeric_limits<double>::infinity();

std::string Ms(absl::Duration d) {
  return absl::StrFormat("%.0f ms", absl::ToDoubleMilliseconds(d));
}

struct PrefillChoice {
  const InstanceView* view = nullptr;
  weft::v1::LoadReport load;  // as predicted from (a peer's measurements if unmeasured)
  InstanceWork work;
  std::optional<absl::Duration> ttft;
  int64_t cached_tokens = 0;
  int64_t local_blocks = 0;
};

struct DecodeChoice {
  const InstanceView* view = nullptr;
  weft::v1::LoadReport load;
  InstanceWork work;
  std::optional<absl::Duration> tpot;
};

bool Measured(const weft::v1::LoadReport& load) {
  return load.prefill_seconds_per_token() > 0 || load.prefill_tokens_per_second() > 0;
}

// Whether the instance has nothing queued or running that a request would
// wait behind.
bool Idle(const weft::v1::LoadReport& load, const InstanceWork& work) {
  return load.waiting_prompt_tokens() == 0 && load.running_sequences() == 0 &&
         load.waiting_sequences() == 0 && work.prefill_tokens == 0 && work.sequences == 0;
}

// The prompt's block hashes, computed once per pick, and how many leading
// blocks any instance holds.
struct PromptBlocks {
  int32_t block_size = 0;  // 0: no prefix routing
  std::vector<uint64_t> hashes;
  int64_t any_blocks = 0;
};

PromptBlocks HashPrompt(const std::vector<InstanceView>& prefills, const PrefixIndex* prefixes,
                        const PickRequest& request) {
  PromptBlocks out;
  if (prefixes == nullptr) return out;
  for (const InstanceView& v : prefills) {
    if (v.healthy && v.descriptor.kv_block_size_tokens() > 0) {
      out.block_size = static_cast<int32_t>(v.descriptor.kv_block_size_tokens());
      break;
    }
  }
  if (out.block_size == 0) return out;
  out.hashes =
      PrefixIndex::BlockHashes(request.model, request.tenant, request.prompt, out.block_size);
  out.any_blocks = prefixes->MatchAny(out.hashes);
  return out;
}

PrefillChoice ChoosePrefill(const std::vector<InstanceView>& prefills, const OutstandingWork& work,
                            const PrefixIndex* prefixes, const PromptBlocks& prompt_blocks,
                            const PickRequest& request) {
  // A measured peer, for instances not measured yet.
  const weft::v1::LoadReport* measured_peer = nullptr;
  for (const InstanceView& v : prefills) {
    if (v.healthy && Measured(v.load)) {
      measured_peer = &v.load;
      break;
    }
  }
  PrefillChoice best;
  std::tuple<double, int64_t, int64_t> best_key;
  const auto prompt_tokens = static_cast<int64_t>(request.prompt.size());
  for (const InstanceView& v : prefills) {  // ordered by id: ties keep the first
    if (!v.healthy) continue;
    const int32_t block = static_cast<int32_t>(v.descriptor.kv_block_size_tokens());
    PrefillChoice c{.view = &v};
    if (prefixes != nullptr && block > 0 && block == prompt_blocks.block_size) {
      c.local_blocks = prefixes->Match(v.descriptor.instance_id(), prompt_blocks.hashes);
      const int64_t any_blocks = prompt_blocks.any_blocks;
      // The pool holds what any instance computed: load, not compute. The
      // last prompt token is always computed (it yields the first token).
      c.cached_tokens = std::min(std::max(c.local_blocks, any_blocks) * block,
                                 std::max<int64_t>(prompt_tokens - 1, 0));
    }
    const InstanceWork w = work.Get(v.descriptor.instance_id());
    c.load = v.load;
    c.work = w;
    if (!Measured(c.load) && measured_peer != nullptr) {
      c.load.set_prefill_tokens_per_second(measured_peer->prefill_tokens_per_second());
      c.load.set_prefill_step_overhead_seconds(measured_peer->prefill_step_overhead_seconds());
      c.load.set_prefill_seconds_per_token(measured_peer->prefill_seconds_per_token());
    }
    c.ttft = PredictTtft(c.load, w, prompt_tokens - c.cached_tokens);
    const int64_t queued =
        std::max(static_cast<int64_t>(v.load.waiting_prompt_tokens()), w.prefill_tokens);
    const std::tuple<double, int64_t, int64_t> key{
        c.ttft.has_value() ? absl::ToDoubleSeconds(*c.ttft) : kUnknown,
        queued + prompt_tokens - c.cached_tokens, -c.local_blocks};
    if (best.view == nullptr || key < best_key) {
      best = c;
      best_key = key;
    }
  }
  return best;
}

DecodeChoice ChooseDecode(const std::vector<InstanceView>& decodes, const OutstandingWork& work,
                          int64_t prompt_tokens, bool require_room) {
  const weft::v1::LoadReport* measured_peer = nullptr;
  for (const InstanceView& v : decodes) {
    if (v.healthy && StepSecondsAt(v.load, 1).has_value()) {
      measured_peer = &v.load;
      break;
    }
  }
  auto has_room = [prompt_tokens](const InstanceView& v) {
    const uint64_t total = v.load.kv_blocks_total();
    const uint32_t block = v.descriptor.kv_block_size_tokens();
    if (total == 0 || block == 0) return true;  // not reported yet
    const uint64_t needed = (static_cast<uint64_t>(prompt_tokens) + block) / block;
    return total - std::min(total, v.load.kv_blocks_used()) >= needed;
  };
  DecodeChoice best;
  std::tuple<double, int64_t, int64_t> best_key;
  for (const InstanceView& v : decodes) {
    if (!v.healthy || (require_room && !has_room(v))) continue;
    const InstanceWork w = work.Get(v.descriptor.instance_id());
    DecodeChoice c{.view = &v, .load = v.load, .work = w, .tpot = PredictTpot(v.load, w)};
    if (!c.tpot.has_value() && measured_peer != nullptr) {
      c.load = *measured_peer;
      c.load.set_running_sequences(v.load.running_sequences());
      c.load.set_waiting_sequences(v.load.waiting_sequences());
      c.tpot = PredictTpot(c.load, w);
    }
    const int64_t sequences = std::max(
        static_cast<int64_t>(v.load.running_sequences() + v.load.waiting_sequences()), w.sequences);
    const std::tuple<double, int64_t, int64_t> key{
        c.tpot.has_value() ? absl::ToDoubleSeconds(*c.tpot) : kUnknown, sequences,
        w.prefill_tokens + w.sequences};
    if (best.view == nullptr || key < best_key) {
      best = c;
      best_key = key;
    }
  }
  return best;
}

}  // namespace

absl::StatusOr<RouteDecision> InstancePicker::Pick(const PickRequest& request,
                                                   SloRejection* rejection) const {
  const std::vector<InstanceView> prefills =
      registry_.Snapshot(weft::v1::INSTANCE_ROLE_PREFILL, request.model);
  const std::vector<InstanceView> decodes =
      registry_.Snapshot(weft::v1::INSTANCE_ROLE_DECODE, request.model);
  const PromptBlocks prompt_blocks = HashPrompt(prefills, prefixes_, request);
  const PrefillChoice prefill = ChoosePrefill(prefills, work_, prefixes_, prompt_blocks, request);
  if (prefill.view == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("no healthy prefill instance serves ", request.model));
  }
  const auto prompt_tokens = static_cast<int64_t>(request.prompt.size());
  DecodeChoice decode = ChooseDecode(decodes, work_, prompt_tokens, /*require_room=*/true);
  // All short of KV: try the best anyway; it answers RESOURCE_EXHAUSTED if it
  // really is full (reports lag behind).
  if (decode.view == nullptr) {
    decode = ChooseDecode(decodes, work_, prompt_tokens, /*require_room=*/false);
  }
  if (decode.view == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("no healthy decode instance serves ", request.model));
  }
  // On an idle instance a predicted miss is not the load's doing: such a
  // request is admitted (refusing it could not help it, and would starve
  // the instance of the measurements that correct a pessimistic
  // prediction). Elsewhere a predicted miss is refused.
  if (request.slo.ttft.has_value() && prefill.ttft.has_value() &&
      *prefill.ttft > *request.slo.ttft && !Idle(prefill.load, prefill.work)) {
    // The queue ahead must shrink by the excess before a retry can fit.
    if (rejection != nullptr) *rejection = {"ttft", *prefill.ttft - *request.slo.ttft};
    return absl::ResourceExhaustedError(
        absl::StrCat("time to first token would be ", Ms(*prefill.ttft), " on the least loaded ",
                     "prefill instance, over the ", Ms(*request.slo.ttft), " target"));
  }
  if (request.slo.tpot.has_value() && decode.tpot.has_value() && *decode.tpot > *request.slo.tpot &&
      !Idle(decode.load, decode.work)) {
    // Batches shrink as sequences finish: one step time per missing
    // millisecond is no measure, so a second, the shortest Retry-After.
    if (rejection != nullptr) *rejection = {"tpot", absl::Seconds(1)};
    return absl::ResourceExhaustedError(absl::StrCat(
        "time per output token would be ", Ms(*decode.tpot),
        " on the least loaded decode instance, over the ", Ms(*request.slo.tpot), " target"));
  }
  RouteDecision decision{.route = {prefill.view->descriptor, decode.view->descriptor},
                         .predicted_ttft = prefill.ttft,
                         .predicted_tpot = decode.tpot,
                         .predicted_cached_tokens = prefill.cached_tokens};
  if (prefixes_ != nullptr && prefill.view->descriptor.kv_block_size_tokens() ==
                                  static_cast<uint32_t>(prompt_blocks.block_size)) {
    prefixes_->Record(prefill.view->descriptor.instance_id(), prompt_blocks.hashes);
  }
  return decision;
}

}  // namespace weft::router
