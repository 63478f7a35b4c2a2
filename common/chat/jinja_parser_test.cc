// Tests for the Jinja parser: AST shape (precedence, postfix chains,
// statements) and syntax errors with locations.
#include "common/chat/jinja_parser.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::chat::jinja {
namespace {

using ::testing::HasSubstr;

// A Lisp-like dump of an expression.
std::string Dump(const Expr* e) {
  if (e == nullptr) return "_";
  std::vector<std::string> parts;
  for (const auto& child : e->children) parts.push_back(Dump(child.get()));
  for (const auto& [key, value] : e->kwargs) parts.push_back(key + "=" + Dump(value.get()));
  const std::string args = absl::StrJoin(parts, " ");
  switch (e->kind) {
    case ExprKind::kLiteral:
      return e->literal.Repr();
    case ExprKind::kName:
      return e->name;
    case ExprKind::kList:
      return "[" + args + "]";
    case ExprKind::kTuple:
      return "(tuple " + args + ")";
    case ExprKind::kDict:
      return "{" + args + "}";
    case ExprKind::kGetAttr:
      return "(. " + args + " " + e->name + ")";
    case ExprKind::kGetItem:
      return "([] " + args + ")";
    case ExprKind::kSlice:
      return "(slice " + args + ")";
    case ExprKind::kCall:
      return "(call " + args + ")";
    case ExprKind::kFilter:
      return "(|" + e->name + " " + args + ")";
    case ExprKind::kTest:
      return std::string(e->negated ? "(is-not " : "(is ") + e->name + " " + args + ")";
    case ExprKind::kNot:
      return "(not " + args + ")";
    case ExprKind::kNeg:
      return "(neg " + args + ")";
    case ExprKind::kPos:
      return "(pos " + args + ")";
    case ExprKind::kBinary:
      return "(" + e->op + " " + args + ")";
    case ExprKind::kConcat:
      return "(~ " + args + ")";
    case ExprKind::kAnd:
      return "(and " + args + ")";
    case ExprKind::kOr:
      return "(or " + args + ")";
    case ExprKind::kCompare:
      return "(cmp " + absl::StrJoin(e->compare_ops, ",") + " " + args + ")";
    case ExprKind::kCondExpr:
      return "(if " + args + ")";
  }
  return "?";
}

// The expression of `{{ source }}`.
std::string Expression(const std::string& source) {
  absl::StatusOr<std::unique_ptr<TemplateAst>> ast = ParseTemplate("{{ " + source + " }}");
  EXPECT_TRUE(ast.ok()) << ast.status();
  if (!ast.ok()) return "";
  EXPECT_EQ((*ast)->body.size(), 1u);
  return Dump((*ast)->body[0]->exprs[0].get());
}

TEST(JinjaParserTest, Precedence) {
  EXPECT_EQ(Expression("1 + 2 * 3"), "(+ 1 (* 2 3))");
  EXPECT_EQ(Expression("a or b and not c"), "(or a (and b (not c)))");
  EXPECT_EQ(Expression("not a == b"), "(not (cmp == a b))");
  EXPECT_EQ(Expression("a ~ b + c"), "(+ (~ a b) c)");
  EXPECT_EQ(Expression("a ~ b ~ c * d"), "(~ a b (* c d))");
  EXPECT_EQ(Expression("-2 ** 2"), "(** (neg 2) 2)");
  EXPECT_EQ(Expression("2 ** 3 ** 2"), "(** (** 2 3) 2)");
  EXPECT_EQ(Expression("-x|abs"), "(|abs (neg x))");
  EXPECT_EQ(Expression("a < b <= c"), "(cmp <,<= a b c)");
  EXPECT_EQ(Expression("a not in b"), "(cmp notin a b)");
  EXPECT_EQ(Expression("a if b else c if d else e"), "(if a b (if c d e))");
  EXPECT_EQ(Expression("a if b"), "(if a b _)");
  EXPECT_EQ(Expression("'x' + m['content'] | trim + 'y'"),
            "(+ (+ 'x' (|trim ([] m 'content'))) 'y')");
}

TEST(JinjaParserTest, Postfix) {
  EXPECT_EQ(Expression("a.b[0].c(1, k=2)"), "(call (. ([] (. a b) 0) c) 1 k=2)");
  EXPECT_EQ(Expression("x[1:]"), "(slice x 1 _ _)");
  EXPECT_EQ(Expression("x[::-1]"), "(slice x _ _ (neg 1))");
  EXPECT_EQ(Expression("x[:2:3]"), "(slice x _ 2 3)");
  EXPECT_EQ(Expression("x.0"), "([] x 0)");
  EXPECT_EQ(Expression("x|f|g(1)"), "(|g (|f x) 1)");
  EXPECT_EQ(Expression("x is not defined"), "(is-not defined x)");
  EXPECT_EQ(Expression("x is divisibleby 3"), "(is divisibleby x 3)");
  EXPECT_EQ(Expression("x is sameas none"), "(is sameas x None)");
  EXPECT_EQ(Expression("x is defined and y"), "(and (is defined x) y)");
  EXPECT_EQ(Expression("x is eq(1)"), "(is eq x 1)");
}

TEST(JinjaParserTest, Literals) {
  EXPECT_EQ(Expression("[1, 'a', true, None, 1.5,]"), "[1 'a' True None 1.5]");
  EXPECT_EQ(Expression("{'a': 1, 2: [3]}"), "{'a' 1 2 [3]}");
  EXPECT_EQ(Expression("(1,)"), "(tuple 1)");
  EXPECT_EQ(Expression("()"), "(tuple )");
  EXPECT_EQ(Expression("1, 2"), "(tuple 1 2)");
  EXPECT_EQ(Expression("'a' 'b'"), "'ab'");
}

TEST(JinjaParserTest, Statements) {
  absl::StatusOr<std::unique_ptr<TemplateAst>> ast = ParseTemplate(
      "{% for k, v in d.items() if v %}{{ k }}{% else %}none{% endfor %}"
      "{% set ns.x, y = 1, 2 %}"
      "{% macro m(a, b=1) %}{{ varargs }}{% endmacro %}"
      "{% if a %}1{% elif b %}2{% else %}3{% endif %}");
  ASSERT_TRUE(ast.ok()) << ast.status();
  const auto& body = (*ast)->body;
  ASSERT_EQ(body.size(), 4u);
  EXPECT_EQ(body[0]->kind, NodeKind::kFor);
  EXPECT_TRUE(body[0]->target.is_tuple);
  EXPECT_EQ(body[0]->target.items.size(), 2u);
  EXPECT_EQ(Dump(body[0]->exprs[0].get()), "(call (. d items))");
  EXPECT_EQ(Dump(body[0]->exprs[1].get()), "v");
  EXPECT_EQ(body[0]->bodies[1].size(), 1u);
  EXPECT_EQ(body[1]->kind, NodeKind::kSet);
  EXPECT_EQ(body[1]->target.items[0].name, "ns");
  EXPECT_EQ(body[1]->target.items[0].attr, "x");
  EXPECT_EQ(body[2]->kind, NodeKind::kMacro);
  EXPECT_EQ(body[2]->params, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(body[2]->defaults[0], nullptr);
  EXPECT_TRUE(body[2]->uses_varargs);
  EXPECT_FALSE(body[2]->uses_kwargs);
  EXPECT_EQ(body[3]->kind, NodeKind::kIf);
  EXPECT_EQ(body[3]->exprs.size(), 2u);
  EXPECT_TRUE(body[3]->has_else);
  EXPECT_EQ(body[3]->bodies.size(), 3u);
}

TEST(JinjaParserTest, Errors) {
  auto error = [](const std::string& source) {
    return std::string(ParseTemplate(source).status().message());
  };
  EXPECT_EQ(error("{{ }}"), "line 1:4: expected an expression, got end of print statement '}}'");
  EXPECT_EQ(error("{% for x in %}{% endfor %}"),
            "line 1:13: expected an expression, got end of statement block '%}'");
  EXPECT_EQ(error("{% for 1 in x %}{% endfor %}"), "line 1:8: can't assign to number 1");
  EXPECT_EQ(error("{% set true = 1 %}"), "line 1:8: can't assign to 'true'");
  EXPECT_EQ(error("{% for (a, b) in x %}{% endfor %}"),
            "line 1:8: parenthesised (nested) assignment targets are not supported");
  EXPECT_EQ(error("{% if x %}{% endfor %}"), "line 1:14: unknown tag 'endfor'");
  EXPECT_THAT(error("{% for x in y %}{% if x %}"),
              HasSubstr("unexpected end of template, expected 'elif' or 'else' or 'endif' to "
                        "close 'if' at line 1:20"));
  EXPECT_EQ(error("{% macro m(a=1, b) %}{% endmacro %}"),
            "line 1:18: non-default argument follows default argument");
  EXPECT_EQ(error("{{ f(a=1, 2) }}"),
            "line 1:5: invalid syntax for function call expression (positional argument after "
            "keyword argument)");
  EXPECT_EQ(error("{{ x is a is b }}"), "line 1:11: you cannot chain multiple tests with 'is'");
  EXPECT_EQ(error("{{ x. }}"), "line 1:7: expected name or number after '.'");
  EXPECT_EQ(error("{% continue %}"), "line 1:4: 'continue' outside of a for loop");
  EXPECT_EQ(error("{% for x in y %}{% macro m() %}{% break %}{% endmacro %}{% endfor %}"),
            "line 1:35: 'break' outside of a for loop");
}

TEST(JinjaParserTest, LongChainsAreBounded) {
  // Left-deep chains would make the AST (and everything walking it)
  // arbitrarily deep.
  std::string sum = "{{ 1";
  std::string attrs = "{{ x";
  std::string filters = "{{ x";
  std::string ors = "{{ a";
  for (int i = 0; i < 1000; ++i) {
    sum += " + 1";
    attrs += ".a";
    filters += "|trim";
    ors += " or a";
  }
  for (const std::string& source : {sum, attrs, filters, ors}) {
    EXPECT_THAT(std::string(ParseTemplate(source + " }}").status().message()),
                HasSubstr("nested too deeply"))
        << source.substr(0, 20);
  }
  std::string fine = "{{ 1";
  for (int i = 0; i < 50; ++i) fine += " + 1";
  EXPECT_TRUE(ParseTemplate(fine + " }}").ok());
}

}  // namespace
}  // namespace weft::chat::jinja
