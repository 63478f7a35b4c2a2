// What a prefill or decode instance tells the router about itself: the
// InstanceDescriptor built from its config (instance_id, router_address,
// advertise_host, server addresses), the ports it actually bound and its
// engine; and the checks of those config fields.
#ifndef WEFT_COMMON_REGISTRATION_INSTANCE_DESCRIPTOR_H_
#define WEFT_COMMON_REGISTRATION_INSTANCE_DESCRIPTOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/server/service_module.h"
#include "proto/config.pb.h"
#include "proto/types.pb.h"

namespace weft::registration {

// The registration part of a PrefillConfig or DecodeConfig.
struct RegistrationConfig {
  std::string router_address;  // empty: do not register
  std::string instance_id;     // empty: "<hostname>:<grpc port>"
  std::string advertise_host;  // empty: from the listen addresses, see below
  weft::v1::ServerConfig server;
};

template <typename Config>
RegistrationConfig RegistrationConfigOf(const Config& config) {
  return RegistrationConfig{config.router_address(), config.instance_id(), config.advertise_host(),
                            config.server()};
}

// Checks router_address (host:port with a port other than 0, when set) and
// advertise_host (a host without a port, IPv6 as [addr], not a wildcard,
// when set). Appends one message per problem, naming the field, to `errors`.
void CheckRegistrationConfig(const RegistrationConfig& config, std::vector<std::string>* errors);

// This machine's hostname ("localhost" if it cannot be read).
std::string Hostname();

// True for a listen host that binds every interface: "", "0.0.0.0", "[::]",
// "::", "*".
bool IsWildcardHost(absl::string_view host);

// The host part of "host:port" (brackets of IPv6 hosts kept); the whole
// string if it has no colon.
absl::string_view HostOf(absl::string_view address);

// The host:port the router should dial for a listener configured as
// `listen_address` and bound to `port`: `advertise_host` if set; else the
// listen address's host unless it is a wildcard; else `hostname`.
std::string AdvertisedAddress(absl::string_view listen_address, int port,
                              absl::string_view advertise_host, absl::string_view hostname);

// The descriptor to register: instance_id from `config` or
// "<hostname>:<grpc port>", grpc_address and metrics_address as advertised
// (AdvertisedAddress with this machine's hostname), role, model and KV block
// size as given.
weft::v1::InstanceDescriptor MakeInstanceDescriptor(const RegistrationConfig& config,
                                                    const ServingPorts& ports,
                                                    weft::v1::InstanceRole role,
                                                    absl::string_view model,
                                                    uint32_t kv_block_size_tokens);

}  // namespace weft::registration

#endif  // WEFT_COMMON_REGISTRATION_INSTANCE_DESCRIPTOR_H_
