// The dynamic values a Jinja template computes with, modelled on the Python
// objects Jinja2 uses: undefined, None, bool, int, float, str, list, tuple,
// dict (insertion-ordered), namespace, callables (builtins, bound methods,
// macros) and the `loop` object.
//
// Lists, tuples and dicts are immutable once built (as in Jinja2's
// ImmutableSandboxedEnvironment); only a namespace's attributes can change.
// Containers record their nesting depth and "weight" (a bound on the work a
// full traversal takes), and construction fails past kMaxDepth / kMaxWeight,
// so printing, comparing or serialising any value is bounded. A namespace
// cannot be stored inside a namespace (no reference cycles).
//
// Strings are UTF-8; length, indexing and iteration count code points.
#ifndef WEFT_COMMON_CHAT_JINJA_VALUE_H_
#define WEFT_COMMON_CHAT_JINJA_VALUE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace weft::chat::jinja {

// Containers nested deeper than this cannot be built.
inline constexpr int kMaxDepth = 256;
// A container whose weight (1 per element plus string bytes, recursively)
// would exceed this cannot be built.
inline constexpr int64_t kMaxWeight = int64_t{1} << 26;

class Value;
class ListData;

// What a kList value is. Besides Python's list and tuple: a one-pass
// iterator, which jinja2's select / reject / selectattr / rejectattr / map /
// unique / items / reverse filters return (always true, no len(), not
// subscriptable or JSON serializable; unlike Python it can be iterated more
// than once), and the views dict.keys() / values() / items() return.
enum class SeqKind { kList, kTuple, kIterator, kDictKeys, kDictValues, kDictItems };
class DictData;
struct NamespaceData;
class Callable;
struct LoopData;

// Arguments of a call: positional, then keyword in call order.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// Implemented by the interpreter; handed to callables so that macros can
// render and builtins can charge work against the render's budget.
class CallContext;

class Value {
 public:
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,  // Also tuples (ListData::is_tuple).
    kDict,
    kNamespace,
    kCallable,
    kLoop,
  };

  // Undefined with an empty hint.
  Value() = default;

  // `hint` is the error raised when the undefined value is used where a
  // value is needed, e.g. "'foo' is undefined" or
  // "'dict object' has no attribute 'bar'".
  static Value Undefined(std::string hint);
  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double d);
  static Value String(std::string s);
  // Fail with ResourceExhausted past kMaxDepth / kMaxWeight, and with
  // InvalidArgument for unhashable dict keys.
  static absl::StatusOr<Value> List(std::vector<Value> items);
  static absl::StatusOr<Value> Tuple(std::vector<Value> items);
  static absl::StatusOr<Value> Sequence(std::vector<Value> items, SeqKind seq_kind);
  static absl::StatusOr<Value> Dict(std::vector<std::pair<Value, Value>> entries);
  static Value FromDictData(std::shared_ptr<const DictData> dict);
  static Value Namespace(std::shared_ptr<NamespaceData> ns);
  static Value FromCallable(std::shared_ptr<const Callable> callable);
  static Value Loop(std::shared_ptr<const LoopData> loop);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  // bool, int or float (Python's numbers; bool is an int subclass).
  bool is_number() const {
    return kind_ == Kind::kBool || kind_ == Kind::kInt || kind_ == Kind::kFloat;
  }
  bool is_string() const { return kind_ == Kind::kString; }
  // Any SeqKind.
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const;
  // A Python list or tuple (subscriptable, with len()).
  bool is_list_or_tuple() const;
  bool is_iterator() const;
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_callable() const { return kind_ == Kind::kCallable; }
  bool is_loop() const { return kind_ == Kind::kLoop; }

  bool bool_value() const { return int_ != 0; }
  // For bool and int.
  int64_t int_value() const { return int_; }
  // For bool, int and float.
  double number_value() const { return kind_ == Kind::kFloat ? float_ : static_cast<double>(int_); }
  const std::string& string_value() const;
  const std::string& undefined_hint() const;
  const ListData& list() const { return *static_cast<const ListData*>(ptr_.get()); }
  const std::vector<Value>& items() const;
  const DictData& dict() const { return *static_cast<const DictData*>(ptr_.get()); }
  NamespaceData& ns() const { return *static_cast<NamespaceData*>(ptr_.get()); }
  const Callable& callable() const { return *static_cast<const Callable*>(ptr_.get()); }
  const LoopData& loop() const { return *static_cast<const LoopData*>(ptr_.get()); }

  // Jinja truthiness (Python bool()).
  bool Truthy() const;
  // Python type name: 'str', 'int', 'dict', 'NoneType', 'Undefined', ...
  std::string TypeName() const;
  // Python str() / repr().
  std::string Str() const;
  std::string Repr() const;
  // The same, appended to `out`; ResourceExhausted (with `out` partly
  // written) once `out` would exceed `max_bytes`.
  absl::Status AppendStr(std::string* out, size_t max_bytes) const;
  absl::Status AppendRepr(std::string* out, size_t max_bytes) const;

  int depth() const;
  int64_t weight() const;
  bool contains_namespace() const;

 private:
  const std::string& str() const { return *static_cast<const std::string*>(ptr_.get()); }

  Kind kind_ = Kind::kUndefined;
  int64_t int_ = 0;  // bool, int.
  double float_ = 0;
  // By kind: std::string (string; undefined's hint, may be null), ListData,
  // DictData, NamespaceData, Callable or LoopData. One pointer keeps values
  // small and cheap to copy.
  std::shared_ptr<void> ptr_;
};

class ListData {
 public:
  ListData(std::vector<Value> items, SeqKind seq_kind);
  const std::vector<Value>& items() const { return items_; }
  SeqKind seq_kind() const { return seq_kind_; }
  bool is_tuple() const { return seq_kind_ == SeqKind::kTuple; }
  int depth() const { return depth_; }
  int64_t weight() const { return weight_; }
  bool contains_namespace() const { return contains_namespace_; }

 private:
  std::vector<Value> items_;
  SeqKind seq_kind_;
  int depth_ = 1;
  int64_t weight_ = 1;
  bool contains_namespace_ = false;
};

// An insertion-ordered dict. Keys are hashable scalars (str, int, float,
// bool, None) with Python equality (1 == 1.0 == True).
class DictData {
 public:
  // Inserts or replaces (keeping the first insertion's position). Fails for
  // unhashable keys and past the depth / weight limits.
  absl::Status Set(Value key, Value value);
  const Value* Find(const Value& key) const;
  const Value* FindString(absl::string_view key) const;
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  int depth() const { return depth_; }
  int64_t weight() const { return weight_; }
  bool contains_namespace() const { return contains_namespace_; }

 private:
  std::vector<std::pair<Value, Value>> entries_;
  absl::flat_hash_map<std::string, size_t> index_;
  int depth_ = 1;
  int64_t weight_ = 1;
  bool contains_namespace_ = false;
};

// The result of namespace(): the one mutable object.
struct NamespaceData {
  DictData attrs;
};

class Callable {
 public:
  virtual ~Callable() = default;
  // For error messages, e.g. "range" or "str.split".
  virtual std::string Name() const = 0;
  virtual absl::StatusOr<Value> Call(CallArgs args, CallContext& ctx) const = 0;
};

// The `loop` variable of one for-loop iteration.
struct LoopData {
  int64_t index0 = 0;
  int64_t length = 0;
  int64_t depth0 = 0;
  // The items iterated over (for previtem / nextitem).
  std::shared_ptr<const std::vector<Value>> items;
};

// The dict key of a hashable value ("s:" + text for str; numbers unified as
// Python hashes them), or InvalidArgument "unhashable type: 'list'".
absl::StatusOr<std::string> HashKey(const Value& v);

// Python ==.
bool Equals(const Value& a, const Value& b);
// Python <: -1, 0 or 1, or TypeError-like InvalidArgument for unorderable
// types ("'<' not supported between instances of 'str' and 'int'").
absl::StatusOr<int> Compare(const Value& a, const Value& b);

// Converts JSON input (messages, tools, template kwargs). Objects keep their
// key order with nlohmann::ordered_json; integers beyond int64 become floats.
// Fails past kMaxDepth / kMaxWeight.
absl::StatusOr<Value> ValueFromJson(const nlohmann::ordered_json& json);
absl::StatusOr<Value> ValueFromJson(const nlohmann::json& json);

// json.dumps(value, ensure_ascii=..., indent=..., separators=...,
// sort_keys=...), as transformers' `tojson` filter calls it.
struct JsonDumpOptions {
  bool ensure_ascii = false;
  // nullopt: no newlines. A number of spaces, or the indent string.
  std::optional<std::string> indent;
  // nullopt: (", ", ": ") without indent, (",", ": ") with indent.
  std::optional<std::pair<std::string, std::string>> separators;
  bool sort_keys = false;
  // ResourceExhausted past this many output bytes.
  size_t max_bytes = static_cast<size_t>(kMaxWeight);
};
absl::StatusOr<std::string> JsonDumps(const Value& v, const JsonDumpOptions& options);

}  // namespace weft::chat::jinja

#endif  // WEFT_COMMON_CHAT_JINJA_VALUE_H_
