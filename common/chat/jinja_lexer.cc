// Splits Jinja template source into tokens (see jinja_lexer.h), following
// jinja2/lexer.py rule by rule.
#include "common/chat/jinja_lexer.h"

#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/chat/py_str.h"

namespace weft::chat::jinja {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's str.isspace() on the UTF-8 sequence at `pos`; sets `*len`.
bool SpaceAt(absl::string_view s, size_t pos, size_t* len) {
  const unsigned char c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) {
    *len = 1;
    return py::IsSpace(c);
  }
  size_t n = c >= 0xf0 ? 4 : (c >= 0xe0 ? 3 : 2);
  if (pos + n > s.size()) n = s.size() - pos;
  const std::u32string cp = py::Decode(s.substr(pos, n));
  *len = n;
  return !cp.empty() && py::IsSpace(cp[0]);
}

size_t SkipSpace(absl::string_view s, size_t pos) {
  size_t len;
  while (pos < s.size() && SpaceAt(s, pos, &len)) pos += len;
  return pos;
}

// str.rstrip() of `text`.
absl::string_view RStripSpace(absl::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80) --start;
    size_t len;
    if (!SpaceAt(text, start, &len)) break;
    end = start;
  }
  return text.substr(0, end);
}

bool AllSpace(absl::string_view text) {
  size_t pos = 0;
  size_t len;
  while (pos < text.size()) {
    if (!SpaceAt(text, pos, &len)) return false;
    pos += len;
  }
  return true;
}

// `(\d+_)*\d+` at `pos`: the end, or npos.
size_t MatchDigits(absl::string_view s, size_t pos) {
  if (pos >= s.size() || !IsDigit(s[pos])) return absl::string_view::npos;
  while (pos < s.size() && IsDigit(s[pos])) ++pos;
  while (pos + 1 < s.size() && s[pos] == '_' && IsDigit(s[pos + 1])) {
    ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
  }
  return pos;
}

// jinja2's float_re at `pos`: the end, or npos.
size_t MatchFloat(absl::string_view s, size_t pos) {
  if (pos > 0 && s[pos - 1] == '.') return absl::string_view::npos;
  const size_t int_end = MatchDigits(s, pos);
  if (int_end == absl::string_view::npos) return int_end;
  size_t frac_end = absl::string_view::npos;
  if (int_end < s.size() && s[int_end] == '.') frac_end = MatchDigits(s, int_end + 1);
  const size_t mantissa_end = frac_end != absl::string_view::npos ? frac_end : int_end;
  if (mantissa_end < s.size() && (s[mantissa_end] == 'e' || s[mantissa_end] == 'E')) {
    size_t p = mantissa_end + 1;
    if (p < s.size() && (s[p] == '+' || s[p] == '-')) ++p;
    const size_t exp_end = MatchDigits(s, p);
    if (exp_end != absl::string_view::npos) return exp_end;
  }
  return frac_end;
}

// jinja2's integer_re at `pos`: the end, or npos.
size_t MatchInteger(absl::string_view s, size_t pos) {
  auto prefixed = [&](char letter, int base) -> size_t {
    if (pos + 1 >= s.size() || s[pos] != '0' || (s[pos + 1] | 0x20) != letter) {
      return absl::string_view::npos;
    }
    size_t p = pos + 2;
    size_t end = absl::string_view::npos;
    while (true) {
      size_t q = p;
      if (q < s.size() && s[q] == '_') ++q;
      if (q >= s.size()) break;
      const int v = HexValue(s[q]);
      if (v < 0 || v >= base) break;
      p = end = q + 1;
    }
    return end;
  };
  for (const auto& [letter, base] : {std::pair<char, int>{'b', 2}, {'o', 8}, {'x', 16}}) {
    const size_t end = prefixed(letter, base);
    if (end != absl::string_view::npos) return end;
  }
  if (pos >= s.size() || !IsDigit(s[pos])) return absl::string_view::npos;
  const char digit_class = s[pos];
  size_t p = pos + 1;
  while (true) {
    size_t q = p;
    if (q < s.size() && s[q] == '_') ++q;
    if (q >= s.size() || !IsDigit(s[q]) || (digit_class == '0' && s[q] != '0')) break;
    p = q + 1;
  }
  return p;
}

class Lexer {
 public:
  Lexer(absl::string_view source, const LexerOptions& options) : options_(options) {
    // Newlines to "\n"; drop one trailing newline.
    src_.reserve(source.size());
    for (size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\r') {
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
        src_.push_back('\n');
      } else {
        src_.push_back(source[i]);
      }
    }
    if (!options.keep_trailing_newline && !src_.empty() && src_.back() == '\n') src_.pop_back();
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  absl::StatusOr<std::vector<Token>> Run() {
    const absl::string_view s = src_;
    size_t pos = 0;
    bool line_starting = true;
    while (pos < s.size()) {
      size_t tag = pos;
      while (true) {
        tag = s.find('{', tag);
        if (tag == absl::string_view::npos || tag + 1 >= s.size()) {
          tag = absl::string_view::npos;
          break;
        }
        const char k = s[tag + 1];
        if (k == '{' || k == '%' || k == '#') break;
        ++tag;
      }
      if (tag == absl::string_view::npos) {
        Emit(TokenKind::kText, std::string(s.substr(pos)), pos);
        break;
      }
      const char kind = s[tag + 1];
      size_t after = tag + 2;
      char sign = 0;
      if (after < s.size() && (s[after] == '-' || s[after] == '+')) sign = s[after++];

      size_t raw_body = absl::string_view::npos;
      if (kind == '%') raw_body = MatchRawBegin(after);

      EmitStrippedText(s.substr(pos, tag - pos), pos, sign, kind != '{', line_starting);

      if (raw_body != absl::string_view::npos) {
        absl::StatusOr<size_t> end = LexRaw(tag, raw_body, &line_starting);
        if (!end.ok()) return end.status();
        pos = *end;
        continue;
      }
      if (kind == '#') {
        absl::StatusOr<size_t> end = LexComment(tag, after);
        if (!end.ok()) return end.status();
        pos = *end;
      } else {
        absl::StatusOr<size_t> end = LexTag(tag, after, kind == '%');
        if (!end.ok()) return end.status();
        pos = *end;
      }
      line_starting = s[pos - 1] == '\n';
    }
    Token eof;
    eof.kind = TokenKind::kEof;
    eof.location = Location(s.size());
    tokens_.push_back(std::move(eof));
    return std::move(tokens_);
  }

 private:
  SourceLocation Location(size_t offset) const {
    size_t lo = 0;
    size_t hi = line_starts_.size();
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      if (line_starts_[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    SourceLocation loc;
    loc.line = static_cast<int>(lo) + 1;
    loc.column = static_cast<int>(py::Length(
                     absl::string_view(src_).substr(line_starts_[lo], offset - line_starts_[lo]))) +
                 1;
    return loc;
  }

  absl::Status Error(size_t offset, absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(FormatLocation(Location(offset)), ": ", message));
  }

  void Emit(TokenKind kind, std::string text, size_t offset) {
    Token token;
    token.kind = kind;
    token.text = std::move(text);
    token.location = Location(offset);
    tokens_.push_back(std::move(token));
  }

  // Template text before a tag, with the tag's `-` / lstrip_blocks applied.
  void EmitStrippedText(absl::string_view text, size_t offset, char sign, bool lstrip_kind,
                        bool line_starting) {
    if (sign == '-') {
      text = RStripSpace(text);
    } else if (sign != '+' && options_.lstrip_blocks && lstrip_kind) {
      const size_t newline = text.rfind('\n');
      const size_t l_pos = newline == absl::string_view::npos ? 0 : newline + 1;
      if ((l_pos > 0 || line_starting) && l_pos < text.size() && AllSpace(text.substr(l_pos))) {
        text = text.substr(0, l_pos);
      }
    }
    if (!text.empty()) Emit(TokenKind::kText, std::string(text), offset);
  }

  // `\s*raw\s*(?:-%}\s*|%})` at `pos`: where the raw body starts, or npos.
  size_t MatchRawBegin(size_t pos) const {
    const absl::string_view s = src_;
    pos = SkipSpace(s, pos);
    if (!absl::StartsWith(s.substr(pos), "raw")) return absl::string_view::npos;
    pos = SkipSpace(s, pos + 3);
    if (absl::StartsWith(s.substr(pos), "-%}")) return SkipSpace(s, pos + 3);
    if (absl::StartsWith(s.substr(pos), "%}")) return pos + 2;
    return absl::string_view::npos;
  }

  // The raw body up to the first `{%[-+]?\s*endraw\s*(+%}|-%}\s*|%}\n?)`;
  // returns the offset after it.
  absl::StatusOr<size_t> LexRaw(size_t tag, size_t body, bool* line_starting) {
    const absl::string_view s = src_;
    // The raw-begin match ends the previous "line" for lstrip purposes.
    const bool body_line_starting = s[body - 1] == '\n';
    size_t search = body;
    while (true) {
      const size_t open = s.find("{%", search);
      if (open == absl::string_view::npos) return Error(tag, "missing end of raw directive");
      size_t p = open + 2;
      char sign = 0;
      if (p < s.size() && (s[p] == '-' || s[p] == '+')) sign = s[p++];
      p = SkipSpace(s, p);
      if (absl::StartsWith(s.substr(p), "endraw")) {
        p = SkipSpace(s, p + 6);
        size_t end = absl::string_view::npos;
        if (absl::StartsWith(s.substr(p), "+%}")) {
          end = p + 3;
        } else if (absl::StartsWith(s.substr(p), "-%}")) {
          end = SkipSpace(s, p + 3);
        } else if (absl::StartsWith(s.substr(p), "%}")) {
          end = p + 2;
          if (options_.trim_blocks && end < s.size() && s[end] == '\n') ++end;
        }
        if (end != absl::string_view::npos) {
          EmitStrippedText(s.substr(body, open - body), body, sign, true, body_line_starting);
          *line_starting = s[end - 1] == '\n';
          return end;
        }
      }
      search = open + 1;
    }
  }

  // A comment body up to `+#}`, `-#}\s*` or `#}\n?`; returns the offset after.
  absl::StatusOr<size_t> LexComment(size_t tag, size_t pos) const {
    const absl::string_view s = src_;
    for (size_t k = pos; k < s.size(); ++k) {
      const absl::string_view rest = s.substr(k);
      if (absl::StartsWith(rest, "+#}")) return k + 3;
      if (absl::StartsWith(rest, "-#}")) return SkipSpace(s, k + 3);
      if (absl::StartsWith(rest, "#}")) {
        size_t end = k + 2;
        if (options_.trim_blocks && end < s.size() && s[end] == '\n') ++end;
        return end;
      }
    }
    return Error(tag, "missing end of comment tag '#}'");
  }

  // The tokens of a `{{ ... }}` or `{% ... %}` tag whose contents start at
  // `pos`; returns the offset after the closing delimiter.
  absl::StatusOr<size_t> LexTag(size_t tag, size_t pos, bool block) {
    const absl::string_view s = src_;
    Emit(block ? TokenKind::kBlockBegin : TokenKind::kVariableBegin, block ? "{%" : "{{", tag);
    std::vector<char> balance;
    while (true) {
      if (pos >= s.size()) {
        return Error(tag, absl::StrCat("unexpected end of template: '", block ? "{%" : "{{",
                                       "' is not closed by '", block ? "%}" : "}}", "'"));
      }
      const absl::string_view rest = s.substr(pos);
      if (balance.empty()) {
        size_t end = absl::string_view::npos;
        if (block) {
          if (absl::StartsWith(rest, "+%}")) {
            end = pos + 3;
          } else if (absl::StartsWith(rest, "-%}")) {
            end = SkipSpace(s, pos + 3);
          } else if (absl::StartsWith(rest, "%}")) {
            end = pos + 2;
            if (options_.trim_blocks && end < s.size() && s[end] == '\n') ++end;
          }
        } else {
          if (absl::StartsWith(rest, "-}}")) {
            end = SkipSpace(s, pos + 3);
          } else if (absl::StartsWith(rest, "}}")) {
            end = pos + 2;
          }
        }
        if (end != absl::string_view::npos) {
          Emit(block ? TokenKind::kBlockEnd : TokenKind::kVariableEnd, block ? "%}" : "}}", pos);
          return end;
        }
      }
      size_t len;
      if (SpaceAt(s, pos, &len)) {
        pos += len;
        continue;
      }
      size_t end = MatchFloat(s, pos);
      if (end != absl::string_view::npos) {
        std::string digits;
        for (size_t i = pos; i < end; ++i) {
          if (s[i] != '_') digits.push_back(s[i]);
        }
        Token token;
        token.kind = TokenKind::kFloat;
        token.text = std::string(s.substr(pos, end - pos));
        token.float_value = std::strtod(digits.c_str(), nullptr);
        token.location = Location(pos);
        tokens_.push_back(std::move(token));
        pos = end;
        continue;
      }
      end = MatchInteger(s, pos);
      if (end != absl::string_view::npos) {
        absl::StatusOr<int64_t> value = ParseInteger(s.substr(pos, end - pos), pos);
        if (!value.ok()) return value.status();
        Token token;
        token.kind = TokenKind::kInteger;
        token.text = std::string(s.substr(pos, end - pos));
        token.int_value = *value;
        token.location = Location(pos);
        tokens_.push_back(std::move(token));
        pos = end;
        continue;
      }
      const char c = s[pos];
      if (IsNameStart(c)) {
        end = pos;
        while (end < s.size() && IsNameChar(s[end])) ++end;
        size_t space_len;
        if (end < s.size() && static_cast<unsigned char>(s[end]) >= 0x80 &&
            !SpaceAt(s, end, &space_len)) {
          return Error(pos, "non-ASCII identifiers are not supported");
        }
        Emit(TokenKind::kName, std::string(s.substr(pos, end - pos)), pos);
        pos = end;
        continue;
      }
      if (c == '\'' || c == '"') {
        absl::StatusOr<size_t> string_end = LexString(pos);
        if (!string_end.ok()) return string_end.status();
        pos = *string_end;
        continue;
      }
      static constexpr absl::string_view kTwoCharOps[] = {"//", "**", "==", "!=", ">=", "<="};
      bool matched = false;
      for (const absl::string_view op : kTwoCharOps) {
        if (absl::StartsWith(rest, op)) {
          Emit(TokenKind::kOperator, std::string(op), pos);
          pos += 2;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (absl::string_view("+-/*%~[](){}><=.:|,;").find(c) == absl::string_view::npos) {
        if (static_cast<unsigned char>(c) >= 0x80) {
          return Error(pos, "unexpected non-ASCII character in a tag");
        }
        return Error(pos, absl::StrCat("unexpected character '", std::string(1, c), "' in a tag"));
      }
      if (c == '(' || c == '[' || c == '{') {
        if (balance.size() >= 256) return Error(pos, "brackets nested too deeply");
        balance.push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
      } else if (c == ')' || c == ']' || c == '}') {
        if (balance.empty())
          return Error(pos, absl::StrCat("unexpected '", std::string(1, c), "'"));
        if (balance.back() != c) {
          return Error(pos, absl::StrCat("unexpected '", std::string(1, c), "', expected '",
                                         std::string(1, balance.back()), "'"));
        }
        balance.pop_back();
      }
      Emit(TokenKind::kOperator, std::string(1, c), pos);
      ++pos;
    }
  }

  absl::StatusOr<int64_t> ParseInteger(absl::string_view text, size_t offset) const {
    int base = 10;
    size_t i = 0;
    if (text.size() > 1 && text[0] == '0' && text[1] != '_' && !IsDigit(text[1])) {
      const char letter = text[1] | 0x20;
      base = letter == 'b' ? 2 : (letter == 'o' ? 8 : 16);
      i = 2;
    }
    int64_t value = 0;
    for (; i < text.size(); ++i) {
      if (text[i] == '_') continue;
      const int digit = HexValue(text[i]);
      if (value > (std::numeric_limits<int64_t>::max() - digit) / base) {
        return Error(offset, "integer literal too large");
      }
      value = value * base + digit;
    }
    return value;
  }

  // A quoted string at `pos`, unescaped as Python's unicode-escape does.
  absl::StatusOr<size_t> LexString(size_t pos) {
    const absl::string_view s = src_;
    const char quote = s[pos];
    size_t end = pos + 1;
    while (end < s.size() && s[end] != quote) end += s[end] == '\\' ? 2 : 1;
    if (end >= s.size()) return Error(pos, "unterminated string literal");
    const absl::string_view body = s.substr(pos + 1, end - pos - 1);
    std::string value;
    value.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] != '\\') {
        value.push_back(body[i]);
        continue;
      }
      const char e = body[++i];
      switch (e) {
        case '\n':
          break;
        case '\\':
        case '\'':
        case '"':
          value.push_back(e);
          break;
        case 'a':
          value.push_back('\a');
          break;
        case 'b':
          value.push_back('\b');
          break;
        case 'f':
          value.push_back('\f');
          break;
        case 'n':
          value.push_back('\n');
          break;
        case 'r':
          value.push_back('\r');
          break;
        case 't':
          value.push_back('\t');
          break;
        case 'v':
          value.push_back('\v');
          break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t digits = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          char32_t cp = 0;
          for (size_t k = 1; k <= digits; ++k) {
            const int v = i + k < body.size() ? HexValue(body[i + k]) : -1;
            if (v < 0) {
              return Error(pos, absl::StrCat("truncated \\", std::string(1, e), " escape"));
            }
            cp = cp * 16 + v;
          }
          if (cp > 0x10ffff) return Error(pos, "illegal Unicode character in string escape");
          if (cp >= 0xd800 && cp <= 0xdfff) {
            return Error(pos, "surrogate code points in string escapes are not supported");
          }
          py::AppendUtf8(cp, &value);
          i += digits;
          break;
        }
        case 'N':
          return Error(pos, "\\N{...} escapes are not supported");
        default:
          if (e >= '0' && e <= '7') {
            char32_t cp = e - '0';
            for (int k = 0;
                 k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k) {
              cp = cp * 8 + (body[++i] - '0');
            }
            py::AppendUtf8(cp, &value);
          } else if (static_cast<unsigned char>(e) >= 0x80) {
            // Python escapes the non-ASCII character (backslashreplace)
            // before decoding, so "\é" becomes the text "\xe9".
            size_t n = 1;
            while (i + n < body.size() &&
                   (static_cast<unsigned char>(body[i + n]) & 0xc0) == 0x80) {
              ++n;
            }
            const char32_t cp = py::Decode(body.substr(i, n))[0];
            char buf[16];
            if (cp < 0x100) {
              std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
            } else if (cp < 0x10000) {
              std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
            } else {
              std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(cp));
            }
            value.append(buf);
            i += n - 1;
          } else {
            value.push_back('\\');
            value.push_back(e);
          }
      }
    }
    Token token;
    token.kind = TokenKind::kString;
    token.text = std::move(value);
    token.location = Location(pos);
    tokens_.push_back(std::move(token));
    return end + 1;
  }

  const LexerOptions options_;
  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

std::string FormatLocation(SourceLocation location) {
  return absl::StrCat("line ", location.line, ":", location.column);
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view source, const LexerOptions& options) {
  if (!py::IsValidUtf8(source)) {
    return absl::InvalidArgumentError("template source is not valid UTF-8");
  }
  return Lexer(source, options).Run();
}

}  // namespace weft::chat::jinja
