// A minimal blocking HTTP/1.1 GET over a real TCP connection, for tests that
// scrape /metrics and probe HTTP endpoints of processes under test.
#ifndef WEFT_COMMON_TESTING_HTTP_GET_H_
#define WEFT_COMMON_TESTING_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace weft::testutil {

struct HttpResponse {
  int status_code = 0;
  std::string headers;  // raw header block, without the status line
  std::string body;
};

// GETs http://host:port/path with "Connection: close" and reads until EOF.
absl::StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                                     absl::Duration timeout = absl::Seconds(10));

}  // namespace weft::testutil

#endif  // WEFT_COMMON_TESTING_HTTP_GET_H_
