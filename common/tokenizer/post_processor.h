// The post-processor of a tokenizer.json ("post_processor"): what tokenizers
// adds around the encoded text when asked for special tokens
// (`encode(text, add_special_tokens=True)`, transformers' `tokenizer(text)`).
//
// Supported: null and ByteLevel (no-ops for ids: trim_offsets only moves
// offsets), TemplateProcessing, and a Sequence of ByteLevel members and at
// most one TemplateProcessing (Llama-3 has [ByteLevel, TemplateProcessing]).
// A TemplateProcessing template is a list of pieces, each the text itself
// (Sequence "A"; "B" is the second text of a pair) or a SpecialToken whose ids
// come from the "special_tokens" map, e.g. Llama-3's single template
//   [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
//    {"Sequence": {"id": "A", "type_id": 0}}]
// prepends id 128000. type_ids are ignored (a causal LM has no use for them).
//
// The single template must contain Sequence A exactly once and no B, so that
// without special tokens it leaves the ids unchanged, as tokenizers does then.
// The pair template is parsed and validated as strictly (A and B exactly once
// each) and kept, but Tokenizer encodes single texts only and never uses it.
// Everything else (BertProcessing, RobertaProcessing, nested Sequences, ...)
// is a load error naming the field.
//
// Thread-safety: immutable; every method is const and thread-safe.
#ifndef WEFT_COMMON_TOKENIZER_POST_PROCESSOR_H_
#define WEFT_COMMON_TOKENIZER_POST_PROCESSOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "nlohmann/json_fwd.hpp"

namespace weft::tokenizer {

// One piece of a TemplateProcessing template.
struct TemplatePiece {
  enum class Kind { kSequence, kSpecialToken };
  Kind kind = Kind::kSequence;
  // kSequence: "A" (the text) or "B" (a pair's second text). kSpecialToken:
  // the token's key in special_tokens, e.g. "<|begin_of_text|>".
  std::string id;
  // kSpecialToken: the ids it adds (special_tokens[id].ids, possibly several).
  std::vector<int32_t> ids;

  static TemplatePiece Sequence(std::string id) {
    return TemplatePiece{Kind::kSequence, std::move(id), {}};
  }
  static TemplatePiece SpecialToken(std::string id, std::vector<int32_t> ids) {
    return TemplatePiece{Kind::kSpecialToken, std::move(id), std::move(ids)};
  }
};

class PostProcessor {
 public:
  // Adds nothing (post_processor null, ByteLevel, or a Sequence without a
  // TemplateProcessing).
  PostProcessor() = default;

  // Parses the value of tokenizer.json's "post_processor" (may be null).
  // Errors: InvalidArgument naming the field, e.g.
  // `post_processor.processors[1].single[0]: SpecialToken "<s>" is not in
  // post_processor.processors[1].special_tokens` (without the "tokenizer.json:"
  // prefix the loader adds).
  static absl::StatusOr<PostProcessor> FromJson(const nlohmann::json& value);

  // A TemplateProcessing found at `field` (e.g. "post_processor") with these
  // templates (`pair` empty: none). Checks the rules above; errors name
  // `field`.
  static absl::StatusOr<PostProcessor> FromTemplates(std::string field,
                                                     std::vector<TemplatePiece> single,
                                                     std::vector<TemplatePiece> pair);

  // Whether there is a template (otherwise ApplySingle returns its input).
  bool has_template() const { return !single_.empty(); }

  // The single template applied to `ids` (the encoded text): the template's
  // special token ids around them, in template order.
  std::vector<int32_t> ApplySingle(absl::Span<const int32_t> ids) const;

  // OK if `is_known` holds for every id a template can add; otherwise
  // InvalidArgument naming the special token, e.g.
  // `post_processor.special_tokens["<s>"].ids[0] 7 is not in the vocabulary`.
  absl::Status CheckIds(const std::function<bool(int32_t)>& is_known) const;

  // Where the TemplateProcessing was ("" without one).
  const std::string& field() const { return field_; }
  const std::vector<TemplatePiece>& single() const { return single_; }
  const std::vector<TemplatePiece>& pair() const { return pair_; }  // Unused.

 private:
  std::string field_;
  std::vector<TemplatePiece> single_;
  std::vector<TemplatePiece> pair_;
};

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_POST_PROCESSOR_H_
