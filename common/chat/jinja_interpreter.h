// Renders a parsed Jinja template the way transformers' chat-template
// environment does: jinja2.sandbox.ImmutableSandboxedEnvironment with
// trim_blocks, lstrip_blocks and the loopcontrols extension, plus the
// globals raise_exception(msg) and strftime_now(fmt) and transformers' own
// `tojson` filter (json.dumps(x, ensure_ascii=False, indent=None,
// separators=None, sort_keys=False)).
//
// Semantics follow jinja2's: default Undefined (prints "", is falsy and
// iterates as empty; attribute access, calls and arithmetic on it fail),
// Python operators and truthiness, per-iteration for-loop scopes (a `set`
// inside a loop does not outlive the iteration; use namespace()), macros with
// defaults / varargs / kwargs, and the sandbox's immutability (list.append,
// dict.update, ... are errors; range() is limited to 100000 items).
//
// Statements: see jinja_parser.h. Globals: range, namespace, dict,
// raise_exception, strftime_now (lipsum, cycler and joiner fail when called).
// Filters: abs attr capitalize count d default dictsort e escape first float
//   format indent int items join last length list lower map max min reject
//   rejectattr replace reverse round safe select selectattr sort string sum
//   title tojson trim unique upper. Other jinja2 filters (batch, center,
//   groupby, truncate, wordwrap, ...) and unknown names are parse errors.
// Tests: boolean callable defined divisibleby eq equalto escaped even false
//   filter float ge greaterthan gt in integer iterable le lessthan lower lt
//   mapping ne none number odd sameas sequence string test true undefined
//   upper, and == != < <= > >= (by name, for select / selectattr).
// Methods: str.{capitalize count endswith find format index isalnum isalpha
//   isdigit islower isspace isupper join lower lstrip partition removeprefix
//   removesuffix replace rfind rindex rpartition rsplit rstrip split
//   splitlines startswith strip title upper} (other str methods fail, naming
//   the method), dict.{get items keys values copy}, list.{index count copy},
//   loop.{index index0 revindex revindex0 first last length depth depth0
//   previtem nextitem cycle}. `str % args` and |format support
//   %[(key)][flags][width][.precision] with s r a d i u x X o c e E f F g G.
//
// Deviations from jinja2: str case mapping is one-to-one for common scripts
// (py_str.h); `safe` and `escape` return plain strings (no Markup); ints are
// 64-bit (overflow is an error); the iterators select/map/... return can be
// iterated more than once, and errors inside them are raised when the filter
// runs rather than when the iterator is consumed; unknown filters and tests
// are parse errors even in branches that never run.
//
// Every error is an absl::Status whose message starts with the template
// location, "line L:C: ...". Resource limits (RenderOptions) fail with
// ResourceExhausted.
#ifndef WEFT_COMMON_CHAT_JINJA_INTERPRETER_H_
#define WEFT_COMMON_CHAT_JINJA_INTERPRETER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/chat/jinja_lexer.h"
#include "common/chat/jinja_parser.h"
#include "common/chat/jinja_value.h"

namespace weft::chat::jinja {

struct RenderOptions {
  // Largest output, and largest string any expression may build.
  size_t max_output_bytes = size_t{16} << 20;
  // Total for-loop iterations per render.
  int64_t max_loop_iterations = int64_t{1} << 20;
  // Evaluation budget per render: one unit per expression and statement,
  // plus one per 64 bytes of strings built and per container element.
  int64_t max_steps = 50'000'000;
  // Nested macro calls.
  int max_call_depth = 64;
  // For strftime_now(); absl::Now() in the local time zone when unset.
  std::function<absl::Time()> now;
  absl::TimeZone time_zone = absl::LocalTimeZone();
};

// Variables a template is rendered with.
using Context = absl::flat_hash_map<std::string, Value>;

// Builtins (and macros) receive this; it is the render in progress.
class CallContext {
 public:
  virtual ~CallContext() = default;
  // Charges `units` of work; ResourceExhausted once the budget is spent.
  virtual absl::Status Charge(int64_t units) = 0;
  // A string value, or ResourceExhausted past max_output_bytes.
  virtual absl::StatusOr<Value> MakeString(std::string s) = 0;
};

class Template {
 public:
  // Parses `source` and checks that every filter and test it names is
  // supported. Errors are InvalidArgument "line L:C: ...".
  static absl::StatusOr<Template> Parse(absl::string_view source, const LexerOptions& options = {});

  absl::StatusOr<std::string> Render(const Context& context,
                                     const RenderOptions& options = {}) const;

 private:
  explicit Template(std::shared_ptr<const TemplateAst> ast) : ast_(std::move(ast)) {}
  std::shared_ptr<const TemplateAst> ast_;
};

// Fails for the first filter or test name the interpreter does not support.
absl::Status ValidateTemplate(const TemplateAst& ast);

// Whether `status` came from the template calling raise_exception().
bool IsRaisedException(const absl::Status& status);

}  // namespace weft::chat::jinja

#endif  // WEFT_COMMON_CHAT_JINJA_INTERPRETER_H_
