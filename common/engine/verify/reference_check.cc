#include "common/engine/verify/reference_check.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/engine/kv/ids.h"
#include "common/engine/verify/paged_runner.h"
#include "common/status/status_macros.h"

namespace weft::engine {
namespace {

int32_t Argmax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// Relative L2 error and largest absolute difference; NaN if `out` holds a NaN.
void CompareLogits(const std::vector<float>& out, const std::vector<double>& ref,
                   PromptReport* report) {
  double err = 0, norm = 0, max_abs = 0;
  bool nan = false;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double diff = double{out[i]} - ref[i];
    if (std::isnan(diff)) nan = true;
    err += diff * diff;
    norm += ref[i] * ref[i];
    max_abs = std::max(max_abs, std::abs(diff));
  }
  if (nan) {
    report->rel_err = report->max_abs_err = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  report->max_abs_err = max_abs;
  if (norm > 0) {
    report->rel_err = std::sqrt(err / norm);
  } else {
    report->rel_err = err > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  }
}

void CheckEncoding(const tokenizer::Tokenizer& tokenizer, const ReferencePrompt& prompt,
                   PromptReport* report) {
  const absl::StatusOr<std::vector<int32_t>> ids = tokenizer.Encode(prompt.text);
  if (!ids.ok()) {
    report->encoding = PromptReport::Encoding::kDiffers;
    report->encoding_detail = absl::StrCat("encoding the text failed: ", ids.status().message());
    return;
  }
  if (*ids == prompt.input_ids) {
    report->encoding = PromptReport::Encoding::kMatches;
    return;
  }
  // transformers' default encode adds the post-processor's special tokens
  // (Llama-3's BOS): a reference made that way matches with them.
  if (const absl::StatusOr<std::vector<int32_t>> with_special =
          tokenizer.Encode(prompt.text, /*add_special_tokens=*/true);
      with_special.ok() && *with_special == prompt.input_ids) {
    report->encoding = PromptReport::Encoding::kMatches;
    return;
  }
  report->encoding = PromptReport::Encoding::kDiffers;
  size_t i = 0;
  while (i < ids->size() && i < prompt.input_ids.size() && (*ids)[i] == prompt.input_ids[i]) ++i;
  report->encoding_detail =
      absl::StrCat("text encodes to ", ids->size(), " ids, input_ids has ", prompt.input_ids.size(),
                   "; first difference at index ", i);
  if (i < ids->size() && i < prompt.input_ids.size()) {
    absl::StrAppend(&report->encoding_detail, " (", (*ids)[i], " vs ", prompt.input_ids[i], ")");
  }
}

}  // namespace

absl::StatusOr<PromptReport> CheckPrompt(const CausalLm& model, const ReferencePrompt& prompt,
                                         int32_t index, const tokenizer::Tokenizer* tokenizer,
                                         const CheckOptions& options) {
  PromptReport report;
  report.index = index;
  report.source = prompt.source;
  report.num_input_ids = static_cast<int32_t>(prompt.input_ids.size());
  report.greedy_steps = static_cast<int32_t>(prompt.greedy_ids.size());

  if (options.block_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("block size ", options.block_size, " is not positive"));
  }
  const int64_t max_tokens = static_cast<int64_t>(prompt.input_ids.size()) +
                             static_cast<int64_t>(prompt.greedy_ids.size());
  WEFT_ASSIGN_OR_RETURN(
      std::unique_ptr<PagedRunner> runner,
      PagedRunner::Create(model, PagedRunner::BlocksFor(max_tokens, options.block_size),
                          options.block_size));
  const SequenceId seq(0);
  WEFT_ASSIGN_OR_RETURN(std::vector<float> logits, runner->Extend(seq, prompt.input_ids));
  CompareLogits(logits, prompt.last_logits, &report);
  if (options.enforce_rel_err && !(report.rel_err <= options.max_rel_err)) {
    report.failures.push_back(
        absl::StrFormat("rel err %.2e exceeds %g", report.rel_err, options.max_rel_err));
  }

  // The first near-tie is the reference's alone: it bounds the comparison
  // whatever the engine does.
  report.steps_compared = report.greedy_steps;
  for (int32_t step = 0; step < report.greedy_steps; ++step) {
    if (prompt.greedy_margins[step] < options.near_tie) {
      report.first_near_tie = step;
      report.near_tie_margin = prompt.greedy_margins[step];
      report.steps_compared = step;
      break;
    }
  }
  for (int32_t step = 0; step < report.steps_compared; ++step) {
    const int32_t token = Argmax(logits);
    if (token != prompt.greedy_ids[step]) {
      report.first_mismatch = step;
      report.engine_token = token;
      report.reference_token = prompt.greedy_ids[step];
      report.mismatch_margin = prompt.greedy_margins[step];
      break;
    }
    ++report.tokens_agreeing;
    if (step + 1 < report.steps_compared) {
      WEFT_ASSIGN_OR_RETURN(logits, runner->Extend(seq, {token}));
    }
  }
  if (report.first_mismatch >= 0 && options.enforce_greedy) {
    report.failures.push_back(absl::StrFormat(
        "greedy token differs at step %d (engine %d, reference %d) before any near-tie "
        "(reference margin %.2e >= %g)",
        report.first_mismatch, report.engine_token, report.reference_token, report.mismatch_margin,
        options.near_tie));
  }

  if (tokenizer != nullptr && prompt.source == ReferencePrompt::Source::kText) {
    CheckEncoding(*tokenizer, prompt, &report);
    if (report.encoding == PromptReport::Encoding::kDiffers) {
      report.failures.push_back(report.encoding_detail);
    }
  }
  return report;
}

std::string FormatPromptReport(const PromptReport& report, const CheckOptions& options) {
  std::string line = absl::StrFormat(
      "prompt %d (%s, %d ids): rel err %.2e%s, max abs err %.2e; greedy %d/%d agree", report.index,
      SourceName(report.source), report.num_input_ids, report.rel_err,
      options.enforce_rel_err ? "" : " (not enforced)", report.max_abs_err, report.tokens_agreeing,
      report.steps_compared);
  if (report.first_mismatch >= 0) {
    absl::StrAppendFormat(&line, ", differs at step %d (engine %d, reference %d)%s",
                          report.first_mismatch, report.engine_token, report.reference_token,
                          options.enforce_greedy ? "" : " (not enforced)");
  }
  if (report.first_near_tie >= 0) {
    absl::StrAppendFormat(&line, ", near-tie at step %d (margin %.2e)", report.first_near_tie,
                          report.near_tie_margin);
  } else {
    absl::StrAppend(&line, ", no near-tie");
  }
  switch (report.encoding) {
    case PromptReport::Encoding::kNotChecked:
      break;
    case PromptReport::Encoding::kMatches:
      absl::StrAppend(&line, "; text re-encodes");
      break;
    case PromptReport::Encoding::kDiffers:
      absl::StrAppend(&line, "; text does not re-encode");
      break;
  }
  if (report.passed()) {
    absl::StrAppend(&line, "; PASS");
  } else {
    absl::StrAppend(&line, "; FAIL: ", absl::StrJoin(report.failures, "; "));
  }
  return line;
}

CheckSummary Summarize(absl::Span<const PromptReport> reports) {
  CheckSummary summary;
  for (const PromptReport& report : reports) {
    ++summary.prompts;
    if (report.passed()) ++summary.passed;
    if (std::isnan(report.rel_err) || std::isnan(summary.worst_rel_err)) {
      summary.worst_rel_err = std::numeric_limits<double>::quiet_NaN();
    } else {
      summary.worst_rel_err = std::max(summary.worst_rel_err, report.rel_err);
    }
    summary.tokens_agreeing += report.tokens_agreeing;
    summary.steps_compared += report.steps_compared;
    if (report.encoding != PromptReport::Encoding::kNotChecked) {
      ++summary.encodings_checked;
      if (report.encoding == PromptReport::Encoding::kMatches) ++summary.encodings_matching;
    }
  }
  return summary;
}

std::string FormatSummary(const CheckSummary& summary, const CheckOptions& options,
                          absl::string_view label) {
  std::string line = absl::StrFormat("%s: %s, %d/%d prompts pass; worst rel err %.2e", label,
                                     summary.all_passed() ? "PASS" : "FAIL", summary.passed,
                                     summary.prompts, summary.worst_rel_err);
  if (options.enforce_rel_err) {
    absl::StrAppendFormat(&line, " (limit %g)", options.max_rel_err);
  } else {
    absl::StrAppend(&line, " (not enforced)");
  }
  absl::StrAppendFormat(&line, "; greedy %d/%d tokens agree before near-ties (margin < %g)%s",
                        summary.tokens_agreeing, summary.steps_compared, options.near_tie,
                        options.enforce_greedy ? "" : " (not enforced)");
  if (summary.encodings_checked > 0) {
    absl::StrAppendFormat(&line, "; %d/%d text prompts re-encode", summary.encodings_matching,
                          summary.encodings_checked);
  } else {
    absl::StrAppend(&line, "; no text re-encoded");
  }
  return line;
}

}  // namespace weft::engine
