#include "common/server/service_main.h"

#include <cstdio>

#include "common/logging/log.h"

namespace weft::service_main_internal {

bool ApplyLogLevel(const std::string& service, const std::string& level) {
  if (level.empty()) return true;
  LogSeverity severity;
  if (!ParseLogSeverity(level, &severity)) {
    std::fprintf(stderr, "weft-%s: --log_level=%s: expected info, warning, error or fatal\n",
                 service.c_str(), level.c_str());
    return false;
  }
  SetMinLogSeverity(severity);
  return true;
}

int Fail(const std::string& service, const std::string& what, const absl::Status& status,
         int exit_code) {
  std::fprintf(stderr, "weft-%s: %s: %s\n", service.c_str(), what.c_str(),
               status.ToString().c_str());
  return exit_code;
}

}  // namespace weft::service_main_internal
