#include "common/engine/executor/stop_checker.h"

#include <algorithm>
#include <utility>

namespace weft::engine {

StopChecker::StopChecker(StopConditions conditions) : c_(std::move(conditions)) {
  for (const std::string& s : c_.stop_strings) longest_stop_ = std::max(longest_stop_, s.size());
}

std::optional<FinishReason> StopChecker::Add(int32_t token, absl::string_view text) {
  ++num_tokens_;
  const size_t searched_from = text_.size() >= longest_stop_ ? text_.size() - longest_stop_ + 1 : 0;
  text_.append(text.data(), text.size());
  auto contains = [](const std::vector<int32_t>& ids, int32_t t) {
    return std::find(ids.begin(), ids.end(), t) != ids.end();
  };
  if (contains(c_.stop_token_ids, token) || (!c_.ignore_eos && contains(c_.eos_token_ids, token))) {
    return FinishReason::kStop;
  }
  // Only a match that includes new text can be new.
  size_t first = std::string::npos;
  for (const std::string& s : c_.stop_strings) {
    if (s.empty()) continue;
    const size_t at = text_.find(s, searched_from > 0 ? searched_from - 1 : 0);
    if (at != std::string::npos) first = std::min(first, at);
  }
  if (first != std::string::npos) {
    text_.resize(first);
    stopped_by_string_ = true;
    return FinishReason::kStop;
  }
  if (num_tokens_ >= c_.max_tokens) return FinishReason::kLength;
  return std::nullopt;
}

absl::string_view StopChecker::StableText() const {
  absl::string_view all = text_;
  // Hold back the longest tail that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const std::string& s : c_.stop_strings) {
    for (size_t n = std::min(s.size() - (s.empty() ? 0 : 1), all.size()); n > hold; --n) {
      if (all.substr(all.size() - n) == absl::string_view(s).substr(0, n)) {
        hold = n;
        break;
      }
    }
  }
  return all.substr(0, all.size() - hold);
}

}  // namespace weft::engine
