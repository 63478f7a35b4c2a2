#include "router/http/http_request_parser.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace weft::router::http {
namespace {

constexpr int kMaxLeadingEmptyLines = 8;
constexpr size_t kMaxChunkSizeLineBytes = 1024;

// request-target characters: visible ASCII and obs-text, no whitespace.
bool IsTargetChars(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const unsigned char c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7f;
  });
}

absl::string_view StripOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses 1*DIGIT. Values above `cap` (and overflowing ones) return cap + 1.
bool ParseDecimal(absl::string_view s, uint64_t cap, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t value = 0;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    if (value <= cap) value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = std::min(value, cap + 1);
  return true;
}

}  // namespace

HttpRequestParser::HttpRequestParser(const HttpParserLimits& limits) : limits_(limits) {}

void HttpRequestParser::Reset() {
  state_ = State::kRequestLine;
  result_ = Result::kNeedMore;
  request_ = HttpRequest();
  started_ = false;
  headers_complete_ = false;
  expect_continue_ = false;
  body_started_ = false;
  keep_alive_ = false;
  empty_lines_ = 0;
  fields_ = 0;
  header_bytes_ = 0;
  body_remaining_ = 0;
  scanned_ = 0;
  error_status_ = 0;
  error_message_.clear();
}

HttpRequest HttpRequestParser::TakeRequest() {
  HttpRequest request = std::move(request_);
  Reset();
  return request;
}

bool HttpRequestParser::expects_continue() const {
  return expect_continue_ && !body_started_ &&
         (state_ == State::kBody || state_ == State::kChunkSize);
}

void HttpRequestParser::Fail(int status, std::string message) {
  state_ = State::kError;
  result_ = Result::kError;
  error_status_ = status;
  error_message_ = std::move(message);
}

size_t HttpRequestParser::Parse(absl::string_view data) {
  size_t pos = 0;
  while (pos < data.size()) {
    switch (state_) {
      case State::kDone:
      case State::kError:
        return pos;

      case State::kBody:
      case State::kChunkData: {
        const size_t n =
            static_cast<size_t>(std::min<uint64_t>(body_remaining_, data.size() - pos));
        request_.body.append(data.data() + pos, n);
        pos += n;
        body_remaining_ -= n;
        body_started_ = true;
        if (body_remaining_ == 0) {
          if (state_ == State::kBody) {
            state_ = State::kDone;
            result_ = Result::kDone;
          } else {
            state_ = State::kChunkDataEnd;
          }
        }
        break;
      }

      default: {  // line-oriented states
        started_ = true;
        if (state_ != State::kRequestLine && state_ != State::kHeaders) body_started_ = true;
        const absl::string_view rest = data.substr(pos);
        const size_t lf = rest.find('\n', std::min(scanned_, rest.size()));
        if (lf == absl::string_view::npos) {
          scanned_ = rest.size();
          CheckPartialLine(rest.size());
          return pos;
        }
        scanned_ = 0;
        absl::string_view line = rest.substr(0, lf);
        const size_t line_bytes = lf + 1;
        pos += line_bytes;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        switch (state_) {
          case State::kRequestLine:
            if (line.empty()) {
              if (++empty_lines_ > kMaxLeadingEmptyLines) Fail(400, "too many empty lines");
            } else if (line.size() > limits_.max_request_line_bytes) {
              Fail(414, "request line too long");
            } else {
              OnRequestLine(line);
            }
            break;
          case State::kHeaders:
          case State::kTrailers:
            header_bytes_ += line_bytes;
            if (header_bytes_ > limits_.max_header_bytes) {
              Fail(431, "header fields too large");
            } else if (line.empty()) {
              if (state_ == State::kHeaders) {
                OnHeadersEnd();
              } else {
                state_ = State::kDone;
                result_ = Result::kDone;
              }
            } else {
              OnHeaderLine(line, state_ == State::kTrailers);
            }
            break;
          case State::kChunkSize:
            if (line.size() > kMaxChunkSizeLineBytes) {
              Fail(400, "chunk size line too long");
            } else {
              OnChunkSizeLine(line);
            }
            break;
          case State::kChunkDataEnd:
            if (!line.empty()) {
              Fail(400, "chunk data not followed by a line ending");
            } else {
              state_ = State::kChunkSize;
            }
            break;
          default:
            break;
        }
        break;
      }
    }
  }
  return pos;
}

void HttpRequestParser::CheckPartialLine(size_t partial_length) {
  // A partial line may still lose a trailing '\r', hence the + 1.
  switch (state_) {
    case State::kRequestLine:
      if (partial_length > limits_.max_request_line_bytes + 1) Fail(414, "request line too long");
      break;
    case State::kHeaders:
    case State::kTrailers:
      if (header_bytes_ + partial_length > limits_.max_header_bytes) {
        Fail(431, "header fields too large");
      }
      break;
    case State::kChunkSize:
      if (partial_length > kMaxChunkSizeLineBytes + 1) Fail(400, "chunk size line too long");
      break;
    case State::kChunkDataEnd:
      if (partial_length > 1) Fail(400, "chunk data not followed by a line ending");
      break;
    default:
      break;
  }
}

void HttpRequestParser::OnRequestLine(absl::string_view line) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.rfind(' ');
  if (sp1 == absl::string_view::npos || sp1 == sp2) return Fail(400, "malformed request line");
  const absl::string_view method = line.substr(0, sp1);
  const absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const absl::string_view version = line.substr(sp2 + 1);
  if (!IsValidHeaderName(method)) return Fail(400, "malformed method");
  if (target.empty() || !IsTargetChars(target)) return Fail(400, "malformed request target");
  if (version == "HTTP/1.1") {
    request_.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    request_.version_minor = 0;
  } else if (version.size() == 8 && absl::StartsWith(version, "HTTP/") &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return Fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
  } else {
    return Fail(400, "malformed HTTP version");
  }

  absl::string_view path_and_query;
  if (target.front() == '/') {
    path_and_query = target;
  } else if (target == "*") {
    if (method != "OPTIONS") return Fail(400, "asterisk-form target outside OPTIONS");
    path_and_query = "*";
  } else {
    absl::string_view rest = target;
    const std::string scheme = absl::AsciiStrToLower(target.substr(0, 8));
    if (absl::StartsWith(scheme, "http://")) {
      rest.remove_prefix(7);
    } else if (absl::StartsWith(scheme, "https://")) {
      rest.remove_prefix(8);
    } else {
      return Fail(400, "malformed request target");
    }
    const size_t path_start = rest.find_first_of("/?");
    if (path_start == 0) return Fail(400, "absolute-form target without a host");
    path_and_query = path_start == absl::string_view::npos ? "/" : rest.substr(path_start);
  }
  request_.method = std::string(method);
  request_.target = std::string(target);
  const size_t question = path_and_query.find('?');
  if (question == absl::string_view::npos) {
    request_.path = std::string(path_and_query);
  } else {
    request_.path = std::string(path_and_query.substr(0, question));
    request_.query = std::string(path_and_query.substr(question + 1));
  }
  if (request_.path.empty()) request_.path = "/";
  state_ = State::kHeaders;
}

void HttpRequestParser::OnHeaderLine(absl::string_view line, bool trailer) {
  if (line.front() == ' ' || line.front() == '\t') {
    return Fail(400, "obsolete line folding is not accepted");
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return Fail(400, "header field without a colon");
  const absl::string_view name = line.substr(0, colon);
  const absl::string_view value = StripOws(line.substr(colon + 1));
  if (!IsValidHeaderName(name)) return Fail(400, "malformed header field name");
  if (!IsValidHeaderValue(value)) return Fail(400, "malformed header field value");
  if (++fields_ > limits_.max_headers) return Fail(431, "too many header fields");
  if (!trailer) request_.headers.Add(std::string(name), std::string(value));
}

void HttpRequestParser::OnHeadersEnd() {
  headers_complete_ = true;
  const HttpHeaders& headers = request_.headers;
  const bool http11 = request_.version_minor == 1;

  const std::vector<absl::string_view> hosts = headers.GetAll("Host");
  if (hosts.size() > 1) return Fail(400, "more than one Host header field");
  if (http11 && hosts.empty()) return Fail(400, "HTTP/1.1 request without a Host header field");

  keep_alive_ = http11 ? !headers.HasToken("Connection", "close")
                       : headers.HasToken("Connection", "keep-alive");

  const std::vector<absl::string_view> transfer_encodings = headers.GetAll("Transfer-Encoding");
  const std::vector<absl::string_view> content_lengths = headers.GetAll("Content-Length");
  bool chunked = false;
  uint64_t content_length = 0;
  if (!transfer_encodings.empty()) {
    if (!content_lengths.empty()) {
      return Fail(400, "both Content-Length and Transfer-Encoding");
    }
    if (!http11) return Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    std::vector<absl::string_view> codings;
    for (absl::string_view field : transfer_encodings) {
      for (absl::string_view coding : absl::StrSplit(field, ',')) {
        coding = StripOws(coding);
        if (!coding.empty()) codings.push_back(coding);
      }
    }
    if (codings.size() != 1 || !absl::EqualsIgnoreCase(codings[0], "chunked")) {
      return Fail(501, "only the chunked transfer-coding is supported");
    }
    chunked = true;
  } else if (!content_lengths.empty()) {
    bool first = true;
    for (absl::string_view field : content_lengths) {
      for (absl::string_view element : absl::StrSplit(field, ',')) {
        uint64_t value = 0;
        if (!ParseDecimal(StripOws(element), limits_.max_body_bytes, &value)) {
          return Fail(400, "malformed Content-Length");
        }
        if (!first && value != content_length) return Fail(400, "conflicting Content-Length");
        content_length = value;
        first = false;
      }
    }
    if (content_length > limits_.max_body_bytes) {
      return Fail(413, absl::StrCat("request body larger than ", limits_.max_body_bytes, " bytes"));
    }
  }

  if (std::optional<absl::string_view> expect = headers.Get("Expect")) {
    if (!absl::EqualsIgnoreCase(StripOws(*expect), "100-continue")) {
      return Fail(417, "only the 100-continue expectation is supported");
    }
    expect_continue_ = http11;
  }

  if (chunked) {
    state_ = State::kChunkSize;
  } else if (content_length > 0) {
    request_.body.reserve(static_cast<size_t>(content_length));
    body_remaining_ = content_length;
    state_ = State::kBody;
  } else {
    state_ = State::kDone;
    result_ = Result::kDone;
  }
}

void HttpRequestParser::OnChunkSizeLine(absl::string_view line) {
  const size_t semicolon = line.find(';');
  const absl::string_view size_text = StripOws(line.substr(0, semicolon));
  if (semicolon != absl::string_view::npos && !IsValidHeaderValue(line.substr(semicolon))) {
    return Fail(400, "malformed chunk extension");
  }
  if (size_text.empty()) return Fail(400, "malformed chunk size");
  uint64_t size = 0;
  for (char c : size_text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!absl::ascii_isxdigit(u)) return Fail(400, "malformed chunk size");
    const uint64_t digit = absl::ascii_isdigit(u) ? u - '0' : absl::ascii_tolower(u) - 'a' + 10;
    size = size * 16 + digit;
    if (size > limits_.max_body_bytes) {
      return Fail(413, absl::StrCat("request body larger than ", limits_.max_body_bytes, " bytes"));
    }
  }
  if (size == 0) {
    state_ = State::kTrailers;
    return;
  }
  if (request_.body.size() + size > limits_.max_body_bytes) {
    return Fail(413, absl::StrCat("request body larger than ", limits_.max_body_bytes, " bytes"));
  }
  body_remaining_ = size;
  state_ = State::kChunkData;
}

}  // namespace weft::router::http
