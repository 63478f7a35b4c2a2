#include "common/metrics/metrics_server.h"

#include <CivetServer.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace weft {
namespace {

// civetweb says why it could not start only through its log callback, and
// the exception prometheus-cpp throws does not carry it. mg_start runs on the
// caller's thread, so a thread-local collects what it logged while starting.
thread_local std::string* start_log = nullptr;

int CollectStartLog(const mg_connection*, const char* message) {
  if (start_log != nullptr && message != nullptr) {
    if (!start_log->empty()) start_log->append("; ");
    start_log->append(message);
  }
  return 1;  // handled: civetweb prints nothing itself
}

const CivetCallbacks& Callbacks() {
  static const CivetCallbacks* callbacks = [] {
    auto* c = new CivetCallbacks();
    c->log_message = &CollectStartLog;
    return c;
  }();
  return *callbacks;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& address, std::shared_ptr<prometheus::Registry> registry) {
  std::unique_ptr<prometheus::Exposer> exposer;
  // prometheus-cpp reports a failed bind by throwing; this is the boundary
  // where that becomes a status.
  std::string log;
  start_log = &log;
  try {
    exposer = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/2, &Callbacks());
  } catch (const std::exception& e) {
    start_log = nullptr;
    return absl::UnavailableError(absl::StrCat("metrics server cannot listen on ", address, ": ",
                                               e.what(), log.empty() ? "" : " (", log,
                                               log.empty() ? "" : ")"));
  }
  start_log = nullptr;
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("metrics server on ", address, " has no port"));
  }
  exposer->RegisterCollectable(registry);
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(exposer), std::move(registry), ports.front()));
}

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer,
                             std::shared_ptr<prometheus::Registry> registry, int port)
    : exposer_(std::move(exposer)), registry_(std::move(registry)), port_(port) {}

MetricsServer::~MetricsServer() = default;

}  // namespace weft
