#include "common/tokenizer/post_processor.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace weft::tokenizer {
namespace {

using Json = nlohmann::json;

// special_tokens: key -> ids.
using SpecialTokens = absl::flat_hash_map<std::string, std::vector<int32_t>>;

constexpr char kField[] = "post_processor";

absl::Status Error(absl::string_view what) { return absl::InvalidArgumentError(what); }

absl::Status Unsupported(absl::string_view where, absl::string_view type) {
  return Error(absl::StrCat(where, " type \"", type, "\" is not supported"));
}

// obj[key], or nullptr if `obj` is not an object or has no non-null `key`.
const Json* Find(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// The "type" string of a component object.
absl::StatusOr<std::string> GetType(const Json& obj, absl::string_view where,
                                    absl::string_view what) {
  if (!obj.is_object()) return Error(absl::StrCat(where, " must be ", what));
  const Json* type = Find(obj, "type");
  if (type == nullptr || !type->is_string()) {
    return Error(absl::StrCat(where, ".type must be a string"));
  }
  return type->get<std::string>();
}

absl::StatusOr<std::string> GetString(const Json& obj, const char* key, absl::string_view where) {
  const Json* value = Find(obj, key);
  if (value == nullptr || !value->is_string()) {
    return Error(absl::StrCat(where, ".", key, " must be a string"));
  }
  return value->get<std::string>();
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

// `field`.special_tokens: {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}, ...}.
// The tokens are what tokenizers reports as the Encoding's tokens; only their
// shape is checked (ids decide what is added).
absl::StatusOr<SpecialTokens> ParseSpecialTokens(const Json& obj, absl::string_view field) {
  const std::string where = absl::StrCat(field, ".special_tokens");
  const Json* map = Find(obj, "special_tokens");
  if (map == nullptr || !map->is_object()) return Error(absl::StrCat(where, " must be an object"));
  SpecialTokens tokens;
  for (auto it = map->begin(); it != map->end(); ++it) {
    const std::string& key = it.key();
    const Json& entry = it.value();
    const std::string at = absl::StrCat(where, "[\"", key, "\"]");
    if (!entry.is_object()) return Error(absl::StrCat(at, " must be an object"));
    WEFT_ASSIGN_OR_RETURN(const std::string id, GetString(entry, "id", at));
    if (id != key) {
      return Error(absl::StrCat(at, ".id \"", id, "\" is not its key \"", key, "\""));
    }
    const Json* ids = Find(entry, "ids");
    if (ids == nullptr || !ids->is_array()) return Error(absl::StrCat(at, ".ids must be an array"));
    std::vector<int32_t>& out = tokens[key];
    for (size_t i = 0; i < ids->size(); ++i) {
      WEFT_ASSIGN_OR_RETURN(const int32_t token_id,
                            GetId((*ids)[i], absl::StrCat(at, ".ids[", i, "]")));
      out.push_back(token_id);
    }
    const Json* strings = Find(entry, "tokens");
    if (strings == nullptr || !strings->is_array() || strings->size() != ids->size() ||
        !std::all_of(strings->begin(), strings->end(),
                     [](const Json& s) { return s.is_string(); })) {
      return Error(
          absl::StrCat(at, ".tokens must be an array of ", ids->size(), " strings (one per id)"));
    }
  }
  return tokens;
}

// `field`.`name`: [{"SpecialToken": {"id": "<s>", "type_id": 0}},
// {"Sequence": {"id": "A", "type_id": 0}}, ...]. type_id is ignored.
absl::StatusOr<std::vector<TemplatePiece>> ParseTemplate(const Json& value, absl::string_view field,
                                                         absl::string_view name,
                                                         const SpecialTokens& special_tokens) {
  const std::string where = absl::StrCat(field, ".", name);
  if (!value.is_array()) return Error(absl::StrCat(where, " must be an array"));
  std::vector<TemplatePiece> pieces;
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& item = value[i];
    const std::string at = absl::StrCat(where, "[", i, "]");
    if (!item.is_object() || item.size() != 1) {
      return Error(absl::StrCat(at,
                                " must be an object with one key, \"SpecialToken\" or "
                                "\"Sequence\""));
    }
    const std::string& kind = item.begin().key();
    const Json& body = item.begin().value();
    if (kind != "SpecialToken" && kind != "Sequence") {
      return Error(
          absl::StrCat(at, " piece \"", kind,
                       "\" is not supported (only \"SpecialToken\" and \"Sequence\" are)"));
    }
    const std::string body_at = absl::StrCat(at, ".", kind);
    if (!body.is_object()) return Error(absl::StrCat(body_at, " must be an object"));
    WEFT_ASSIGN_OR_RETURN(std::string id, GetString(body, "id", body_at));
    if (kind == "Sequence") {
      pieces.push_back(TemplatePiece::Sequence(std::move(id)));
      continue;
    }
    const auto it = special_tokens.find(id);
    if (it == special_tokens.end()) {
      return Error(absl::StrCat(body_at, ".id \"", id, "\" is not in ", field, ".special_tokens"));
    }
    pieces.push_back(TemplatePiece::SpecialToken(std::move(id), it->second));
  }
  return pieces;
}

// Checks the Sequence pieces of `pieces` (`field`.`name`): each "A" (or "B"
// if `allow_b`), `name` containing A (and B if allow_b) exactly once.
absl::Status CheckSequences(const std::vector<TemplatePiece>& pieces, absl::string_view field,
                            absl::string_view name, bool allow_b) {
  int a = 0;
  int b = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const TemplatePiece& piece = pieces[i];
    if (piece.kind != TemplatePiece::Kind::kSequence) continue;
    if (piece.id == "A") {
      ++a;
    } else if (piece.id == "B" && allow_b) {
      ++b;
    } else {
      return Error(absl::StrCat(field, ".", name, "[", i, "].Sequence.id \"", piece.id,
                                "\" is not supported (only ", allow_b ? "\"A\" and \"B\"" : "\"A\"",
                                " in a ", name, " template)"));
    }
  }
  if (a != 1 || (allow_b && b != 1)) {
    return Error(absl::StrCat(
        field, ".", name, " must contain ",
        allow_b ? "Sequence \"A\" and \"B\" exactly once each" : "Sequence \"A\" exactly once",
        " (has ", a, " A", allow_b ? absl::StrCat(", ", b, " B") : "", ")"));
  }
  return absl::OkStatus();
}

// A TemplateProcessing object at `field`.
absl::StatusOr<PostProcessor> ParseTemplateProcessing(const Json& obj, absl::string_view field) {
  WEFT_ASSIGN_OR_RETURN(const SpecialTokens special_tokens, ParseSpecialTokens(obj, field));
  const Json* single = Find(obj, "single");
  if (single == nullptr) return Error(absl::StrCat(field, ".single must be an array"));
  WEFT_ASSIGN_OR_RETURN(std::vector<TemplatePiece> single_pieces,
                        ParseTemplate(*single, field, "single", special_tokens));
  std::vector<TemplatePiece> pair_pieces;
  if (const Json* pair = Find(obj, "pair"); pair != nullptr) {
    WEFT_ASSIGN_OR_RETURN(pair_pieces, ParseTemplate(*pair, field, "pair", special_tokens));
    // FromTemplates takes an empty pair for none; [] is not none.
    WEFT_RETURN_IF_ERROR(CheckSequences(pair_pieces, field, "pair", /*allow_b=*/true));
  }
  return PostProcessor::FromTemplates(std::string(field), std::move(single_pieces),
                                      std::move(pair_pieces));
}

}  // namespace

absl::StatusOr<PostProcessor> PostProcessor::FromJson(const Json& value) {
  if (value.is_null()) return PostProcessor();
  WEFT_ASSIGN_OR_RETURN(const std::string type, GetType(value, kField, "an object or null"));
  if (type == "ByteLevel") return PostProcessor();
  if (type == "TemplateProcessing") return ParseTemplateProcessing(value, kField);
  if (type != "Sequence") return Unsupported(kField, type);
  const Json* members = Find(value, "processors");
  if (members == nullptr || !members->is_array()) {
    return Error(absl::StrCat(kField, ".processors must be an array"));
  }
  PostProcessor result;
  for (size_t i = 0; i < members->size(); ++i) {
    const std::string where = absl::StrCat(kField, ".processors[", i, "]");
    WEFT_ASSIGN_OR_RETURN(const std::string member, GetType((*members)[i], where, "an object"));
    if (member == "ByteLevel") continue;
    if (member != "TemplateProcessing") return Unsupported(where, member);
    if (result.has_template()) {
      return Error(absl::StrCat(where, ": a second TemplateProcessing (after ", result.field(),
                                ") is not supported"));
    }
    WEFT_ASSIGN_OR_RETURN(result, ParseTemplateProcessing((*members)[i], where));
  }
  return result;
}

absl::StatusOr<PostProcessor> PostProcessor::FromTemplates(std::string field,
                                                           std::vector<TemplatePiece> single,
                                                           std::vector<TemplatePiece> pair) {
  WEFT_RETURN_IF_ERROR(CheckSequences(single, field, "single", /*allow_b=*/false));
  if (!pair.empty()) WEFT_RETURN_IF_ERROR(CheckSequences(pair, field, "pair", /*allow_b=*/true));
  PostProcessor p;
  p.field_ = std::move(field);
  p.single_ = std::move(single);
  p.pair_ = std::move(pair);
  return p;
}

std::vector<int32_t> PostProcessor::ApplySingle(absl::Span<const int32_t> ids) const {
  if (single_.empty()) return std::vector<int32_t>(ids.begin(), ids.end());
  std::vector<int32_t> out;
  size_t added = 0;
  for (const TemplatePiece& piece : single_) added += piece.ids.size();
  out.reserve(ids.size() + added);
  for (const TemplatePiece& piece : single_) {
    if (piece.kind == TemplatePiece::Kind::kSequence) {
      out.insert(out.end(), ids.begin(), ids.end());  // Always "A" (FromTemplates).
    } else {
      out.insert(out.end(), piece.ids.begin(), piece.ids.end());
    }
  }
  return out;
}

absl::Status PostProcessor::CheckIds(const std::function<bool(int32_t)>& is_known) const {
  for (const std::vector<TemplatePiece>* pieces : {&single_, &pair_}) {
    for (const TemplatePiece& piece : *pieces) {
      for (size_t i = 0; i < piece.ids.size(); ++i) {
        if (is_known(piece.ids[i])) continue;
        return Error(absl::StrCat(field_, ".special_tokens[\"", piece.id, "\"].ids[", i, "] ",
                                  piece.ids[i], " is not in the vocabulary"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace weft::tokenizer
