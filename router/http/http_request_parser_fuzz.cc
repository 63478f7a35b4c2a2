// Fuzz target: arbitrary bytes through the HTTP request parser, delivered in
// pieces whose size the first input byte picks, with the pipelining loop a
// connection runs. The parser may reject the input; it must not crash, hang,
// over-consume or exceed its limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "router/http/http_request_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 64;
  const absl::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  weft::router::http::HttpParserLimits limits;
  limits.max_request_line_bytes = 256;
  limits.max_headers = 16;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 4096;
  weft::router::http::HttpRequestParser parser(limits);
  using Result = weft::router::http::HttpRequestParser::Result;

  std::string buffer;
  size_t pos = 0;
  while (true) {
    const size_t n = std::min(piece, input.size() - pos);
    buffer.append(input.data() + pos, n);
    pos += n;
    // Parse everything buffered, request after request.
    while (true) {
      const size_t consumed = parser.Parse(buffer);
      if (consumed > buffer.size()) abort();
      buffer.erase(0, consumed);
      if (parser.result() != Result::kDone) break;
      const weft::router::http::HttpRequest request = parser.TakeRequest();
      if (request.body.size() > limits.max_body_bytes) abort();
      if (static_cast<int>(request.headers.size()) > limits.max_headers) abort();
      if (request.method.empty() || request.path.empty()) abort();
    }
    if (parser.result() == Result::kError) {
      const int status = parser.error_status();
      if (status < 400 || status > 505) abort();
      break;
    }
    // The unconsumed rest is bounded by the line limits.
    if (buffer.size() > limits.max_header_bytes + limits.max_request_line_bytes + 2048) abort();
    if (pos == input.size()) break;
  }
  return 0;
}
