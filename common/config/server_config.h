// Validation of weft.v1.ServerConfig, the part every service config shares.
#ifndef WEFT_COMMON_CONFIG_SERVER_CONFIG_H_
#define WEFT_COMMON_CONFIG_SERVER_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/config.pb.h"

namespace weft {

inline constexpr uint32_t kMaxDrainTimeoutMs = 600'000;
inline constexpr uint32_t kDefaultMaxReceiveMessageBytes = 4 << 20;
inline constexpr uint32_t kMaxReceiveMessageBytesLimit = 1 << 30;

// Checks a "host:port" listen address ("127.0.0.1:0", "[::1]:8080",
// "0.0.0.0:9000"); port 0 means any free port. `field` names it in errors.
absl::Status ValidateListenAddress(absl::string_view address, absl::string_view field);

// Returns InvalidArgument naming every invalid or missing field, each as its
// path from the root message, e.g. "router config: server.grpc_address is
// required". `path` is the field's path ("server").
absl::Status ValidateServerConfig(const weft::v1::ServerConfig& config, absl::string_view path);

// The drain deadline and the not-serving grace within it, as durations.
absl::Duration DrainTimeout(const weft::v1::ServerConfig& config);
absl::Duration NotServingGrace(const weft::v1::ServerConfig& config);

// max_receive_message_bytes with its default applied.
int MaxReceiveMessageBytes(const weft::v1::ServerConfig& config);

}  // namespace weft

#endif  // WEFT_COMMON_CONFIG_SERVER_CONFIG_H_
