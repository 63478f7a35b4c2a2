// Splits Jinja template source into tokens, as jinja2's lexer does: template
// text, `{{ ... }}` (variable), `{% ... %}` (block) and the tokens inside
// them. Comments `{# ... #}` are dropped and `{% raw %}...{% endraw %}` becomes
// text.
//
// Whitespace control follows jinja2 exactly:
//   `{%-`, `{{-`, `{#-` strip all whitespace (newlines included) before the
//   tag; `-%}`, `-}}`, `-#}` strip all whitespace after it;
//   trim_blocks removes the first newline after a block or comment tag;
//   lstrip_blocks removes spaces and tabs from the start of a line up to a
//   block or comment tag (not a `{{`); `{%+` / `+%}` switch these off for one
//   tag.
// The source's newlines are normalised to "\n" and one trailing newline is
// dropped (keep_trailing_newline=False), as jinja2 does.
//
// Hugging Face renders chat templates with trim_blocks=True and
// lstrip_blocks=True (transformers' ImmutableSandboxedEnvironment), the
// defaults here.
#ifndef WEFT_COMMON_CHAT_JINJA_LEXER_H_
#define WEFT_COMMON_CHAT_JINJA_LEXER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::chat::jinja {

// 1-based line and column (in code points) in the template source.
struct SourceLocation {
  int line = 1;
  int column = 1;
};

// "line 3:14".
std::string FormatLocation(SourceLocation location);

enum class TokenKind {
  kText,           // Template data; `text` holds it.
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,           // Identifier; `text` holds it.
  kString,         // String literal; `text` holds the unescaped value.
  kInteger,        // `int_value`.
  kFloat,          // `float_value`.
  kOperator,       // `text` holds the operator, e.g. "==" or "(".
  kEof,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  SourceLocation location;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

// Tokenizes `source` (which must be valid UTF-8). The result ends with one
// kEof token. Errors are InvalidArgument "line L:C: <what>", e.g. an
// unterminated tag, comment or string, or an unexpected character.
absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view source,
                                            const LexerOptions& options = {});

}  // namespace weft::chat::jinja

#endif  // WEFT_COMMON_CHAT_JINJA_LEXER_H_
