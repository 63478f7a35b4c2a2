#include "router/http/http_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace weft::router::http {

bool IsValidHeaderName(absl::string_view name) {
  if (name.empty()) return false;
  for (char ch : name) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (absl::ascii_isalnum(c)) continue;
    switch (c) {
      case '!':
      case '#':
      case '$':
      case '%':
      case '&':
      case '\'':
      case '*':
      case '+':
      case '-':
      case '.':
      case '^':
      case '_':
      case '`':
      case '|':
      case '~':
        continue;
      default:
        return false;
    }
  }
  return true;
}

bool IsValidHeaderValue(absl::string_view value) {
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
  }
  return true;
}

std::optional<absl::string_view> HttpHeaders::Get(absl::string_view name) const {
  for (const Field& field : fields_) {
    if (absl::EqualsIgnoreCase(field.first, name)) return absl::string_view(field.second);
  }
  return std::nullopt;
}

std::vector<absl::string_view> HttpHeaders::GetAll(absl::string_view name) const {
  std::vector<absl::string_view> values;
  for (const Field& field : fields_) {
    if (absl::EqualsIgnoreCase(field.first, name)) values.push_back(field.second);
  }
  return values;
}

bool HttpHeaders::HasToken(absl::string_view name, absl::string_view token) const {
  for (const Field& field : fields_) {
    if (!absl::EqualsIgnoreCase(field.first, name)) continue;
    for (absl::string_view element : absl::StrSplit(field.second, ',')) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(element), token)) return true;
    }
  }
  return false;
}

int HttpHeaders::Remove(absl::string_view name) {
  const size_t before = fields_.size();
  std::erase_if(fields_, [name](const Field& f) { return absl::EqualsIgnoreCase(f.first, name); });
  return static_cast<int>(before - fields_.size());
}

}  // namespace weft::router::http
