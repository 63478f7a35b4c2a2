// Tests for the Jinja lexer: token kinds and locations, whitespace control
// (trim_blocks / lstrip_blocks as Hugging Face sets them), literals and errors.
#include "common/chat/jinja_lexer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::chat::jinja {
namespace {

using ::testing::ElementsAre;

// Text tokens only, concatenated: what the template outputs when it has no
// expressions.
std::string Text(absl::string_view source, const LexerOptions& options = {}) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(source, options);
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  std::string out;
  if (!tokens.ok()) return out;
  for (const Token& t : *tokens) {
    if (t.kind == TokenKind::kText) out += t.text;
  }
  return out;
}

// Token texts, with kinds abbreviated: "T:" text, "N:" name, "S:" string,
// "I:" integer, "F:" float, "O:" operator, and "{%", "%}", "{{", "}}".
std::vector<std::string> Describe(absl::string_view source) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(source);
  EXPECT_TRUE(tokens.ok()) << tokens.status();
  std::vector<std::string> out;
  if (!tokens.ok()) return out;
  for (const Token& t : *tokens) {
    switch (t.kind) {
      case TokenKind::kText:
        out.push_back("T:" + t.text);
        break;
      case TokenKind::kName:
        out.push_back("N:" + t.text);
        break;
      case TokenKind::kString:
        out.push_back("S:" + t.text);
        break;
      case TokenKind::kInteger:
        out.push_back("I:" + std::to_string(t.int_value));
        break;
      case TokenKind::kFloat:
        out.push_back("F:" + t.text);
        break;
      case TokenKind::kOperator:
        out.push_back("O:" + t.text);
        break;
      case TokenKind::kEof:
        break;
      default:
        out.push_back(t.text);
    }
  }
  return out;
}

TEST(JinjaLexerTest, Tokens) {
  EXPECT_THAT(Describe("a{{ x.y[0] | f(1, 'z') }}b"),
              ElementsAre("T:a", "{{", "N:x", "O:.", "N:y", "O:[", "I:0", "O:]", "O:|", "N:f",
                          "O:(", "I:1", "O:,", "S:z", "O:)", "}}", "T:b"));
  EXPECT_THAT(Describe("{% if a <= b // 2 ** 3 != c %}"),
              ElementsAre("{%", "N:if", "N:a", "O:<=", "N:b", "O://", "I:2", "O:**", "I:3",
                          "O:!=", "N:c", "%}"));
}

TEST(JinjaLexerTest, Numbers) {
  EXPECT_THAT(Describe("{{ 1.5 1e3 2.5E-2 0x1F 0o17 0b101 1_000 7 }}"),
              ElementsAre("{{", "F:1.5", "F:1e3", "F:2.5E-2", "I:31", "I:15", "I:5", "I:1000",
                          "I:7", "}}"));
  // "1." is an integer then a dot (attribute access), as in jinja2.
  EXPECT_THAT(Describe("{{ x.0.1 }}"), ElementsAre("{{", "N:x", "O:.", "I:0", "O:.", "I:1", "}}"));
  EXPECT_FALSE(Tokenize("{{ 99999999999999999999 }}").ok());
}

TEST(JinjaLexerTest, StringEscapes) {
  EXPECT_THAT(Describe(R"({{ 'a\nb' "it's" 'it\'s' '\x41\u00e9\101' '\q' '\\' }})"),
              ElementsAre("{{", "S:a\nb", "S:it's", "S:it's",
                          "S:A\xC3\xA9"
                          "A",
                          "S:\\q", "S:\\", "}}"));
  EXPECT_THAT(Describe("{{ 'multi\nline' }}"), ElementsAre("{{", "S:multi\nline", "}}"));
  EXPECT_FALSE(Tokenize(R"({{ '\x4' }})").ok());
  EXPECT_FALSE(Tokenize(R"({{ '\ud800' }})").ok());
}

TEST(JinjaLexerTest, DashStripsAllWhitespace) {
  EXPECT_EQ(Text("a \n\t {%- if x %} b {% endif -%} \n c"), "a b c");
  EXPECT_EQ(Text("a\n\n{{- x -}}\n\nb"), "ab");
  EXPECT_EQ(Text("a  {#- c -#}  b"), "ab");
}

TEST(JinjaLexerTest, TrimBlocksRemovesOneNewline) {
  EXPECT_EQ(Text("{% if x %}\n\nb{% endif %}\n"), "\nb");
  // Not after a variable tag.
  EXPECT_EQ(Text("{{ x }}\nb"), "\nb");
  // Comments too.
  EXPECT_EQ(Text("{# c #}\nb"), "b");
  LexerOptions no_trim;
  no_trim.trim_blocks = false;
  EXPECT_EQ(Text("{% if x %}\nb", no_trim), "\nb");
}

TEST(JinjaLexerTest, LstripBlocksRemovesIndentBeforeBlockTags) {
  EXPECT_EQ(Text("a\n    {% if x %}\n  b\n  {% endif %}\n"), "a\n  b\n");
  // Only whitespace-only line prefixes.
  EXPECT_EQ(Text("a  {% if x %}b"), "a  b");
  // Not before variables.
  EXPECT_EQ(Text("a\n  {{ x }}"), "a\n  ");
  // `+` keeps it.
  EXPECT_EQ(Text("a\n  {%+ if x %}b"), "a\n  b");
  // At the start of the template, and after a tag that ended a line.
  EXPECT_EQ(Text("  {% if x %}\n  {% if y %}z"), "z");
  LexerOptions no_lstrip;
  no_lstrip.lstrip_blocks = false;
  EXPECT_EQ(Text("a\n  {% if x %}b", no_lstrip), "a\n  b");
}

TEST(JinjaLexerTest, NewlinesAreNormalisedAndOneTrailingNewlineDropped) {
  EXPECT_EQ(Text("a\r\nb\rc\n"), "a\nb\nc");
  EXPECT_EQ(Text("a\n\n"), "a\n");
  LexerOptions keep;
  keep.keep_trailing_newline = true;
  EXPECT_EQ(Text("a\n", keep), "a\n");
}

TEST(JinjaLexerTest, RawBlocks) {
  EXPECT_EQ(Text("{% raw %}{{ not parsed }}{% endraw %}"), "{{ not parsed }}");
  EXPECT_EQ(Text("x {%- raw -%}  {% y %}  {%- endraw %}"), "x{% y %}");
}

TEST(JinjaLexerTest, BracketsNestInsideTags) {
  EXPECT_THAT(
      Describe("{{ {'a': {'b': 1}} }}"),
      ElementsAre("{{", "O:{", "S:a", "O::", "O:{", "S:b", "O::", "I:1", "O:}", "O:}", "}}"));
}

TEST(JinjaLexerTest, Locations) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize("ab\n  {{ x }}\n\xC3\xA9{% y %}");
  ASSERT_TRUE(tokens.ok());
  std::vector<std::string> locations;
  for (const Token& t : *tokens) locations.push_back(FormatLocation(t.location));
  // "ab\n  ", "{{", "x", "}}", "\né", "{%", "y", "%}", eof.
  EXPECT_THAT(locations, ElementsAre("line 1:1", "line 2:3", "line 2:6", "line 2:8", "line 2:10",
                                     "line 3:2", "line 3:5", "line 3:7", "line 3:9"));
}

TEST(JinjaLexerTest, Errors) {
  EXPECT_EQ(Tokenize("{{ 'abc }}").status().message(), "line 1:4: unterminated string literal");
  EXPECT_EQ(Tokenize("a\n{% if").status().message(),
            "line 2:1: unexpected end of template: '{%' is not closed by '%}'");
  EXPECT_EQ(Tokenize("{{ a ! b }}").status().message(),
            "line 1:6: unexpected character '!' in a tag");
  EXPECT_EQ(Tokenize("{{ ) }}").status().message(), "line 1:4: unexpected ')'");
  EXPECT_EQ(Tokenize("{{ (] }}").status().message(), "line 1:5: unexpected ']', expected ')'");
  EXPECT_EQ(Tokenize("{% raw %}x").status().message(), "line 1:1: missing end of raw directive");
  EXPECT_EQ(Tokenize("{{ caf\xC3\xA9 }}").status().message(),
            "line 1:4: non-ASCII identifiers are not supported");
  EXPECT_EQ(Tokenize("\xC3").status().message(), "template source is not valid UTF-8");
}

}  // namespace
}  // namespace weft::chat::jinja
