// Tests for the Jinja interpreter: golden cases rendered by real jinja2
// (testdata/jinja_cases.json, see gen_jinja_cases.py), error messages, and
// resource limits.
#include "common/chat/jinja_interpreter.h"

#include <fstream>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::chat::jinja {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Msg(const absl::Status& status) { return std::string(status.message()); }

RenderOptions TestOptions() {
  RenderOptions options;
  options.time_zone = absl::UTCTimeZone();
  options.now = [] {
    return absl::FromCivil(absl::CivilSecond(2024, 7, 26, 12, 0, 0), absl::UTCTimeZone());
  };
  return options;
}

absl::StatusOr<std::string> Render(const std::string& source, const Context& context = {},
                                   const RenderOptions& options = TestOptions()) {
  absl::StatusOr<Template> t = Template::Parse(source);
  if (!t.ok()) return t.status();
  return t->Render(context, options);
}

TEST(JinjaGoldenTest, MatchesJinja2) {
  std::ifstream in("common/chat/testdata/jinja_cases.json");
  ASSERT_TRUE(in) << "missing testdata/jinja_cases.json";
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const nlohmann::ordered_json golden = nlohmann::ordered_json::parse(text, nullptr, false);
  ASSERT_FALSE(golden.is_discarded());
  Context context;
  for (const auto& [key, value] : golden["context"].items()) {
    absl::StatusOr<Value> v = ValueFromJson(value);
    ASSERT_TRUE(v.ok()) << v.status();
    context[key] = *v;
  }
  int checked = 0;
  for (const auto& c : golden["cases"]) {
    const std::string name = c["name"].get<std::string>();
    const std::string source = c["template"].get<std::string>();
    SCOPED_TRACE(name + ": " + source);
    const absl::StatusOr<std::string> out = Render(source, context);
    if (c.contains("output")) {
      ASSERT_TRUE(out.ok()) << out.status();
      EXPECT_EQ(*out, c["output"].get<std::string>());
    } else {
      EXPECT_FALSE(out.ok()) << "jinja2 failed with " << c["error"].get<std::string>()
                             << " but weft rendered: " << *out;
    }
    ++checked;
  }
  EXPECT_GT(checked, 150);
}

// --- Errors ---------------------------------------------------------------------

TEST(JinjaErrorTest, UndefinedAttributeNamesTheVariableAndLocation) {
  const auto out = Render("ab\n  {{ user.name }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(out.status()), StartsWith("line 2:"));
  EXPECT_THAT(Msg(out.status()), HasSubstr("'user' is undefined"));
}

TEST(JinjaErrorTest, MissingDictKeyChain) {
  Context context;
  context["d"] = *ValueFromJson(nlohmann::ordered_json::parse(R"({"a": 1})"));
  const auto out = Render("{{ d.b.c }}", context);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(Msg(out.status()), HasSubstr("'dict object' has no attribute 'b'"));
}

TEST(JinjaErrorTest, RaiseExceptionCarriesTheMessage) {
  const auto out =
      Render("{% if true %}\n{{ raise_exception('Roles must alternate') }}{% endif %}");
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(IsRaisedException(out.status()));
  EXPECT_EQ(Msg(out.status()), "line 2:4: Roles must alternate");
  EXPECT_FALSE(IsRaisedException(Render("{{ x + 1 }}").status()));
}

TEST(JinjaErrorTest, UnsupportedTagIsAParseErrorWithLocation) {
  const auto t = Template::Parse("hello\n  {% include 'other.jinja' %}");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(Msg(t.status()), "line 2:6: the 'include' tag is not supported");
  for (const char* tag : {"extends 'x'", "import 'x' as y", "block b", "call m()", "do x"}) {
    EXPECT_THAT(Msg(Template::Parse(absl::StrCat("{% ", tag, " %}")).status()),
                HasSubstr("is not supported"))
        << tag;
  }
}

TEST(JinjaErrorTest, UnknownAndUnsupportedFilters) {
  EXPECT_EQ(Msg(Template::Parse("{{ 1 }}{{ x|frobnicate }}").status()),
            "line 1:13: unknown filter 'frobnicate'");
  EXPECT_EQ(Msg(Template::Parse("\n{{ x|groupby('a') }}").status()),
            "line 2:6: the 'groupby' filter is not supported");
  EXPECT_EQ(Msg(Template::Parse("{{ x is frobnicate }}").status()),
            "line 1:6: unknown test 'frobnicate'");
}

TEST(JinjaErrorTest, SyntaxErrors) {
  EXPECT_THAT(Msg(Template::Parse("{% if x %}a").status()),
              HasSubstr("unexpected end of template, expected 'elif' or 'else' or 'endif' to "
                        "close 'if' at line 1:4"));
  EXPECT_EQ(Msg(Template::Parse("{{ 'abc }}").status()), "line 1:4: unterminated string literal");
  EXPECT_EQ(Msg(Template::Parse("x\n{{ a ").status()),
            "line 2:1: unexpected end of template: '{{' is not closed by '}}'");
  EXPECT_EQ(Msg(Template::Parse("{# abc").status()), "line 1:1: missing end of comment tag '#}'");
  EXPECT_EQ(Msg(Template::Parse("{{ (1] }}").status()), "line 1:6: unexpected ']', expected ')'");
  EXPECT_EQ(Msg(Template::Parse("{{ 1 + }}").status()),
            "line 1:8: unexpected end of print statement '}}'");
  EXPECT_EQ(Msg(Template::Parse("{% for x in y recursive %}{% endfor %}").status()),
            "line 1:15: recursive for loops are not supported");
  EXPECT_EQ(Msg(Template::Parse("{% break %}").status()),
            "line 1:4: 'break' outside of a for loop");
  EXPECT_EQ(Msg(Template::Parse("{{ f(*args) }}").status()),
            "line 1:6: *args and **kwargs in calls are not supported");
  EXPECT_EQ(Msg(Template::Parse("{% frob %}").status()), "line 1:4: unknown tag 'frob'");
  EXPECT_EQ(Msg(Template::Parse("\xff").status()), "template source is not valid UTF-8");
}

TEST(JinjaErrorTest, UnsupportedRuntimeFeaturesAreNamed) {
  EXPECT_EQ(Msg(Render("{% set j = joiner(', ') %}").status()),
            "line 1:12: the global function 'joiner' is not supported");
  EXPECT_EQ(Msg(Render("{{ 'x'.zfill(3) }}").status()), "line 1:7: str.zfill() is not supported");
  EXPECT_EQ(Msg(Render("{% for x in [1] %}{{ loop.changed(x) }}{% endfor %}").status()),
            "line 1:26: loop.changed() is not supported");
  EXPECT_EQ(Msg(Render("{{ '{:>5}'.format(1) }}").status()),
            "line 1:11: format specifications in str.format() are not supported");
  EXPECT_EQ(Msg(Render("{{ '%b' % 5 }}").status()),
            "line 1:9: unsupported format character 'b' in % formatting");
}

TEST(JinjaErrorTest, SandboxForbidsMutation) {
  const auto out = Render("{% set l = [1] %}{{ l.append(2) }}");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(Msg(out.status()),
              HasSubstr("access to attribute 'append' of 'list' object is unsafe"));
}

TEST(JinjaErrorTest, NamespaceCannotContainANamespace) {
  const auto out = Render("{% set ns = namespace(a=1) %}{% set ns.self = [ns] %}");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(Msg(out.status()), HasSubstr("namespace"));
}

// --- Limits -----------------------------------------------------------------------

TEST(JinjaLimitTest, HugeRangeIsRefused) {
  const auto out = Render("{% for i in range(10**9) %}x{% endfor %}");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(Msg(out.status()), HasSubstr("Range too big"));
}

TEST(JinjaLimitTest, NestedLoopsHitTheIterationLimit) {
  RenderOptions options = TestOptions();
  options.max_loop_iterations = 50000;
  const auto out =
      Render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", {},
             options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(Msg(out.status()), HasSubstr("loop iterations"));
}

TEST(JinjaLimitTest, OutputIsCapped) {
  RenderOptions options = TestOptions();
  options.max_output_bytes = 1 << 20;
  const auto out = Render("{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}", {}, options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(Msg(out.status()), HasSubstr("output exceeds the limit"));
}

TEST(JinjaLimitTest, StringDoublingIsCapped) {
  const auto out = Render(
      "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}"
      "{% endfor %}{{ ns.s|length }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(JinjaLimitTest, ListDoublingIsCapped) {
  const auto out = Render(
      "{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = [ns.l, ns.l] %}"
      "{% endfor %}{{ ns.l }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(JinjaLimitTest, InfiniteMacroRecursionIsCapped) {
  const auto out = Render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(JinjaLimitTest, DeepRecursionFailsCleanly) {
  // Statements nested inside recursive macro calls, and expressions nested
  // inside those: the recursion limit ends the render before the stack does.
  std::string body = "{{ f(n + 1) }}";
  for (int i = 0; i < 20; ++i) body = "{% if true %}" + body + "{% endif %}";
  auto out = Render("{% macro f(n) %}" + body + "{% endmacro %}{{ f(0) }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  const std::string nested =
      "{{ " + std::string(60, '[') + "f(n + 1)" + std::string(60, ']') + " }}";
  out = Render("{% macro f(n) %}" + nested + "{% endmacro %}{{ f(0) }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(JinjaLimitTest, DeepExpressionNestingIsAParseError) {
  const std::string deep = "{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}";
  const auto t = Template::Parse(deep);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(Msg(t.status()), HasSubstr("nested too deeply"));
  const std::string ok = "{{ " + std::string(30, '(') + "1" + std::string(30, ')') + " }}";
  EXPECT_TRUE(Template::Parse(ok).ok());
}

TEST(JinjaLimitTest, StepBudget) {
  RenderOptions options = TestOptions();
  options.max_steps = 1000;
  const auto out = Render("{% for i in range(10000) %}{{ i }}{% endfor %}", {}, options);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(Msg(out.status()), HasSubstr("evaluation budget"));
}

// --- Values -----------------------------------------------------------------------

TEST(JinjaValueTest, ContextOverridesGlobals) {
  Context context;
  context["range"] = Value::String("mine");
  EXPECT_EQ(*Render("{{ range }}", context), "mine");
}

TEST(JinjaValueTest, OrderedJsonKeepsKeyOrder) {
  Context context;
  context["tool"] = *ValueFromJson(
      nlohmann::ordered_json::parse(R"({"name": "f", "parameters": {"z": 1, "a": 2}})"));
  EXPECT_EQ(*Render("{{ tool|tojson }}", context),
            R"({"name": "f", "parameters": {"z": 1, "a": 2}})");
}

}  // namespace
}  // namespace weft::chat::jinja
