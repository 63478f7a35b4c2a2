// A byte-level BPE tokenizer: encodes text to token ids and decodes ids to
// text exactly as Hugging Face tokenizers'
// `Tokenizer.encode(text, add_special_tokens).ids` and
// `Tokenizer.decode(ids, skip_special_tokens)` do for the supported
// tokenizer.json features (see tokenizer_loader.h, which builds it).
//
// Thread-safety: immutable after Create(); every method is const and may be
// called concurrently (the BPE word cache inside is internally locked).
#ifndef WEFT_COMMON_TOKENIZER_TOKENIZER_H_
#define WEFT_COMMON_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/tokenizer/added_vocabulary.h"
#include "common/tokenizer/bpe_model.h"
#include "common/tokenizer/post_processor.h"
#include "common/tokenizer/pre_tokenizer.h"

namespace weft::tokenizer {

// The tokenizer.json "normalizer".
enum class Normalizer {
  kNone,
  kNfc,  // Unicode NFC (nfc.h).
};

class Tokenizer {
 public:
  // Takes ownership of the parts. Added tokens that are also in the model's
  // vocabulary must have the same id there; an added token's id must not be
  // another vocabulary token's; every id the post-processor adds must be a
  // model or added token's. Errors: InvalidArgument naming the token.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> Create(
      std::unique_ptr<BpeModel> model, std::vector<AddedToken> added_tokens,
      PreTokenizer pre_tokenizer, Normalizer normalizer = Normalizer::kNone,
      PostProcessor post_processor = PostProcessor());

  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // The ids of `text`: added tokens with normalized=false are matched in the
  // raw text, the rest is normalized, then added tokens with normalized=true
  // are matched, and what remains is pre-tokenized and BPE-encoded. With
  // add_special_tokens, the post-processor's single template is then applied
  // (e.g. Llama-3's BOS prepended), as transformers' `tokenizer(text)` does;
  // without (the default), no special token is added except those written in
  // `text`, as with `add_special_tokens=False`. InvalidArgument if `text` is
  // not well-formed UTF-8 (naming the byte offset).
  absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text,
                                              bool add_special_tokens = false) const;

  // The text of `ids`: every token's bytes (ByteLevel decoder) concatenated,
  // ill-formed UTF-8 replaced by U+FFFD as from_utf8_lossy does. With
  // skip_special_tokens, added tokens marked special are left out.
  // InvalidArgument for an id that is not in the vocabulary (naming it and
  // its position; tokenizers would silently skip it).
  absl::StatusOr<std::string> Decode(absl::Span<const int32_t> ids,
                                     bool skip_special_tokens = false) const;

  // The raw bytes token `id` decodes to (not necessarily UTF-8 on its own),
  // or InvalidArgument for an unknown id.
  absl::StatusOr<absl::string_view> TokenBytes(int32_t id) const;

  // The vocabulary string of `id` (byte-level alphabet for model tokens), or
  // InvalidArgument for an unknown id.
  absl::StatusOr<absl::string_view> IdToToken(int32_t id) const;

  // The id of a vocabulary string or added token's content.
  std::optional<int32_t> TokenToId(absl::string_view token) const;

  // Whether `id` is an added token marked special.
  bool IsSpecial(int32_t id) const;

  // One more than the largest id.
  int32_t vocab_size() const { return vocab_size_; }

  const AddedVocabulary& added_vocabulary() const { return added_; }
  Normalizer normalizer() const { return normalizer_; }
  const PostProcessor& post_processor() const { return post_processor_; }

 private:
  struct TokenInfo {
    std::string token;  // As in the vocabulary / added token content.
    std::string bytes;  // What it decodes to.
    bool special = false;
  };

  Tokenizer(std::unique_ptr<BpeModel> model, std::vector<AddedToken> added_tokens,
            PreTokenizer pre_tokenizer, Normalizer normalizer, PostProcessor post_processor);

  const TokenInfo* Find(int32_t id) const;

  std::unique_ptr<BpeModel> model_;
  AddedVocabulary added_;
  PreTokenizer pre_tokenizer_;
  Normalizer normalizer_;
  PostProcessor post_processor_;
  absl::flat_hash_map<int32_t, TokenInfo> id_to_token_;
  absl::flat_hash_map<std::string, int32_t> added_content_to_id_;
  int32_t vocab_size_ = 0;
};

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_TOKENIZER_H_
