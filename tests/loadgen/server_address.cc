#include "tests/loadgen/server_address.h"

#include <netdb.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace weft::loadgen {

absl::StatusOr<ServerAddress> ResolveHttpUrl(absl::string_view url) {
  constexpr absl::string_view kScheme = "http://";
  if (!absl::StartsWithIgnoreCase(url, kScheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL '", url, "' is not http://HOST[:PORT] (TLS is not supported)"));
  }
  absl::string_view rest = url.substr(kScheme.size());
  ServerAddress address;
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    absl::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    address.base_path = std::string(path);
  }
  std::string host;
  absl::string_view port_text = "80";
  if (absl::StartsWith(authority, "[")) {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad host in URL '", url, "'"));
    }
    host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return absl::InvalidArgumentError(absl::StrCat("bad host in URL '", url, "'"));
      }
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port_text = authority.substr(colon + 1);
  }
  int port = 0;
  if (host.empty() || !absl::SimpleAtoi(port_text, &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad host or port in URL '", url, "'"));
  }
  address.host_header = std::string(authority);

  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port_string = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), port_string.c_str(), &hints, &found);
      rc != 0 || found == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot resolve '", host, "': ", rc != 0 ? gai_strerror(rc) : "no address"));
  }
  std::memcpy(&address.addr, found->ai_addr, found->ai_addrlen);
  address.addr_len = found->ai_addrlen;
  freeaddrinfo(found);
  return address;
}

}  // namespace weft::loadgen
