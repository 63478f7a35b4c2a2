// HttpRequestParser: an incremental, allocation-light HTTP/1.x request parser
// with hard limits, independent of sockets (so it is unit-tested and fuzzed on
// plain byte strings).
//
// The caller owns the input buffer. Each Parse() call consumes a prefix of the
// bytes it is given and returns its length; the caller drops that prefix and
// calls again, once more bytes arrived, with the unconsumed rest followed by
// the new bytes. Parsing stops at the end of one request, so the bytes of a
// pipelined next request stay unconsumed until TakeRequest() resets the
// parser for it.
//
// What it accepts (RFC 9112): request line "METHOD SP target SP HTTP/1.x"
// with an origin-form, absolute-form or (OPTIONS only) asterisk-form target;
// lines ending in CRLF or a bare LF; up to 8 empty lines before the request
// line; header fields "name: value" (no whitespace before the colon, no
// obsolete line folding); a body framed by Content-Length or by
// "Transfer-Encoding: chunked" (chunk extensions ignored, trailer fields
// checked against the header limits and discarded). HTTP/1.1 requests must
// carry exactly one Host field.
//
// What it rejects, with the status the server should answer before closing:
//   400  malformed syntax, bad or conflicting Content-Length, Content-Length
//        together with Transfer-Encoding, Transfer-Encoding on HTTP/1.0
//   408  (never: timeouts are the connection's business)
//   413  a Content-Length or a chunked body above max_body_bytes, detected
//        before any body byte is consumed (for Content-Length)
//   414  a request line longer than max_request_line_bytes
//   417  an Expect value other than 100-continue
//   431  more than max_headers fields, or more than max_header_bytes of them
//   501  a transfer-coding other than "chunked"
//   505  an HTTP version other than 1.0 and 1.1
#ifndef WEFT_ROUTER_HTTP_HTTP_REQUEST_PARSER_H_
#define WEFT_ROUTER_HTTP_HTTP_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "router/http/http_request.h"

namespace weft::router::http {

struct HttpParserLimits {
  // The request line without its line ending.
  size_t max_request_line_bytes = 8 << 10;
  // Header fields (trailer fields of a chunked body count too).
  int max_headers = 100;
  // All header field lines together, line endings included.
  size_t max_header_bytes = 64 << 10;
  // The body after de-chunking.
  size_t max_body_bytes = 8 << 20;
};

class HttpRequestParser {
 public:
  enum class Result {
    kNeedMore,  // the request is incomplete: call Parse again with more bytes
    kDone,      // request() is complete; TakeRequest() before parsing on
    kError,     // error_status() says what to answer; parse no further
  };

  explicit HttpRequestParser(const HttpParserLimits& limits = {});

  // Consumes a prefix of `data` and returns its length. `data` must begin
  // with the bytes the previous call left unconsumed (for a new request, after
  // TakeRequest or Reset: anything). Returns 0 without consuming once the
  // result is kDone or kError.
  size_t Parse(absl::string_view data);

  Result result() const { return result_; }

  // Whether any byte of the current request (leading empty lines included)
  // has been consumed.
  bool started() const { return started_; }
  // Whether the request line and all header fields have been parsed.
  bool headers_complete() const { return headers_complete_; }
  // Whether the client awaits "100 Continue" before sending the body: the
  // headers are complete, carry "Expect: 100-continue" (HTTP/1.1), a body is
  // announced and none of it has arrived yet.
  bool expects_continue() const;
  // Whether the client allows the connection to stay open after this
  // request: HTTP/1.1 unless "Connection: close", HTTP/1.0 only with
  // "Connection: keep-alive". Meaningful once headers_complete().
  bool keep_alive() const { return keep_alive_; }

  // The request so far; complete when result() is kDone.
  const HttpRequest& request() const { return request_; }

  // For kError: the HTTP status to answer (400, 413, 414, 417, 431, 501, 505)
  // and a short human-readable reason.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

  // Moves the completed request out and resets the parser for the next one.
  HttpRequest TakeRequest();
  // Forgets the current request and any error.
  void Reset();

 private:
  enum class State {
    kRequestLine,
    kHeaders,
    kBody,          // Content-Length body
    kChunkSize,     // chunk-size [; extensions] line
    kChunkData,     // chunk payload
    kChunkDataEnd,  // the line ending after a chunk's payload
    kTrailers,
    kDone,
    kError,
  };

  void Fail(int status, std::string message);
  // Line handlers; each either advances state_ or calls Fail.
  void OnRequestLine(absl::string_view line);
  void OnHeaderLine(absl::string_view line, bool trailer);
  void OnHeadersEnd();
  void OnChunkSizeLine(absl::string_view line);
  // Fails if an incomplete line of `partial_length` bytes already exceeds
  // the current state's limit.
  void CheckPartialLine(size_t partial_length);

  HttpParserLimits limits_;
  State state_ = State::kRequestLine;
  Result result_ = Result::kNeedMore;
  HttpRequest request_;
  bool started_ = false;
  bool headers_complete_ = false;
  bool expect_continue_ = false;
  bool body_started_ = false;
  bool keep_alive_ = false;
  int empty_lines_ = 0;
  int fields_ = 0;               // header and trailer fields seen
  size_t header_bytes_ = 0;      // header and trailer bytes seen
  uint64_t body_remaining_ = 0;  // of the Content-Length body or current chunk
  // How many bytes at the start of the unconsumed input are known to hold no
  // line feed (so a slowly arriving line is not rescanned from its start).
  size_t scanned_ = 0;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_HTTP_REQUEST_PARSER_H_
