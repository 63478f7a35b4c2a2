#include "common/tokenizer/pre_tokenizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/tokenizer/byte_level.h"

namespace weft::tokenizer {

void PreTokenizer::PreTokenize(absl::string_view text, std::vector<std::string>* words) const {
  if (text.empty()) return;
  std::vector<std::string> pieces;
  pieces.emplace_back(text);
  std::vector<std::string> next;
  std::vector<absl::string_view> split;
  for (const PreTokenizerStep& step : steps_) {
    next.clear();
    for (const std::string& piece : pieces) {
      split.clear();
      std::string prefixed;
      absl::string_view input = piece;
      if (step.kind == PreTokenizerStep::Kind::kByteLevel && step.add_prefix_space &&
          (input.empty() || input[0] != ' ')) {
        prefixed = absl::StrCat(" ", input);
        input = prefixed;
      }
      if (step.kind == PreTokenizerStep::Kind::kSplit) {
        SplitWithPattern(step.pattern, input, &split);
      } else if (step.use_regex) {
        SplitWithPattern(SplitPattern::kGpt2, input, &split);
      } else if (!input.empty()) {
        split.push_back(input);
      }
      for (const absl::string_view s : split) {
        if (s.empty()) continue;
        if (step.kind == PreTokenizerStep::Kind::kByteLevel) {
          std::string mapped;
          mapped.reserve(s.size() * 2);
          AppendByteLevel(s, &mapped);
          next.push_back(std::move(mapped));
        } else {
          next.emplace_back(s);
        }
      }
    }
    pieces.swap(next);
  }
  for (std::string& p : pieces) words->push_back(std::move(p));
}

}  // namespace weft::tokenizer
