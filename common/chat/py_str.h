// Python `str` semantics on UTF-8 strings, as Jinja templates see them: code
// point indexing, str.isspace() whitespace, strip/split/splitlines, repr() of
// strings and floats. Inputs must be valid UTF-8 (the renderer validates
// template text and JSON input before any of this runs).
//
// Case mapping (upper/lower/title/capitalize) is one-to-one and covers ASCII,
// Latin-1, Latin Extended-A, Greek, Cyrillic and fullwidth Latin letters
// (no "ß" -> "SS", no final sigma).
#ifndef WEFT_COMMON_CHAT_PY_STR_H_
#define WEFT_COMMON_CHAT_PY_STR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace weft::chat::py {

bool IsValidUtf8(absl::string_view s);
bool IsAscii(absl::string_view s);

// Decodes valid UTF-8 into code points.
std::u32string Decode(absl::string_view s);
void AppendUtf8(char32_t c, std::string* out);
std::string Encode(const std::u32string& s);
// Number of code points (len() in Python).
int64_t Length(absl::string_view s);

// Python's str.isspace() for one code point (also what `\s` matches).
bool IsSpace(char32_t c);

// str.strip / lstrip / rstrip. `chars` nullopt strips whitespace.
std::string Strip(absl::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right);

// str.split / str.rsplit. `sep` nullopt splits on runs of whitespace. `sep`
// must not be empty (the caller reports Python's "empty separator").
// maxsplit < 0 means no limit.
std::vector<std::string> Split(absl::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit);
std::vector<std::string> RSplit(absl::string_view s, const std::optional<std::string>& sep,
                                int64_t maxsplit);

// str.splitlines(keepends).
std::vector<std::string> SplitLines(absl::string_view s, bool keepends);

// str.replace(old, new, count); count < 0 replaces all. An empty `from`
// inserts `to` around every code point as Python does.
std::string Replace(absl::string_view s, absl::string_view from, absl::string_view to,
                    int64_t count);

// str.find: code point index of the first occurrence, or -1.
int64_t Find(absl::string_view s, absl::string_view sub, bool reverse);

std::string Upper(absl::string_view s);
std::string Lower(absl::string_view s);
// Python str.title(): a letter after a non-letter is upper-cased, others
// lower-cased.
std::string PyTitle(absl::string_view s);
// Jinja's `title` filter: each word (split at runs of whitespace, '-', '(',
// '{', '[', '<') gets its first character upper-cased and the rest
// lower-cased.
std::string JinjaTitle(absl::string_view s);
// str.capitalize(): first character upper-cased, the rest lower-cased.
std::string Capitalize(absl::string_view s);
// str.islower() / str.isupper(): some cased character, and no cased
// character of the other case.
bool IsLower(absl::string_view s);
bool IsUpper(absl::string_view s);

// repr() of a str, e.g. 'it\'s' -> "it's", 'a\nb' -> 'a\\nb'.
std::string ReprString(absl::string_view s);
// repr() of a float: shortest round-trip digits, 1e+16 / 1e-05 switches,
// "1.0" for integral values, inf / nan.
std::string ReprFloat(double d);

}  // namespace weft::chat::py

#endif  // WEFT_COMMON_CHAT_PY_STR_H_
