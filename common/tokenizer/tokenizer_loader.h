// Builds a Tokenizer from a Hugging Face tokenizer.json.
//
// Supported (anything else is an InvalidArgument load error naming the field
// and the feature, e.g. `tokenizer.json: pre_tokenizer type "Metaspace" is not
// supported`):
//   added_tokens  id, content, special, single_word, lstrip, rstrip, normalized
//   normalizer    null, NFC, or a Sequence of NFC members (possibly none)
//   pre_tokenizer ByteLevel (add_prefix_space, use_regex), or a Sequence of
//                 Split steps (Regex pattern = the GPT-2, Qwen2/Qwen3 or
//                 Llama-3 regex, behavior Isolated, invert false) followed by
//                 one ByteLevel
//   model         BPE: vocab, merges ("a b" strings or [a, b] pairs),
//                 byte_fallback, ignore_merges, fuse_unk, unk_token (only with
//                 byte_fallback), dropout null/0, continuing_subword_prefix
//                 and end_of_word_suffix null/""
//   decoder       ByteLevel, or a Sequence of ByteLevel
//   post_processor null, ByteLevel (a no-op for ids), TemplateProcessing, or a
//                 Sequence of ByteLevel and at most one TemplateProcessing
//                 (see post_processor.h; applied by
//                 Tokenizer::Encode(text, /*add_special_tokens=*/true))
//   truncation, padding: null
// The input is untrusted: malformed JSON or wrongly typed fields are errors,
// never crashes.
#ifndef WEFT_COMMON_TOKENIZER_TOKENIZER_LOADER_H_
#define WEFT_COMMON_TOKENIZER_TOKENIZER_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/tokenizer/tokenizer.h"

namespace weft::tokenizer {

// Parses the contents of a tokenizer.json.
absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizerFromJson(absl::string_view json_text);

// Reads and parses the tokenizer.json at `path` (errors name the path).
absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizerFromFile(const std::string& path);

}  // namespace weft::tokenizer

#endif  // WEFT_COMMON_TOKENIZER_TOKENIZER_LOADER_H_
