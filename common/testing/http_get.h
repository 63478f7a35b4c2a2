// A minimal blocking HTTP/1.1 GET over a real TCP connection, for tests that
// scrape /metrics and probe HTTP endpoints of processes under test. A thin
// wrapper over HttpRequest (common/testing/http_client.h).
#ifndef WEFT_COMMON_TESTING_HTTP_GET_H_
#define WEFT_COMMON_TESTING_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/testing/http_client.h"

namespace weft::testutil {

// GETs http://host:port/path with "Connection: close" and reads the whole
// response (a chunked body de-chunked).
absl::StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                                     absl::Duration timeout = absl::Seconds(10));

}  // namespace weft::testutil

#endif  // WEFT_COMMON_TESTING_HTTP_GET_H_
