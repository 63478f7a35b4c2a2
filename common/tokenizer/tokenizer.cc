#include "common/tokenizer/tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/tokenizer/byte_level.h"
#include "common/tokenizer/nfc.h"
#include "common/tokenizer/utf8.h"

namespace weft::tokenizer {
namespace {

// The ByteLevel decoder's bytes for one token: the byte-level alphabet
// mapped back, or the token's own UTF-8 if it has other characters.
std::string DecodedBytes(absl::string_view token) {
  std::string bytes;
  if (!AppendBytesFromByteLevel(token, &bytes)) bytes = std::string(token);
  return bytes;
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<BpeModel> model, std::vector<AddedToken> added_tokens,
                     PreTokenizer pre_tokenizer, Normalizer normalizer,
                     PostProcessor post_processor)
    : model_(std::move(model)),
      added_(std::move(added_tokens), normalizer == Normalizer::kNfc ? &NfcNormalize : nullptr),
      pre_tokenizer_(std::move(pre_tokenizer)),
      normalizer_(normalizer),
      post_processor_(std::move(post_processor)) {}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Create(std::unique_ptr<BpeModel> model,
                                                             std::vector<AddedToken> added_tokens,
                                                             PreTokenizer pre_tokenizer,
                                                             Normalizer normalizer,
                                                             PostProcessor post_processor) {
  auto t = std::unique_ptr<Tokenizer>(new Tokenizer(std::move(model), std::move(added_tokens),
                                                    std::move(pre_tokenizer), normalizer,
                                                    std::move(post_processor)));
  int64_t max_id = -1;
  for (const auto& [token, id] : t->model_->vocab()) {
    const auto [it, inserted] = t->id_to_token_.try_emplace(id);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("model.vocab: id ", id, " is used by both \"",
                                                     it->second.token, "\" and \"", token, "\""));
    }
    it->second.token = token;
    it->second.bytes = DecodedBytes(token);
    max_id = std::max<int64_t>(max_id, id);
  }
  for (const AddedToken& added : t->added_.tokens()) {
    const std::optional<int32_t> model_id = t->model_->TokenToId(added.content);
    if (model_id.has_value() && *model_id != added.id) {
      return absl::InvalidArgumentError(absl::StrCat("added_tokens: token \"", added.content,
                                                     "\" has id ", added.id, " but id ", *model_id,
                                                     " in model.vocab"));
    }
    const auto [it, inserted] = t->id_to_token_.try_emplace(added.id);
    if (!inserted && it->second.token != added.content) {
      return absl::InvalidArgumentError(absl::StrCat("added_tokens: id ", added.id, " of \"",
                                                     added.content, "\" is already used by \"",
                                                     it->second.token, "\""));
    }
    it->second.token = added.content;
    it->second.bytes = DecodedBytes(added.content);
    it->second.special = it->second.special || added.special;
    t->added_content_to_id_[added.content] = added.id;
    max_id = std::max<int64_t>(max_id, added.id);
  }
  t->vocab_size_ = static_cast<int32_t>(max_id + 1);
  const Tokenizer& known = *t;
  if (absl::Status s =
          t->post_processor_.CheckIds([&known](int32_t id) { return known.Find(id) != nullptr; });
      !s.ok()) {
    return s;
  }
  return t;
}

absl::StatusOr<std::vector<int32_t>> Tokenizer::Encode(absl::string_view text,
                                                       bool add_special_tokens) const {
  if (absl::Status s = ValidateUtf8(text); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Encode: ", s.message()));
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  std::vector<AddedVocabulary::Segment> raw_segments;
  added_.SplitPass(text, /*normalized_tokens=*/false, &raw_segments);
  std::vector<AddedVocabulary::Segment> segments;
  std::vector<std::string> words;
  std::string normalized;
  for (const AddedVocabulary::Segment& raw : raw_segments) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    absl::string_view piece = raw.text;
    if (normalizer_ == Normalizer::kNfc && !IsTriviallyNfc(piece)) {
      normalized = NfcNormalize(piece);
      piece = normalized;
    }
    segments.clear();
    added_.SplitPass(piece, /*normalized_tokens=*/true, &segments);
    for (const AddedVocabulary::Segment& segment : segments) {
      if (segment.id >= 0) {
        ids.push_back(segment.id);
        continue;
      }
      words.clear();
      pre_tokenizer_.PreTokenize(segment.text, &words);
      for (const std::string& word : words) model_->Tokenize(word, &ids);
    }
  }
  if (add_special_tokens && post_processor_.has_template()) return post_processor_.ApplySingle(ids);
  return ids;
}

const Tokenizer::TokenInfo* Tokenizer::Find(int32_t id) const {
  const auto it = id_to_token_.find(id);
  return it == id_to_token_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> Tokenizer::Decode(absl::Span<const int32_t> ids,
                                              bool skip_special_tokens) const {
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    const TokenInfo* info = Find(ids[i]);
    if (info == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Decode: unknown token id ", ids[i], " at position ", i));
    }
    if (skip_special_tokens && info->special) continue;
    bytes.append(info->bytes);
  }
  return Utf8Lossy(bytes);
}

absl::StatusOr<absl::string_view> Tokenizer::TokenBytes(int32_t id) const {
  const TokenInfo* info = Find(id);
  if (info == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown token id ", id));
  return absl::string_view(info->bytes);
}

absl::StatusOr<absl::string_view> Tokenizer::IdToToken(int32_t id) const {
  const TokenInfo* info = Find(id);
  if (info == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown token id ", id));
  return absl::string_view(info->token);
}

std::optional<int32_t> Tokenizer::TokenToId(absl::string_view token) const {
  const auto it = added_content_to_id_.find(token);
  if (it != added_content_to_id_.end()) return it->second;
  return model_->TokenToId(token);
}

bool Tokenizer::IsSpecial(int32_t id) const {
  const TokenInfo* info = Find(id);
  return info != nullptr && info->special;
}

}  // namespace weft::tokenizer
