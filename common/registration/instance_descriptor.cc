#include "common/registration/instance_descriptor.h"

#include <unistd.h>

#include <climits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/config/server_config.h"

namespace weft::registration {
namespace {

// The port of a valid "host:port".
uint32_t PortOf(absl::string_view address) {
  uint32_t port = 0;
  if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) return 0;
  return port;
}

}  // namespace

void CheckRegistrationConfig(const RegistrationConfig& config, std::vector<std::string>* errors) {
  if (!config.router_address.empty()) {
    if (absl::Status s = ValidateListenAddress(config.router_address, "router_address"); !s.ok()) {
      errors->emplace_back(s.message());
    } else if (PortOf(config.router_address) == 0) {
      errors->push_back(
          absl::StrCat("router_address: \"", config.router_address, "\" needs a port, not 0"));
    }
  }
  const std::string& host = config.advertise_host;
  if (!host.empty()) {
    // A host is valid if host:1 is a valid address.
    if (absl::Status s = ValidateListenAddress(absl::StrCat(host, ":1"), "advertise_host");
        !s.ok() || host.find_first_of(" \t/") != std::string::npos) {
      errors->push_back(absl::StrCat("advertise_host: \"", host,
                                     "\" is not a host name or address (IPv6 as [addr])"));
    } else if (IsWildcardHost(host)) {
      errors->push_back(absl::StrCat("advertise_host: \"", host,
                                     "\" is a wildcard; name a host the router can reach"));
    }
  }
}

std::string Hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

bool IsWildcardHost(absl::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::" || host == "*";
}

absl::string_view HostOf(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return address;
  return address.substr(0, colon);
}

std::string AdvertisedAddress(absl::string_view listen_address, int port,
                              absl::string_view advertise_host, absl::string_view hostname) {
  absl::string_view host = advertise_host;
  if (host.empty()) host = HostOf(listen_address);
  if (IsWildcardHost(host)) host = hostname;
  return absl::StrCat(host, ":", port);
}

weft::v1::InstanceDescriptor MakeInstanceDescriptor(const RegistrationConfig& config,
                                                    const ServingPorts& ports,
                                                    weft::v1::InstanceRole role,
                                                    absl::string_view model,
                                                    uint32_t kv_block_size_tokens) {
  const std::string hostname = Hostname();
  weft::v1::InstanceDescriptor descriptor;
  descriptor.set_instance_id(config.instance_id.empty()
                                 ? absl::StrCat(hostname, ":", ports.grpc_port)
                                 : config.instance_id);
  descriptor.set_role(role);
  descriptor.set_grpc_address(AdvertisedAddress(config.server.grpc_address(), ports.grpc_port,
                                                config.advertise_host, hostname));
  descriptor.set_metrics_address(AdvertisedAddress(
      config.server.metrics_address(), ports.metrics_port, config.advertise_host, hostname));
  descriptor.set_model(std::string(model));
  descriptor.set_kv_block_size_tokens(kv_block_size_tokens);
  return descriptor;
}

}  // namespace weft::registration
