// ServerAddress: where the load generator sends its requests, parsed from a
// plain-HTTP URL such as "http://127.0.0.1:8080" or "http://[::1]:8000/base"
// (no TLS). The host is resolved once, up front.
#ifndef WEFT_TESTS_LOADGEN_SERVER_ADDRESS_H_
#define WEFT_TESTS_LOADGEN_SERVER_ADDRESS_H_

#include <sys/socket.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::loadgen {

struct ServerAddress {
  sockaddr_storage addr = {};
  socklen_t addr_len = 0;
  std::string host_header;  // "127.0.0.1:8080", for the Host field
  std::string base_path;    // the URL's path without a trailing '/'; often ""
};

// Parses "http://HOST[:PORT][/PATH]" (port 80 by default) and resolves HOST
// to its first address. InvalidArgument for other URLs (https:// included),
// NotFound if HOST does not resolve.
absl::StatusOr<ServerAddress> ResolveHttpUrl(absl::string_view url);

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_SERVER_ADDRESS_H_
