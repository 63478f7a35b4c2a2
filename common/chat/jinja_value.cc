// The dynamic values a Jinja template computes with.
#include "common/chat/jinja_value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/chat/py_str.h"

namespace weft::chat::jinja {
namespace {

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (a > std::numeric_limits<int64_t>::max() - b) return std::numeric_limits<int64_t>::max();
  return a + b;
}

absl::Status TooLarge() {
  return absl::ResourceExhaustedError(
      absl::StrCat("value too large (over ", kMaxWeight, " elements and string bytes)"));
}

absl::Status TooDeep() {
  return absl::ResourceExhaustedError(
      absl::StrCat("value nested too deeply (over ", kMaxDepth, " levels)"));
}

absl::Status OutputTooLarge(size_t max_bytes) {
  return absl::ResourceExhaustedError(
      absl::StrCat("string form of a value exceeds ", max_bytes, " bytes"));
}

// repr() into `out`; false once `out` exceeds `max_bytes`.
bool AppendReprBounded(const Value& v, std::string* out, size_t max_bytes);

bool AppendDictBounded(const DictData& dict, std::string* out, size_t max_bytes) {
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : dict.entries()) {
    if (!first) out->append(", ");
    first = false;
    if (!AppendReprBounded(key, out, max_bytes)) return false;
    out->append(": ");
    if (!AppendReprBounded(value, out, max_bytes)) return false;
  }
  out->push_back('}');
  return out->size() <= max_bytes;
}

bool AppendReprBounded(const Value& v, std::string* out, size_t max_bytes) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      out->append("Undefined");
      break;
    case Value::Kind::kNone:
      out->append("None");
      break;
    case Value::Kind::kBool:
      out->append(v.bool_value() ? "True" : "False");
      break;
    case Value::Kind::kInt:
      absl::StrAppend(out, v.int_value());
      break;
    case Value::Kind::kFloat:
      out->append(py::ReprFloat(v.number_value()));
      break;
    case Value::Kind::kString:
      if (out->size() + v.string_value().size() > max_bytes) return false;
      out->append(py::ReprString(v.string_value()));
      break;
    case Value::Kind::kList: {
      const SeqKind seq_kind = v.list().seq_kind();
      if (seq_kind == SeqKind::kIterator) {
        out->append("<generator object>");
        break;
      }
      const bool view = seq_kind != SeqKind::kList && seq_kind != SeqKind::kTuple;
      if (view) absl::StrAppend(out, v.TypeName(), "(");
      const bool tuple = v.is_tuple();
      out->push_back(tuple ? '(' : '[');
      const auto& items = v.items();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out->append(", ");
        if (!AppendReprBounded(items[i], out, max_bytes)) return false;
      }
      if (tuple && items.size() == 1) out->push_back(',');
      out->push_back(tuple ? ')' : ']');
      if (view) out->push_back(')');
      break;
    }
    case Value::Kind::kDict:
      return AppendDictBounded(v.dict(), out, max_bytes);
    case Value::Kind::kNamespace:
      out->append("<Namespace ");
      if (!AppendDictBounded(v.ns().attrs, out, max_bytes)) return false;
      out->append(">");
      break;
    case Value::Kind::kCallable:
      absl::StrAppend(out, "<function ", v.callable().Name(), ">");
      break;
    case Value::Kind::kLoop:
      absl::StrAppend(out, "<LoopContext ", v.loop().index0 + 1, "/", v.loop().length, ">");
      break;
  }
  return out->size() <= max_bytes;
}

template <typename Json>
absl::StatusOr<Value> FromJsonImpl(const Json& json, int depth) {
  if (depth > kMaxDepth) return TooDeep();
  switch (json.type()) {
    case nlohmann::json::value_t::null:
      return Value::None();
    case nlohmann::json::value_t::boolean:
      return Value::Bool(json.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::Int(json.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = json.template get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value::Float(static_cast<double>(u));
      }
      return Value::Int(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value::Float(json.template get<double>());
    case nlohmann::json::value_t::string: {
      const auto& s = json.template get_ref<const std::string&>();
      if (!py::IsValidUtf8(s)) return absl::InvalidArgumentError("input string is not valid UTF-8");
      return Value::String(s);
    }
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& element : json) {
        absl::StatusOr<Value> item = FromJsonImpl(element, depth + 1);
        if (!item.ok()) return item.status();
        items.push_back(*std::move(item));
      }
      return Value::List(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      std::vector<std::pair<Value, Value>> entries;
      entries.reserve(json.size());
      for (auto it = json.begin(); it != json.end(); ++it) {
        if (!py::IsValidUtf8(it.key())) {
          return absl::InvalidArgumentError("input object key is not valid UTF-8");
        }
        absl::StatusOr<Value> item = FromJsonImpl(it.value(), depth + 1);
        if (!item.ok()) return item.status();
        entries.emplace_back(Value::String(it.key()), *std::move(item));
      }
      return Value::Dict(std::move(entries));
    }
    default:
      return absl::InvalidArgumentError("binary JSON values are not supported");
  }
}

// json.dumps' two-character escapes; nullptr for any other character.
const char* ShortJsonEscape(char32_t c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    default:
      return nullptr;
  }
}

void AppendJsonString(absl::string_view s, bool ensure_ascii, std::string* out) {
  out->push_back('"');
  auto hex4 = [out](unsigned v) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "\\u%04x", v);
    out->append(buf);
  };
  if (!ensure_ascii) {
    for (const char ch : s) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (const char* escape = ShortJsonEscape(c)) {
        out->append(escape);
      } else if (c < 0x20) {
        hex4(c);
      } else {
        out->push_back(ch);
      }
    }
  } else {
    for (const char32_t c : py::Decode(s)) {
      if (const char* escape = ShortJsonEscape(c)) {
        out->append(escape);
      } else if (c >= 0x20 && c <= 0x7e) {
        out->push_back(static_cast<char>(c));
      } else if (c < 0x10000) {
        hex4(c);
      } else {
        const char32_t v = c - 0x10000;
        hex4(0xd800 | (v >> 10));
        hex4(0xdc00 | (v & 0x3ff));
      }
    }
  }
  out->push_back('"');
}

std::string JsonFloat(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return py::ReprFloat(d);
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonDumpOptions& options) : options_(options) {
    if (options.separators.has_value()) {
      item_sep_ = options.separators->first;
      key_sep_ = options.separators->second;
    } else {
      item_sep_ = options.indent.has_value() ? "," : ", ";
      key_sep_ = ": ";
    }
  }

  absl::Status Write(const Value& v, int level, std::string* out) {
    switch (v.kind()) {
      case Value::Kind::kNone:
        out->append("null");
        return absl::OkStatus();
      case Value::Kind::kBool:
        out->append(v.bool_value() ? "true" : "false");
        return absl::OkStatus();
      case Value::Kind::kInt:
        absl::StrAppend(out, v.int_value());
        return absl::OkStatus();
      case Value::Kind::kFloat:
        out->append(JsonFloat(v.number_value()));
        return absl::OkStatus();
      case Value::Kind::kString:
        if (out->size() + v.string_value().size() > options_.max_bytes) {
          return OutputTooLarge(options_.max_bytes);
        }
        AppendJsonString(v.string_value(), options_.ensure_ascii, out);
        return absl::OkStatus();
      case Value::Kind::kList: {
        if (!v.is_list_or_tuple()) {
          return absl::InvalidArgumentError(
              absl::StrCat("Object of type ", v.TypeName(), " is not JSON serializable"));
        }
        const auto& items = v.items();
        if (items.empty()) {
          out->append("[]");
          return absl::OkStatus();
        }
        out->push_back('[');
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out->append(item_sep_);
          Newline(level + 1, out);
          if (out->size() > options_.max_bytes) return OutputTooLarge(options_.max_bytes);
          absl::Status status = Write(items[i], level + 1, out);
          if (!status.ok()) return status;
        }
        Newline(level, out);
        out->push_back(']');
        return absl::OkStatus();
      }
      case Value::Kind::kDict:
        return WriteDict(v.dict(), level, out);
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("Object of type ", v.TypeName(), " is not JSON serializable"));
    }
  }

 private:
  void Newline(int level, std::string* out) const {
    if (!options_.indent.has_value()) return;
    out->push_back('\n');
    for (int i = 0; i < level; ++i) out->append(*options_.indent);
  }

  absl::Status WriteDict(const DictData& dict, int level, std::string* out) {
    if (dict.size() == 0) {
      out->append("{}");
      return absl::OkStatus();
    }
    std::vector<const std::pair<Value, Value>*> entries;
    entries.reserve(dict.size());
    for (const auto& entry : dict.entries()) entries.push_back(&entry);
    if (options_.sort_keys) {
      absl::Status error;
      std::stable_sort(entries.begin(), entries.end(), [&error](const auto* a, const auto* b) {
        absl::StatusOr<int> c = Compare(a->first, b->first);
        if (!c.ok()) {
          error = c.status();
          return false;
        }
        return *c < 0;
      });
      if (!error.ok()) return error;
    }
    out->push_back('{');
    bool first = true;
    for (const auto* entry : entries) {
      if (!first) out->append(item_sep_);
      first = false;
      Newline(level + 1, out);
      if (out->size() > options_.max_bytes) return OutputTooLarge(options_.max_bytes);
      const Value& key = entry->first;
      switch (key.kind()) {
        case Value::Kind::kString:
          AppendJsonString(key.string_value(), options_.ensure_ascii, out);
          break;
        case Value::Kind::kBool:
          absl::StrAppend(out, "\"", key.bool_value() ? "true" : "false", "\"");
          break;
        case Value::Kind::kInt:
          absl::StrAppend(out, "\"", key.int_value(), "\"");
          break;
        case Value::Kind::kFloat:
          absl::StrAppend(out, "\"", JsonFloat(key.number_value()), "\"");
          break;
        case Value::Kind::kNone:
          out->append("\"null\"");
          break;
        default:
          return absl::InvalidArgumentError(
              absl::StrCat("keys must be str, int, float, bool or None, not ", key.TypeName()));
      }
      out->append(key_sep_);
      absl::Status status = Write(entry->second, level + 1, out);
      if (!status.ok()) return status;
    }
    Newline(level, out);
    out->push_back('}');
    return absl::OkStatus();
  }

  const JsonDumpOptions& options_;
  std::string item_sep_;
  std::string key_sep_;
};

}  // namespace

Value Value::Undefined(std::string hint) {
  Value v;
  v.ptr_ = std::make_shared<std::string>(std::move(hint));
  return v;
}

Value Value::None() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.int_ = b ? 1 : 0;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.int_ = i;
  return v;
}

Value Value::Float(double d) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.float_ = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.ptr_ = std::make_shared<std::string>(std::move(s));
  return v;
}

absl::StatusOr<Value> Value::List(std::vector<Value> items) {
  return Sequence(std::move(items), SeqKind::kList);
}

absl::StatusOr<Value> Value::Tuple(std::vector<Value> items) {
  return Sequence(std::move(items), SeqKind::kTuple);
}

absl::StatusOr<Value> Value::Sequence(std::vector<Value> items, SeqKind seq_kind) {
  auto data = std::make_shared<const ListData>(std::move(items), seq_kind);
  if (data->depth() > kMaxDepth) return TooDeep();
  if (data->weight() > kMaxWeight) return TooLarge();
  Value v;
  v.kind_ = Kind::kList;
  v.ptr_ = std::const_pointer_cast<ListData>(std::move(data));
  return v;
}

absl::StatusOr<Value> Value::Dict(std::vector<std::pair<Value, Value>> entries) {
  auto data = std::make_shared<DictData>();
  for (auto& [key, value] : entries) {
    absl::Status status = data->Set(std::move(key), std::move(value));
    if (!status.ok()) return status;
  }
  return FromDictData(std::move(data));
}

Value Value::FromDictData(std::shared_ptr<const DictData> dict) {
  Value v;
  v.kind_ = Kind::kDict;
  v.ptr_ = std::const_pointer_cast<DictData>(std::move(dict));
  return v;
}

Value Value::Namespace(std::shared_ptr<NamespaceData> ns) {
  Value v;
  v.kind_ = Kind::kNamespace;
  v.ptr_ = std::move(ns);
  return v;
}

Value Value::FromCallable(std::shared_ptr<const Callable> callable) {
  Value v;
  v.kind_ = Kind::kCallable;
  v.ptr_ = std::const_pointer_cast<Callable>(std::move(callable));
  return v;
}

Value Value::Loop(std::shared_ptr<const LoopData> loop) {
  Value v;
  v.kind_ = Kind::kLoop;
  v.ptr_ = std::const_pointer_cast<LoopData>(std::move(loop));
  return v;
}

bool Value::is_tuple() const { return kind_ == Kind::kList && list().is_tuple(); }

bool Value::is_list_or_tuple() const {
  return kind_ == Kind::kList &&
         (list().seq_kind() == SeqKind::kList || list().seq_kind() == SeqKind::kTuple);
}

bool Value::is_iterator() const {
  return kind_ == Kind::kList && list().seq_kind() == SeqKind::kIterator;
}

const std::string& Value::string_value() const {
  return kind_ == Kind::kString ? str() : EmptyString();
}

const std::string& Value::undefined_hint() const {
  return kind_ == Kind::kUndefined && ptr_ != nullptr ? str() : EmptyString();
}

const std::vector<Value>& Value::items() const { return list().items(); }

bool Value::Truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
    case Kind::kInt:
      return int_ != 0;
    case Kind::kFloat:
      return float_ != 0;
    case Kind::kString:
      return !str().empty();
    case Kind::kList:
      return list().seq_kind() == SeqKind::kIterator || !list().items().empty();
    case Kind::kDict:
      return dict().size() > 0;
    default:
      return true;
  }
}

std::string Value::TypeName() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      switch (list().seq_kind()) {
        case SeqKind::kList:
          return "list";
        case SeqKind::kTuple:
          return "tuple";
        case SeqKind::kIterator:
          return "generator";
        case SeqKind::kDictKeys:
          return "dict_keys";
        case SeqKind::kDictValues:
          return "dict_values";
        case SeqKind::kDictItems:
          return "dict_items";
      }
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kNamespace:
      return "Namespace";
    case Kind::kCallable:
      return "function";
    case Kind::kLoop:
      return "LoopContext";
  }
  return "object";
}

std::string Value::Str() const {
  std::string out;
  AppendStr(&out, std::string::npos).IgnoreError();
  return out;
}

std::string Value::Repr() const {
  std::string out;
  AppendRepr(&out, std::string::npos).IgnoreError();
  return out;
}

absl::Status Value::AppendStr(std::string* out, size_t max_bytes) const {
  if (kind_ == Kind::kUndefined) return absl::OkStatus();
  if (kind_ == Kind::kString) {
    if (out->size() + str().size() > max_bytes) return OutputTooLarge(max_bytes);
    out->append(str());
    return absl::OkStatus();
  }
  return AppendRepr(out, max_bytes);
}

absl::Status Value::AppendRepr(std::string* out, size_t max_bytes) const {
  if (!AppendReprBounded(*this, out, max_bytes)) return OutputTooLarge(max_bytes);
  return absl::OkStatus();
}

int Value::depth() const {
  if (kind_ == Kind::kList) return list().depth();
  if (kind_ == Kind::kDict) return dict().depth();
  return 0;
}

int64_t Value::weight() const {
  switch (kind_) {
    case Kind::kString:
      return 1 + static_cast<int64_t>(str().size());
    case Kind::kList:
      return list().weight();
    case Kind::kDict:
      return dict().weight();
    default:
      return 1;
  }
}

bool Value::contains_namespace() const {
  switch (kind_) {
    case Kind::kNamespace:
      return true;
    case Kind::kList:
      return list().contains_namespace();
    case Kind::kDict:
      return dict().contains_namespace();
    default:
      return false;
  }
}

ListData::ListData(std::vector<Value> items, SeqKind seq_kind)
    : items_(std::move(items)), seq_kind_(seq_kind) {
  for (const Value& item : items_) {
    depth_ = std::max(depth_, item.depth() + 1);
    weight_ = SaturatingAdd(weight_, item.weight());
    contains_namespace_ = contains_namespace_ || item.contains_namespace();
  }
}

absl::Status DictData::Set(Value key, Value value) {
  absl::StatusOr<std::string> hash = HashKey(key);
  if (!hash.ok()) return hash.status();
  const int depth = std::max(key.depth(), value.depth()) + 1;
  if (depth > kMaxDepth) return TooDeep();
  const int64_t weight = SaturatingAdd(weight_, SaturatingAdd(key.weight(), value.weight()));
  if (weight > kMaxWeight) return TooLarge();
  depth_ = std::max(depth_, depth);
  weight_ = weight;
  contains_namespace_ = contains_namespace_ || value.contains_namespace();
  const auto [it, inserted] = index_.try_emplace(*std::move(hash), entries_.size());
  if (inserted) {
    entries_.emplace_back(std::move(key), std::move(value));
  } else {
    entries_[it->second].second = std::move(value);
  }
  return absl::OkStatus();
}

const Value* DictData::Find(const Value& key) const {
  absl::StatusOr<std::string> hash = HashKey(key);
  if (!hash.ok()) return nullptr;
  const auto it = index_.find(*hash);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const Value* DictData::FindString(absl::string_view key) const {
  const auto it = index_.find(absl::StrCat("s", key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

absl::StatusOr<std::string> HashKey(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      return absl::StrCat("s", v.string_value());
    case Value::Kind::kBool:
    case Value::Kind::kInt:
      return absl::StrCat("i", v.int_value());
    case Value::Kind::kFloat: {
      const double d = v.number_value();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
        return absl::StrCat("i", static_cast<int64_t>(d));
      }
      return absl::StrCat("f", py::ReprFloat(d));
    }
    case Value::Kind::kNone:
      return std::string("n");
    case Value::Kind::kUndefined:
      return std::string("u");
    case Value::Kind::kList:
      if (v.is_tuple()) {
        std::string key = "t(";
        for (const Value& item : v.items()) {
          absl::StatusOr<std::string> part = HashKey(item);
          if (!part.ok()) return part.status();
          absl::StrAppend(&key, part->size(), ":", *part);
        }
        return key + ")";
      }
      break;
    default:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat("unhashable type: '", v.TypeName(), "'"));
}

bool Equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.number_value() == b.number_value();
    return a.int_value() == b.int_value();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.string_value() == b.string_value();
    case Value::Kind::kList: {
      if (&a.list() == &b.list()) return true;
      // Iterators and dict.values() views only equal themselves.
      const SeqKind seq_kind = a.list().seq_kind();
      if (seq_kind != b.list().seq_kind() || seq_kind == SeqKind::kIterator ||
          seq_kind == SeqKind::kDictValues) {
        return false;
      }
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!Equals(x[i], y[i])) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      if (&a.dict() == &b.dict()) return true;
      if (a.dict().size() != b.dict().size()) return false;
      for (const auto& [key, value] : a.dict().entries()) {
        const Value* other = b.dict().Find(key);
        if (other == nullptr || !Equals(value, *other)) return false;
      }
      return true;
    }
    case Value::Kind::kNamespace:
      return &a.ns() == &b.ns();
    case Value::Kind::kCallable:
      return &a.callable() == &b.callable();
    case Value::Kind::kLoop:
      return &a.loop() == &b.loop();
    default:
      return false;
  }
}

absl::StatusOr<int> Compare(const Value& a, const Value& b) {
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    return absl::InvalidArgumentError(u.undefined_hint().empty() ? "value is undefined"
                                                                 : u.undefined_hint());
  }
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.number_value();
      const double y = b.number_value();
      return x < y ? -1 : (y < x ? 1 : 0);
    }
    return a.int_value() < b.int_value() ? -1 : (a.int_value() > b.int_value() ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.string_value().compare(b.string_value());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list_or_tuple() && b.is_list_or_tuple() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (Equals(x[i], y[i])) continue;
      return Compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return absl::InvalidArgumentError(absl::StrCat("'<' not supported between instances of '",
                                                 a.TypeName(), "' and '", b.TypeName(), "'"));
}

absl::StatusOr<Value> ValueFromJson(const nlohmann::ordered_json& json) {
  return FromJsonImpl(json, 0);
}

absl::StatusOr<Value> ValueFromJson(const nlohmann::json& json) { return FromJsonImpl(json, 0); }

absl::StatusOr<std::string> JsonDumps(const Value& v, const JsonDumpOptions& options) {
  std::string out;
  JsonWriter writer(options);
  absl::Status status = writer.Write(v, 0, &out);
  if (!status.ok()) return status;
  if (out.size() > options.max_bytes) return OutputTooLarge(options.max_bytes);
  return out;
}

}  // namespace weft::chat::jinja
