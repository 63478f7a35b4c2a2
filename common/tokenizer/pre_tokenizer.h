// The pre-tokenizer of a byte-level tokenizer.json: a sequence of steps, each
// a "Split" with a recognized regex (behavior Isolated) or a "ByteLevel"
// (optional prefix space, optional GPT-2 regex split, then the byte-level
// mapping). Steps apply in order to every piece produced so far, as
// tokenizers' Sequence pre-tokenizer does.
//
// Thread-safety: immutable; PreTokenize is const and thread-safe.
#ifndef WEFT_COMMON_TOKENIZER_PRE_TOKENIZER_H_
#define WEFT_COMMON_TOKENIZER_PRE_TOKENIZER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/tokenizer/split_pattern.h"

namespace weft::tokenizer {

struct PreTokenizerStep {
  enum class Kind { kSplit, kByteLevel };
  Kind kind = Kind::kByteLevel;
  SplitPattern pattern = SplitPattern::kGpt2;  // kSplit only.
  bool add_prefix_space = false;               // kByteLevel only.
  bool use_regex = true;                       // kByteLevel only: split with kGpt2.
};

class PreTokenizer {
 public:
  explicit PreTokenizer(std::vector<PreTokenizerStep> steps) : steps_(std::move(steps)) {}

  // Splits `text` (well-formed UTF-8) into words, appended to `words`; with a
  // ByteLevel step they are in the byte-level alphabet, ready for BPE. Empty
  // pieces are dropped.
  void PreTokenize(absl::string_view text, std::vector<std::string>* words) const;

  const std::vector<PreTokenizerStep>& steps() const { return steps_; }

 private:
  std::vector<PreTokenizerStep> steps_;
};

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_PRE_TOKENIZER_H_
