#include "router/serving/instance_picker.h"

#include <limits>
#include <optional>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"

namespace weft::router {
namespace {

// The instance with the smallest (score, outstanding) of those `eligible`.
template <typename Score, typename Eligible>
std::optional<weft::v1::InstanceDescriptor> Best(const std::vector<InstanceView>& instances,
                                                 const OutstandingWork& work, Score score,
                                                 Eligible eligible) {
  std::optional<weft::v1::InstanceDescriptor> best;
  std::tuple<int64_t, int64_t> best_key{std::numeric_limits<int64_t>::max(), 0};
  for (const InstanceView& view : instances) {  // ordered by id: ties keep the first
    if (!view.healthy || !eligible(view)) continue;
    const InstanceWork w = work.Get(view.descriptor.instance_id());
    const std::tuple<int64_t, int64_t> key{score(view, w), w.prefill_tokens + w.sequences};
    if (!best.has_value() || key < best_key) {
      best = view.descriptor;
      best_key = key;
    }
  }
  return best;
}

}  // namespace

absl::StatusOr<SequenceRoute> InstancePicker::Pick(absl::string_view model,
                                                   int64_t prompt_tokens) const {
  const std::vector<InstanceView> prefills =
      registry_.Snapshot(weft::v1::INSTANCE_ROLE_PREFILL, model);
  const std::vector<InstanceView> decodes =
      registry_.Snapshot(weft::v1::INSTANCE_ROLE_DECODE, model);
  std::optional<weft::v1::InstanceDescriptor> prefill = Best(
      prefills, work_,
      [](const InstanceView& v, const InstanceWork& w) {
        return static_cast<int64_t>(v.load.waiting_prompt_tokens()) + w.prefill_tokens;
      },
      [](const InstanceView&) { return true; });
  if (!prefill.has_value()) {
    return absl::UnavailableError(absl::StrCat("no healthy prefill instance serves ", model));
  }
  auto decode_score = [](const InstanceView& v, const InstanceWork& w) {
    return static_cast<int64_t>(v.load.running_sequences() + v.load.waiting_sequences()) +
           w.sequences;
  };
  auto has_room = [prompt_tokens](const InstanceView& v) {
    const uint64_t total = v.load.kv_blocks_total();
    const uint32_t block = v.descriptor.kv_block_size_tokens();
    if (total == 0 || block == 0) return true;  // not reported yet
    const uint64_t needed = (static_cast<uint64_t>(prompt_tokens) + block) / block;
    return total - std::min(total, v.load.kv_blocks_used()) >= needed;
  };
  std::optional<weft::v1::InstanceDescriptor> decode = Best(decodes, work_, decode_score, has_room);
  // All short of KV: try the least loaded anyway; it answers RESOURCE_EXHAUSTED
  // if it really is full (reports lag behind).
  if (!decode.has_value()) {
    decode = Best(decodes, work_, decode_score, [](const InstanceView&) { return true; });
  }
  if (!decode.has_value()) {
    return absl::UnavailableError(absl::StrCat("no healthy decode instance serves ", model));
  }
  return SequenceRoute{*std::move(prefill), *std::move(decode)};
}

}  // namespace weft::router
