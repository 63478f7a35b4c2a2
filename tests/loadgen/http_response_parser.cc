#include "tests/loadgen/http_response_parser.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace weft::loadgen {
namespace {

constexpr uint64_t kMaxChunkSize = uint64_t{1} << 40;

}  // namespace

std::optional<absl::string_view> HttpResponseParser::Header(absl::string_view lower_name) const {
  for (const auto& [name, value] : headers_) {
    if (name == lower_name) return absl::string_view(value);
  }
  return std::nullopt;
}

absl::Status HttpResponseParser::Error(absl::string_view message) {
  state_ = State::kError;
  return absl::InvalidArgumentError(absl::StrCat("malformed HTTP response: ", message));
}

bool HttpResponseParser::TakeLine(absl::string_view* bytes, absl::Status* status) {
  const size_t newline = bytes->find('\n');
  const size_t take = newline == absl::string_view::npos ? bytes->size() : newline;
  if (line_.size() + take > kMaxLineBytes) {
    *status = Error("line too long");
    return false;
  }
  line_.append(bytes->data(), take);
  if (newline == absl::string_view::npos) {
    bytes->remove_prefix(bytes->size());
    return false;
  }
  bytes->remove_prefix(newline + 1);
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

absl::Status HttpResponseParser::OnStatusLine() {
  // "HTTP/1.1 200 OK"; the reason phrase may be empty.
  if (line_.empty() && headers_.empty() && status_ == 0) return absl::OkStatus();  // stray CRLF
  if (!absl::StartsWith(line_, "HTTP/1.") || line_.size() < 12 || line_[8] != ' ') {
    return Error(absl::StrCat("bad status line '", line_.substr(0, 80), "'"));
  }
  int status = 0;
  if (!absl::SimpleAtoi(absl::string_view(line_).substr(9, 3), &status) || status < 100 ||
      status > 999 || (line_.size() > 12 && line_[12] != ' ')) {
    return Error(absl::StrCat("bad status line '", line_.substr(0, 80), "'"));
  }
  status_ = status;
  headers_.clear();
  state_ = State::kHeaders;
  return absl::OkStatus();
}

absl::Status HttpResponseParser::OnHeaderLine() {
  if (line_.empty()) return OnHeadersEnd();
  const size_t colon = line_.find(':');
  if (colon == std::string::npos || colon == 0) {
    return Error(absl::StrCat("bad header line '", line_.substr(0, 80), "'"));
  }
  if (headers_.size() >= 1000) return Error("too many header fields");
  headers_.emplace_back(
      absl::AsciiStrToLower(absl::string_view(line_).substr(0, colon)),
      std::string(absl::StripAsciiWhitespace(absl::string_view(line_).substr(colon + 1))));
  return absl::OkStatus();
}

absl::Status HttpResponseParser::OnHeadersEnd() {
  if (status_ < 200 && status_ != 101) {  // interim response: the real one follows
    status_ = 0;
    headers_.clear();
    state_ = State::kStatusLine;
    return absl::OkStatus();
  }
  if (status_ == 204 || status_ == 304) {
    state_ = State::kComplete;
    return absl::OkStatus();
  }
  if (std::optional<absl::string_view> coding = Header("transfer-encoding")) {
    std::vector<absl::string_view> codings = absl::StrSplit(*coding, ',');
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(codings.back()), "chunked")) {
      state_ = State::kBodyUntilClose;  // RFC 9112 6.3: read until close
      return absl::OkStatus();
    }
    state_ = State::kChunkSize;
    return absl::OkStatus();
  }
  if (std::optional<absl::string_view> length = Header("content-length")) {
    if (!absl::SimpleAtoi(*length, &remaining_)) {
      return Error(absl::StrCat("bad Content-Length '", *length, "'"));
    }
    state_ = remaining_ == 0 ? State::kComplete : State::kBodyLength;
    return absl::OkStatus();
  }
  state_ = State::kBodyUntilClose;
  return absl::OkStatus();
}

absl::Status HttpResponseParser::OnChunkSizeLine() {
  absl::string_view size_text = line_;
  size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
  size_text = absl::StripAsciiWhitespace(size_text);
  uint64_t size = 0;
  if (size_text.empty() || size_text.size() > 16) {
    return Error(absl::StrCat("bad chunk size '", line_.substr(0, 80), "'"));
  }
  for (char c : size_text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return Error(absl::StrCat("bad chunk size '", line_.substr(0, 80), "'"));
    }
    size = size * 16 + digit;
  }
  if (size > kMaxChunkSize) return Error("chunk too large");
  remaining_ = size;
  state_ = size == 0 ? State::kTrailers : State::kChunkData;
  return absl::OkStatus();
}

absl::Status HttpResponseParser::Feed(absl::string_view bytes, std::string* body) {
  absl::Status status;
  while (!bytes.empty()) {
    switch (state_) {
      case State::kComplete:
        return absl::OkStatus();
      case State::kError:
        return absl::InvalidArgumentError("malformed HTTP response");
      case State::kBodyUntilClose:
        body->append(bytes.data(), bytes.size());
        return absl::OkStatus();
      case State::kBodyLength:
      case State::kChunkData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
        body->append(bytes.data(), take);
        bytes.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) {
          state_ = state_ == State::kBodyLength ? State::kComplete : State::kChunkDataEnd;
        }
        break;
      }
      case State::kStatusLine:
      case State::kHeaders:
      case State::kChunkSize:
      case State::kChunkDataEnd:
      case State::kTrailers: {
        if (!TakeLine(&bytes, &status)) {
          if (!status.ok()) return status;
          break;
        }
        if (state_ == State::kStatusLine) {
          status = OnStatusLine();
        } else if (state_ == State::kHeaders) {
          status = OnHeaderLine();
        } else if (state_ == State::kChunkSize) {
          status = OnChunkSizeLine();
        } else if (state_ == State::kChunkDataEnd) {
          if (!line_.empty()) {
            status = Error("chunk data longer than its size");
          } else {
            state_ = State::kChunkSize;
          }
        } else if (line_.empty()) {  // kTrailers: the empty line ends them
          state_ = State::kComplete;
        }
        line_.clear();
        if (!status.ok()) return status;
        break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status HttpResponseParser::FinishAtEof() {
  if (state_ == State::kComplete) return absl::OkStatus();
  if (state_ == State::kBodyUntilClose) {
    state_ = State::kComplete;
    return absl::OkStatus();
  }
  if (state_ == State::kError) return absl::InvalidArgumentError("malformed HTTP response");
  return absl::DataLossError(!headers_complete()
                                 ? "connection closed before the response headers"
                                 : "connection closed in the middle of the response body");
}

}  // namespace weft::loadgen
