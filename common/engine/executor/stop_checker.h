// When a sequence stops: an end-of-sequence or stop token id, a stop string
// in the text, or the token budget. Pure state over the tokens and text
// generated so far, so schedulers and tests use it without a model.
#ifndef WEFT_COMMON_ENGINE_EXECUTOR_STOP_CHECKER_H_
#define WEFT_COMMON_ENGINE_EXECUTOR_STOP_CHECKER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace weft::engine {

enum class FinishReason {
  kStop,    // a stop token or stop string (or end of sequence)
  kLength,  // max_tokens generated
  kAbort,   // cancelled or failed (set by the caller, never by StopChecker)
};

struct StopConditions {
  int32_t max_tokens = 16;              // > 0
  std::vector<int32_t> eos_token_ids;   // from the model's config
  bool ignore_eos = false;              // generate past eos (benchmarks)
  std::vector<int32_t> stop_token_ids;  // always honoured
  std::vector<std::string> stop_strings;
};

class StopChecker {
 public:
  explicit StopChecker(StopConditions conditions);

  // Records one generated token and the text it completed (possibly empty:
  // the incremental decoder holds back partial UTF-8). Returns why the
  // sequence stops now, if it does. After a stop string, text() ends just
  // before it (the stop string is not part of the output).
  std::optional<FinishReason> Add(int32_t token, absl::string_view text);

  // Appends text that completes no token: the decoder's held-back bytes
  // when a sequence ends for a reason other than a stop string.
  void AppendFinalText(absl::string_view text) { text_.append(text.data(), text.size()); }

  // The output text so far (stop string removed once matched).
  const std::string& text() const { return text_; }
  // Text that may be shown to a client: everything except a tail that could
  // still turn out to be the start of a stop string.
  absl::string_view StableText() const;
  int32_t num_tokens() const { return num_tokens_; }
  // Whether the stop came from a stop string (its text is already cut).
  bool stopped_by_string() const { return stopped_by_string_; }

 private:
  StopConditions c_;
  std::string text_;
  int32_t num_tokens_ = 0;
  size_t longest_stop_ = 0;
  bool stopped_by_string_ = false;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_EXECUTOR_STOP_CHECKER_H_
