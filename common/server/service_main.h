// The body of every service binary's main(): load and validate the typed
// config, build the service module, run it. Flags are parsed in main.cc and
// passed in as plain values.
//
// Exit status: 0 after a clean drain, 1 if the service could not start (e.g.
// the address is in use), 2 for a bad command line or configuration.
#ifndef WEFT_COMMON_SERVER_SERVICE_MAIN_H_
#define WEFT_COMMON_SERVER_SERVICE_MAIN_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config/text_proto.h"
#include "common/server/service_module.h"
#include "common/server/service_runner.h"
#include "prometheus/registry.h"

namespace weft {

inline constexpr int kExitOk = 0;
inline constexpr int kExitStartFailure = 1;
inline constexpr int kExitBadConfig = 2;

struct ServiceMainFlags {
  std::string config_path;  // --config
  std::string ready_file;   // --ready_file
  std::string log_level;    // --log_level
  // --config_override: text-format fields merged over the file's (e.g. the
  // pod IP as advertise_host, expanded by Kubernetes from the environment).
  std::string config_override;
};

template <typename Config>
struct ServiceDefinition {
  std::string name;  // "router"
  // Checks every field; errors name the field path.
  std::function<absl::Status(const Config&)> validate;
  std::function<absl::StatusOr<std::unique_ptr<ServiceModule>>(const Config&,
                                                               prometheus::Registry&)>
      make_module;
};

namespace service_main_internal {
// Applies --log_level; prints the error and returns false if it is invalid.
bool ApplyLogLevel(const std::string& service, const std::string& level);
// Prints "weft-<service>: <what>: <status>" to stderr and returns `exit_code`.
int Fail(const std::string& service, const std::string& what, const absl::Status& status,
         int exit_code);
}  // namespace service_main_internal

template <typename Config>
int ServiceMain(const ServiceMainFlags& flags, const ServiceDefinition<Config>& definition) {
  using service_main_internal::Fail;
  if (!service_main_internal::ApplyLogLevel(definition.name, flags.log_level)) {
    return kExitBadConfig;
  }
  if (flags.config_path.empty()) {
    return Fail(definition.name, "usage",
                absl::InvalidArgumentError("--config=<file.textproto> is required"),
                kExitBadConfig);
  }
  Config config;
  if (absl::Status s = LoadTextProtoFile(flags.config_path, &config); !s.ok()) {
    return Fail(definition.name, "cannot load config", s, kExitBadConfig);
  }
  if (!flags.config_override.empty()) {
    if (absl::Status s =
            MergeTextProtoOverride(flags.config_override, "--config_override", &config);
        !s.ok()) {
      return Fail(definition.name, "bad --config_override", s, kExitBadConfig);
    }
  }
  if (absl::Status s = definition.validate(config); !s.ok()) {
    return Fail(definition.name, "invalid config " + flags.config_path, s, kExitBadConfig);
  }
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<ServiceModule>> module = definition.make_module(config, *registry);
  if (!module.ok())
    return Fail(definition.name, "cannot start", module.status(), kExitStartFailure);
  ServiceRunOptions options;
  options.service_name = definition.name;
  options.server_config = config.server();
  options.ready_file = flags.ready_file;
  if (absl::Status s = RunService(options, **module, registry); !s.ok()) {
    return Fail(definition.name, "cannot serve", s, kExitStartFailure);
  }
  return kExitOk;
}

}  // namespace weft

#endif  // WEFT_COMMON_SERVER_SERVICE_MAIN_H_
