#include "router/serving/api_keys.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace weft::router {
namespace {

constexpr size_t kMinKeyLength = 8;

// Equality in time that depends on the lengths only, not on where the
// strings differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

absl::StatusOr<ApiKeys> ApiKeys::FromConfig(const weft::v1::RouterConfig& config,
                                            const std::function<const char*(const char*)>& getenv) {
  std::vector<Key> keys;
  std::vector<std::string> errors;
  for (int i = 0; i < config.api_keys_size(); ++i) {
    const weft::v1::ApiKeyConfig& entry = config.api_keys(i);
    const std::string where = absl::StrCat("api_keys[", i, "]");
    if (entry.tenant().empty()) errors.push_back(absl::StrCat(where, ".tenant is required"));
    if (entry.key().empty() == entry.key_env().empty()) {
      errors.push_back(absl::StrCat(where, ": set exactly one of key and key_env"));
      continue;
    }
    std::string key = entry.key();
    if (!entry.key_env().empty()) {
      const char* value = getenv(entry.key_env().c_str());
      if (value == nullptr || *value == '\0') {
        errors.push_back(absl::StrCat(where, ".key_env: environment variable ", entry.key_env(),
                                      " is unset or empty"));
        continue;
      }
      key = value;
    }
    if (key.size() < kMinKeyLength) {
      errors.push_back(
          absl::StrCat(where, ": the key is shorter than ", kMinKeyLength, " characters"));
      continue;
    }
    for (const Key& other : keys) {
      if (other.key == key) errors.push_back(absl::StrCat(where, ": the key is listed twice"));
    }
    keys.push_back(
        {.key = std::move(key), .caller = {.tenant = entry.tenant(), .slo = entry.slo()}});
  }
  if (!errors.empty()) {
    std::string message;
    for (size_t i = 0; i < errors.size(); ++i) absl::StrAppend(&message, i ? "; " : "", errors[i]);
    return absl::InvalidArgumentError(message);
  }
  ApiKeys result;
  result.keys_ = std::move(keys);
  if (!config.default_tenant().empty()) result.default_tenant_ = config.default_tenant();
  return result;
}

openai::ApiResult<Caller> ApiKeys::Authenticate(const http::HttpHeaders& headers) const {
  if (keys_.empty()) return Caller{.tenant = default_tenant_};
  std::optional<absl::string_view> authorization = headers.Get("Authorization");
  if (!authorization.has_value()) {
    return openai::Unauthorized(
        "You didn't provide an API key. Send it in an Authorization header: "
        "\"Authorization: Bearer YOUR_KEY\".");
  }
  absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return openai::Unauthorized(
        "The Authorization header must be \"Bearer YOUR_KEY\" (the Bearer scheme).");
  }
  const absl::string_view presented = absl::StripAsciiWhitespace(value.substr(kScheme.size()));
  // Every key is compared, so the time taken does not say which one matched.
  const Caller* caller = nullptr;
  for (const Key& key : keys_) {
    if (ConstantTimeEquals(presented, key.key) && caller == nullptr) caller = &key.caller;
  }
  if (caller == nullptr) return openai::Unauthorized("Incorrect API key provided.");
  return *caller;
}

}  // namespace weft::router
