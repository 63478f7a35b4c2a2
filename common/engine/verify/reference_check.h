// Checks the engine against a model's reference outputs (reference_file.h):
// each prompt runs through a CausalLm over a paged KV cache, and the report
// says how far the last-position logits are from the reference (relative
// L2 error ||logits - ref|| / ||ref|| and the largest absolute difference),
// how many greedy tokens agree with the reference continuation up to its
// first near-tie, and whether `text` prompts re-encode to their input_ids.
//
// Greedy semantics: step by step, the engine's argmax is compared with the
// reference token. Counting stops at the first step whose reference margin
// (top-1 minus top-2 logit) is below the near-tie threshold, since either of
// two nearly tied tokens may legitimately win and the continuations diverge
// after it; a different token before that step is a failure. While tokens
// agree, the engine decodes its own token (equal to the reference's).
#ifndef WEFT_COMMON_ENGINE_VERIFY_REFERENCE_CHECK_H_
#define WEFT_COMMON_ENGINE_VERIFY_REFERENCE_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/verify/reference_file.h"
#include "common/tokenizer/tokenizer.h"

namespace weft::engine {

struct CheckOptions {
  // A prompt fails if its relative error exceeds max_rel_err (when enforced).
  double max_rel_err = 1e-4;
  bool enforce_rel_err = true;
  // Reference margins below this are near-ties. Counting always stops there;
  // a greedy token that differs before it fails the prompt when enforced.
  double near_tie = 1e-3;
  bool enforce_greedy = true;
  // Tokens per block of the paged KV cache each prompt runs in.
  int32_t block_size = 16;
};

struct PromptReport {
  enum class Encoding {
    kNotChecked,  // a random_ids prompt, or no tokenizer
    kMatches,     // encode(text) == input_ids
    kDiffers,     // see encoding_detail
  };

  int32_t index = 0;
  ReferencePrompt::Source source = ReferencePrompt::Source::kText;
  int32_t num_input_ids = 0;
  // Last-position logits against the reference (NaN if the engine's are).
  double rel_err = 0;
  double max_abs_err = 0;
  // Greedy continuation.
  int32_t greedy_steps = 0;     // steps in the reference
  int32_t steps_compared = 0;   // steps before the first near-tie (all if none)
  int32_t tokens_agreeing = 0;  // leading steps where the engine's token is the reference's
  int32_t first_near_tie = -1;  // step, or -1
  double near_tie_margin = 0;   // its reference margin
  int32_t first_mismatch = -1;  // step before the first near-tie, or -1
  int32_t engine_token = -1;    // at first_mismatch
  int32_t reference_token = -1;
  double mismatch_margin = 0;
  Encoding encoding = Encoding::kNotChecked;
  std::string encoding_detail;  // for kDiffers
  // Why the prompt failed; empty if it passed.
  std::vector<std::string> failures;

  bool passed() const { return failures.empty(); }
};

// Runs prompt `index` of a reference through `model` (prefill, then greedy
// decoding) in a fresh paged cache and compares. `tokenizer` may be null
// (the text check is skipped). The prompt must fit the model
// (CheckReferenceFitsModel). Errors only when the engine cannot run it (bad
// block size, a failing forward step): a mismatch is a failed report, not an
// error.
absl::StatusOr<PromptReport> CheckPrompt(const CausalLm& model, const ReferencePrompt& prompt,
                                         int32_t index, const tokenizer::Tokenizer* tokenizer,
                                         const CheckOptions& options);

// One line (no newline), e.g.
//   prompt 0 (text, 11 ids): rel err 6.74e-07, max abs err 7.00e-06; greedy 16/16 agree, no
//   near-tie; text re-encodes; PASS
// Outcomes of checks that are not enforced are marked "(not enforced)".
std::string FormatPromptReport(const PromptReport& report, const CheckOptions& options);

struct CheckSummary {
  int32_t prompts = 0;
  int32_t passed = 0;
  double worst_rel_err = 0;  // NaN if any prompt's is
  int32_t tokens_agreeing = 0;
  int32_t steps_compared = 0;
  int32_t encodings_checked = 0;
  int32_t encodings_matching = 0;

  bool all_passed() const { return passed == prompts; }
};

CheckSummary Summarize(absl::Span<const PromptReport> reports);

// One line (no newline), e.g.
//   tiny-llama float32: PASS, 7/7 prompts pass; worst rel err 8.25e-07 (limit 0.0001); greedy
//   112/112 tokens agree before near-ties (margin < 0.001); 4/4 text prompts re-encode
std::string FormatSummary(const CheckSummary& summary, const CheckOptions& options,
                          absl::string_view label);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_VERIFY_REFERENCE_CHECK_H_
