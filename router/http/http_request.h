// The HTTP message model handlers see: HttpHeaders (an ordered list of header
// fields with case-insensitive lookup, used for requests and responses) and
// HttpRequest (one parsed request, body included).
#ifndef WEFT_ROUTER_HTTP_HTTP_REQUEST_H_
#define WEFT_ROUTER_HTTP_HTTP_REQUEST_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace weft::router::http {

// Header fields in the order they were received (or added). Names compare
// case-insensitively; repeated names are kept as separate entries.
class HttpHeaders {
 public:
  using Field = std::pair<std::string, std::string>;

  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<Field> fields) : fields_(fields) {}
  explicit HttpHeaders(std::vector<Field> fields) : fields_(std::move(fields)) {}

  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }

  // The value of the first field named `name`, if any.
  std::optional<absl::string_view> Get(absl::string_view name) const;
  // The values of every field named `name`, in order.
  std::vector<absl::string_view> GetAll(absl::string_view name) const;
  bool Has(absl::string_view name) const { return Get(name).has_value(); }
  // Whether any field named `name` holds `token` as one of its comma-separated
  // elements, compared case-insensitively ("Connection: keep-alive, Close").
  bool HasToken(absl::string_view name, absl::string_view token) const;
  // Removes every field named `name`; returns how many were removed.
  int Remove(absl::string_view name);

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const std::vector<Field>& fields() const { return fields_; }
  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

// Header field syntax (RFC 9110 5.1, 5.5): a name is a non-empty token; a
// value holds visible ASCII, SP, HTAB and obs-text (so never CR, LF or NUL).
bool IsValidHeaderName(absl::string_view name);
bool IsValidHeaderValue(absl::string_view value);

// One request as received. `target` is the request-target verbatim; `path`
// and `query` split it at the first '?' (no percent-decoding). For an
// absolute-form target ("http://host/p?q") path and query come from its path
// part; for OPTIONS' asterisk-form, path is "*".
struct HttpRequest {
  std::string method;  // case-sensitive, as sent ("GET", "POST")
  std::string target;
  std::string path;
  std::string query;      // without the '?'; empty if none
  int version_minor = 1;  // HTTP/1.<version_minor>: 0 or 1
  HttpHeaders headers;
  std::string body;  // de-chunked if it was sent chunked
  std::string peer;  // the client's address, "127.0.0.1:53422" or "[::1]:53422"
};

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_HTTP_REQUEST_H_
