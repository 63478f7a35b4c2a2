// Where and why nlohmann::json rejects a text. Parsing without exceptions
// only says that a document is invalid; running this SAX pass afterwards, on
// the error path, recovers the parser's own message for an error that names
// the place.
#ifndef WEFT_COMMON_JSON_JSON_SYNTAX_ERROR_H_
#define WEFT_COMMON_JSON_JSON_SYNTAX_ERROR_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace weft {

struct JsonSyntaxError {
  size_t byte = 0;      // where the parser stopped
  std::string message;  // nlohmann's, e.g. "[json.exception.parse_error.101] parse error at ..."

  // The message without the "[json.exception...] " prefix and without the
  // "; last read: '...'" echo of the input (which can be long).
  std::string Short() const {
    absl::string_view m = message;
    if (const size_t p = m.find("] "); m.rfind("[json.exception", 0) == 0 && p != m.npos) {
      m.remove_prefix(p + 2);
    }
    if (const size_t p = m.find("; last read: "); p != m.npos) m = m.substr(0, p);
    return std::string(m);
  }
};

namespace json_internal {

template <typename BasicJson>
class ErrorRecorder final : public nlohmann::json_sax<BasicJson> {
  using Base = nlohmann::json_sax<BasicJson>;

 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(typename Base::number_integer_t) override { return true; }
  bool number_unsigned(typename Base::number_unsigned_t) override { return true; }
  bool number_float(typename Base::number_float_t, const typename Base::string_t&) override {
    return true;
  }
  bool string(typename Base::string_t&) override { return true; }
  bool binary(typename Base::binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(typename Base::string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    if (error.message.empty()) error = {position, ex.what()};
    return false;
  }
  JsonSyntaxError error;
};

}  // namespace json_internal

// The first syntax error in `text` (message "malformed document" if the
// parser reports none, e.g. for valid JSON).
template <typename BasicJson = nlohmann::json>
JsonSyntaxError FindJsonSyntaxError(absl::string_view text) {
  json_internal::ErrorRecorder<BasicJson> recorder;
  BasicJson::sax_parse(text.begin(), text.end(), &recorder);
  if (recorder.error.message.empty()) recorder.error.message = "malformed document";
  return recorder.error;
}

}  // namespace weft

#endif  // WEFT_COMMON_JSON_JSON_SYNTAX_ERROR_H_
