// HttpResponseParser: an incremental parser of one HTTP/1.1 response as a
// client receives it, in pieces split anywhere: the status line, the header
// fields, and the body delimited by Content-Length, by chunked
// transfer-coding (de-chunked here) or by the server closing the connection.
// Interim 1xx responses are skipped.
//
//   HttpResponseParser parser;
//   std::string body;
//   WEFT_RETURN_IF_ERROR(parser.Feed(bytes_read, &body));   // repeatedly
//   if (parser.complete()) ...;
//   WEFT_RETURN_IF_ERROR(parser.FinishAtEof());              // on EOF
//
// Not thread-safe.
#ifndef WEFT_TESTS_LOADGEN_HTTP_RESPONSE_PARSER_H_
#define WEFT_TESTS_LOADGEN_HTTP_RESPONSE_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::loadgen {

class HttpResponseParser {
 public:
  // Longest status line, header line or chunk-size line accepted.
  static constexpr size_t kMaxLineBytes = 64 << 10;

  HttpResponseParser() = default;

  // Consumes the next received bytes and appends the body bytes among them
  // (de-chunked) to `*body`. Bytes after the end of the response are
  // ignored. Returns InvalidArgument for malformed framing; the parser is then
  // stuck in that error.
  absl::Status Feed(absl::string_view bytes, std::string* body);

  // The server closed the connection. OK if the response is complete or its
  // body was delimited by the close; DataLoss ("connection closed ...")
  // otherwise.
  absl::Status FinishAtEof();

  // Whether the status line and header fields of the final response are in.
  bool headers_complete() const { return state_ > State::kHeaders; }
  // Whether the whole response (body included) is in.
  bool complete() const { return state_ == State::kComplete; }
  // The final response's status code; 0 until headers_complete().
  int status() const { return status_; }
  // Header fields, names lower-cased, in the order received.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  // The first value of header `lower_name`, if any.
  std::optional<absl::string_view> Header(absl::string_view lower_name) const;

 private:
  enum class State {
    kStatusLine,
    kHeaders,
    kBodyLength,      // Content-Length bytes
    kBodyUntilClose,  // until EOF
    kChunkSize,
    kChunkData,
    kChunkDataEnd,  // the CRLF after a chunk's data
    kTrailers,
    kComplete,
    kError,
  };

  // Takes one line (without its CRLF or LF) from `*bytes` into `line_`;
  // returns false if it needs more bytes.
  bool TakeLine(absl::string_view* bytes, absl::Status* status);
  absl::Status OnStatusLine();
  absl::Status OnHeaderLine();
  absl::Status OnHeadersEnd();
  absl::Status OnChunkSizeLine();
  absl::Status Error(absl::string_view message);

  State state_ = State::kStatusLine;
  std::string line_;  // the line being assembled
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
  uint64_t remaining_ = 0;  // of the Content-Length body or of the current chunk
};

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_HTTP_RESPONSE_PARSER_H_
