#include "common/config/server_config.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace weft {

absl::Status ValidateListenAddress(absl::string_view address, absl::string_view field) {
  if (address.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", address, "\" is not host:port"));
  }
  absl::string_view host = address.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": \"", address, "\" has a malformed [IPv6] host"));
    }
  } else if (host.find(':') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", address, "\": write IPv6 hosts as [addr]:port"));
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", address, "\" has no valid port (0..65535)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateServerConfig(const weft::v1::ServerConfig& config, absl::string_view path) {
  std::vector<std::string> problems;
  auto check = [&](const absl::Status& s) {
    if (!s.ok()) problems.emplace_back(s.message());
  };
  check(ValidateListenAddress(config.grpc_address(), absl::StrCat(path, ".grpc_address")));
  check(ValidateListenAddress(config.metrics_address(), absl::StrCat(path, ".metrics_address")));
  if (config.drain_timeout_ms() == 0) {
    problems.push_back(
        absl::StrCat(path, ".drain_timeout_ms is required (1..", kMaxDrainTimeoutMs, ")"));
  } else if (config.drain_timeout_ms() > kMaxDrainTimeoutMs) {
    problems.push_back(absl::StrCat(path, ".drain_timeout_ms: ", config.drain_timeout_ms(),
                                    " exceeds ", kMaxDrainTimeoutMs));
  }
  if (config.not_serving_grace_ms() > config.drain_timeout_ms()) {
    problems.push_back(absl::StrCat(path, ".not_serving_grace_ms: ", config.not_serving_grace_ms(),
                                    " exceeds drain_timeout_ms (", config.drain_timeout_ms(),
                                    "), of which it is a part"));
  }
  const uint32_t max_receive = config.max_receive_message_bytes();
  if (max_receive != 0 && (max_receive < 1024 || max_receive > kMaxReceiveMessageBytesLimit)) {
    problems.push_back(absl::StrCat(path, ".max_receive_message_bytes: ", max_receive,
                                    " is outside 1024..", kMaxReceiveMessageBytesLimit));
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  return absl::OkStatus();
}

absl::Duration DrainTimeout(const weft::v1::ServerConfig& config) {
  return absl::Milliseconds(config.drain_timeout_ms());
}

absl::Duration NotServingGrace(const weft::v1::ServerConfig& config) {
  return absl::Milliseconds(config.not_serving_grace_ms());
}

int MaxReceiveMessageBytes(const weft::v1::ServerConfig& config) {
  const uint32_t bytes = config.max_receive_message_bytes() != 0
                             ? config.max_receive_message_bytes()
                             : kDefaultMaxReceiveMessageBytes;
  return static_cast<int>(std::min(bytes, kMaxReceiveMessageBytesLimit));
}

}  // namespace weft
