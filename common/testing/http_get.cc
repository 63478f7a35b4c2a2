#include "common/testing/http_get.h"

namespace weft::testutil {

absl::StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                                     absl::Duration timeout) {
  return HttpRequest(host, port, "GET", path, /*body=*/"", timeout);
}

}  // namespace weft::testutil
