// Renders a parsed Jinja template (see jinja_interpreter.h).
#include "common/chat/jinja_interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/chat/py_str.h"
#include "common/status/status_macros.h"

namespace weft::chat::jinja {
namespace {

constexpr absl::string_view kLocatedPayload = "weft.chat/jinja-located";
constexpr absl::string_view kRaisedPayload = "weft.chat/jinja-raise-exception";
// Nesting of statement execution and expression evaluation (macros
// included); jinja2 would hit Python's recursion limit instead.
constexpr int kMaxRecursion = 400;
// jinja2.sandbox.MAX_RANGE.
constexpr int64_t kMaxRange = 100000;

absl::Status Error(absl::string_view message) { return absl::InvalidArgumentError(message); }

// Prefixes "line L:C: " unless an inner expression already did.
absl::Status Locate(absl::Status status, SourceLocation location) {
  if (status.ok() || status.GetPayload(kLocatedPayload).has_value()) return status;
  absl::Status located(status.code(),
                       absl::StrCat(FormatLocation(location), ": ", status.message()));
  status.ForEachPayload([&located](absl::string_view key, const absl::Cord& value) {
    located.SetPayload(key, value);
  });
  located.SetPayload(kLocatedPayload, absl::Cord("1"));
  return located;
}

absl::Status UndefinedError(const Value& v) {
  return Error(v.undefined_hint().empty() ? "value is undefined" : v.undefined_hint());
}

std::string ObjectName(const Value& v) {
  if (v.is_none()) return "None";
  return absl::StrCat(v.TypeName(), " object");
}

Value NoAttribute(const Value& obj, absl::string_view name) {
  return Value::Undefined(absl::StrCat("'", ObjectName(obj), "' has no attribute '", name, "'"));
}

absl::Status TypeMismatch(absl::string_view op, const Value& a, const Value& b) {
  return Error(absl::StrCat("unsupported operand type(s) for ", op, ": '", a.TypeName(), "' and '",
                            b.TypeName(), "'"));
}

// --- Scopes -------------------------------------------------------------------

// Variables of one scope; a linear list, as scopes hold few names (a loop
// iteration: the target and `loop`).
struct Scope {
  std::shared_ptr<Scope> parent;
  std::vector<std::pair<std::string, Value>> vars;

  void Set(const std::string& name, Value v) {
    for (auto& [key, value] : vars) {
      if (key == name) {
        value = std::move(v);
        return;
      }
    }
    vars.emplace_back(name, std::move(v));
  }

  const Value* Find(absl::string_view name) const {
    for (const Scope* s = this; s != nullptr; s = s->parent.get()) {
      for (const auto& [key, value] : s->vars) {
        if (key == name) return &value;
      }
    }
    return nullptr;
  }
};
using ScopePtr = std::shared_ptr<Scope>;

ScopePtr ChildScope(const ScopePtr& parent) {
  auto scope = std::make_shared<Scope>();
  scope->parent = parent;
  return scope;
}

enum class Flow { kNormal, kBreak, kContinue };

// --- Argument binding ---------------------------------------------------------

// Positional then keyword arguments bound to parameter names.
class BoundArgs {
 public:
  static absl::StatusOr<BoundArgs> Bind(absl::string_view function, const CallArgs& args,
                                        std::initializer_list<absl::string_view> names) {
    BoundArgs bound;
    bound.values_.resize(names.size());
    const std::vector<absl::string_view> list(names);
    if (args.positional.size() > list.size()) {
      return Error(absl::StrCat(function, "() takes at most ", list.size(), " argument(s) (",
                                args.positional.size(), " given)"));
    }
    for (size_t i = 0; i < args.positional.size(); ++i) bound.values_[i] = args.positional[i];
    for (const auto& [key, value] : args.keyword) {
      const auto it = std::find(list.begin(), list.end(), key);
      if (it == list.end()) {
        return Error(absl::StrCat(function, "() got an unexpected keyword argument '", key, "'"));
      }
      const size_t index = it - list.begin();
      if (bound.values_[index].has_value()) {
        return Error(absl::StrCat(function, "() got multiple values for argument '", key, "'"));
      }
      bound.values_[index] = value;
    }
    return bound;
  }

  bool has(size_t i) const { return values_[i].has_value(); }
  const Value& get(size_t i) const { return *values_[i]; }
  Value get_or(size_t i, Value fallback) const {
    return values_[i].has_value() ? *values_[i] : std::move(fallback);
  }
  // Present and not None.
  bool given(size_t i) const { return values_[i].has_value() && !values_[i]->is_none(); }

 private:
  std::vector<std::optional<Value>> values_;
};

absl::StatusOr<int64_t> ToInt(const Value& v, absl::string_view what) {
  if (v.is_int() || v.is_bool()) return v.int_value();
  if (v.is_undefined()) return UndefinedError(v);
  return Error(absl::StrCat(what, " must be an integer, not '", v.TypeName(), "'"));
}

absl::StatusOr<std::string> ToStringArg(const Value& v, absl::string_view what) {
  if (v.is_string()) return v.string_value();
  if (v.is_undefined()) return UndefinedError(v);
  return Error(absl::StrCat(what, " must be a string, not '", v.TypeName(), "'"));
}

// --- Numbers ------------------------------------------------------------------

absl::Status IntOverflow() {
  return absl::OutOfRangeError("integer overflow (weft's Jinja integers are 64-bit)");
}

// Python int(str, base) accepting surrounding whitespace, a sign and single
// underscores between digits.
std::optional<int64_t> ParsePyInt(absl::string_view s, int base) {
  s = absl::StripAsciiWhitespace(s);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  int64_t value = 0;
  bool previous_digit = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      if (!previous_digit || i + 1 == s.size()) return std::nullopt;
      previous_digit = false;
      continue;
    }
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'z') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'Z') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    if (value > (std::numeric_limits<int64_t>::max() - digit) / base) return std::nullopt;
    value = value * base + digit;
    previous_digit = true;
  }
  return negative ? -value : value;
}

// Python float(str).
std::optional<double> ParsePyFloat(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 == s.size() || !absl::ascii_isdigit(s[i - 1]) ||
          !absl::ascii_isdigit(s[i + 1])) {
        return std::nullopt;
      }
      continue;
    }
    clean.push_back(s[i]);
  }
  const std::string lower = absl::AsciiStrToLower(clean);
  absl::string_view body = lower;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  if (body == "inf" || body == "infinity" || body == "nan") {
    const double v = body == "nan" ? std::nan("") : std::numeric_limits<double>::infinity();
    return lower[0] == '-' ? -v : v;
  }
  if (body.empty() || body.find_first_not_of("0123456789.e+-") != absl::string_view::npos) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double v = std::strtod(clean.c_str(), &end);
  if (end == clean.c_str() || *end != '\0') return std::nullopt;
  return v;
}

absl::StatusOr<Value> IntPow(int64_t base, int64_t exp) {
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, base, &result)) return IntOverflow();
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) return IntOverflow();
  }
  return Value::Int(result);
}

// --- Callables ----------------------------------------------------------------

class Renderer;

using BuiltinFn = absl::StatusOr<Value> (*)(Renderer&, const CallArgs&);

class BuiltinFunction final : public Callable {
 public:
  BuiltinFunction(std::string name, BuiltinFn fn) : name_(std::move(name)), fn_(fn) {}
  std::string Name() const override { return name_; }
  absl::StatusOr<Value> Call(CallArgs args, CallContext& ctx) const override;

 private:
  std::string name_;
  BuiltinFn fn_;
};

class BoundMethod final : public Callable {
 public:
  BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
  std::string Name() const override { return absl::StrCat(self_.TypeName(), ".", name_); }
  absl::StatusOr<Value> Call(CallArgs args, CallContext& ctx) const override;

 private:
  Value self_;
  std::string name_;
};

class MacroFunction final : public Callable {
 public:
  MacroFunction(const Node* node, std::weak_ptr<Scope> scope)
      : node_(node), scope_(std::move(scope)) {}
  std::string Name() const override { return absl::StrCat("macro ", node_->name); }
  absl::StatusOr<Value> Call(CallArgs args, CallContext& ctx) const override;

 private:
  const Node* node_;
  std::weak_ptr<Scope> scope_;
};

class LoopCycle final : public Callable {
 public:
  explicit LoopCycle(int64_t index0) : index0_(index0) {}
  std::string Name() const override { return "loop.cycle"; }
  absl::StatusOr<Value> Call(CallArgs args, CallContext&) const override {
    if (!args.keyword.empty()) return Error("loop.cycle() takes no keyword arguments");
    if (args.positional.empty()) return Error("no items for cycling given");
    return args.positional[index0_ % static_cast<int64_t>(args.positional.size())];
  }

 private:
  int64_t index0_;
};

bool IsDictMethod(absl::string_view name) {
  return name == "get" || name == "items" || name == "keys" || name == "values" || name == "copy";
}
bool IsUnsafeDictMethod(absl::string_view name) {
  return name == "clear" || name == "pop" || name == "popitem" || name == "setdefault" ||
         name == "update";
}
bool IsListMethod(absl::string_view name) {
  return name == "index" || name == "count" || name == "copy";
}
bool IsUnsafeListMethod(absl::string_view name) {
  return name == "append" || name == "clear" || name == "pop" || name == "reverse" ||
         name == "insert" || name == "sort" || name == "extend" || name == "remove";
}
bool IsStrMethod(absl::string_view name) {
  static const auto* const kMethods = new absl::flat_hash_set<std::string>{
      "capitalize", "count",      "endswith",   "find",       "format",       "index",
      "isalnum",    "isalpha",    "isdigit",    "islower",    "isspace",      "isupper",
      "join",       "lower",      "lstrip",     "partition",  "removeprefix", "removesuffix",
      "replace",    "rfind",      "rindex",     "rpartition", "rsplit",       "rstrip",
      "split",      "splitlines", "startswith", "strip",      "title",        "upper"};
  return kMethods->contains(name);
}
bool IsUnsupportedStrMethod(absl::string_view name) {
  static const auto* const kMethods = new absl::flat_hash_set<std::string>{
      "casefold",  "center",       "encode",    "expandtabs",  "format_map", "isascii",
      "isdecimal", "isidentifier", "isnumeric", "isprintable", "istitle",    "ljust",
      "maketrans", "rjust",        "swapcase",  "translate",   "zfill"};
  return kMethods->contains(name);
}

// --- Filters and tests (defined below the renderer) ---------------------------

using FilterFn = absl::StatusOr<Value> (*)(Renderer&, const Value&, const CallArgs&);
using TestFn = absl::StatusOr<bool> (*)(Renderer&, const Value&, const CallArgs&);

const absl::flat_hash_map<std::string, FilterFn>& Filters();
const absl::flat_hash_map<std::string, TestFn>& Tests();

bool IsUnsupportedFilter(absl::string_view name) {
  static const auto* const kNames = new absl::flat_hash_set<std::string>{
      "batch",     "center", "filesizeformat", "forceescape", "groupby",
      "pprint",    "random", "slice",          "striptags",   "truncate",
      "urlencode", "urlize", "wordcount",      "wordwrap",    "xmlattr"};
  return kNames->contains(name);
}

// --- The renderer -------------------------------------------------------------

class Renderer final : public CallContext {
 public:
  explicit Renderer(const RenderOptions& options)
      : options_(options),
        steps_left_(options.max_steps),
        iterations_left_(options.max_loop_iterations) {}

  const RenderOptions& options() const { return options_; }

  absl::Status Charge(int64_t units) override {
    steps_left_ -= units;
    if (steps_left_ < 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "template rendering exceeded its evaluation budget (", options_.max_steps, " steps)"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Value> MakeString(std::string s) override {
    WEFT_RETURN_IF_ERROR(CheckStringSize(s.size()));
    WEFT_RETURN_IF_ERROR(Charge(1 + static_cast<int64_t>(s.size() / 64)));
    return Value::String(std::move(s));
  }

  absl::Status CheckStringSize(size_t size) const {
    if (size > options_.max_output_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "string of ", size, " bytes exceeds the limit of ", options_.max_output_bytes));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Value> MakeList(std::vector<Value> items, bool tuple = false) {
    return MakeSequence(std::move(items), tuple ? SeqKind::kTuple : SeqKind::kList);
  }

  absl::StatusOr<Value> MakeSequence(std::vector<Value> items, SeqKind seq_kind) {
    WEFT_RETURN_IF_ERROR(Charge(1 + static_cast<int64_t>(items.size())));
    return Value::Sequence(std::move(items), seq_kind);
  }

  // str(v), bounded.
  absl::StatusOr<std::string> ToStr(const Value& v) {
    if (v.is_string()) return v.string_value();
    std::string out;
    WEFT_RETURN_IF_ERROR(v.AppendStr(&out, options_.max_output_bytes));
    WEFT_RETURN_IF_ERROR(Charge(1 + static_cast<int64_t>(out.size() / 64)));
    return out;
  }

  absl::StatusOr<std::string> Render(const TemplateAst& ast, const Context& context) {
    auto root = std::make_shared<Scope>();
    AddGlobals(root.get());
    for (const auto& [name, value] : context) root->Set(name, value);
    std::string out;
    Flow flow = Flow::kNormal;
    WEFT_RETURN_IF_ERROR(ExecBody(ast.body, root, &out, &flow));
    return out;
  }

  // --- Statements ---

  absl::Status ExecBody(const std::vector<NodePtr>& body, const ScopePtr& scope, std::string* out,
                        Flow* flow) {
    for (const NodePtr& node : body) {
      WEFT_RETURN_IF_ERROR(Exec(*node, scope, out, flow));
      if (*flow != Flow::kNormal) return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  absl::Status Exec(const Node& node, const ScopePtr& scope, std::string* out, Flow* flow) {
    if (++recursion_ > kMaxRecursion) {
      --recursion_;
      return Locate(absl::ResourceExhaustedError("template recursion too deep"), node.location);
    }
    absl::Status status = Charge(1);
    if (status.ok()) status = ExecInner(node, scope, out, flow);
    --recursion_;
    return Locate(std::move(status), node.location);
  }

  absl::Status Append(const Value& v, std::string* out) {
    WEFT_RETURN_IF_ERROR(Charge(1 + v.weight() / 64));
    absl::Status status = v.AppendStr(out, options_.max_output_bytes);
    if (!status.ok()) {
      return absl::ResourceExhaustedError(absl::StrCat("template output exceeds the limit of ",
                                                       options_.max_output_bytes, " bytes"));
    }
    return absl::OkStatus();
  }

  // As for expressions, statement kinds with locals get their own frames.
  absl::Status ExecInner(const Node& node, const ScopePtr& scope, std::string* out, Flow* flow) {
    switch (node.kind) {
      case NodeKind::kText:
        if (out->size() + node.text.size() > options_.max_output_bytes) {
          return absl::ResourceExhaustedError(absl::StrCat("template output exceeds the limit of ",
                                                           options_.max_output_bytes, " bytes"));
        }
        out->append(node.text);
        return Charge(static_cast<int64_t>(node.text.size() / 64));
      case NodeKind::kOutput:
        return ExecOutput(node, scope, out);
      case NodeKind::kIf:
        return ExecIf(node, scope, out, flow);
      case NodeKind::kFor:
        return ExecFor(node, scope, out);
      case NodeKind::kSet:
      case NodeKind::kSetBlock:
      case NodeKind::kFilterBlock:
        return ExecSet(node, scope, out);
      case NodeKind::kMacro:
        scope->Set(node.name, Value::FromCallable(
                                  std::make_shared<MacroFunction>(&node, std::weak_ptr(scope))));
        return absl::OkStatus();
      case NodeKind::kWith:
        return ExecWith(node, scope, out, flow);
      case NodeKind::kScope:
        return ExecBody(node.bodies[0], ChildScope(scope), out, flow);
      case NodeKind::kBreak:
        *flow = Flow::kBreak;
        return absl::OkStatus();
      case NodeKind::kContinue:
        *flow = Flow::kContinue;
        return absl::OkStatus();
    }
    return Error("unknown statement");
  }

  ABSL_ATTRIBUTE_NOINLINE absl::Status ExecOutput(const Node& node, const ScopePtr& scope,
                                                  std::string* out) {
    WEFT_ASSIGN_OR_RETURN(Value v, Eval(*node.exprs[0], scope));
    return Append(v, out);
  }

  ABSL_ATTRIBUTE_NOINLINE absl::Status ExecIf(const Node& node, const ScopePtr& scope,
                                              std::string* out, Flow* flow) {
    for (size_t i = 0; i < node.exprs.size(); ++i) {
      WEFT_ASSIGN_OR_RETURN(Value test, Eval(*node.exprs[i], scope));
      if (test.Truthy()) return ExecBody(node.bodies[i], scope, out, flow);
    }
    if (node.has_else) return ExecBody(node.bodies.back(), scope, out, flow);
    return absl::OkStatus();
  }

  // set, block set and filter blocks.
  ABSL_ATTRIBUTE_NOINLINE absl::Status ExecSet(const Node& node, const ScopePtr& scope,
                                               std::string* out) {
    if (node.kind == NodeKind::kSet) {
      WEFT_ASSIGN_OR_RETURN(Value v, Eval(*node.exprs[0], scope));
      return Assign(node.target, std::move(v), scope);
    }
    std::string body;
    Flow inner = Flow::kNormal;
    WEFT_RETURN_IF_ERROR(ExecBody(node.bodies[0], ChildScope(scope), &body, &inner));
    WEFT_ASSIGN_OR_RETURN(Value v, MakeString(std::move(body)));
    if (node.filter != nullptr) {
      WEFT_ASSIGN_OR_RETURN(v, EvalFilterChain(*node.filter, std::move(v), scope));
    }
    if (node.kind == NodeKind::kFilterBlock) return Append(v, out);
    return Assign(node.target, std::move(v), scope);
  }

  ABSL_ATTRIBUTE_NOINLINE absl::Status ExecWith(const Node& node, const ScopePtr& scope,
                                                std::string* out, Flow* flow) {
    ScopePtr inner_scope = ChildScope(scope);
    for (size_t i = 0; i < node.exprs.size(); ++i) {
      WEFT_ASSIGN_OR_RETURN(Value v, Eval(*node.exprs[i], scope));
      WEFT_RETURN_IF_ERROR(Assign(node.with_targets[i], std::move(v), inner_scope));
    }
    return ExecBody(node.bodies[0], inner_scope, out, flow);
  }

  ABSL_ATTRIBUTE_NOINLINE absl::Status ExecFor(const Node& node, const ScopePtr& scope,
                                               std::string* out) {
    WEFT_ASSIGN_OR_RETURN(Value iterable, Eval(*node.exprs[0], scope));
    WEFT_ASSIGN_OR_RETURN(std::vector<Value> all, Iterate(iterable));
    if (node.exprs.size() > 1) {
      std::vector<Value> kept;
      for (Value& item : all) {
        ScopePtr filter_scope = ChildScope(scope);
        WEFT_RETURN_IF_ERROR(Assign(node.target, item, filter_scope));
        WEFT_ASSIGN_OR_RETURN(Value keep, Eval(*node.exprs[1], filter_scope));
        if (keep.Truthy()) kept.push_back(std::move(item));
      }
      all = std::move(kept);
    }
    auto items = std::make_shared<const std::vector<Value>>(std::move(all));
    const int64_t length = static_cast<int64_t>(items->size());
    for (int64_t i = 0; i < length; ++i) {
      if (--iterations_left_ < 0) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "template exceeded the limit of ", options_.max_loop_iterations, " loop iterations"));
      }
      ScopePtr iteration = ChildScope(scope);
      WEFT_RETURN_IF_ERROR(Assign(node.target, (*items)[i], iteration));
      auto loop = std::make_shared<LoopData>();
      loop->index0 = i;
      loop->length = length;
      loop->items = items;
      iteration->Set("loop", Value::Loop(std::move(loop)));
      Flow flow = Flow::kNormal;
      WEFT_RETURN_IF_ERROR(ExecBody(node.bodies[0], iteration, out, &flow));
      if (flow == Flow::kBreak) break;
    }
    if (length == 0 && !node.bodies[1].empty()) {
      Flow flow = Flow::kNormal;
      return ExecBody(node.bodies[1], ChildScope(scope), out, &flow);
    }
    return absl::OkStatus();
  }

  absl::Status AssignOne(const Target::Item& item, Value v, const ScopePtr& scope) {
    if (item.attr.empty()) {
      scope->Set(item.name, std::move(v));
      return absl::OkStatus();
    }
    const Value* ns = scope->Find(item.name);
    if (ns == nullptr || !ns->is_namespace()) {
      return Error("cannot assign attribute on non-namespace object");
    }
    if (v.contains_namespace()) {
      return Error("storing a namespace inside a namespace attribute is not supported");
    }
    return ns->ns().attrs.Set(Value::String(item.attr), std::move(v));
  }

  absl::Status Assign(const Target& target, Value v, const ScopePtr& scope) {
    if (!target.is_tuple) return AssignOne(target.items[0], std::move(v), scope);
    WEFT_ASSIGN_OR_RETURN(std::vector<Value> values, Iterate(v));
    if (values.size() != target.items.size()) {
      if (values.size() > target.items.size()) {
        return Error(
            absl::StrCat("too many values to unpack (expected ", target.items.size(), ")"));
      }
      return Error(absl::StrCat("not enough values to unpack (expected ", target.items.size(),
                                ", got ", values.size(), ")"));
    }
    for (size_t i = 0; i < values.size(); ++i) {
      WEFT_RETURN_IF_ERROR(AssignOne(target.items[i], std::move(values[i]), scope));
    }
    return absl::OkStatus();
  }

  // --- Expressions ---

  absl::StatusOr<Value> Eval(const Expr& e, const ScopePtr& scope) {
    if (++recursion_ > kMaxRecursion) {
      --recursion_;
      return Locate(absl::ResourceExhaustedError("template recursion too deep"), e.location);
    }
    const absl::Status charged = Charge(1);
    absl::StatusOr<Value> v = charged.ok() ? EvalInner(e, scope) : absl::StatusOr<Value>(charged);
    --recursion_;
    if (!v.ok()) return Locate(v.status(), e.location);
    return v;
  }

  absl::StatusOr<std::vector<Value>> EvalAll(const std::vector<ExprPtr>& exprs, size_t first,
                                             const ScopePtr& scope) {
    std::vector<Value> values;
    values.reserve(exprs.size() - std::min(first, exprs.size()));
    for (size_t i = first; i < exprs.size(); ++i) {
      WEFT_ASSIGN_OR_RETURN(Value v, Eval(*exprs[i], scope));
      values.push_back(std::move(v));
    }
    return values;
  }

  absl::StatusOr<CallArgs> EvalArgs(const Expr& e, size_t first, const ScopePtr& scope) {
    CallArgs args;
    WEFT_ASSIGN_OR_RETURN(args.positional, EvalAll(e.children, first, scope));
    for (const auto& [key, expr] : e.kwargs) {
      WEFT_ASSIGN_OR_RETURN(Value v, Eval(*expr, scope));
      args.keyword.emplace_back(key, std::move(v));
    }
    return args;
  }

  // Applies a filter chain whose innermost operand is null to `v`.
  absl::StatusOr<Value> EvalFilterChain(const Expr& filter, Value v, const ScopePtr& scope) {
    if (filter.children[0] != nullptr) {
      WEFT_ASSIGN_OR_RETURN(v, EvalFilterChain(*filter.children[0], std::move(v), scope));
    }
    WEFT_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(filter, 1, scope));
    absl::StatusOr<Value> result = ApplyFilter(filter.name, v, args);
    if (!result.ok()) return Locate(result.status(), filter.location);
    return result;
  }

  // One function per expression kind, not inlined, so that each level of a
  // deeply nested evaluation only has its own kind's locals on the stack.
  absl::StatusOr<Value> EvalInner(const Expr& e, const ScopePtr& scope) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        return e.literal;
      case ExprKind::kName: {
        const Value* v = scope->Find(e.name);
        if (v == nullptr) return Value::Undefined(absl::StrCat("'", e.name, "' is undefined"));
        return *v;
      }
      case ExprKind::kList:
      case ExprKind::kTuple:
        return EvalList(e, scope);
      case ExprKind::kDict:
        return EvalDict(e, scope);
      case ExprKind::kGetAttr:
      case ExprKind::kGetItem:
      case ExprKind::kSlice:
        return EvalSubscript(e, scope);
      case ExprKind::kCall:
      case ExprKind::kFilter:
      case ExprKind::kTest:
        return EvalCall(e, scope);
      case ExprKind::kNot:
      case ExprKind::kNeg:
      case ExprKind::kPos:
        return EvalUnary(e, scope);
      case ExprKind::kBinary:
        return EvalBinary(e, scope);
      case ExprKind::kConcat:
        return EvalConcat(e, scope);
      case ExprKind::kAnd:
      case ExprKind::kOr:
      case ExprKind::kCondExpr:
        return EvalLogic(e, scope);
      case ExprKind::kCompare:
        return EvalCompare(e, scope);
    }
    return Error("unknown expression");
  }

  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalList(const Expr& e, const ScopePtr& scope) {
    WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, EvalAll(e.children, 0, scope));
    return MakeList(std::move(items), e.kind == ExprKind::kTuple);
  }

  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalDict(const Expr& e, const ScopePtr& scope) {
    std::vector<std::pair<Value, Value>> entries;
    for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
      WEFT_ASSIGN_OR_RETURN(Value key, Eval(*e.children[i], scope));
      WEFT_ASSIGN_OR_RETURN(Value value, Eval(*e.children[i + 1], scope));
      entries.emplace_back(std::move(key), std::move(value));
    }
    WEFT_RETURN_IF_ERROR(Charge(static_cast<int64_t>(entries.size())));
    return Value::Dict(std::move(entries));
  }

  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalSubscript(const Expr& e,
                                                              const ScopePtr& scope) {
    WEFT_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], scope));
    if (e.kind == ExprKind::kGetAttr) return GetAttr(obj, e.name);
    if (e.kind == ExprKind::kGetItem) {
      WEFT_ASSIGN_OR_RETURN(Value key, Eval(*e.children[1], scope));
      return GetItem(obj, key);
    }
    Value parts[3];
    for (int i = 0; i < 3; ++i) {
      if (e.children[i + 1] == nullptr) {
        parts[i] = Value::None();
      } else {
        WEFT_ASSIGN_OR_RETURN(parts[i], Eval(*e.children[i + 1], scope));
      }
    }
    return Slice(obj, parts[0], parts[1], parts[2]);
  }

  // Calls, filters and tests.
  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalCall(const Expr& e, const ScopePtr& scope) {
    WEFT_ASSIGN_OR_RETURN(Value subject, Eval(*e.children[0], scope));
    WEFT_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1, scope));
    if (e.kind == ExprKind::kCall) return Call(subject, std::move(args));
    if (e.kind == ExprKind::kFilter) return ApplyFilter(e.name, subject, args);
    WEFT_ASSIGN_OR_RETURN(bool result, ApplyTest(e.name, subject, args));
    return Value::Bool(result != e.negated);
  }

  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalUnary(const Expr& e, const ScopePtr& scope) {
    WEFT_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], scope));
    if (e.kind == ExprKind::kNot) return Value::Bool(!v.Truthy());
    return Unary(e.kind == ExprKind::kNeg, v);
  }

  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalBinary(const Expr& e, const ScopePtr& scope) {
    WEFT_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0], scope));
    WEFT_ASSIGN_OR_RETURN(Value b, Eval(*e.children[1], scope));
    return Binary(e.op, a, b);
  }

  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalConcat(const Expr& e, const ScopePtr& scope) {
    std::string s;
    for (const ExprPtr& child : e.children) {
      WEFT_ASSIGN_OR_RETURN(Value v, Eval(*child, scope));
      WEFT_ASSIGN_OR_RETURN(std::string part, ToStr(v));
      WEFT_RETURN_IF_ERROR(CheckStringSize(s.size() + part.size()));
      s += part;
    }
    return MakeString(std::move(s));
  }

  // and, or, and `a if b else c`.
  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalLogic(const Expr& e, const ScopePtr& scope) {
    if (e.kind == ExprKind::kCondExpr) {
      WEFT_ASSIGN_OR_RETURN(Value test, Eval(*e.children[1], scope));
      if (test.Truthy()) return Eval(*e.children[0], scope);
      if (e.children[2] == nullptr) {
        return Value::Undefined(absl::StrCat("the inline if-expression on ",
                                             FormatLocation(e.location),
                                             " evaluated to false and no else section was "
                                             "defined"));
      }
      return Eval(*e.children[2], scope);
    }
    WEFT_ASSIGN_OR_RETURN(Value a, Eval(*e.children[0], scope));
    if (a.Truthy() == (e.kind == ExprKind::kOr)) return a;
    return Eval(*e.children[1], scope);
  }

  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> EvalCompare(const Expr& e, const ScopePtr& scope) {
    WEFT_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0], scope));
    for (size_t i = 0; i < e.compare_ops.size(); ++i) {
      WEFT_ASSIGN_OR_RETURN(Value right, Eval(*e.children[i + 1], scope));
      WEFT_ASSIGN_OR_RETURN(bool result, CompareOp(e.compare_ops[i], left, right));
      if (!result) return Value::Bool(false);
      left = std::move(right);
    }
    return Value::Bool(true);
  }

  // --- Operators ---

  absl::StatusOr<bool> CompareOp(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return Equals(a, b);
    if (op == "!=") return !Equals(a, b);
    if (op == "in" || op == "notin") {
      WEFT_ASSIGN_OR_RETURN(bool in, Contains(b, a));
      return in == (op == "in");
    }
    absl::StatusOr<int> c = Compare(a, b);
    if (!c.ok()) {
      if (a.is_undefined() || b.is_undefined()) return c.status();
      return Error(absl::StrCat("'", op, "' not supported between instances of '", a.TypeName(),
                                "' and '", b.TypeName(), "'"));
    }
    if (op == "<") return *c < 0;
    if (op == "<=") return *c <= 0;
    if (op == ">") return *c > 0;
    return *c >= 0;
  }

  absl::StatusOr<bool> Contains(const Value& container, const Value& item) {
    switch (container.kind()) {
      case Value::Kind::kString:
        if (!item.is_string()) {
          if (item.is_undefined()) return UndefinedError(item);
          return Error(
              absl::StrCat("'in <string>' requires string as left operand, not ", item.TypeName()));
        }
        WEFT_RETURN_IF_ERROR(Charge(static_cast<int64_t>(container.string_value().size() / 64)));
        return absl::StrContains(container.string_value(), item.string_value());
      case Value::Kind::kList:
        WEFT_RETURN_IF_ERROR(Charge(container.weight()));
        for (const Value& v : container.items()) {
          if (Equals(v, item)) return true;
        }
        return false;
      case Value::Kind::kDict: {
        absl::StatusOr<std::string> key = HashKey(item);
        if (!key.ok()) return key.status();
        return container.dict().Find(item) != nullptr;
      }
      case Value::Kind::kUndefined:
        return false;
      default:
        return Error(absl::StrCat("argument of type '", container.TypeName(), "' is not iterable"));
    }
  }

  absl::StatusOr<Value> Unary(bool negate, const Value& v) {
    if (v.is_undefined()) return UndefinedError(v);
    if (v.is_float()) return Value::Float(negate ? -v.number_value() : v.number_value());
    if (v.is_int() || v.is_bool()) {
      if (!negate) return Value::Int(v.int_value());
      if (v.int_value() == std::numeric_limits<int64_t>::min()) return IntOverflow();
      return Value::Int(-v.int_value());
    }
    return Error(
        absl::StrCat("bad operand type for unary ", negate ? "-" : "+", ": '", v.TypeName(), "'"));
  }

  absl::StatusOr<Value> Repeat(const Value& seq, int64_t n) {
    if (n < 0) n = 0;
    if (seq.is_string()) {
      const std::string& s = seq.string_value();
      if (!s.empty() && static_cast<uint64_t>(n) > options_.max_output_bytes / s.size()) {
        return CheckStringSize(options_.max_output_bytes + 1);
      }
      std::string out;
      out.reserve(s.size() * n);
      for (int64_t i = 0; i < n; ++i) out += s;
      return MakeString(std::move(out));
    }
    const auto& items = seq.items();
    if (!items.empty() && n > kMaxWeight / static_cast<int64_t>(items.size())) {
      return absl::ResourceExhaustedError("list repetition too large");
    }
    std::vector<Value> out;
    out.reserve(items.size() * n);
    for (int64_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
    return MakeList(std::move(out), seq.is_tuple());
  }

  absl::StatusOr<Value> Binary(const std::string& op, const Value& a, const Value& b) {
    if (a.is_undefined()) return UndefinedError(a);
    if (b.is_undefined()) return UndefinedError(b);
    const bool ints = (a.is_int() || a.is_bool()) && (b.is_int() || b.is_bool());
    const bool numbers = a.is_number() && b.is_number();
    if (op == "+") {
      if (ints) {
        int64_t r;
        if (__builtin_add_overflow(a.int_value(), b.int_value(), &r)) return IntOverflow();
        return Value::Int(r);
      }
      if (numbers) return Value::Float(a.number_value() + b.number_value());
      if (a.is_string() && b.is_string()) {
        WEFT_RETURN_IF_ERROR(CheckStringSize(a.string_value().size() + b.string_value().size()));
        return MakeString(a.string_value() + b.string_value());
      }
      if (a.is_list_or_tuple() && b.is_list_or_tuple() && a.is_tuple() == b.is_tuple()) {
        std::vector<Value> items = a.items();
        items.insert(items.end(), b.items().begin(), b.items().end());
        return MakeList(std::move(items), a.is_tuple());
      }
      if (a.is_string() || a.is_list_or_tuple()) {
        return Error(absl::StrCat("can only concatenate ", a.TypeName(), " (not \"", b.TypeName(),
                                  "\") to ", a.TypeName()));
      }
      return TypeMismatch(op, a, b);
    }
    if (op == "-") {
      if (ints) {
        int64_t r;
        if (__builtin_sub_overflow(a.int_value(), b.int_value(), &r)) return IntOverflow();
        return Value::Int(r);
      }
      if (numbers) return Value::Float(a.number_value() - b.number_value());
      return TypeMismatch(op, a, b);
    }
    if (op == "*") {
      if (ints) {
        int64_t r;
        if (__builtin_mul_overflow(a.int_value(), b.int_value(), &r)) return IntOverflow();
        return Value::Int(r);
      }
      if (numbers) return Value::Float(a.number_value() * b.number_value());
      if ((a.is_string() || a.is_list_or_tuple()) && (b.is_int() || b.is_bool())) {
        return Repeat(a, b.int_value());
      }
      if ((b.is_string() || b.is_list_or_tuple()) && (a.is_int() || a.is_bool())) {
        return Repeat(b, a.int_value());
      }
      return TypeMismatch(op, a, b);
    }
    if (op == "/") {
      if (!numbers) return TypeMismatch(op, a, b);
      if (b.number_value() == 0) return Error("division by zero");
      return Value::Float(a.number_value() / b.number_value());
    }
    if (op == "//" || op == "%") {
      if (op == "%" && a.is_string()) return PercentFormat(a.string_value(), b);
      if (!numbers) return TypeMismatch(op, a, b);
      if (ints) {
        const int64_t x = a.int_value();
        const int64_t y = b.int_value();
        if (y == 0) return Error("integer division or modulo by zero");
        if (x == std::numeric_limits<int64_t>::min() && y == -1) {
          if (op == "//") return IntOverflow();
          return Value::Int(0);
        }
        int64_t q = x / y;
        int64_t r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) {
          --q;
          r += y;
        }
        return Value::Int(op == "//" ? q : r);
      }
      const double x = a.number_value();
      const double y = b.number_value();
      if (y == 0) return Error(op == "//" ? "float floor division by zero" : "float modulo");
      double mod = std::fmod(x, y);
      double div = (x - mod) / y;
      if (mod != 0) {
        if ((y < 0) != (mod < 0)) {
          mod += y;
          div -= 1.0;
        }
      } else {
        mod = std::copysign(0.0, y);
      }
      if (op == "%") return Value::Float(mod);
      double floordiv;
      if (div != 0) {
        floordiv = std::floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
      } else {
        floordiv = std::copysign(0.0, x / y);
      }
      return Value::Float(floordiv);
    }
    if (op == "**") {
      if (!numbers) return TypeMismatch(op, a, b);
      if (ints && b.int_value() >= 0) return IntPow(a.int_value(), b.int_value());
      const double x = a.number_value();
      const double y = b.number_value();
      if (x == 0 && y < 0) return Error("0.0 cannot be raised to a negative power");
      if (x < 0 && y != std::floor(y)) return Error("complex results are not supported");
      const double result = std::pow(x, y);
      if (std::isinf(result) && std::isfinite(x) && std::isfinite(y)) {
        return absl::OutOfRangeError("(34, 'Numerical result out of range')");
      }
      return Value::Float(result);
    }
    return Error(absl::StrCat("unknown operator ", op));
  }

  // printf-style `str % args`: %[(key)][flags][width][.precision]type with
  // types s r a d i u f F e E g G x X o c and %%.
  ABSL_ATTRIBUTE_NOINLINE absl::StatusOr<Value> PercentFormat(const std::string& format,
                                                              const Value& args) {
    std::vector<Value> positional;
    if (args.is_tuple()) {
      positional = args.items();
    } else {
      positional.push_back(args);
    }
    std::string out;
    size_t next = 0;
    bool used_mapping = false;
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') {
        out.push_back(format[i]);
        continue;
      }
      if (++i >= format.size()) return Error("incomplete format");
      const Value* v = nullptr;
      if (format[i] == '(') {
        const size_t close = format.find(')', i);
        if (close == std::string::npos) return Error("incomplete format key");
        if (!args.is_dict()) return Error("format requires a mapping");
        v = args.dict().FindString(format.substr(i + 1, close - i - 1));
        if (v == nullptr) {
          return Error(absl::StrCat("KeyError: '", format.substr(i + 1, close - i - 1), "'"));
        }
        used_mapping = true;
        i = close + 1;
      }
      std::string flags;
      while (i < format.size() &&
             absl::string_view("-+ 0#").find(format[i]) != absl::string_view::npos) {
        flags.push_back(format[i++]);
      }
      int width = 0;
      while (i < format.size() && absl::ascii_isdigit(format[i])) {
        width = std::min(width * 10 + (format[i++] - '0'), 10000);
      }
      int precision = -1;
      if (i < format.size() && format[i] == '.') {
        precision = 0;
        while (++i < format.size() && absl::ascii_isdigit(format[i])) {
          precision = std::min(precision * 10 + (format[i] - '0'), 1000);
        }
      }
      if (i >= format.size()) return Error("incomplete format");
      const char conversion = format[i];
      if (conversion == '%') {
        out.push_back('%');
        continue;
      }
      if (v == nullptr) {
        if (next >= positional.size()) return Error("not enough arguments for format string");
        v = &positional[next++];
      }
      std::string piece;
      switch (conversion) {
        case 's':
        case 'r':
        case 'a': {
          if (conversion == 's') {
            WEFT_ASSIGN_OR_RETURN(piece, ToStr(*v));
          } else {
            piece = v->Repr();
          }
          if (precision >= 0 && py::Length(piece) > precision) {
            piece = py::Encode(py::Decode(piece).substr(0, precision));
          }
          const int64_t pad = width - py::Length(piece);
          if (pad > 0) {
            piece = absl::StrContains(flags, '-') ? piece + std::string(pad, ' ')
                                                  : std::string(pad, ' ') + piece;
          }
          break;
        }
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'o':
        case 'c':
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G': {
          if (!v->is_number()) {
            if (v->is_undefined()) return UndefinedError(*v);
            return Error(absl::StrCat("%", std::string(1, conversion),
                                      " format: a real number is required, not ", v->TypeName()));
          }
          const bool integral =
              absl::string_view("diuxXoc").find(conversion) != absl::string_view::npos;
          if (conversion == 'c') {
            const int64_t cp = v->is_float() ? -1 : v->int_value();
            if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
              return Error("%c arg not in range(0x110000)");
            }
            py::AppendUtf8(static_cast<char32_t>(cp), &piece);
            break;
          }
          std::string spec = "%" + flags + (width > 0 ? std::to_string(width) : "");
          if (precision >= 0) absl::StrAppend(&spec, ".", precision);
          std::vector<char> buf(static_cast<size_t>(width + std::max(precision, 0)) + 400);
          if (integral) {
            if (v->is_float() && (conversion == 'x' || conversion == 'X' || conversion == 'o')) {
              return Error(absl::StrCat("%", std::string(1, conversion),
                                        " format: an integer is required, not float"));
            }
            const int64_t n =
                v->is_float() ? static_cast<int64_t>(v->number_value()) : v->int_value();
            const char c = conversion == 'i' || conversion == 'u' ? 'd' : conversion;
            spec += "ll";
            spec.push_back(c);
            std::snprintf(buf.data(), buf.size(), spec.c_str(), static_cast<long long>(n));
          } else {
            spec.push_back(conversion);
            std::snprintf(buf.data(), buf.size(), spec.c_str(), v->number_value());
          }
          piece = buf.data();
          break;
        }
        default:
          return Error(absl::StrCat("unsupported format character '", std::string(1, conversion),
                                    "' in % formatting"));
      }
      out += piece;
      WEFT_RETURN_IF_ERROR(CheckStringSize(out.size()));
    }
    // Leftover arguments are an error unless they came as something Python
    // takes for a mapping (a dict or a list).
    const bool mapping_like = args.is_dict() || (args.is_list_or_tuple() && !args.is_tuple());
    if (!used_mapping && next < positional.size() && !mapping_like) {
      return Error("not all arguments converted during string formatting");
    }
    return MakeString(std::move(out));
  }

  // --- Attribute, item, slice ---

  absl::StatusOr<Value> GetAttr(const Value& obj, const std::string& name,
                                bool item_fallback = true) {
    // The sandbox hides private attributes: an undefined value that fails
    // only when used.
    if (absl::StartsWith(name, "_")) return Unsafe(obj, name);
    switch (obj.kind()) {
      case Value::Kind::kUndefined:
        return UndefinedError(obj);
      case Value::Kind::kDict:
        if (IsDictMethod(name)) return Method(obj, name);
        if (IsUnsafeDictMethod(name)) return Unsafe(obj, name);
        if (item_fallback) {
          if (const Value* v = obj.dict().FindString(name)) return *v;
        }
        return NoAttribute(obj, name);
      case Value::Kind::kString:
        if (IsStrMethod(name)) return Method(obj, name);
        if (IsUnsupportedStrMethod(name)) {
          return Error(absl::StrCat("str.", name, "() is not supported"));
        }
        return NoAttribute(obj, name);
      case Value::Kind::kList:
        if (obj.is_list_or_tuple()) {
          if (IsListMethod(name) && !(obj.is_tuple() && name == "copy")) return Method(obj, name);
          if (!obj.is_tuple() && IsUnsafeListMethod(name)) return Unsafe(obj, name);
        }
        return NoAttribute(obj, name);
      case Value::Kind::kNamespace:
        if (const Value* v = obj.ns().attrs.FindString(name)) return *v;
        return NoAttribute(obj, name);
      case Value::Kind::kLoop:
        return LoopAttr(obj.loop(), name);
      default:
        return NoAttribute(obj, name);
    }
  }

  Value Method(const Value& obj, const std::string& name) {
    return Value::FromCallable(std::make_shared<BoundMethod>(obj, name));
  }

  // What jinja2's sandbox returns for an unsafe attribute (a private one, or
  // a method that would mutate a list or dict): an undefined value whose use
  // fails with the security message.
  Value Unsafe(const Value& obj, absl::string_view name) {
    return Value::Undefined(absl::StrCat("access to attribute '", name, "' of '", obj.TypeName(),
                                         "' object is unsafe"));
  }

  absl::StatusOr<Value> LoopAttr(const LoopData& loop, const std::string& name) {
    const int64_t i = loop.index0;
    const int64_t n = loop.length;
    if (name == "index") return Value::Int(i + 1);
    if (name == "index0") return Value::Int(i);
    if (name == "revindex") return Value::Int(n - i);
    if (name == "revindex0") return Value::Int(n - i - 1);
    if (name == "first") return Value::Bool(i == 0);
    if (name == "last") return Value::Bool(i == n - 1);
    if (name == "length") return Value::Int(n);
    if (name == "depth") return Value::Int(loop.depth0 + 1);
    if (name == "depth0") return Value::Int(loop.depth0);
    if (name == "previtem") {
      if (i == 0) return Value::Undefined("there is no previous item");
      return (*loop.items)[i - 1];
    }
    if (name == "nextitem") {
      if (i + 1 >= n) return Value::Undefined("there is no next item");
      return (*loop.items)[i + 1];
    }
    if (name == "cycle") return Value::FromCallable(std::make_shared<LoopCycle>(i));
    if (name == "changed") return Error("loop.changed() is not supported");
    return Value::Undefined(absl::StrCat("'LoopContext object' has no attribute '", name, "'"));
  }

  absl::StatusOr<Value> GetItem(const Value& obj, const Value& key) {
    switch (obj.kind()) {
      case Value::Kind::kUndefined:
        return UndefinedError(obj);
      case Value::Kind::kDict: {
        if (const Value* v = obj.dict().Find(key)) return *v;
        if (key.is_string()) return GetAttr(obj, key.string_value(), /*item_fallback=*/false);
        if (key.is_undefined()) return UndefinedError(key);
        return Value::Undefined(
            absl::StrCat("'", ObjectName(obj), "' has no attribute ", key.Repr()));
      }
      case Value::Kind::kList:
      case Value::Kind::kString: {
        if ((key.is_int() || key.is_bool()) && !obj.is_list_or_tuple() && !obj.is_string()) {
          break;  // Iterators and dict views are not subscriptable.
        }
        if (key.is_int() || key.is_bool()) {
          const bool is_string = obj.is_string();
          int64_t index = key.int_value();
          if (is_string && !py::IsAscii(obj.string_value())) {
            const std::u32string cps = py::Decode(obj.string_value());
            const int64_t n = static_cast<int64_t>(cps.size());
            if (index < 0) index += n;
            if (index < 0 || index >= n) break;
            std::string out;
            py::AppendUtf8(cps[index], &out);
            return Value::String(std::move(out));
          }
          const int64_t n =
              static_cast<int64_t>(is_string ? obj.string_value().size() : obj.items().size());
          if (index < 0) index += n;
          if (index < 0 || index >= n) break;
          if (is_string) return Value::String(std::string(1, obj.string_value()[index]));
          return obj.items()[index];
        }
        if (key.is_string()) return GetAttr(obj, key.string_value());
        if (key.is_undefined()) return UndefinedError(key);
        break;
      }
      default:
        if (key.is_string()) return GetAttr(obj, key.string_value());
        break;
    }
    return Value::Undefined(absl::StrCat("'", ObjectName(obj), "' has no element ", key.Repr()));
  }

  absl::StatusOr<Value> Slice(const Value& obj, const Value& start_v, const Value& stop_v,
                              const Value& step_v) {
    if (obj.is_undefined()) return UndefinedError(obj);
    if (!obj.is_string() && !obj.is_list_or_tuple()) {
      return Error(absl::StrCat("'", obj.TypeName(), "' object is not subscriptable"));
    }
    auto index = [](const Value& v) -> absl::StatusOr<std::optional<int64_t>> {
      if (v.is_none()) return std::optional<int64_t>();
      if (v.is_int() || v.is_bool()) return std::optional<int64_t>(v.int_value());
      if (v.is_undefined()) return UndefinedError(v);
      return Error("slice indices must be integers or None");
    };
    WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> start, index(start_v));
    WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> stop, index(stop_v));
    WEFT_ASSIGN_OR_RETURN(std::optional<int64_t> step_opt, index(step_v));
    const int64_t step = step_opt.value_or(1);
    if (step == 0) return Error("slice step cannot be zero");
    std::u32string cps;
    const bool ascii = obj.is_string() && py::IsAscii(obj.string_value());
    if (obj.is_string() && !ascii) cps = py::Decode(obj.string_value());
    const int64_t n = static_cast<int64_t>(
        obj.is_list() ? obj.items().size() : (ascii ? obj.string_value().size() : cps.size()));
    // PySlice_AdjustIndices.
    auto adjust = [n, step](std::optional<int64_t> v, bool is_start) -> int64_t {
      if (!v.has_value()) {
        if (step > 0) return is_start ? 0 : n;
        return is_start ? n - 1 : -1;
      }
      int64_t x = *v;
      if (x < 0) {
        x += n;
        if (x < 0) x = step < 0 ? -1 : 0;
      } else if (x >= n) {
        x = step < 0 ? n - 1 : n;
      }
      return x;
    };
    const int64_t b = adjust(start, true);
    const int64_t e = adjust(stop, false);
    std::vector<int64_t> picks;
    if (step > 0) {
      for (int64_t i = b; i < e; i += step) picks.push_back(i);
    } else {
      for (int64_t i = b; i > e; i += step) picks.push_back(i);
    }
    WEFT_RETURN_IF_ERROR(Charge(1 + static_cast<int64_t>(picks.size())));
    if (obj.is_list()) {
      std::vector<Value> out;
      out.reserve(picks.size());
      for (const int64_t i : picks) out.push_back(obj.items()[i]);
      return MakeList(std::move(out), obj.is_tuple());
    }
    std::string out;
    for (const int64_t i : picks) {
      if (ascii) {
        out.push_back(obj.string_value()[i]);
      } else {
        py::AppendUtf8(cps[i], &out);
      }
    }
    return MakeString(std::move(out));
  }

  // --- Iteration and calls ---

  absl::StatusOr<std::vector<Value>> Iterate(const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kUndefined:
        return std::vector<Value>();
      case Value::Kind::kList:
        WEFT_RETURN_IF_ERROR(Charge(static_cast<int64_t>(v.items().size())));
        return v.items();
      case Value::Kind::kDict: {
        WEFT_RETURN_IF_ERROR(Charge(static_cast<int64_t>(v.dict().size())));
        std::vector<Value> keys;
        keys.reserve(v.dict().size());
        for (const auto& entry : v.dict().entries()) keys.push_back(entry.first);
        return keys;
      }
      case Value::Kind::kString: {
        std::vector<Value> chars;
        const std::string& s = v.string_value();
        WEFT_RETURN_IF_ERROR(Charge(static_cast<int64_t>(s.size())));
        size_t i = 0;
        while (i < s.size()) {
          size_t n = 1;
          while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xc0) == 0x80) ++n;
          chars.push_back(Value::String(s.substr(i, n)));
          i += n;
        }
        return chars;
      }
      default:
        return Error(absl::StrCat("'", v.TypeName(), "' object is not iterable"));
    }
  }

  absl::StatusOr<Value> Call(const Value& callee, CallArgs args) {
    if (callee.is_undefined()) return UndefinedError(callee);
    if (!callee.is_callable()) {
      return Error(absl::StrCat("'", callee.TypeName(), "' object is not callable"));
    }
    return callee.callable().Call(std::move(args), *this);
  }

  absl::StatusOr<Value> CallMacro(const Node& macro, const ScopePtr& defining, CallArgs args) {
    if (call_depth_ >= options_.max_call_depth) {
      return absl::ResourceExhaustedError(
          absl::StrCat("macro calls nested deeper than ", options_.max_call_depth));
    }
    ScopePtr scope = ChildScope(defining);
    const size_t n = macro.params.size();
    std::vector<bool> bound(n, false);
    std::vector<Value> varargs;
    for (size_t i = 0; i < args.positional.size(); ++i) {
      if (i < n) {
        scope->Set(macro.params[i], std::move(args.positional[i]));
        bound[i] = true;
      } else if (macro.uses_varargs) {
        varargs.push_back(std::move(args.positional[i]));
      } else {
        return Error(
            absl::StrCat("macro '", macro.name, "' takes not more than ", n, " argument(s)"));
      }
    }
    std::vector<std::pair<Value, Value>> kwargs;
    for (auto& [key, value] : args.keyword) {
      const auto it = std::find(macro.params.begin(), macro.params.end(), key);
      if (it != macro.params.end()) {
        const size_t index = it - macro.params.begin();
        if (bound[index]) {
          return Error(absl::StrCat("macro '", macro.name, "' got multiple values for argument '",
                                    key, "'"));
        }
        scope->Set(key, std::move(value));
        bound[index] = true;
      } else if (macro.uses_kwargs) {
        kwargs.emplace_back(Value::String(key), std::move(value));
      } else {
        return Error(
            absl::StrCat("macro '", macro.name, "' takes no keyword argument '", key, "'"));
      }
    }
    ++call_depth_;
    absl::Status status;
    for (size_t i = 0; i < n && status.ok(); ++i) {
      if (bound[i]) continue;
      if (macro.defaults[i] != nullptr) {
        absl::StatusOr<Value> v = Eval(*macro.defaults[i], scope);
        if (v.ok()) {
          scope->Set(macro.params[i], *std::move(v));
        } else {
          status = v.status();
        }
      } else {
        scope->Set(macro.params[i], Value::Undefined(absl::StrCat("parameter '", macro.params[i],
                                                                  "' was not provided")));
      }
    }
    std::string out;
    if (status.ok() && macro.uses_varargs) {
      absl::StatusOr<Value> v = MakeList(std::move(varargs), /*tuple=*/true);
      if (v.ok()) {
        scope->Set("varargs", *std::move(v));
      } else {
        status = v.status();
      }
    }
    if (status.ok() && macro.uses_kwargs) {
      absl::StatusOr<Value> v = Value::Dict(std::move(kwargs));
      if (v.ok()) {
        scope->Set("kwargs", *std::move(v));
      } else {
        status = v.status();
      }
    }
    if (status.ok()) {
      Flow flow = Flow::kNormal;
      status = ExecBody(macro.bodies[0], scope, &out, &flow);
    }
    --call_depth_;
    WEFT_RETURN_IF_ERROR(status);
    return MakeString(std::move(out));
  }

  absl::StatusOr<Value> ApplyFilter(const std::string& name, const Value& v, const CallArgs& args) {
    const auto& filters = Filters();
    const auto it = filters.find(name);
    if (it == filters.end()) return Error(absl::StrCat("no filter named '", name, "'"));
    return it->second(*this, v, args);
  }

  absl::StatusOr<bool> ApplyTest(const std::string& name, const Value& v, const CallArgs& args) {
    const auto& tests = Tests();
    const auto it = tests.find(name);
    if (it == tests.end()) return Error(absl::StrCat("no test named '", name, "'"));
    return it->second(*this, v, args);
  }

  // make_attrgetter: "a.b.0" looked up with getitem semantics, part by part.
  absl::StatusOr<Value> GetAttribute(const Value& item, const Value& attribute) {
    if (!attribute.is_string()) return GetItem(item, attribute);
    Value v = item;
    for (const absl::string_view part : absl::StrSplit(attribute.string_value(), '.')) {
      int64_t index;
      if (!part.empty() && std::all_of(part.begin(), part.end(), absl::ascii_isdigit) &&
          absl::SimpleAtoi(part, &index)) {
        WEFT_ASSIGN_OR_RETURN(v, GetItem(v, Value::Int(index)));
      } else {
        WEFT_ASSIGN_OR_RETURN(v, GetItem(v, Value::String(std::string(part))));
      }
    }
    return v;
  }

 private:
  void AddGlobals(Scope* scope);

  const RenderOptions& options_;
  int64_t steps_left_;
  int64_t iterations_left_;
  int recursion_ = 0;
  int call_depth_ = 0;
};

absl::StatusOr<Value> BuiltinUnsupported(Renderer&, const CallArgs&);

absl::StatusOr<Value> BuiltinFunction::Call(CallArgs args, CallContext& ctx) const {
  if (fn_ == BuiltinUnsupported) {
    return Error(absl::StrCat("the global function '", name_, "' is not supported"));
  }
  return fn_(static_cast<Renderer&>(ctx), args);
}

absl::StatusOr<Value> MacroFunction::Call(CallArgs args, CallContext& ctx) const {
  ScopePtr scope = scope_.lock();
  if (scope == nullptr) return Error(absl::StrCat("macro '", node_->name, "' is out of scope"));
  return static_cast<Renderer&>(ctx).CallMacro(*node_, scope, std::move(args));
}

// --- Globals ------------------------------------------------------------------

absl::StatusOr<Value> BuiltinRange(Renderer& r, const CallArgs& args) {
  if (!args.keyword.empty()) return Error("range() takes no keyword arguments");
  if (args.positional.empty() || args.positional.size() > 3) {
    return Error("range expected 1 to 3 arguments");
  }
  int64_t start = 0;
  int64_t stop;
  int64_t step = 1;
  if (args.positional.size() == 1) {
    WEFT_ASSIGN_OR_RETURN(stop, ToInt(args.positional[0], "range() argument"));
  } else {
    WEFT_ASSIGN_OR_RETURN(start, ToInt(args.positional[0], "range() argument"));
    WEFT_ASSIGN_OR_RETURN(stop, ToInt(args.positional[1], "range() argument"));
    if (args.positional.size() == 3) {
      WEFT_ASSIGN_OR_RETURN(step, ToInt(args.positional[2], "range() argument"));
    }
  }
  if (step == 0) return Error("range() arg 3 must not be zero");
  // Count in long double to avoid overflow.
  long double count = 0;
  if (step > 0 && stop > start) {
    count = std::ceil((static_cast<long double>(stop) - start) / step);
  } else if (step < 0 && stop < start) {
    count = std::ceil((static_cast<long double>(start) - stop) / -static_cast<long double>(step));
  }
  if (count > kMaxRange) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "Range too big. The sandbox blocks ranges larger than MAX_RANGE (", kMaxRange, ")."));
  }
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < static_cast<int64_t>(count); ++i)
    items.push_back(Value::Int(start + i * step));
  return r.MakeList(std::move(items));
}

absl::StatusOr<Value> BuiltinNamespace(Renderer& r, const CallArgs& args) {
  auto ns = std::make_shared<NamespaceData>();
  for (const Value& arg : args.positional) {
    if (!arg.is_dict()) {
      return Error(absl::StrCat("namespace() positional arguments must be dicts, not '",
                                arg.TypeName(), "'"));
    }
    for (const auto& [key, value] : arg.dict().entries()) {
      WEFT_RETURN_IF_ERROR(ns->attrs.Set(key, value));
    }
  }
  for (const auto& [key, value] : args.keyword) {
    WEFT_RETURN_IF_ERROR(ns->attrs.Set(Value::String(key), value));
  }
  WEFT_RETURN_IF_ERROR(r.Charge(1 + static_cast<int64_t>(ns->attrs.size())));
  return Value::Namespace(std::move(ns));
}

absl::StatusOr<Value> BuiltinDict(Renderer& r, const CallArgs& args) {
  std::vector<std::pair<Value, Value>> entries;
  if (args.positional.size() > 1) return Error("dict expected at most 1 argument");
  if (args.positional.size() == 1) {
    const Value& arg = args.positional[0];
    if (arg.is_dict()) {
      entries = arg.dict().entries();
    } else {
      WEFT_ASSIGN_OR_RETURN(std::vector<Value> pairs, r.Iterate(arg));
      for (const Value& pair : pairs) {
        WEFT_ASSIGN_OR_RETURN(std::vector<Value> kv, r.Iterate(pair));
        if (kv.size() != 2) return Error("dictionary update sequence element has wrong length");
        entries.emplace_back(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [key, value] : args.keyword) entries.emplace_back(Value::String(key), value);
  WEFT_RETURN_IF_ERROR(r.Charge(1 + static_cast<int64_t>(entries.size())));
  return Value::Dict(std::move(entries));
}

absl::StatusOr<Value> BuiltinRaiseException(Renderer& r, const CallArgs& args) {
  std::string message;
  if (!args.positional.empty()) {
    WEFT_ASSIGN_OR_RETURN(message, r.ToStr(args.positional[0]));
  }
  absl::Status status = Error(message);
  status.SetPayload(kRaisedPayload, absl::Cord("1"));
  return status;
}

absl::StatusOr<Value> BuiltinStrftimeNow(Renderer& r, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("strftime_now", args, {"format"}));
  if (!bound.has(0)) return Error("strftime_now() missing required argument 'format'");
  WEFT_ASSIGN_OR_RETURN(std::string format, ToStringArg(bound.get(0), "format"));
  const absl::Time now = r.options().now ? r.options().now() : absl::Now();
  return r.MakeString(absl::FormatTime(format, now, r.options().time_zone));
}

// lipsum, cycler and joiner: defined (so that `is defined` holds, as in
// jinja2) but failing when called.
absl::StatusOr<Value> BuiltinUnsupported(Renderer&, const CallArgs&) {
  return Error("this global function is not supported");
}

void Renderer::AddGlobals(Scope* scope) {
  static const std::pair<const char*, BuiltinFn> kGlobals[] = {
      {"range", BuiltinRange},
      {"namespace", BuiltinNamespace},
      {"dict", BuiltinDict},
      {"raise_exception", BuiltinRaiseException},
      {"strftime_now", BuiltinStrftimeNow},
      {"lipsum", BuiltinUnsupported},
      {"cycler", BuiltinUnsupported},
      {"joiner", BuiltinUnsupported},
  };
  for (const auto& [name, fn] : kGlobals) {
    scope->Set(name, Value::FromCallable(std::make_shared<BuiltinFunction>(name, fn)));
  }
}

// --- Methods ------------------------------------------------------------------

absl::StatusOr<std::optional<std::string>> OptionalChars(const BoundArgs& bound, size_t i) {
  if (!bound.given(i)) return std::optional<std::string>();
  WEFT_ASSIGN_OR_RETURN(std::string chars, ToStringArg(bound.get(i), "chars"));
  return std::optional<std::string>(std::move(chars));
}

absl::StatusOr<Value> StringList(Renderer& r, const std::vector<std::string>& parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (const std::string& part : parts) items.push_back(Value::String(part));
  return r.MakeList(std::move(items));
}

// str.format: {} {0} {name} {{ }} with optional !r / !s; no format specs.
absl::StatusOr<Value> StrFormat(Renderer& r, const std::string& format, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      return Error("Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    const size_t close = format.find('}', i);
    if (close == std::string::npos) return Error("Single '{' encountered in format string");
    std::string field = format.substr(i + 1, close - i - 1);
    i = close;
    char conversion = 0;
    const size_t bang = field.find('!');
    if (field.find(':') != std::string::npos) {
      return Error("format specifications in str.format() are not supported");
    }
    if (bang != std::string::npos) {
      if (bang + 2 != field.size() || (field[bang + 1] != 'r' && field[bang + 1] != 's')) {
        return Error("unsupported conversion in str.format()");
      }
      conversion = field[bang + 1];
      field.resize(bang);
    }
    const Value* v = nullptr;
    size_t index;
    if (field.empty()) {
      index = auto_index++;
      if (index >= args.positional.size()) {
        return Error("Replacement index out of range for positional args tuple");
      }
      v = &args.positional[index];
    } else if (absl::SimpleAtoi(field, &index)) {
      if (index >= args.positional.size()) {
        return Error("Replacement index out of range for positional args tuple");
      }
      v = &args.positional[index];
    } else {
      for (const auto& [key, value] : args.keyword) {
        if (key == field) v = &value;
      }
      if (v == nullptr) return Error(absl::StrCat("KeyError: '", field, "'"));
    }
    if (conversion == 'r') {
      out += v->Repr();
    } else {
      WEFT_ASSIGN_OR_RETURN(std::string s, r.ToStr(*v));
      out += s;
    }
    WEFT_RETURN_IF_ERROR(r.CheckStringSize(out.size()));
  }
  return r.MakeString(std::move(out));
}

// startswith/endswith with a str or a tuple of str.
absl::StatusOr<Value> StartsEnds(const std::string& s, const Value& affix, bool starts) {
  std::vector<Value> options;
  if (affix.is_tuple()) {
    options = affix.items();
  } else {
    options.push_back(affix);
  }
  for (const Value& option : options) {
    WEFT_ASSIGN_OR_RETURN(std::string text, ToStringArg(option, starts ? "startswith() argument"
                                                                       : "endswith() argument"));
    if (starts ? absl::StartsWith(s, text) : absl::EndsWith(s, text)) return Value::Bool(true);
  }
  return Value::Bool(false);
}

bool AllCodePoints(const std::string& s, bool (*pred)(char32_t)) {
  if (s.empty()) return false;
  for (const char32_t c : py::Decode(s)) {
    if (!pred(c)) return false;
  }
  return true;
}

absl::StatusOr<Value> ReplaceChecked(Renderer& r, const std::string& s, const std::string& from,
                                     const std::string& to, int64_t count);

absl::StatusOr<Value> CallStrMethod(Renderer& r, const std::string& s, const std::string& name,
                                    const CallArgs& args) {
  const std::string fn = absl::StrCat("str.", name);
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(fn, args, {"chars"}));
    WEFT_ASSIGN_OR_RETURN(std::optional<std::string> chars, OptionalChars(bound, 0));
    return r.MakeString(py::Strip(s, chars, name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(fn, args, {"sep", "maxsplit"}));
    std::optional<std::string> sep;
    if (bound.given(0)) {
      WEFT_ASSIGN_OR_RETURN(sep, ToStringArg(bound.get(0), "sep"));
      if (sep->empty()) return Error("empty separator");
    }
    int64_t maxsplit = -1;
    if (bound.has(1)) {
      WEFT_ASSIGN_OR_RETURN(maxsplit, ToInt(bound.get(1), "maxsplit"));
    }
    WEFT_RETURN_IF_ERROR(r.Charge(static_cast<int64_t>(s.size() / 16)));
    return StringList(r,
                      name == "split" ? py::Split(s, sep, maxsplit) : py::RSplit(s, sep, maxsplit));
  }
  if (name == "splitlines") {
    WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(fn, args, {"keepends"}));
    return StringList(r, py::SplitLines(s, bound.has(0) && bound.get(0).Truthy()));
  }
  if (name == "startswith" || name == "endswith") {
    if (args.positional.size() != 1 || !args.keyword.empty()) {
      return Error(absl::StrCat(fn, "() takes exactly one argument in weft's Jinja"));
    }
    return StartsEnds(s, args.positional[0], name == "startswith");
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" ||
      name == "isalnum" || name == "isalpha" || name == "isdigit" || name == "islower" ||
      name == "isspace" || name == "isupper") {
    WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(fn, args, {}));
    (void)bound;
    if (name == "upper") return r.MakeString(py::Upper(s));
    if (name == "lower") return r.MakeString(py::Lower(s));
    if (name == "title") return r.MakeString(py::PyTitle(s));
    if (name == "capitalize") return r.MakeString(py::Capitalize(s));
    if (name == "isspace") return Value::Bool(AllCodePoints(s, py::IsSpace));
    if (name == "isdigit") {
      return Value::Bool(AllCodePoints(s, [](char32_t c) { return c >= '0' && c <= '9'; }));
    }
    if (name == "isalpha") {
      return Value::Bool(AllCodePoints(s, [](char32_t c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
      }));
    }
    if (name == "isalnum") {
      return Value::Bool(AllCodePoints(s, [](char32_t c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c >= 0x80;
      }));
    }
    return Value::Bool(name == "islower" ? py::IsLower(s) : py::IsUpper(s));
  }
  if (name == "replace") {
    WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(fn, args, {"old", "new", "count"}));
    if (!bound.has(0) || !bound.has(1)) return Error("replace() expects at least 2 arguments");
    WEFT_ASSIGN_OR_RETURN(std::string from, ToStringArg(bound.get(0), "replace() argument 1"));
    WEFT_ASSIGN_OR_RETURN(std::string to, ToStringArg(bound.get(1), "replace() argument 2"));
    int64_t count = -1;
    if (bound.has(2)) {
      WEFT_ASSIGN_OR_RETURN(count, ToInt(bound.get(2), "count"));
    }
    return ReplaceChecked(r, s, from, to, count);
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    if (args.positional.size() != 1 || !args.keyword.empty()) {
      return Error(absl::StrCat(fn, "() takes exactly one argument in weft's Jinja"));
    }
    WEFT_ASSIGN_OR_RETURN(std::string sub, ToStringArg(args.positional[0], "argument"));
    WEFT_RETURN_IF_ERROR(r.Charge(static_cast<int64_t>(s.size() / 64)));
    if (name == "count") {
      if (sub.empty()) return Value::Int(py::Length(s) + 1);
      int64_t n = 0;
      for (size_t pos = s.find(sub); pos != std::string::npos;
           pos = s.find(sub, pos + sub.size())) {
        ++n;
      }
      return Value::Int(n);
    }
    const int64_t at = py::Find(s, sub, name[0] == 'r');
    if (at < 0 && (name == "index" || name == "rindex")) return Error("substring not found");
    return Value::Int(at);
  }
  if (name == "join") {
    if (args.positional.size() != 1 || !args.keyword.empty()) {
      return Error("str.join() takes exactly one argument");
    }
    WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(args.positional[0]));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string()) {
        return Error(absl::StrCat("sequence item ", i, ": expected str instance, ",
                                  items[i].TypeName(), " found"));
      }
      if (i > 0) out += s;
      out += items[i].string_value();
      WEFT_RETURN_IF_ERROR(r.CheckStringSize(out.size()));
    }
    return r.MakeString(std::move(out));
  }
  if (name == "format") return StrFormat(r, s, args);
  if (name == "removeprefix" || name == "removesuffix") {
    if (args.positional.size() != 1 || !args.keyword.empty()) {
      return Error(absl::StrCat(fn, "() takes exactly one argument"));
    }
    WEFT_ASSIGN_OR_RETURN(std::string affix, ToStringArg(args.positional[0], "argument"));
    absl::string_view view = s;
    if (name == "removeprefix") {
      absl::ConsumePrefix(&view, affix);
    } else {
      absl::ConsumeSuffix(&view, affix);
    }
    return r.MakeString(std::string(view));
  }
  if (name == "partition" || name == "rpartition") {
    if (args.positional.size() != 1 || !args.keyword.empty()) {
      return Error(absl::StrCat(fn, "() takes exactly one argument"));
    }
    WEFT_ASSIGN_OR_RETURN(std::string sep, ToStringArg(args.positional[0], "argument"));
    if (sep.empty()) return Error("empty separator");
    const size_t at = name == "partition" ? s.find(sep) : s.rfind(sep);
    std::vector<Value> parts;
    if (at == std::string::npos) {
      const bool left = name == "partition";
      parts = {Value::String(left ? s : ""), Value::String(""), Value::String(left ? "" : s)};
    } else {
      parts = {Value::String(s.substr(0, at)), Value::String(sep),
               Value::String(s.substr(at + sep.size()))};
    }
    return r.MakeList(std::move(parts), /*tuple=*/true);
  }
  return Error(absl::StrCat(fn, "() is not supported"));
}

absl::StatusOr<Value> CallMethod(Renderer& r, const Value& self, const std::string& name,
                                 const CallArgs& args) {
  if (self.is_string()) return CallStrMethod(r, self.string_value(), name, args);
  const std::string fn = absl::StrCat(self.TypeName(), ".", name);
  if (self.is_dict()) {
    const DictData& dict = self.dict();
    if (name == "get") {
      WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(fn, args, {"key", "default"}));
      if (!bound.has(0)) return Error("get expected at least 1 argument, got 0");
      WEFT_ASSIGN_OR_RETURN(std::string hash, HashKey(bound.get(0)));
      (void)hash;
      if (const Value* v = dict.Find(bound.get(0))) return *v;
      return bound.get_or(1, Value::None());
    }
    WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(fn, args, {}));
    (void)bound;
    if (name == "copy") return self;
    std::vector<Value> items;
    items.reserve(dict.size());
    for (const auto& [key, value] : dict.entries()) {
      if (name == "keys") {
        items.push_back(key);
      } else if (name == "values") {
        items.push_back(value);
      } else {
        WEFT_ASSIGN_OR_RETURN(Value pair, r.MakeList({key, value}, /*tuple=*/true));
        items.push_back(std::move(pair));
      }
    }
    return r.MakeSequence(std::move(items), name == "keys"     ? SeqKind::kDictKeys
                                            : name == "values" ? SeqKind::kDictValues
                                                               : SeqKind::kDictItems);
  }
  if (self.is_list()) {
    if (name == "copy") return self;
    if (args.positional.size() != 1 || !args.keyword.empty()) {
      return Error(absl::StrCat(fn, "() takes exactly one argument in weft's Jinja"));
    }
    WEFT_RETURN_IF_ERROR(r.Charge(self.weight()));
    int64_t count = 0;
    const auto& items = self.items();
    for (size_t i = 0; i < items.size(); ++i) {
      if (!Equals(items[i], args.positional[0])) continue;
      if (name == "index") return Value::Int(static_cast<int64_t>(i));
      ++count;
    }
    if (name == "index") return Error(absl::StrCat(self.TypeName(), ".index(x): x not in list"));
    return Value::Int(count);
  }
  return Error(absl::StrCat(fn, "() is not supported"));
}

absl::StatusOr<Value> BoundMethod::Call(CallArgs args, CallContext& ctx) const {
  return CallMethod(static_cast<Renderer&>(ctx), self_, name_, args);
}

absl::StatusOr<Value> ReplaceChecked(Renderer& r, const std::string& s, const std::string& from,
                                     const std::string& to, int64_t count) {
  // Bound the result before building it.
  int64_t hits = 0;
  if (from.empty()) {
    hits = py::Length(s) + 1;
  } else {
    for (size_t pos = s.find(from); pos != std::string::npos;
         pos = s.find(from, pos + from.size())) {
      ++hits;
    }
  }
  if (count >= 0) hits = std::min(hits, count);
  if (to.size() > from.size()) {
    const uint64_t growth = static_cast<uint64_t>(hits) * (to.size() - from.size());
    WEFT_RETURN_IF_ERROR(r.CheckStringSize(s.size() + std::min<uint64_t>(growth, SIZE_MAX / 2)));
  }
  return r.MakeString(py::Replace(s, from, to, count));
}

// --- Filters ------------------------------------------------------------------

absl::StatusOr<Value> FilterAbs(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("abs", args, {}));
  (void)bound;
  if (v.is_float()) return Value::Float(std::fabs(v.number_value()));
  if (v.is_int() || v.is_bool()) {
    if (v.int_value() == std::numeric_limits<int64_t>::min()) return IntOverflow();
    return Value::Int(std::abs(v.int_value()));
  }
  if (v.is_undefined()) return UndefinedError(v);
  return Error(absl::StrCat("bad operand type for abs(): '", v.TypeName(), "'"));
}

absl::StatusOr<Value> FilterAttr(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("attr", args, {"name"}));
  if (!bound.has(0)) return Error("attr() missing required argument 'name'");
  WEFT_ASSIGN_OR_RETURN(std::string name, ToStringArg(bound.get(0), "attribute name"));
  if (v.is_undefined()) return NoAttribute(v, name);
  return r.GetAttr(v, name, /*item_fallback=*/false);
}

absl::StatusOr<Value> FilterStringOp(Renderer& r, const Value& v, const CallArgs& args,
                                     absl::string_view name, std::string (*op)(absl::string_view)) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(name, args, {}));
  (void)bound;
  WEFT_ASSIGN_OR_RETURN(std::string s, r.ToStr(v));
  return r.MakeString(op(s));
}

absl::StatusOr<Value> FilterCapitalize(Renderer& r, const Value& v, const CallArgs& args) {
  return FilterStringOp(r, v, args, "capitalize", py::Capitalize);
}
absl::StatusOr<Value> FilterLower(Renderer& r, const Value& v, const CallArgs& args) {
  return FilterStringOp(r, v, args, "lower", py::Lower);
}
absl::StatusOr<Value> FilterUpper(Renderer& r, const Value& v, const CallArgs& args) {
  return FilterStringOp(r, v, args, "upper", py::Upper);
}
absl::StatusOr<Value> FilterTitle(Renderer& r, const Value& v, const CallArgs& args) {
  return FilterStringOp(r, v, args, "title", py::JinjaTitle);
}

absl::StatusOr<Value> FilterLength(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("length", args, {}));
  (void)bound;
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return Value::Int(0);
    case Value::Kind::kString:
      return Value::Int(py::Length(v.string_value()));
    case Value::Kind::kList:
      if (v.is_iterator()) break;
      return Value::Int(static_cast<int64_t>(v.items().size()));
    case Value::Kind::kDict:
      return Value::Int(static_cast<int64_t>(v.dict().size()));
    default:
      break;
  }
  return Error(absl::StrCat("object of type '", v.TypeName(), "' has no len()"));
}

absl::StatusOr<Value> FilterDefault(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound,
                        BoundArgs::Bind("default", args, {"default_value", "boolean"}));
  const bool boolean = bound.has(1) && bound.get(1).Truthy();
  if (v.is_undefined() || (boolean && !v.Truthy())) {
    return bound.get_or(0, Value::String(""));
  }
  return v;
}

// Sort key: the attribute (if any), lower-cased when a string and not
// case-sensitive.
absl::StatusOr<Value> SortKey(Renderer& r, const Value& item, const Value* attribute,
                              bool case_sensitive) {
  Value key = item;
  if (attribute != nullptr) {
    WEFT_ASSIGN_OR_RETURN(key, r.GetAttribute(item, *attribute));
  }
  if (!case_sensitive && key.is_string()) return Value::String(py::Lower(key.string_value()));
  return key;
}

absl::Status SortValues(Renderer& r, std::vector<std::pair<Value, Value>>* keyed, bool reverse) {
  absl::Status error;
  WEFT_RETURN_IF_ERROR(r.Charge(static_cast<int64_t>(keyed->size()) * 8));
  std::stable_sort(keyed->begin(), keyed->end(), [&](const auto& a, const auto& b) {
    if (!error.ok()) return false;
    absl::StatusOr<int> c = reverse ? Compare(b.first, a.first) : Compare(a.first, b.first);
    if (!c.ok()) {
      error = c.status();
      return false;
    }
    return *c < 0;
  });
  return error;
}

absl::StatusOr<Value> FilterDictsort(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound,
                        BoundArgs::Bind("dictsort", args, {"case_sensitive", "by", "reverse"}));
  if (!v.is_dict()) return Error("dictsort() requires a mapping");
  const bool case_sensitive = bound.has(0) && bound.get(0).Truthy();
  int pos = 0;
  if (bound.has(1)) {
    WEFT_ASSIGN_OR_RETURN(std::string by, ToStringArg(bound.get(1), "by"));
    if (by == "value") {
      pos = 1;
    } else if (by != "key") {
      return Error("You can only sort by either \"key\" or \"value\"");
    }
  }
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [key, value] : v.dict().entries()) {
    WEFT_ASSIGN_OR_RETURN(Value pair, r.MakeList({key, value}, /*tuple=*/true));
    WEFT_ASSIGN_OR_RETURN(Value sort_key,
                          SortKey(r, pos == 0 ? key : value, nullptr, case_sensitive));
    keyed.emplace_back(std::move(sort_key), std::move(pair));
  }
  WEFT_RETURN_IF_ERROR(SortValues(r, &keyed, bound.has(2) && bound.get(2).Truthy()));
  std::vector<Value> out;
  for (auto& [key, pair] : keyed) out.push_back(std::move(pair));
  return r.MakeList(std::move(out));
}

absl::StatusOr<Value> FilterEscape(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("escape", args, {}));
  (void)bound;
  WEFT_ASSIGN_OR_RETURN(std::string s, r.ToStr(v));
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return r.MakeString(std::move(out));
}

absl::StatusOr<Value> FilterFirstLast(Renderer& r, const Value& v, const CallArgs& args,
                                      bool first) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(first ? "first" : "last", args, {}));
  (void)bound;
  if (!first && v.is_iterator()) return Error("'generator' object is not reversible");
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  if (items.empty()) {
    return Value::Undefined(first ? "No first item, sequence was empty."
                                  : "No last item, sequence was empty.");
  }
  return first ? items.front() : items.back();
}
absl::StatusOr<Value> FilterFirst(Renderer& r, const Value& v, const CallArgs& args) {
  return FilterFirstLast(r, v, args, true);
}
absl::StatusOr<Value> FilterLast(Renderer& r, const Value& v, const CallArgs& args) {
  return FilterFirstLast(r, v, args, false);
}

absl::StatusOr<Value> FilterFloat(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("float", args, {"default"}));
  if (v.is_undefined()) return UndefinedError(v);
  if (v.is_number()) return Value::Float(v.number_value());
  if (v.is_string()) {
    if (std::optional<double> d = ParsePyFloat(v.string_value())) return Value::Float(*d);
  }
  return bound.get_or(0, Value::Float(0.0));
}

absl::StatusOr<Value> FilterInt(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("int", args, {"default", "base"}));
  const Value fallback = bound.get_or(0, Value::Int(0));
  if (v.is_undefined()) return UndefinedError(v);
  if (v.is_int() || v.is_bool()) return Value::Int(v.int_value());
  if (v.is_float()) {
    const double d = std::trunc(v.number_value());
    if (!std::isfinite(d)) return fallback;
    if (std::fabs(d) >= 9.2e18) return IntOverflow();
    return Value::Int(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    int64_t base = 10;
    if (bound.has(1)) {
      WEFT_ASSIGN_OR_RETURN(base, ToInt(bound.get(1), "base"));
      if (base < 2 || base > 36) return Error("int() base must be >= 2 and <= 36");
    }
    if (std::optional<int64_t> i = ParsePyInt(v.string_value(), static_cast<int>(base))) {
      return Value::Int(*i);
    }
    if (std::optional<double> d = ParsePyFloat(v.string_value())) {
      if (std::isfinite(*d) && std::fabs(*d) < 9.2e18) {
        return Value::Int(static_cast<int64_t>(std::trunc(*d)));
      }
    }
  }
  return fallback;
}

absl::StatusOr<Value> FilterFormat(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(std::string format, r.ToStr(v));
  if (!args.keyword.empty()) {
    return Error("format filter with keyword arguments is not supported");
  }
  WEFT_ASSIGN_OR_RETURN(Value tuple, r.MakeList(args.positional, /*tuple=*/true));
  return r.PercentFormat(format, tuple);
}

absl::StatusOr<Value> FilterIndent(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound,
                        BoundArgs::Bind("indent", args, {"width", "first", "blank"}));
  std::string indention = "    ";
  if (bound.has(0)) {
    const Value& width = bound.get(0);
    if (width.is_string()) {
      indention = width.string_value();
    } else {
      WEFT_ASSIGN_OR_RETURN(int64_t n, ToInt(width, "indent width"));
      WEFT_RETURN_IF_ERROR(r.CheckStringSize(static_cast<size_t>(std::max<int64_t>(n, 0))));
      indention = std::string(static_cast<size_t>(std::max<int64_t>(n, 0)), ' ');
    }
  }
  const bool first = bound.has(1) && bound.get(1).Truthy();
  const bool blank = bound.has(2) && bound.get(2).Truthy();
  // jinja2 appends "\n" to the value: only strings work.
  if (v.is_undefined()) return UndefinedError(v);
  if (!v.is_string()) {
    return Error(
        absl::StrCat("unsupported operand type(s) for +=: '", v.TypeName(), "' and 'str'"));
  }
  std::string s = v.string_value() + "\n";
  const std::vector<std::string> lines = py::SplitLines(s, false);
  WEFT_RETURN_IF_ERROR(r.CheckStringSize(s.size() + (lines.size() + 1) * indention.size()));
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += "\n";
      if (blank || !lines[i].empty()) out += indention;
    }
    out += lines[i];
  }
  if (first) out = indention + out;
  return r.MakeString(std::move(out));
}

absl::StatusOr<Value> FilterItems(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("items", args, {}));
  (void)bound;
  if (v.is_undefined()) return r.MakeSequence({}, SeqKind::kIterator);
  if (!v.is_dict()) return Error("Can only get item pairs from a mapping.");
  WEFT_ASSIGN_OR_RETURN(Value view, CallMethod(r, v, "items", CallArgs()));
  return r.MakeSequence(view.items(), SeqKind::kIterator);
}

absl::StatusOr<Value> FilterJoin(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("join", args, {"d", "attribute"}));
  std::string sep;
  if (bound.has(0)) {
    WEFT_ASSIGN_OR_RETURN(sep, r.ToStr(bound.get(0)));
  }
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    Value item = items[i];
    if (bound.given(1)) {
      WEFT_ASSIGN_OR_RETURN(item, r.GetAttribute(item, bound.get(1)));
    }
    WEFT_ASSIGN_OR_RETURN(std::string s, r.ToStr(item));
    if (i > 0) out += sep;
    out += s;
    WEFT_RETURN_IF_ERROR(r.CheckStringSize(out.size()));
  }
  return r.MakeString(std::move(out));
}

absl::StatusOr<Value> FilterList(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("list", args, {}));
  (void)bound;
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  return r.MakeList(std::move(items));
}

absl::StatusOr<Value> FilterMap(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  std::vector<Value> out;
  out.reserve(items.size());
  if (args.positional.empty()) {
    std::optional<Value> attribute;
    Value fallback = Value::None();
    for (const auto& [key, value] : args.keyword) {
      if (key == "attribute") {
        attribute = value;
      } else if (key == "default") {
        fallback = value;
      } else {
        return Error(absl::StrCat("Unexpected keyword argument '", key, "'"));
      }
    }
    if (!attribute.has_value()) return Error("map requires a filter argument");
    for (const Value& item : items) {
      WEFT_ASSIGN_OR_RETURN(Value mapped, r.GetAttribute(item, *attribute));
      if (mapped.is_undefined() && !fallback.is_none()) mapped = fallback;
      out.push_back(std::move(mapped));
    }
    return r.MakeSequence(std::move(out), SeqKind::kIterator);
  }
  WEFT_ASSIGN_OR_RETURN(std::string name, ToStringArg(args.positional[0], "map filter name"));
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keyword = args.keyword;
  for (const Value& item : items) {
    WEFT_ASSIGN_OR_RETURN(Value mapped, r.ApplyFilter(name, item, rest));
    out.push_back(std::move(mapped));
  }
  return r.MakeSequence(std::move(out), SeqKind::kIterator);
}

absl::StatusOr<Value> FilterMinMax(Renderer& r, const Value& v, const CallArgs& args, bool max) {
  WEFT_ASSIGN_OR_RETURN(
      BoundArgs bound, BoundArgs::Bind(max ? "max" : "min", args, {"case_sensitive", "attribute"}));
  const bool case_sensitive = bound.has(0) && bound.get(0).Truthy();
  const Value* attribute = bound.given(1) ? &bound.get(1) : nullptr;
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  if (items.empty()) return Value::Undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  WEFT_ASSIGN_OR_RETURN(Value best_key, SortKey(r, items[0], attribute, case_sensitive));
  for (size_t i = 1; i < items.size(); ++i) {
    WEFT_ASSIGN_OR_RETURN(Value key, SortKey(r, items[i], attribute, case_sensitive));
    WEFT_ASSIGN_OR_RETURN(int c, Compare(key, best_key));
    if (max ? c > 0 : c < 0) {
      best = i;
      best_key = std::move(key);
    }
  }
  return items[best];
}
absl::StatusOr<Value> FilterMax(Renderer& r, const Value& v, const CallArgs& args) {
  return FilterMinMax(r, v, args, true);
}
absl::StatusOr<Value> FilterMin(Renderer& r, const Value& v, const CallArgs& args) {
  return FilterMinMax(r, v, args, false);
}

// select / reject / selectattr / rejectattr.
absl::StatusOr<Value> SelectOrReject(Renderer& r, const Value& v, const CallArgs& args, bool select,
                                     bool lookup_attr) {
  if (!v.Truthy()) return r.MakeSequence({}, SeqKind::kIterator);
  size_t offset = 0;
  std::optional<Value> attribute;
  if (lookup_attr) {
    if (args.positional.empty()) return Error("Missing parameter for attribute name");
    attribute = args.positional[0];
    offset = 1;
  }
  std::optional<std::string> test;
  CallArgs test_args;
  if (args.positional.size() > offset) {
    WEFT_ASSIGN_OR_RETURN(test, ToStringArg(args.positional[offset], "test name"));
    test_args.positional.assign(args.positional.begin() + offset + 1, args.positional.end());
    test_args.keyword = args.keyword;
  }
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  std::vector<Value> out;
  for (Value& item : items) {
    Value subject = item;
    if (attribute.has_value()) {
      WEFT_ASSIGN_OR_RETURN(subject, r.GetAttribute(item, *attribute));
    }
    bool passed;
    if (test.has_value()) {
      WEFT_ASSIGN_OR_RETURN(passed, r.ApplyTest(*test, subject, test_args));
    } else {
      passed = subject.Truthy();
    }
    if (passed == select) out.push_back(std::move(item));
  }
  return r.MakeSequence(std::move(out), SeqKind::kIterator);
}
absl::StatusOr<Value> FilterSelect(Renderer& r, const Value& v, const CallArgs& args) {
  return SelectOrReject(r, v, args, true, false);
}
absl::StatusOr<Value> FilterReject(Renderer& r, const Value& v, const CallArgs& args) {
  return SelectOrReject(r, v, args, false, false);
}
absl::StatusOr<Value> FilterSelectAttr(Renderer& r, const Value& v, const CallArgs& args) {
  return SelectOrReject(r, v, args, true, true);
}
absl::StatusOr<Value> FilterRejectAttr(Renderer& r, const Value& v, const CallArgs& args) {
  return SelectOrReject(r, v, args, false, true);
}

absl::StatusOr<Value> FilterReplace(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("replace", args, {"old", "new", "count"}));
  if (!bound.has(0) || !bound.has(1)) return Error("replace() expects at least 2 arguments");
  WEFT_ASSIGN_OR_RETURN(std::string s, r.ToStr(v));
  WEFT_ASSIGN_OR_RETURN(std::string from, r.ToStr(bound.get(0)));
  WEFT_ASSIGN_OR_RETURN(std::string to, r.ToStr(bound.get(1)));
  int64_t count = -1;
  if (bound.given(2)) {
    WEFT_ASSIGN_OR_RETURN(count, ToInt(bound.get(2), "count"));
  }
  return ReplaceChecked(r, s, from, to, count);
}

absl::StatusOr<Value> FilterReverse(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("reverse", args, {}));
  (void)bound;
  if (v.is_string()) {
    std::u32string cps = py::Decode(v.string_value());
    std::reverse(cps.begin(), cps.end());
    return r.MakeString(py::Encode(cps));
  }
  // reversed() where Python has it (an iterator), else a reversed list.
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  std::reverse(items.begin(), items.end());
  return r.MakeSequence(std::move(items), v.is_iterator() ? SeqKind::kList : SeqKind::kIterator);
}

absl::StatusOr<Value> FilterRound(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("round", args, {"precision", "method"}));
  int64_t precision = 0;
  if (bound.has(0)) {
    WEFT_ASSIGN_OR_RETURN(precision, ToInt(bound.get(0), "precision"));
  }
  std::string method = "common";
  if (bound.has(1)) {
    WEFT_ASSIGN_OR_RETURN(method, ToStringArg(bound.get(1), "method"));
  }
  if (method != "common" && method != "ceil" && method != "floor") {
    return Error("method must be common, ceil or floor");
  }
  if (!v.is_number()) {
    if (v.is_undefined()) return UndefinedError(v);
    return Error(absl::StrCat("type ", v.TypeName(), " doesn't define __round__ method"));
  }
  if (method == "common" && !v.is_float() && precision >= 0) return Value::Int(v.int_value());
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.number_value() * scale;
  double rounded;
  if (method == "ceil") {
    rounded = std::ceil(x);
  } else if (method == "floor") {
    rounded = std::floor(x);
  } else {
    rounded = std::nearbyint(x);  // Ties to even, as Python's round().
  }
  return Value::Float(rounded / scale);
}

absl::StatusOr<Value> FilterSafe(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("safe", args, {}));
  (void)bound;
  return v;
}

absl::StatusOr<Value> FilterSort(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound,
                        BoundArgs::Bind("sort", args, {"reverse", "case_sensitive", "attribute"}));
  const bool reverse = bound.has(0) && bound.get(0).Truthy();
  const bool case_sensitive = bound.has(1) && bound.get(1).Truthy();
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  std::vector<Value> attributes;
  if (bound.given(2)) {
    if (bound.get(2).is_string()) {
      for (const absl::string_view part : absl::StrSplit(bound.get(2).string_value(), ',')) {
        attributes.push_back(Value::String(std::string(part)));
      }
    } else {
      attributes.push_back(bound.get(2));
    }
  }
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) {
    Value key;
    if (attributes.size() <= 1) {
      WEFT_ASSIGN_OR_RETURN(
          key, SortKey(r, item, attributes.empty() ? nullptr : &attributes[0], case_sensitive));
    } else {
      std::vector<Value> parts;
      for (const Value& attribute : attributes) {
        WEFT_ASSIGN_OR_RETURN(Value part, SortKey(r, item, &attribute, case_sensitive));
        parts.push_back(std::move(part));
      }
      WEFT_ASSIGN_OR_RETURN(key, r.MakeList(std::move(parts)));
    }
    keyed.emplace_back(std::move(key), std::move(item));
  }
  WEFT_RETURN_IF_ERROR(SortValues(r, &keyed, reverse));
  std::vector<Value> out;
  for (auto& [key, item] : keyed) out.push_back(std::move(item));
  return r.MakeList(std::move(out));
}

absl::StatusOr<Value> FilterString(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("string", args, {}));
  (void)bound;
  if (v.is_string()) return v;
  WEFT_ASSIGN_OR_RETURN(std::string s, r.ToStr(v));
  return r.MakeString(std::move(s));
}

absl::StatusOr<Value> FilterSum(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("sum", args, {"attribute", "start"}));
  Value total = bound.get_or(1, Value::Int(0));
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  for (const Value& item : items) {
    Value x = item;
    if (bound.given(0)) {
      WEFT_ASSIGN_OR_RETURN(x, r.GetAttribute(item, bound.get(0)));
    }
    if (total.is_string() || x.is_string()) {
      return Error("sum() can't sum strings [use ''.join(seq) instead]");
    }
    WEFT_ASSIGN_OR_RETURN(total, r.Binary("+", total, x));
  }
  return total;
}

absl::StatusOr<Value> FilterTojson(Renderer& r, const Value& v, const CallArgs& args) {
  // transformers: tojson(x, ensure_ascii=False, indent=None, separators=None,
  // sort_keys=False).
  WEFT_ASSIGN_OR_RETURN(
      BoundArgs bound,
      BoundArgs::Bind("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"}));
  JsonDumpOptions options;
  options.ensure_ascii = bound.has(0) && bound.get(0).Truthy();
  if (bound.given(1)) {
    const Value& indent = bound.get(1);
    if (indent.is_string()) {
      options.indent = indent.string_value();
    } else {
      WEFT_ASSIGN_OR_RETURN(int64_t n, ToInt(indent, "indent"));
      WEFT_RETURN_IF_ERROR(r.CheckStringSize(static_cast<size_t>(std::max<int64_t>(n, 0))));
      options.indent = std::string(static_cast<size_t>(std::max<int64_t>(n, 0)), ' ');
    }
  }
  if (bound.given(2)) {
    const Value& separators = bound.get(2);
    if (!separators.is_list_or_tuple() || separators.items().size() != 2 ||
        !separators.items()[0].is_string() || !separators.items()[1].is_string()) {
      return Error("tojson separators must be a pair of strings");
    }
    options.separators.emplace(separators.items()[0].string_value(),
                               separators.items()[1].string_value());
  }
  options.sort_keys = bound.has(3) && bound.get(3).Truthy();
  options.max_bytes = r.options().max_output_bytes;
  WEFT_RETURN_IF_ERROR(r.Charge(v.weight()));
  WEFT_ASSIGN_OR_RETURN(std::string json, JsonDumps(v, options));
  return r.MakeString(std::move(json));
}

absl::StatusOr<Value> FilterTrim(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("trim", args, {"chars"}));
  WEFT_ASSIGN_OR_RETURN(std::optional<std::string> chars, OptionalChars(bound, 0));
  WEFT_ASSIGN_OR_RETURN(std::string s, r.ToStr(v));
  return r.MakeString(py::Strip(s, chars, true, true));
}

absl::StatusOr<Value> FilterUnique(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound,
                        BoundArgs::Bind("unique", args, {"case_sensitive", "attribute"}));
  const bool case_sensitive = bound.has(0) && bound.get(0).Truthy();
  const Value* attribute = bound.given(1) ? &bound.get(1) : nullptr;
  WEFT_ASSIGN_OR_RETURN(std::vector<Value> items, r.Iterate(v));
  absl::flat_hash_set<std::string> seen;
  std::vector<Value> out;
  for (Value& item : items) {
    WEFT_ASSIGN_OR_RETURN(Value key, SortKey(r, item, attribute, case_sensitive));
    WEFT_ASSIGN_OR_RETURN(std::string hash, HashKey(key));
    if (seen.insert(std::move(hash)).second) out.push_back(std::move(item));
  }
  return r.MakeSequence(std::move(out), SeqKind::kIterator);
}

const absl::flat_hash_map<std::string, FilterFn>& Filters() {
  static const auto* const kFilters = new absl::flat_hash_map<std::string, FilterFn>{
      {"abs", FilterAbs},
      {"attr", FilterAttr},
      {"capitalize", FilterCapitalize},
      {"count", FilterLength},
      {"d", FilterDefault},
      {"default", FilterDefault},
      {"dictsort", FilterDictsort},
      {"e", FilterEscape},
      {"escape", FilterEscape},
      {"first", FilterFirst},
      {"float", FilterFloat},
      {"format", FilterFormat},
      {"indent", FilterIndent},
      {"int", FilterInt},
      {"items", FilterItems},
      {"join", FilterJoin},
      {"last", FilterLast},
      {"length", FilterLength},
      {"list", FilterList},
      {"lower", FilterLower},
      {"map", FilterMap},
      {"max", FilterMax},
      {"min", FilterMin},
      {"reject", FilterReject},
      {"rejectattr", FilterRejectAttr},
      {"replace", FilterReplace},
      {"reverse", FilterReverse},
      {"round", FilterRound},
      {"safe", FilterSafe},
      {"select", FilterSelect},
      {"selectattr", FilterSelectAttr},
      {"sort", FilterSort},
      {"string", FilterString},
      {"sum", FilterSum},
      {"title", FilterTitle},
      {"tojson", FilterTojson},
      {"trim", FilterTrim},
      {"unique", FilterUnique},
      {"upper", FilterUpper},
  };
  return *kFilters;
}

// --- Tests --------------------------------------------------------------------

absl::StatusOr<Value> OneArg(absl::string_view test, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(test, args, {"other"}));
  if (!bound.has(0)) return Error(absl::StrCat("test '", test, "' requires an argument"));
  return bound.get(0);
}

absl::Status NoArgs(absl::string_view test, const CallArgs& args) {
  return BoundArgs::Bind(test, args, {}).status();
}

#define WEFT_SIMPLE_TEST(fn_name, test_name, expr)                                  \
  absl::StatusOr<bool> fn_name(Renderer& r, const Value& v, const CallArgs& args) { \
    WEFT_RETURN_IF_ERROR(NoArgs(test_name, args));                                  \
    return (expr);                                                                  \
  }

WEFT_SIMPLE_TEST(TestDefined, "defined", !v.is_undefined())
WEFT_SIMPLE_TEST(TestUndefined, "undefined", v.is_undefined())
WEFT_SIMPLE_TEST(TestNone, "none", v.is_none())
WEFT_SIMPLE_TEST(TestBoolean, "boolean", v.is_bool())
WEFT_SIMPLE_TEST(TestTrue, "true", v.is_bool() && v.bool_value())
WEFT_SIMPLE_TEST(TestFalse, "false", v.is_bool() && !v.bool_value())
WEFT_SIMPLE_TEST(TestInteger, "integer", v.is_int())
WEFT_SIMPLE_TEST(TestFloat, "float", v.is_float())
WEFT_SIMPLE_TEST(TestNumber, "number", v.is_number())
WEFT_SIMPLE_TEST(TestString, "string", v.is_string())
WEFT_SIMPLE_TEST(TestMapping, "mapping", v.is_dict())
WEFT_SIMPLE_TEST(TestIterable, "iterable",
                 v.is_undefined() || v.is_string() || v.is_list() || v.is_dict())
WEFT_SIMPLE_TEST(TestSequence, "sequence",
                 v.is_undefined() || v.is_string() || v.is_list_or_tuple() || v.is_dict())
WEFT_SIMPLE_TEST(TestCallable, "callable", v.is_callable() || v.is_undefined())
WEFT_SIMPLE_TEST(TestEscaped, "escaped", false)

#undef WEFT_SIMPLE_TEST

absl::StatusOr<bool> TestLowerUpper(Renderer& r, const Value& v, const CallArgs& args, bool lower) {
  WEFT_RETURN_IF_ERROR(NoArgs(lower ? "lower" : "upper", args));
  WEFT_ASSIGN_OR_RETURN(std::string s, r.ToStr(v));
  WEFT_ASSIGN_OR_RETURN(Value result,
                        CallStrMethod(r, s, lower ? "islower" : "isupper", CallArgs()));
  return result.bool_value();
}
absl::StatusOr<bool> TestLower(Renderer& r, const Value& v, const CallArgs& args) {
  return TestLowerUpper(r, v, args, true);
}
absl::StatusOr<bool> TestUpper(Renderer& r, const Value& v, const CallArgs& args) {
  return TestLowerUpper(r, v, args, false);
}

absl::StatusOr<bool> TestOddEven(Renderer& r, const Value& v, const CallArgs& args, bool odd) {
  WEFT_RETURN_IF_ERROR(NoArgs(odd ? "odd" : "even", args));
  WEFT_ASSIGN_OR_RETURN(Value mod, r.Binary("%", v, Value::Int(2)));
  return Equals(mod, Value::Int(odd ? 1 : 0));
}
absl::StatusOr<bool> TestOdd(Renderer& r, const Value& v, const CallArgs& args) {
  return TestOddEven(r, v, args, true);
}
absl::StatusOr<bool> TestEven(Renderer& r, const Value& v, const CallArgs& args) {
  return TestOddEven(r, v, args, false);
}

absl::StatusOr<bool> TestDivisibleBy(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(Value num, OneArg("divisibleby", args));
  WEFT_ASSIGN_OR_RETURN(Value mod, r.Binary("%", v, num));
  return Equals(mod, Value::Int(0));
}

absl::StatusOr<bool> TestCompare(Renderer& r, const Value& v, const CallArgs& args,
                                 const char* op) {
  WEFT_ASSIGN_OR_RETURN(Value other, OneArg(op, args));
  return r.CompareOp(op, v, other);
}
absl::StatusOr<bool> TestEq(Renderer& r, const Value& v, const CallArgs& args) {
  return TestCompare(r, v, args, "==");
}
absl::StatusOr<bool> TestNe(Renderer& r, const Value& v, const CallArgs& args) {
  return TestCompare(r, v, args, "!=");
}
absl::StatusOr<bool> TestLt(Renderer& r, const Value& v, const CallArgs& args) {
  return TestCompare(r, v, args, "<");
}
absl::StatusOr<bool> TestLe(Renderer& r, const Value& v, const CallArgs& args) {
  return TestCompare(r, v, args, "<=");
}
absl::StatusOr<bool> TestGt(Renderer& r, const Value& v, const CallArgs& args) {
  return TestCompare(r, v, args, ">");
}
absl::StatusOr<bool> TestGe(Renderer& r, const Value& v, const CallArgs& args) {
  return TestCompare(r, v, args, ">=");
}

absl::StatusOr<bool> TestIn(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(Value seq, OneArg("in", args));
  return r.Contains(seq, v);
}

absl::StatusOr<bool> TestSameAs(Renderer& r, const Value& v, const CallArgs& args) {
  WEFT_ASSIGN_OR_RETURN(Value other, OneArg("sameas", args));
  if (v.kind() != other.kind()) return false;
  switch (v.kind()) {
    case Value::Kind::kNone:
    case Value::Kind::kUndefined:
      return v.is_none();
    case Value::Kind::kBool:
    case Value::Kind::kInt:
      return v.int_value() == other.int_value();
    case Value::Kind::kList:
      return &v.list() == &other.list();
    case Value::Kind::kDict:
      return &v.dict() == &other.dict();
    case Value::Kind::kNamespace:
      return &v.ns() == &other.ns();
    case Value::Kind::kString:
      return v.string_value() == other.string_value();
    default:
      return Equals(v, other);
  }
}

absl::StatusOr<bool> TestFilterOrTest(Renderer& r, const Value& v, const CallArgs& args,
                                      bool filter) {
  if (!args.positional.empty() || !args.keyword.empty()) {
    return Error("this test takes no arguments");
  }
  if (!v.is_string()) return false;
  return filter ? Filters().contains(v.string_value()) : Tests().contains(v.string_value());
}
absl::StatusOr<bool> TestFilter(Renderer& r, const Value& v, const CallArgs& args) {
  return TestFilterOrTest(r, v, args, true);
}
absl::StatusOr<bool> TestTest(Renderer& r, const Value& v, const CallArgs& args) {
  return TestFilterOrTest(r, v, args, false);
}

const absl::flat_hash_map<std::string, TestFn>& Tests() {
  static const auto* const kTests = new absl::flat_hash_map<std::string, TestFn>{
      {"boolean", TestBoolean},
      {"callable", TestCallable},
      {"defined", TestDefined},
      {"divisibleby", TestDivisibleBy},
      {"eq", TestEq},
      {"equalto", TestEq},
      {"escaped", TestEscaped},
      {"even", TestEven},
      {"false", TestFalse},
      {"filter", TestFilter},
      {"float", TestFloat},
      {"ge", TestGe},
      {"greaterthan", TestGt},
      {"gt", TestGt},
      {"in", TestIn},
      {"integer", TestInteger},
      {"iterable", TestIterable},
      {"le", TestLe},
      {"lessthan", TestLt},
      {"lower", TestLower},
      {"lt", TestLt},
      {"mapping", TestMapping},
      {"ne", TestNe},
      {"none", TestNone},
      {"number", TestNumber},
      {"odd", TestOdd},
      {"sameas", TestSameAs},
      {"sequence", TestSequence},
      {"string", TestString},
      {"test", TestTest},
      {"true", TestTrue},
      {"undefined", TestUndefined},
      {"upper", TestUpper},
      {"==", TestEq},
      {"!=", TestNe},
      {"<", TestLt},
      {"<=", TestLe},
      {">", TestGt},
      {">=", TestGe},
  };
  return *kTests;
}

// --- Validation ---------------------------------------------------------------

absl::Status ValidateExpr(const Expr* e) {
  if (e == nullptr) return absl::OkStatus();
  if (e->kind == ExprKind::kFilter && !Filters().contains(e->name)) {
    if (IsUnsupportedFilter(e->name)) {
      return Locate(Error(absl::StrCat("the '", e->name, "' filter is not supported")),
                    e->location);
    }
    return Locate(Error(absl::StrCat("unknown filter '", e->name, "'")), e->location);
  }
  if (e->kind == ExprKind::kTest && !Tests().contains(e->name)) {
    return Locate(Error(absl::StrCat("unknown test '", e->name, "'")), e->location);
  }
  for (const auto& child : e->children) WEFT_RETURN_IF_ERROR(ValidateExpr(child.get()));
  for (const auto& [key, value] : e->kwargs) WEFT_RETURN_IF_ERROR(ValidateExpr(value.get()));
  return absl::OkStatus();
}

absl::Status ValidateBody(const std::vector<NodePtr>& body) {
  for (const NodePtr& node : body) {
    for (const auto& e : node->exprs) WEFT_RETURN_IF_ERROR(ValidateExpr(e.get()));
    for (const auto& d : node->defaults) WEFT_RETURN_IF_ERROR(ValidateExpr(d.get()));
    WEFT_RETURN_IF_ERROR(ValidateExpr(node->filter.get()));
    for (const auto& b : node->bodies) WEFT_RETURN_IF_ERROR(ValidateBody(b));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTemplate(const TemplateAst& ast) { return ValidateBody(ast.body); }

bool IsRaisedException(const absl::Status& status) {
  return status.GetPayload(kRaisedPayload).has_value();
}

absl::StatusOr<Template> Template::Parse(absl::string_view source, const LexerOptions& options) {
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<TemplateAst> ast, ParseTemplate(source, options));
  absl::Status valid = ValidateTemplate(*ast);
  if (!valid.ok()) {
    valid.ErasePayload(kLocatedPayload);
    return valid;
  }
  return Template(std::shared_ptr<const TemplateAst>(std::move(ast)));
}

absl::StatusOr<std::string> Template::Render(const Context& context,
                                             const RenderOptions& options) const {
  Renderer renderer(options);
  absl::StatusOr<std::string> out = renderer.Render(*ast_, context);
  if (!out.ok()) {
    absl::Status status = out.status();
    status.ErasePayload(kLocatedPayload);  // Internal bookkeeping only.
    return status;
  }
  return out;
}

}  // namespace weft::chat::jinja
