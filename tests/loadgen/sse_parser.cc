#include "tests/loadgen/sse_parser.h"

#include <utility>

#include "absl/strings/match.h"

namespace weft::loadgen {

void SseParser::OnLine(absl::string_view line, std::vector<std::string>* events) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    if (has_data_) events->push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment
  absl::string_view field = line;
  absl::string_view value;
  if (const size_t colon = line.find(':'); colon != absl::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (absl::StartsWith(value, " ")) value.remove_prefix(1);
  }
  if (field != "data") return;
  if (has_data_) data_.push_back('\n');
  data_.append(value.data(), value.size());
  has_data_ = true;
}

absl::Status SseParser::Feed(absl::string_view bytes, std::vector<std::string>* events) {
  while (!bytes.empty()) {
    const size_t newline = bytes.find('\n');
    if (newline == absl::string_view::npos) {
      line_.append(bytes.data(), bytes.size());
      break;
    }
    if (line_.empty()) {
      OnLine(bytes.substr(0, newline), events);
    } else {
      line_.append(bytes.data(), newline);
      OnLine(line_, events);
      line_.clear();
    }
    bytes.remove_prefix(newline + 1);
    if (data_.size() > kMaxEventBytes) {
      return absl::ResourceExhaustedError("server-sent event too large");
    }
  }
  if (line_.size() > kMaxEventBytes) {
    return absl::ResourceExhaustedError("server-sent event line too long");
  }
  return absl::OkStatus();
}

}  // namespace weft::loadgen
