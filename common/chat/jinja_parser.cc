// Parses Jinja template source into an AST, function by function after
// jinja2/parser.py.
#include "common/chat/jinja_parser.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_macros.h"

namespace weft::chat::jinja {
namespace {

// Deeper expression or statement nesting is an error (jinja2 itself would
// hit Python's recursion limit). Operator and postfix chains count too
// (`a + b + c` nests), so every AST, and the recursion that walks it, is
// bounded.
constexpr int kMaxNesting = 200;

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kText:
      return "template data";
    case TokenKind::kVariableBegin:
      return "begin of print statement '{{'";
    case TokenKind::kVariableEnd:
      return "end of print statement '}}'";
    case TokenKind::kBlockBegin:
      return "begin of statement block '{%'";
    case TokenKind::kBlockEnd:
      return "end of statement block '%}'";
    case TokenKind::kName:
    case TokenKind::kOperator:
      return absl::StrCat("'", token.text, "'");
    case TokenKind::kString:
      return "string literal";
    case TokenKind::kInteger:
    case TokenKind::kFloat:
      return absl::StrCat("number ", token.text);
    case TokenKind::kEof:
      return "end of template";
  }
  return "token";
}

// Names a macro body refers to, to know whether it takes varargs / kwargs.
void CollectNames(const Expr* e, absl::flat_hash_set<std::string>* names) {
  if (e == nullptr) return;
  if (e->kind == ExprKind::kName) names->insert(e->name);
  for (const auto& child : e->children) CollectNames(child.get(), names);
  for (const auto& [key, value] : e->kwargs) CollectNames(value.get(), names);
}

void CollectNames(const std::vector<NodePtr>& body, absl::flat_hash_set<std::string>* names) {
  for (const auto& node : body) {
    for (const auto& e : node->exprs) CollectNames(e.get(), names);
    for (const auto& b : node->bodies) CollectNames(b, names);
    CollectNames(node->filter.get(), names);
    for (const auto& d : node->defaults) CollectNames(d.get(), names);
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  absl::StatusOr<std::unique_ptr<TemplateAst>> Run() {
    auto ast = std::make_unique<TemplateAst>();
    WEFT_ASSIGN_OR_RETURN(ast->body, ParseBody({}));
    if (Current().kind != TokenKind::kEof) return Unexpected(Current());
    return ast;
  }

 private:
  // --- Token stream ---------------------------------------------------------

  const Token& Current() const { return tokens_[pos_]; }
  const Token& Peek(size_t n = 1) const { return tokens_[std::min(pos_ + n, tokens_.size() - 1)]; }
  const Token& Next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool IsName(absl::string_view name) const {
    return Current().kind == TokenKind::kName && Current().text == name;
  }
  bool IsOp(absl::string_view op) const {
    return Current().kind == TokenKind::kOperator && Current().text == op;
  }
  bool SkipName(absl::string_view name) {
    if (!IsName(name)) return false;
    Next();
    return true;
  }
  bool SkipOp(absl::string_view op) {
    if (!IsOp(op)) return false;
    Next();
    return true;
  }

  absl::Status ErrorAt(SourceLocation location, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(FormatLocation(location), ": ", message));
  }
  absl::Status Unexpected(const Token& token) const {
    return ErrorAt(token.location, absl::StrCat("unexpected ", Describe(token)));
  }
  absl::Status Expected(absl::string_view what) const {
    return ErrorAt(Current().location,
                   absl::StrCat("expected ", what, ", got ", Describe(Current())));
  }
  absl::Status ExpectOp(absl::string_view op) {
    if (!SkipOp(op)) return Expected(absl::StrCat("'", op, "'"));
    return absl::OkStatus();
  }
  absl::Status ExpectKind(TokenKind kind) {
    if (Current().kind != kind) {
      Token want;
      want.kind = kind;
      return Expected(Describe(want));
    }
    Next();
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ExpectName() {
    if (Current().kind != TokenKind::kName) return Expected("a name");
    return Next().text;
  }

  // --- Statements -----------------------------------------------------------

  // Parses template data and statements until a block tag whose name is in
  // `end_tags` (left unconsumed, positioned at its name) or end of template.
  absl::StatusOr<std::vector<NodePtr>> ParseBody(const std::vector<absl::string_view>& end_tags) {
    if (++nesting_ > kMaxNesting) {
      return ErrorAt(Current().location, "statements nested too deeply");
    }
    std::vector<NodePtr> body;
    while (true) {
      const Token& token = Current();
      if (token.kind == TokenKind::kEof) {
        if (!end_tags.empty()) {
          std::string message = absl::StrCat("unexpected end of template, expected '",
                                             absl::StrJoin(end_tags, "' or '"), "'");
          if (!open_tags_.empty()) {
            absl::StrAppend(&message, " to close '", open_tags_.back().first, "' at ",
                            FormatLocation(open_tags_.back().second));
          }
          return ErrorAt(token.location, message);
        }
        break;
      }
      if (token.kind == TokenKind::kText) {
        auto node = std::make_unique<Node>();
        node->kind = NodeKind::kText;
        node->location = token.location;
        node->text = token.text;
        body.push_back(std::move(node));
        Next();
        continue;
      }
      if (token.kind == TokenKind::kVariableBegin) {
        auto node = std::make_unique<Node>();
        node->kind = NodeKind::kOutput;
        node->location = token.location;
        Next();
        WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParseTuple(/*simplified=*/false, /*with_condexpr=*/true,
                                                    {}, /*explicit_parens=*/false));
        node->exprs.push_back(std::move(e));
        WEFT_RETURN_IF_ERROR(ExpectKind(TokenKind::kVariableEnd));
        body.push_back(std::move(node));
        continue;
      }
      if (token.kind == TokenKind::kBlockBegin) {
        const Token& tag = Peek();
        if (tag.kind == TokenKind::kName) {
          for (const absl::string_view end : end_tags) {
            if (tag.text == end) {
              Next();
              --nesting_;
              return body;
            }
          }
        }
        Next();
        WEFT_ASSIGN_OR_RETURN(NodePtr node, ParseStatement());
        if (node != nullptr) body.push_back(std::move(node));
        continue;
      }
      return Unexpected(token);
    }
    --nesting_;
    return body;
  }

  // Parses `{% ... %}` bodies: expects the current block's `%}`, then the
  // body up to one of `end_tags`; leaves the stream at that tag's name.
  absl::StatusOr<std::vector<NodePtr>> ParseStatements(
      const std::vector<absl::string_view>& end_tags) {
    SkipOp(":");
    WEFT_RETURN_IF_ERROR(ExpectKind(TokenKind::kBlockEnd));
    return ParseBody(end_tags);
  }

  // Consumes `endname %}`.
  absl::Status ExpectEnd(absl::string_view end) {
    if (!SkipName(end)) return Expected(absl::StrCat("'", end, "'"));
    return ExpectKind(TokenKind::kBlockEnd);
  }

  // The current token is the tag name after `{%`. Consumes through `%}` (or
  // the end tag's `%}`).
  absl::StatusOr<NodePtr> ParseStatement() {
    const Token& token = Current();
    if (token.kind != TokenKind::kName) return ErrorAt(token.location, "tag name expected");
    const std::string tag = token.text;
    const SourceLocation location = token.location;
    open_tags_.emplace_back(tag, location);
    absl::StatusOr<NodePtr> node = ParseStatementInner(tag, location);
    open_tags_.pop_back();
    return node;
  }

  absl::StatusOr<NodePtr> ParseStatementInner(const std::string& tag, SourceLocation location) {
    auto node = std::make_unique<Node>();
    node->location = location;
    if (tag == "if") return ParseIf(std::move(node));
    if (tag == "for") return ParseFor(std::move(node));
    if (tag == "set") return ParseSet(std::move(node));
    if (tag == "macro") return ParseMacro(std::move(node));
    if (tag == "filter") return ParseFilterBlock(std::move(node));
    if (tag == "with") return ParseWith(std::move(node));
    if (tag == "print") {
      Next();
      node->kind = NodeKind::kOutput;
      WEFT_ASSIGN_OR_RETURN(ExprPtr e, ParseTuple(false, true, {}, false));
      node->exprs.push_back(std::move(e));
      WEFT_RETURN_IF_ERROR(ExpectKind(TokenKind::kBlockEnd));
      return node;
    }
    if (tag == "break" || tag == "continue") {
      Next();
      if (loop_depth_ == 0) {
        return ErrorAt(location, absl::StrCat("'", tag, "' outside of a for loop"));
      }
      node->kind = tag == "break" ? NodeKind::kBreak : NodeKind::kContinue;
      WEFT_RETURN_IF_ERROR(ExpectKind(TokenKind::kBlockEnd));
      return node;
    }
    if (tag == "generation") {
      Next();
      node->kind = NodeKind::kScope;
      WEFT_ASSIGN_OR_RETURN(auto body, ParseStatements({"endgeneration"}));
      node->bodies.push_back(std::move(body));
      WEFT_RETURN_IF_ERROR(ExpectEnd("endgeneration"));
      return node;
    }
    static const auto* const kUnsupported = new absl::flat_hash_set<std::string>{
        "include", "extends", "import", "from", "block", "call", "autoescape", "do", "trans"};
    if (kUnsupported->contains(tag)) {
      return ErrorAt(location, absl::StrCat("the '", tag, "' tag is not supported"));
    }
    return ErrorAt(location, absl::StrCat("unknown tag '", tag, "'"));
  }

  absl::StatusOr<NodePtr> ParseIf(NodePtr node) {
    node->kind = NodeKind::kIf;
    Next();  // if
    while (true) {
      WEFT_ASSIGN_OR_RETURN(ExprPtr test, ParseTuple(false, /*with_condexpr=*/false, {}, false));
      node->exprs.push_back(std::move(test));
      WEFT_ASSIGN_OR_RETURN(auto body, ParseStatements({"elif", "else", "endif"}));
      node->bodies.push_back(std::move(body));
      const std::string end = Next().text;
      if (end == "elif") continue;
      if (end == "else") {
        WEFT_ASSIGN_OR_RETURN(auto else_body, ParseStatements({"endif"}));
        node->bodies.push_back(std::move(else_body));
        node->has_else = true;
        WEFT_RETURN_IF_ERROR(ExpectEnd("endif"));
      } else {
        WEFT_RETURN_IF_ERROR(ExpectKind(TokenKind::kBlockEnd));
      }
      return node;
    }
  }

  absl::StatusOr<NodePtr> ParseFor(NodePtr node) {
    node->kind = NodeKind::kFor;
    Next();  // for
    WEFT_ASSIGN_OR_RETURN(node->target, ParseTarget(/*with_namespace=*/false, {"in"}));
    if (!SkipName("in")) return Expected("'in'");
    WEFT_ASSIGN_OR_RETURN(ExprPtr iter,
                          ParseTuple(false, /*with_condexpr=*/false, {"recursive"}, false));
    node->exprs.push_back(std::move(iter));
    if (SkipName("if")) {
      WEFT_ASSIGN_OR_RETURN(ExprPtr test, ParseExpression(true));
      node->exprs.push_back(std::move(test));
    }
    if (IsName("recursive")) {
      return ErrorAt(Current().location, "recursive for loops are not supported");
    }
    ++loop_depth_;
    absl::StatusOr<std::vector<NodePtr>> body = ParseStatements({"endfor", "else"});
    --loop_depth_;
    if (!body.ok()) return body.status();
    node->bodies.push_back(*std::move(body));
    if (Next().text == "else") {
      WEFT_ASSIGN_OR_RETURN(auto else_body, ParseStatements({"endfor"}));
      node->bodies.push_back(std::move(else_body));
      WEFT_RETURN_IF_ERROR(ExpectEnd("endfor"));
    } else {
      node->bodies.emplace_back();
      WEFT_RETURN_IF_ERROR(ExpectKind(TokenKind::kBlockEnd));
    }
    return node;
  }

  absl::StatusOr<NodePtr> ParseSet(NodePtr node) {
    Next();  // set
    WEFT_ASSIGN_OR_RETURN(node->target, ParseTarget(/*with_namespace=*/true, {}));
    if (SkipOp("=")) {
      node->kind = NodeKind::kSet;
      WEFT_ASSIGN_OR_RETURN(ExprPtr value, ParseTuple(false, true, {}, false));
      node->exprs.push_back(std::move(value));
      WEFT_RETURN_IF_ERROR(ExpectKind(TokenKind::kBlockEnd));
      return node;
    }
    node->kind = NodeKind::kSetBlock;
    if (IsOp("|")) {
      WEFT_ASSIGN_OR_RETURN(node->filter, ParseFilterChain(nullptr, /*start_inline=*/false));
    }
    WEFT_ASSIGN_OR_RETURN(auto body, ParseStatements({"endset"}));
    node->bodies.push_back(std::move(body));
    WEFT_RETURN_IF_ERROR(ExpectEnd("endset"));
    return node;
  }

  absl::StatusOr<NodePtr> ParseMacro(NodePtr node) {
    node->kind = NodeKind::kMacro;
    Next();  // macro
    WEFT_ASSIGN_OR_RETURN(node->name, ExpectName());
    WEFT_RETURN_IF_ERROR(ExpectOp("("));
    while (!IsOp(")")) {
      if (!node->params.empty()) WEFT_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(")")) break;
      WEFT_ASSIGN_OR_RETURN(std::string param, ExpectName());
      ExprPtr default_value;
      if (SkipOp("=")) {
        WEFT_ASSIGN_OR_RETURN(default_value, ParseExpression(true));
      } else if (!node->defaults.empty() && node->defaults.back() != nullptr) {
        return ErrorAt(Current().location, "non-default argument follows default argument");
      }
      node->params.push_back(std::move(param));
      node->defaults.push_back(std::move(default_value));
    }
    WEFT_RETURN_IF_ERROR(ExpectOp(")"));
    const int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    absl::StatusOr<std::vector<NodePtr>> body = ParseStatements({"endmacro"});
    loop_depth_ = saved_loop_depth;
    if (!body.ok()) return body.status();
    node->bodies.push_back(*std::move(body));
    WEFT_RETURN_IF_ERROR(ExpectEnd("endmacro"));
    absl::flat_hash_set<std::string> names;
    CollectNames(node->bodies[0], &names);
    node->uses_varargs = names.contains("varargs");
    node->uses_kwargs = names.contains("kwargs");
    if (names.contains("caller")) {
      return ErrorAt(node->location, "'caller' in macros ({% call %} blocks) is not supported");
    }
    return node;
  }

  absl::StatusOr<NodePtr> ParseFilterBlock(NodePtr node) {
    node->kind = NodeKind::kFilterBlock;
    Next();  // filter
    WEFT_ASSIGN_OR_RETURN(node->filter, ParseFilterChain(nullptr, /*start_inline=*/true));
    WEFT_ASSIGN_OR_RETURN(auto body, ParseStatements({"endfilter"}));
    node->bodies.push_back(std::move(body));
    WEFT_RETURN_IF_ERROR(ExpectEnd("endfilter"));
    return node;
  }

  absl::StatusOr<NodePtr> ParseWith(NodePtr node) {
    node->kind = NodeKind::kWith;
    Next();  // with
    while (Current().kind != TokenKind::kBlockEnd) {
      if (!node->with_targets.empty()) WEFT_RETURN_IF_ERROR(ExpectOp(","));
      WEFT_ASSIGN_OR_RETURN(Target target, ParseTarget(false, {}));
      WEFT_RETURN_IF_ERROR(ExpectOp("="));
      WEFT_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
      node->with_targets.push_back(std::move(target));
      node->exprs.push_back(std::move(value));
    }
    WEFT_ASSIGN_OR_RETURN(auto body, ParseStatements({"endwith"}));
    node->bodies.push_back(std::move(body));
    WEFT_RETURN_IF_ERROR(ExpectEnd("endwith"));
    return node;
  }

  // parse_assign_target: `name`, `ns.attr` (with_namespace), or a tuple of
  // those, ended by `extra_end` names or the end of the tag.
  absl::StatusOr<Target> ParseTarget(bool with_namespace,
                                     const std::vector<absl::string_view>& extra_end) {
    Target target;
    while (true) {
      if (!target.items.empty()) WEFT_RETURN_IF_ERROR(ExpectOp(","));
      if (IsTupleEnd(extra_end) && !target.items.empty()) break;
      const Token& token = Current();
      if (token.kind == TokenKind::kOperator && token.text == "(") {
        return ErrorAt(token.location,
                       "parenthesised (nested) assignment targets are not supported");
      }
      if (token.kind != TokenKind::kName) {
        return ErrorAt(token.location, absl::StrCat("can't assign to ", Describe(token)));
      }
      static const auto* const kConstants =
          new absl::flat_hash_set<std::string>{"true", "false", "True", "False", "none", "None"};
      if (kConstants->contains(token.text)) {
        return ErrorAt(token.location, absl::StrCat("can't assign to '", token.text, "'"));
      }
      Target::Item item;
      item.name = Next().text;
      if (with_namespace && IsOp(".")) {
        Next();
        WEFT_ASSIGN_OR_RETURN(item.attr, ExpectName());
      }
      target.items.push_back(std::move(item));
      if (!IsOp(",")) break;
      target.is_tuple = true;
    }
    return target;
  }

  // --- Expressions ----------------------------------------------------------

  bool IsTupleEnd(const std::vector<absl::string_view>& extra_end) const {
    const Token& t = Current();
    if (t.kind == TokenKind::kVariableEnd || t.kind == TokenKind::kBlockEnd ||
        (t.kind == TokenKind::kOperator && t.text == ")")) {
      return true;
    }
    if (t.kind == TokenKind::kName) {
      for (const absl::string_view end : extra_end) {
        if (t.text == end) return true;
      }
    }
    return false;
  }

  ExprPtr MakeExpr(ExprKind kind, SourceLocation location) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->location = location;
    return e;
  }

  // Counts the links of an operator or postfix chain (each wraps the tree so
  // far in one more node) against the nesting limit, for one function call.
  class ChainDepth {
   public:
    explicit ChainDepth(Parser* parser) : parser_(parser) {}
    ~ChainDepth() { parser_->nesting_ -= links_; }
    absl::Status Deeper() {
      ++links_;
      if (++parser_->nesting_ > kMaxNesting) {
        return parser_->ErrorAt(parser_->Current().location, "expression nested too deeply");
      }
      return absl::OkStatus();
    }

   private:
    Parser* parser_;
    int links_ = 0;
  };

  absl::Status Enter() {
    if (++nesting_ > kMaxNesting) {
      return ErrorAt(Current().location, "expression nested too deeply");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ExprPtr> ParseTuple(bool simplified, bool with_condexpr,
                                     const std::vector<absl::string_view>& extra_end,
                                     bool explicit_parens) {
    const SourceLocation location = Current().location;
    std::vector<ExprPtr> args;
    bool is_tuple = false;
    while (true) {
      if (!args.empty()) WEFT_RETURN_IF_ERROR(ExpectOp(","));
      if (IsTupleEnd(extra_end)) break;
      ExprPtr e;
      if (simplified) {
        WEFT_ASSIGN_OR_RETURN(e, ParsePrimary());
      } else {
        WEFT_ASSIGN_OR_RETURN(e, ParseExpression(with_condexpr));
      }
      args.push_back(std::move(e));
      if (IsOp(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!args.empty()) return std::move(args[0]);
      if (!explicit_parens) {
        return ErrorAt(Current().location,
                       absl::StrCat("expected an expression, got ", Describe(Current())));
      }
    }
    ExprPtr tuple = MakeExpr(ExprKind::kTuple, location);
    tuple->children = std::move(args);
    return tuple;
  }

  absl::StatusOr<ExprPtr> ParseExpression(bool with_condexpr) {
    WEFT_RETURN_IF_ERROR(Enter());
    absl::StatusOr<ExprPtr> e = with_condexpr ? ParseCondExpr() : ParseOr();
    --nesting_;
    return e;
  }

  absl::StatusOr<ExprPtr> ParseCondExpr() {
    const SourceLocation location = Current().location;
    WEFT_ASSIGN_OR_RETURN(ExprPtr expr1, ParseOr());
    ChainDepth chain(this);
    while (SkipName("if")) {
      WEFT_RETURN_IF_ERROR(chain.Deeper());
      WEFT_ASSIGN_OR_RETURN(ExprPtr expr2, ParseOr());
      ExprPtr expr3;
      if (SkipName("else")) {
        WEFT_ASSIGN_OR_RETURN(expr3, ParseExpression(true));
      }
      ExprPtr cond = MakeExpr(ExprKind::kCondExpr, location);
      cond->children.push_back(std::move(expr1));
      cond->children.push_back(std::move(expr2));
      cond->children.push_back(std::move(expr3));
      expr1 = std::move(cond);
    }
    return expr1;
  }

  absl::StatusOr<ExprPtr> ParseOr() {
    WEFT_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
    ChainDepth chain(this);
    while (IsName("or")) {
      WEFT_RETURN_IF_ERROR(chain.Deeper());
      const SourceLocation location = Next().location;
      WEFT_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
      ExprPtr e = MakeExpr(ExprKind::kOr, location);
      e->children.push_back(std::move(left));
      e->children.push_back(std::move(right));
      left = std::move(e);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseAnd() {
    WEFT_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
    ChainDepth chain(this);
    while (IsName("and")) {
      WEFT_RETURN_IF_ERROR(chain.Deeper());
      const SourceLocation location = Next().location;
      WEFT_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
      ExprPtr e = MakeExpr(ExprKind::kAnd, location);
      e->children.push_back(std::move(left));
      e->children.push_back(std::move(right));
      left = std::move(e);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseNot() {
    if (IsName("not")) {
      const SourceLocation location = Next().location;
      WEFT_RETURN_IF_ERROR(Enter());
      absl::StatusOr<ExprPtr> operand = ParseNot();
      --nesting_;
      if (!operand.ok()) return operand.status();
      ExprPtr e = MakeExpr(ExprKind::kNot, location);
      e->children.push_back(*std::move(operand));
      return e;
    }
    return ParseCompare();
  }

  absl::StatusOr<ExprPtr> ParseCompare() {
    const SourceLocation location = Current().location;
    WEFT_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
    ExprPtr e;
    while (true) {
      std::string op;
      const Token& t = Current();
      if (t.kind == TokenKind::kOperator && (t.text == "==" || t.text == "!=" || t.text == "<" ||
                                             t.text == "<=" || t.text == ">" || t.text == ">=")) {
        op = t.text;
        Next();
      } else if (IsName("in")) {
        op = "in";
        Next();
      } else if (IsName("not") && Peek().kind == TokenKind::kName && Peek().text == "in") {
        op = "notin";
        Next();
        Next();
      } else {
        break;
      }
      if (e == nullptr) {
        e = MakeExpr(ExprKind::kCompare, location);
        e->children.push_back(std::move(first));
      }
      WEFT_ASSIGN_OR_RETURN(ExprPtr operand, ParseMath1());
      e->compare_ops.push_back(op);
      e->children.push_back(std::move(operand));
    }
    return e != nullptr ? std::move(e) : std::move(first);
  }

  absl::StatusOr<ExprPtr> ParseBinaryLevel(const std::vector<absl::string_view>& ops,
                                           absl::StatusOr<ExprPtr> (Parser::*next)()) {
    WEFT_ASSIGN_OR_RETURN(ExprPtr left, (this->*next)());
    ChainDepth chain(this);
    while (Current().kind == TokenKind::kOperator) {
      const std::string op = Current().text;
      bool match = false;
      for (const absl::string_view candidate : ops) match = match || op == candidate;
      if (!match) break;
      WEFT_RETURN_IF_ERROR(chain.Deeper());
      const SourceLocation location = Next().location;
      WEFT_ASSIGN_OR_RETURN(ExprPtr right, (this->*next)());
      ExprPtr e = MakeExpr(ExprKind::kBinary, location);
      e->op = op;
      e->children.push_back(std::move(left));
      e->children.push_back(std::move(right));
      left = std::move(e);
    }
    return left;
  }

  absl::StatusOr<ExprPtr> ParseMath1() {
    return ParseBinaryLevel({"+", "-"}, &Parser::ParseConcat);
  }

  absl::StatusOr<ExprPtr> ParseConcat() {
    const SourceLocation location = Current().location;
    WEFT_ASSIGN_OR_RETURN(ExprPtr first, ParseMath2());
    if (!IsOp("~")) return first;
    ExprPtr e = MakeExpr(ExprKind::kConcat, location);
    e->children.push_back(std::move(first));
    while (SkipOp("~")) {
      WEFT_ASSIGN_OR_RETURN(ExprPtr next, ParseMath2());
      e->children.push_back(std::move(next));
    }
    return e;
  }

  absl::StatusOr<ExprPtr> ParseMath2() {
    return ParseBinaryLevel({"*", "/", "//", "%"}, &Parser::ParsePow);
  }

  absl::StatusOr<ExprPtr> ParsePow() {
    return ParseBinaryLevel({"**"}, &Parser::ParseUnaryWithFilter);
  }

  absl::StatusOr<ExprPtr> ParseUnaryWithFilter() { return ParseUnary(true); }

  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter) {
    WEFT_RETURN_IF_ERROR(Enter());
    absl::StatusOr<ExprPtr> e = ParseUnaryInner(with_filter);
    --nesting_;
    return e;
  }

  absl::StatusOr<ExprPtr> ParseUnaryInner(bool with_filter) {
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      const Token& t = Next();
      ExprPtr e = MakeExpr(t.text == "-" ? ExprKind::kNeg : ExprKind::kPos, t.location);
      WEFT_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
      e->children.push_back(std::move(operand));
      node = std::move(e);
    } else {
      WEFT_ASSIGN_OR_RETURN(node, ParsePrimary());
    }
    WEFT_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
    if (with_filter) {
      WEFT_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
    }
    return node;
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
    const Token& token = Current();
    const SourceLocation location = token.location;
    switch (token.kind) {
      case TokenKind::kName: {
        const std::string name = Next().text;
        ExprPtr e = MakeExpr(ExprKind::kLiteral, location);
        if (name == "true" || name == "True") {
          e->literal = Value::Bool(true);
        } else if (name == "false" || name == "False") {
          e->literal = Value::Bool(false);
        } else if (name == "none" || name == "None") {
          e->literal = Value::None();
        } else {
          e->kind = ExprKind::kName;
          e->name = name;
        }
        return e;
      }
      case TokenKind::kString: {
        std::string text = Next().text;
        while (Current().kind == TokenKind::kString) text += Next().text;
        ExprPtr e = MakeExpr(ExprKind::kLiteral, location);
        e->literal = Value::String(std::move(text));
        return e;
      }
      case TokenKind::kInteger: {
        ExprPtr e = MakeExpr(ExprKind::kLiteral, location);
        e->literal = Value::Int(Next().int_value);
        return e;
      }
      case TokenKind::kFloat: {
        ExprPtr e = MakeExpr(ExprKind::kLiteral, location);
        e->literal = Value::Float(Next().float_value);
        return e;
      }
      case TokenKind::kOperator:
        if (token.text == "(") {
          Next();
          WEFT_RETURN_IF_ERROR(Enter());
          absl::StatusOr<ExprPtr> e = ParseTuple(false, true, {}, /*explicit_parens=*/true);
          --nesting_;
          if (!e.ok()) return e.status();
          WEFT_RETURN_IF_ERROR(ExpectOp(")"));
          return e;
        }
        if (token.text == "[") return ParseList();
        if (token.text == "{") return ParseDict();
        break;
      default:
        break;
    }
    return Unexpected(token);
  }

  absl::StatusOr<ExprPtr> ParseList() {
    ExprPtr e = MakeExpr(ExprKind::kList, Next().location);
    while (!IsOp("]")) {
      if (!e->children.empty()) WEFT_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp("]")) break;
      WEFT_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
      e->children.push_back(std::move(item));
    }
    WEFT_RETURN_IF_ERROR(ExpectOp("]"));
    return e;
  }

  absl::StatusOr<ExprPtr> ParseDict() {
    ExprPtr e = MakeExpr(ExprKind::kDict, Next().location);
    while (!IsOp("}")) {
      if (!e->children.empty()) WEFT_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp("}")) break;
      WEFT_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression(true));
      WEFT_RETURN_IF_ERROR(ExpectOp(":"));
      WEFT_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
      e->children.push_back(std::move(key));
      e->children.push_back(std::move(value));
    }
    WEFT_RETURN_IF_ERROR(ExpectOp("}"));
    return e;
  }

  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr node) {
    ChainDepth chain(this);
    while (true) {
      if (IsOp(".") || IsOp("[") || IsOp("(")) WEFT_RETURN_IF_ERROR(chain.Deeper());
      if (IsOp(".") || IsOp("[")) {
        WEFT_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
      } else if (IsOp("(")) {
        WEFT_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
      } else {
        return node;
      }
    }
  }

  absl::StatusOr<ExprPtr> ParseFilterExpr(ExprPtr node) {
    ChainDepth chain(this);
    while (true) {
      if (IsOp("|") || IsName("is") || IsOp("(")) WEFT_RETURN_IF_ERROR(chain.Deeper());
      if (IsOp("|")) {
        WEFT_ASSIGN_OR_RETURN(node, ParseFilterChain(std::move(node), false));
      } else if (IsName("is")) {
        WEFT_ASSIGN_OR_RETURN(node, ParseTest(std::move(node)));
      } else if (IsOp("(")) {
        WEFT_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
      } else {
        return node;
      }
    }
  }

  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr node) {
    const Token& token = Next();
    const SourceLocation location = token.location;
    if (token.text == ".") {
      const Token& attr = Current();
      if (attr.kind == TokenKind::kName) {
        ExprPtr e = MakeExpr(ExprKind::kGetAttr, location);
        e->name = Next().text;
        e->children.push_back(std::move(node));
        return e;
      }
      if (attr.kind != TokenKind::kInteger) {
        return ErrorAt(attr.location, "expected name or number after '.'");
      }
      ExprPtr index = MakeExpr(ExprKind::kLiteral, attr.location);
      index->literal = Value::Int(Next().int_value);
      ExprPtr e = MakeExpr(ExprKind::kGetItem, location);
      e->children.push_back(std::move(node));
      e->children.push_back(std::move(index));
      return e;
    }
    // `[`
    std::vector<ExprPtr> args;
    while (!IsOp("]")) {
      if (!args.empty()) WEFT_RETURN_IF_ERROR(ExpectOp(","));
      WEFT_ASSIGN_OR_RETURN(ExprPtr arg, ParseSubscribed());
      args.push_back(std::move(arg));
    }
    WEFT_RETURN_IF_ERROR(ExpectOp("]"));
    if (args.empty()) return ErrorAt(location, "expected a subscript expression");
    if (args.size() == 1 && args[0]->kind == ExprKind::kSlice) {
      args[0]->children[0] = std::move(node);
      return std::move(args[0]);
    }
    ExprPtr key;
    if (args.size() == 1) {
      key = std::move(args[0]);
    } else {
      for (const auto& arg : args) {
        if (arg->kind == ExprKind::kSlice) {
          return ErrorAt(arg->location, "multi-dimensional slices are not supported");
        }
      }
      key = MakeExpr(ExprKind::kTuple, location);
      key->children = std::move(args);
    }
    ExprPtr e = MakeExpr(ExprKind::kGetItem, location);
    e->children.push_back(std::move(node));
    e->children.push_back(std::move(key));
    return e;
  }

  // An index expression or a slice (kSlice with a null children[0] that the
  // caller fills in).
  absl::StatusOr<ExprPtr> ParseSubscribed() {
    const SourceLocation location = Current().location;
    ExprPtr start;
    if (!SkipOp(":")) {
      WEFT_ASSIGN_OR_RETURN(start, ParseExpression(true));
      if (!SkipOp(":")) return start;
    }
    ExprPtr slice = MakeExpr(ExprKind::kSlice, location);
    ExprPtr stop;
    ExprPtr step;
    if (!IsOp(":") && !IsOp("]") && !IsOp(",")) {
      WEFT_ASSIGN_OR_RETURN(stop, ParseExpression(true));
    }
    if (SkipOp(":")) {
      if (!IsOp("]") && !IsOp(",")) {
        WEFT_ASSIGN_OR_RETURN(step, ParseExpression(true));
      }
    }
    slice->children.push_back(nullptr);
    slice->children.push_back(std::move(start));
    slice->children.push_back(std::move(stop));
    slice->children.push_back(std::move(step));
    return slice;
  }

  // `(args)` into `e->children` (after whatever is there) and `e->kwargs`.
  absl::Status ParseCallArgs(Expr* e) {
    const SourceLocation location = Current().location;
    WEFT_RETURN_IF_ERROR(ExpectOp("("));
    bool require_comma = false;
    while (!IsOp(")")) {
      if (require_comma) {
        WEFT_RETURN_IF_ERROR(ExpectOp(","));
        if (IsOp(")")) break;
      }
      if (IsOp("*") || IsOp("**")) {
        return ErrorAt(Current().location, "*args and **kwargs in calls are not supported");
      }
      if (Current().kind == TokenKind::kName && Peek().kind == TokenKind::kOperator &&
          Peek().text == "=") {
        std::string key = Next().text;
        Next();
        WEFT_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
        e->kwargs.emplace_back(std::move(key), std::move(value));
      } else {
        if (!e->kwargs.empty()) {
          return ErrorAt(location,
                         "invalid syntax for function call expression "
                         "(positional argument after keyword argument)");
        }
        WEFT_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
        e->children.push_back(std::move(value));
      }
      require_comma = true;
    }
    return ExpectOp(")");
  }

  absl::StatusOr<ExprPtr> ParseCall(ExprPtr node) {
    ExprPtr e = MakeExpr(ExprKind::kCall, node->location);
    e->children.push_back(std::move(node));
    WEFT_RETURN_IF_ERROR(ParseCallArgs(e.get()));
    return e;
  }

  absl::StatusOr<std::string> ParseDottedName() {
    WEFT_ASSIGN_OR_RETURN(std::string name, ExpectName());
    while (SkipOp(".")) {
      WEFT_ASSIGN_OR_RETURN(std::string part, ExpectName());
      absl::StrAppend(&name, ".", part);
    }
    return name;
  }

  // `|name(args)|name2...`; with `start_inline` the first `|` is implied
  // ({% filter name %}).
  absl::StatusOr<ExprPtr> ParseFilterChain(ExprPtr node, bool start_inline) {
    ChainDepth chain(this);
    while (IsOp("|") || start_inline) {
      WEFT_RETURN_IF_ERROR(chain.Deeper());
      if (!start_inline) Next();
      start_inline = false;
      ExprPtr e = MakeExpr(ExprKind::kFilter, Current().location);
      WEFT_ASSIGN_OR_RETURN(e->name, ParseDottedName());
      e->children.push_back(std::move(node));
      if (IsOp("(")) WEFT_RETURN_IF_ERROR(ParseCallArgs(e.get()));
      node = std::move(e);
    }
    return node;
  }

  absl::StatusOr<ExprPtr> ParseTest(ExprPtr node) {
    const SourceLocation location = Next().location;  // is
    ExprPtr e = MakeExpr(ExprKind::kTest, location);
    e->negated = SkipName("not");
    WEFT_ASSIGN_OR_RETURN(e->name, ParseDottedName());
    e->children.push_back(std::move(node));
    const Token& t = Current();
    if (IsOp("(")) {
      WEFT_RETURN_IF_ERROR(ParseCallArgs(e.get()));
    } else if ((t.kind == TokenKind::kName || t.kind == TokenKind::kString ||
                t.kind == TokenKind::kInteger || t.kind == TokenKind::kFloat || IsOp("[") ||
                IsOp("{")) &&
               !IsName("else") && !IsName("or") && !IsName("and")) {
      if (IsName("is")) return ErrorAt(t.location, "you cannot chain multiple tests with 'is'");
      WEFT_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
      WEFT_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
      e->children.push_back(std::move(arg));
    }
    return e;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int nesting_ = 0;
  int loop_depth_ = 0;
  std::vector<std::pair<std::string, SourceLocation>> open_tags_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TemplateAst>> ParseTemplate(absl::string_view source,
                                                           const LexerOptions& options) {
  WEFT_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(source, options));
  return Parser(std::move(tokens)).Run();
}

}  // namespace weft::chat::jinja
