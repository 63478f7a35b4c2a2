// Added tokens of a tokenizer.json ("added_tokens"): special and user tokens
// that are matched in the raw text before pre-tokenization, as tokenizers'
// AddedVocabulary does: leftmost-longest matching, first of the tokens with
// normalized=false over the raw text, then of those with normalized=true over
// the normalized remaining pieces (the caller normalizes between the passes),
// honoring single_word, lstrip and rstrip.
//
// Thread-safety: immutable after construction; all methods are const and
// thread-safe.
#ifndef WEFT_COMMON_TOKENIZER_ADDED_VOCABULARY_H_
#define WEFT_COMMON_TOKENIZER_ADDED_VOCABULARY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace weft::tokenizer {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool single_word = false;  // Only matched when not inside a word (\w).
  bool lstrip = false;       // Also swallows the spaces (\s) before it.
  bool rstrip = false;       // Also swallows the spaces (\s) after it.
  bool normalized = true;    // Matched in the second pass (see above).
};

class AddedVocabulary {
 public:
  // A piece of the input: an added token (id >= 0, text is what it covers,
  // including stripped spaces) or text to pre-tokenize (id == -1).
  struct Segment {
    absl::string_view text;
    int32_t id = -1;
  };

  // Tokens with empty content are kept for id lookups but never matched.
  // `normalize`, if given, maps the content of normalized=true tokens to the
  // string matched in the second pass (tokenizers normalizes it with the
  // tokenizer's normalizer).
  explicit AddedVocabulary(std::vector<AddedToken> tokens,
                           std::string (*normalize)(absl::string_view) = nullptr);

  // One pass: splits `text` (well-formed UTF-8) on the tokens with
  // normalized == `normalized_tokens`, appending segments that point into
  // `text` to `out`.
  void SplitPass(absl::string_view text, bool normalized_tokens, std::vector<Segment>* out) const;

  // Both passes, without normalization in between.
  void Split(absl::string_view text, std::vector<Segment>* out) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Leftmost-longest matcher over one set of tokens.
  struct Matcher {
    // Indices into tokens_ by first byte, longest content first.
    std::vector<int> by_first_byte[256];
    bool empty = true;
  };

  void FindMatches(const Matcher& matcher, absl::string_view text, std::vector<Segment>* out) const;

  std::vector<AddedToken> tokens_;
  std::vector<std::string> match_;  // What each token matches, by index.
  Matcher non_normalized_;
  Matcher normalized_;
};

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_ADDED_VOCABULARY_H_
