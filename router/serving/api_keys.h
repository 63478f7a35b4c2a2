// API-key authentication of the public routes: the configured keys and the
// tenant each belongs to. With no keys configured the API is open and every
// request belongs to the default tenant. The tenant never comes from the
// client: it salts the prefix-cache keys of the request, so that one tenant
// cannot probe another's prompts through cache timing.
#ifndef WEFT_ROUTER_SERVING_API_KEYS_H_
#define WEFT_ROUTER_SERVING_API_KEYS_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/config.pb.h"
#include "router/http/http_request.h"
#include "router/openai/api_error.h"

namespace weft::router {

// Who is calling: the tenant, and its key's latency targets (if any).
struct Caller {
  std::string tenant;
  weft::v1::SloConfig slo;  // all zero: none of its own
};

class ApiKeys {
 public:
  // No keys: the API is open; requests belong to the tenant "default".
  ApiKeys() : default_tenant_("default") {}

  // Reads `key_env` variables through `getenv`. Errors (InvalidArgument,
  // naming the entry but never the key): neither or both of key and key_env,
  // an unset or empty variable, a key under 8 characters, a key listed
  // twice, a missing tenant.
  static absl::StatusOr<ApiKeys> FromConfig(
      const weft::v1::RouterConfig& config,
      const std::function<const char*(const char*)>& getenv = ::getenv);

  bool enabled() const { return !keys_.empty(); }

  // The caller of a request with these headers, or 401: a missing
  // Authorization header, another scheme than Bearer, or an unknown key.
  // Keys are compared in time independent of where they differ.
  openai::ApiResult<Caller> Authenticate(const http::HttpHeaders& headers) const;

 private:
  struct Key {
    std::string key;
    Caller caller;
  };
  std::vector<Key> keys_;
  std::string default_tenant_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_API_KEYS_H_
