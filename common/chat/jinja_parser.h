// Parses Jinja template source into an AST, following jinja2/parser.py's
// grammar and operator precedence (lowest first):
//   a if c else b;  or;  and;  not;  comparisons (== != < <= > >= in, not in,
//   chained like Python);  + -;  ~;  * / // %;  **;  unary - +;
//   then postfix .attr [index] [a:b:c] (call) |filter `is` test.
// Literals: strings (adjacent ones concatenate), ints, floats, true/false/
// none (any case Jinja accepts), lists, tuples, dicts.
//
// Statements: if/elif/else, for (tuple targets, `if` filter, else, loop
// variable), set (names, tuples, namespace attributes, block form with
// filters), macro, filter blocks, with, break/continue (loopcontrols, which
// transformers enables), print, and transformers' {% generation %} block.
// Anything else (include, extends, import, from, block, call, autoescape, do,
// recursive loops, *args/**kwargs in calls, nested tuple targets) is an
// InvalidArgument error "line L:C: <construct> is not supported".
#ifndef WEFT_COMMON_CHAT_JINJA_PARSER_H_
#define WEFT_COMMON_CHAT_JINJA_PARSER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/chat/jinja_lexer.h"
#include "common/chat/jinja_value.h"

namespace weft::chat::jinja {

enum class ExprKind {
  kLiteral,   // `literal`.
  kName,      // `name`.
  kList,      // children: items.
  kTuple,     // children: items.
  kDict,      // children: key0, value0, key1, value1, ...
  kGetAttr,   // children[0].name
  kGetItem,   // children[0][children[1]]
  kSlice,     // children[0][children[1]:children[2]:children[3]]; absent parts null.
  kCall,      // children[0](children[1..], kwargs)
  kFilter,    // children[0]|name(children[1..], kwargs); children[0] null in filter blocks.
  kTest,      // children[0] is [not] name(children[1..], kwargs); `negated`.
  kNot,       // not children[0]
  kNeg,       // -children[0]
  kPos,       // +children[0]
  kBinary,    // children[0] op children[1]; op one of + - * / // % **
  kConcat,    // children[0] ~ children[1] ~ ...
  kAnd,       // children[0] and children[1]
  kOr,        // children[0] or children[1]
  kCompare,   // children[0] compare_ops[0] children[1] compare_ops[1] children[2] ...
  kCondExpr,  // children[0] if children[1] else children[2] (null: undefined).
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  SourceLocation location;
  Value literal;
  std::string name;
  std::string op;
  std::vector<std::unique_ptr<Expr>> children;
  std::vector<std::pair<std::string, std::unique_ptr<Expr>>> kwargs;
  // ==, !=, <, <=, >, >=, in, notin.
  std::vector<std::string> compare_ops;
  bool negated = false;
};
using ExprPtr = std::unique_ptr<Expr>;

// An assignment target: `x`, `ns.attr`, or a tuple of those.
struct Target {
  struct Item {
    std::string name;
    std::string attr;  // Non-empty for `name.attr` (namespace assignment).
  };
  std::vector<Item> items;
  bool is_tuple = false;
};

enum class NodeKind {
  kText,         // `text`.
  kOutput,       // Print exprs[0].
  kIf,           // exprs: conditions; bodies: one per condition, then else.
  kFor,          // target in exprs[0] [if exprs[1]]; bodies: [body, else].
  kSet,          // target = exprs[0].
  kSetBlock,     // target = bodies[0] rendered, through `filter` if set.
  kMacro,        // `name`(params = defaults): bodies[0].
  kFilterBlock,  // bodies[0] rendered through `filter`.
  kWith,         // with_targets = exprs: bodies[0].
  kScope,        // bodies[0] in a new scope ({% generation %}).
  kBreak,
  kContinue,
};

struct Node {
  NodeKind kind = NodeKind::kText;
  SourceLocation location;
  std::string text;
  std::vector<ExprPtr> exprs;
  std::vector<std::vector<std::unique_ptr<Node>>> bodies;
  Target target;
  std::vector<Target> with_targets;
  ExprPtr filter;
  // Macros.
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // One per param; null: no default.
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool has_else = false;  // kIf.
};
using NodePtr = std::unique_ptr<Node>;

struct TemplateAst {
  std::vector<NodePtr> body;
};

// Parses a whole template. Errors are InvalidArgument "line L:C: <what>".
// Filter and test names are not checked here (the interpreter's
// ValidateTemplate does).
absl::StatusOr<std::unique_ptr<TemplateAst>> ParseTemplate(absl::string_view source,
                                                           const LexerOptions& options = {});

}  // namespace weft::chat::jinja

#endif  // WEFT_COMMON_CHAT_JINJA_PARSER_H_
