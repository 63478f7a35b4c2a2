#include "common/tokenizer/tokenizer_loader.h"

#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "common/tokenizer/added_vocabulary.h"
#include "common/tokenizer/bpe_model.h"
#include "common/tokenizer/post_processor.h"
#include "common/tokenizer/pre_tokenizer.h"
#include "common/tokenizer/split_pattern.h"
#include "nlohmann/json.hpp"

namespace weft::tokenizer {
namespace {

using Json = nlohmann::json;

absl::Status Error(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("tokenizer.json: ", what));
}

absl::Status Unsupported(absl::string_view field, absl::string_view type) {
  return Error(absl::StrCat(field, " type \"", type, "\" is not supported"));
}

bool IsNull(const Json& obj, const char* key) { return !obj.contains(key) || obj[key].is_null(); }

// Reads an optional boolean field.
absl::Status GetBool(const Json& obj, const char* key, absl::string_view where, bool* out) {
  if (IsNull(obj, key)) return absl::OkStatus();
  if (!obj[key].is_boolean()) return Error(absl::StrCat(where, ".", key, " must be a boolean"));
  *out = obj[key].get<bool>();
  return absl::OkStatus();
}

// The "type" string of a component object.
absl::StatusOr<std::string> GetType(const Json& obj, absl::string_view where) {
  if (!obj.is_object()) return Error(absl::StrCat(where, " must be an object or null"));
  if (!obj.contains("type") || !obj["type"].is_string()) {
    return Error(absl::StrCat(where, ".type must be a string"));
  }
  return obj["type"].get<std::string>();
}

// The members of a Sequence component, in its `key` array.
absl::StatusOr<const Json*> GetMembers(const Json& obj, const char* key, absl::string_view where) {
  if (!obj.contains(key) || !obj[key].is_array()) {
    return Error(absl::StrCat(where, ".", key, " must be an array"));
  }
  return &obj[key];
}

absl::StatusOr<int32_t> GetId(const Json& value, absl::string_view where) {
  if (!value.is_number_integer()) return Error(absl::StrCat(where, " must be an integer"));
  const int64_t id = value.is_number_unsigned()
                         ? static_cast<int64_t>(std::min<uint64_t>(
                               value.get<uint64_t>(), std::numeric_limits<int64_t>::max()))
                         : value.get<int64_t>();
  if (id < 0 || id > std::numeric_limits<int32_t>::max()) {
    return Error(absl::StrCat(where, " ", id, " is out of range"));
  }
  return static_cast<int32_t>(id);
}

absl::StatusOr<std::vector<AddedToken>> ParseAddedTokens(const Json& root) {
  std::vector<AddedToken> tokens;
  if (IsNull(root, "added_tokens")) return tokens;
  const Json& array = root["added_tokens"];
  if (!array.is_array()) return Error("added_tokens must be an array");
  for (size_t i = 0; i < array.size(); ++i) {
    const Json& item = array[i];
    const std::string where = absl::StrCat("added_tokens[", i, "]");
    if (!item.is_object()) return Error(absl::StrCat(where, " must be an object"));
    AddedToken t;
    if (!item.contains("id")) return Error(absl::StrCat(where, ".id is missing"));
    WEFT_ASSIGN_OR_RETURN(t.id, GetId(item["id"], absl::StrCat(where, ".id")));
    if (!item.contains("content") || !item["content"].is_string()) {
      return Error(absl::StrCat(where, ".content must be a string"));
    }
    t.content = item["content"].get<std::string>();
    WEFT_RETURN_IF_ERROR(GetBool(item, "special", where, &t.special));
    WEFT_RETURN_IF_ERROR(GetBool(item, "single_word", where, &t.single_word));
    WEFT_RETURN_IF_ERROR(GetBool(item, "lstrip", where, &t.lstrip));
    WEFT_RETURN_IF_ERROR(GetBool(item, "rstrip", where, &t.rstrip));
    WEFT_RETURN_IF_ERROR(GetBool(item, "normalized", where, &t.normalized));
    tokens.push_back(std::move(t));
  }
  return tokens;
}

absl::StatusOr<Normalizer> ParseNormalizer(const Json& root) {
  if (IsNull(root, "normalizer")) return Normalizer::kNone;
  WEFT_ASSIGN_OR_RETURN(const std::string type, GetType(root["normalizer"], "normalizer"));
  if (type == "NFC") return Normalizer::kNfc;
  if (type != "Sequence") return Unsupported("normalizer", type);
  WEFT_ASSIGN_OR_RETURN(const Json* members,
                        GetMembers(root["normalizer"], "normalizers", "normalizer"));
  // NFC is idempotent: any number of NFC members is one NFC.
  Normalizer normalizer = Normalizer::kNone;
  for (size_t i = 0; i < members->size(); ++i) {
    const std::string where = absl::StrCat("normalizer.normalizers[", i, "]");
    WEFT_ASSIGN_OR_RETURN(const std::string member, GetType((*members)[i], where));
    if (member != "NFC") return Unsupported(where, member);
    normalizer = Normalizer::kNfc;
  }
  return normalizer;
}

absl::StatusOr<PreTokenizerStep> ParsePreTokenizerStep(const Json& obj, absl::string_view where) {
  WEFT_ASSIGN_OR_RETURN(const std::string type, GetType(obj, where));
  PreTokenizerStep step;
  if (type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::kByteLevel;
    step.add_prefix_space = true;  // tokenizers' defaults.
    step.use_regex = true;
    WEFT_RETURN_IF_ERROR(GetBool(obj, "add_prefix_space", where, &step.add_prefix_space));
    WEFT_RETURN_IF_ERROR(GetBool(obj, "use_regex", where, &step.use_regex));
    return step;
  }
  if (type == "Split") {
    step.kind = PreTokenizerStep::Kind::kSplit;
    if (!obj.contains("pattern") || !obj["pattern"].is_object()) {
      return Error(absl::StrCat(where, ".pattern must be an object"));
    }
    const Json& pattern = obj["pattern"];
    if (!pattern.contains("Regex") || !pattern["Regex"].is_string()) {
      return Error(absl::StrCat(where, ".pattern: only a \"Regex\" pattern is supported"));
    }
    const std::string regex = pattern["Regex"].get<std::string>();
    const std::optional<SplitPattern> known = RecognizeSplitPattern(regex);
    if (!known.has_value()) {
      return Error(absl::StrCat(where, ".pattern.Regex \"", regex,
                                "\" is not supported (only the GPT-2, Qwen2 and Llama-3 "
                                "pre-tokenizer regexes are)"));
    }
    step.pattern = *known;
    if (!obj.contains("behavior") || !obj["behavior"].is_string() ||
        obj["behavior"].get<std::string>() != "Isolated") {
      return Error(absl::StrCat(where, ".behavior: only \"Isolated\" is supported"));
    }
    bool invert = false;
    WEFT_RETURN_IF_ERROR(GetBool(obj, "invert", where, &invert));
    if (invert) return Error(absl::StrCat(where, ".invert true is not supported"));
    return step;
  }
  return Unsupported(where, type);
}

absl::StatusOr<std::vector<PreTokenizerStep>> ParsePreTokenizer(const Json& root) {
  if (IsNull(root, "pre_tokenizer")) {
    return Error("pre_tokenizer null is not supported (a byte-level BPE needs ByteLevel)");
  }
  const Json& pre = root["pre_tokenizer"];
  WEFT_ASSIGN_OR_RETURN(const std::string type, GetType(pre, "pre_tokenizer"));
  std::vector<PreTokenizerStep> steps;
  if (type == "Sequence") {
    WEFT_ASSIGN_OR_RETURN(const Json* members, GetMembers(pre, "pretokenizers", "pre_tokenizer"));
    for (size_t i = 0; i < members->size(); ++i) {
      WEFT_ASSIGN_OR_RETURN(
          PreTokenizerStep step,
          ParsePreTokenizerStep((*members)[i],
                                absl::StrCat("pre_tokenizer.pretokenizers[", i, "]")));
      steps.push_back(step);
    }
  } else {
    WEFT_ASSIGN_OR_RETURN(PreTokenizerStep step, ParsePreTokenizerStep(pre, "pre_tokenizer"));
    steps.push_back(step);
  }
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].kind == PreTokenizerStep::Kind::kByteLevel && i + 1 != steps.size()) {
      return Error("pre_tokenizer: a step after ByteLevel is not supported");
    }
  }
  if (steps.empty() || steps.back().kind != PreTokenizerStep::Kind::kByteLevel) {
    return Error("pre_tokenizer without a final ByteLevel step is not supported");
  }
  return steps;
}

// Accepts ByteLevel alone or in a Sequence under `members_key` (and null if
// `null_ok`).
absl::Status CheckOnlyByteLevel(const Json& root, const char* field, const char* members_key,
                                bool null_ok) {
  if (IsNull(root, field)) {
    if (null_ok) return absl::OkStatus();
    return Error(absl::StrCat(field, " null is not supported (a byte-level BPE needs ByteLevel)"));
  }
  const Json& obj = root[field];
  WEFT_ASSIGN_OR_RETURN(const std::string type, GetType(obj, field));
  if (type == "ByteLevel") return absl::OkStatus();
  if (type != "Sequence") return Unsupported(field, type);
  WEFT_ASSIGN_OR_RETURN(const Json* members, GetMembers(obj, members_key, field));
  if (members->empty() && !null_ok) return Error(absl::StrCat(field, " Sequence is empty"));
  for (size_t i = 0; i < members->size(); ++i) {
    const std::string where = absl::StrCat(field, ".", members_key, "[", i, "]");
    WEFT_ASSIGN_OR_RETURN(const std::string member, GetType((*members)[i], where));
    if (member != "ByteLevel") return Unsupported(where, member);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, std::string>> ParseMerge(const Json& merge, size_t index) {
  const std::string where = absl::StrCat("model.merges[", index, "]");
  if (merge.is_string()) {
    const std::string line = merge.get<std::string>();
    const std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2) {
      return Error(absl::StrCat(where, " \"", line, "\" is not two tokens separated by a space"));
    }
    return std::make_pair(parts[0], parts[1]);
  }
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
    return std::make_pair(merge[0].get<std::string>(), merge[1].get<std::string>());
  }
  return Error(absl::StrCat(where, " must be a string \"a b\" or an array of two strings"));
}

absl::StatusOr<std::unique_ptr<BpeModel>> ParseModel(const Json& root) {
  if (IsNull(root, "model")) return Error("model is missing");
  const Json& model = root["model"];
  WEFT_ASSIGN_OR_RETURN(const std::string type, GetType(model, "model"));
  if (type != "BPE") return Unsupported("model", type);

  if (!IsNull(model, "dropout")) {
    const Json& dropout = model["dropout"];
    if (!dropout.is_number() || dropout.get<double>() != 0.0) {
      return Error("model.dropout is not supported (must be null)");
    }
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (IsNull(model, key)) continue;
    if (!model[key].is_string() || !model[key].get<std::string>().empty()) {
      return Error(absl::StrCat("model.", key, " is not supported (must be null)"));
    }
  }
  BpeModel::Options options;
  WEFT_RETURN_IF_ERROR(GetBool(model, "byte_fallback", "model", &options.byte_fallback));
  WEFT_RETURN_IF_ERROR(GetBool(model, "ignore_merges", "model", &options.ignore_merges));
  WEFT_RETURN_IF_ERROR(GetBool(model, "fuse_unk", "model", &options.fuse_unk));

  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    return Error("model.vocab must be an object");
  }
  absl::flat_hash_map<std::string, int32_t> vocab;
  vocab.reserve(model["vocab"].size());
  for (const auto& [token, value] : model["vocab"].items()) {
    WEFT_ASSIGN_OR_RETURN(const int32_t id,
                          GetId(value, absl::StrCat("model.vocab[\"", token, "\"]")));
    vocab[token] = id;
  }

  if (!IsNull(model, "unk_token")) {
    if (!model["unk_token"].is_string()) return Error("model.unk_token must be a string or null");
    const std::string unk = model["unk_token"].get<std::string>();
    if (!options.byte_fallback) {
      return Error("model.unk_token with byte_fallback off is not supported");
    }
    const auto it = vocab.find(unk);
    if (it == vocab.end()) {
      return Error(absl::StrCat("model.unk_token \"", unk, "\" is not in model.vocab"));
    }
    options.unk_id = it->second;
  }

  std::vector<std::pair<std::string, std::string>> merges;
  if (!IsNull(model, "merges")) {
    const Json& array = model["merges"];
    if (!array.is_array()) return Error("model.merges must be an array");
    merges.reserve(array.size());
    for (size_t i = 0; i < array.size(); ++i) {
      WEFT_ASSIGN_OR_RETURN(auto merge, ParseMerge(array[i], i));
      merges.push_back(std::move(merge));
    }
  }
  absl::StatusOr<std::unique_ptr<BpeModel>> bpe =
      BpeModel::Create(std::move(vocab), merges, options);
  if (!bpe.ok()) return Error(bpe.status().message());
  return bpe;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizerFromJson(absl::string_view json_text) {
  const Json root = Json::parse(json_text.begin(), json_text.end(), /*cb=*/nullptr,
                                /*allow_exceptions=*/false);
  if (root.is_discarded()) return Error("not valid JSON");
  if (!root.is_object()) return Error("the top level must be an object");
  for (const char* key : {"truncation", "padding"}) {
    if (!IsNull(root, key)) return Error(absl::StrCat(key, " is not supported (must be null)"));
  }
  WEFT_ASSIGN_OR_RETURN(std::vector<AddedToken> added, ParseAddedTokens(root));
  WEFT_ASSIGN_OR_RETURN(const Normalizer normalizer, ParseNormalizer(root));
  WEFT_ASSIGN_OR_RETURN(std::vector<PreTokenizerStep> steps, ParsePreTokenizer(root));
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<BpeModel> model, ParseModel(root));
  WEFT_RETURN_IF_ERROR(CheckOnlyByteLevel(root, "decoder", "decoders", /*null_ok=*/false));
  const Json null_json;
  absl::StatusOr<PostProcessor> post_processor =
      PostProcessor::FromJson(IsNull(root, "post_processor") ? null_json : root["post_processor"]);
  if (!post_processor.ok()) return Error(post_processor.status().message());
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::Create(std::move(model), std::move(added), PreTokenizer(std::move(steps)),
                        normalizer, *std::move(post_processor));
  if (!tokenizer.ok()) return Error(tokenizer.status().message());
  return tokenizer;
}

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizerFromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer = LoadTokenizerFromJson(contents.str());
  if (!tokenizer.ok()) {
    return absl::Status(tokenizer.status().code(),
                        absl::StrCat(path, ": ", tokenizer.status().message()));
  }
  return tokenizer;
}

}  // namespace weft::tokenizer
