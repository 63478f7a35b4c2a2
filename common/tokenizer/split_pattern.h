// Hand-written splitters equivalent to the pre-tokenizer regexes of GPT-2
// (ByteLevel use_regex), Qwen2/Qwen3 and Llama-3 (Split), which use lookahead
// and so cannot run on RE2. Each splitter reproduces the regex's leftmost-first
// backtracking semantics (Oniguruma, as Hugging Face tokenizers runs them) over
// Unicode code points, with \p{L}, \p{N} and \s from unicode_props.h.
//
// Pure functions; thread-safe.
#ifndef WEFT_COMMON_TOKENIZER_SPLIT_PATTERN_H_
#define WEFT_COMMON_TOKENIZER_SPLIT_PATTERN_H_

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"

namespace weft::tokenizer {

enum class SplitPattern {
  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kGpt2,
  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|
  //  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kQwen2,
  // As kQwen2 with \p{N}{1,3} for \p{N}.
  kLlama3,
};

// The regex source of `pattern`, exactly as tokenizer.json spells it.
absl::string_view SplitPatternRegex(SplitPattern pattern);

// The pattern whose regex source is exactly `regex`, or nullopt.
std::optional<SplitPattern> RecognizeSplitPattern(absl::string_view regex);

// Splits `text` (well-formed UTF-8; each ill-formed sequence is treated as one
// character that is neither a letter, a number nor a space) into consecutive
// non-empty pieces as Hugging Face's Split with behavior "Isolated" does:
// every match is a piece (these patterns match every character, so there are
// no gaps). The pieces are appended to `pieces` and point into `text`. Uses a
// thread-local scratch buffer that keeps the capacity of the longest text.
void SplitWithPattern(SplitPattern pattern, absl::string_view text,
                      std::vector<absl::string_view>* pieces);

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_SPLIT_PATTERN_H_
