// Validation shared by every service's typed config (RouterConfig,
// PrefillConfig, ...): each has a `server` field of type ServerConfig.
#ifndef WEFT_COMMON_CONFIG_SERVICE_CONFIG_H_
#define WEFT_COMMON_CONFIG_SERVICE_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/config/server_config.h"

namespace weft {

// Checks `config.server`: present and valid. Errors are prefixed with the
// message type ("weft.v1.RouterConfig: server.grpc_address is required").
template <typename Config>
absl::Status ValidateServiceServerConfig(const Config& config) {
  const std::string type = config.GetTypeName();
  if (!config.has_server()) {
    return absl::InvalidArgumentError(absl::StrCat(type, ": server is required"));
  }
  if (absl::Status s = ValidateServerConfig(config.server(), "server"); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(type, ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace weft

#endif  // WEFT_COMMON_CONFIG_SERVICE_CONFIG_H_
