// weft-kvcache: the pooled KV block store, addressed by content hash, shared by every instance.
//
//   weft-kvcache --config=kvcache.textproto [--ready_file=PATH] [--log_level=info]
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/server/service_main.h"
#include "common/server/shutdown_signal.h"
#include "kvcache/kvcache_module.h"

ABSL_FLAG(std::string, config, "", "Path of the weft.v1.KvCacheConfig text-format file");
ABSL_FLAG(std::string, ready_file, "",
          "If set, written once serving: the bound gRPC and metrics ports and the pid");
ABSL_FLAG(std::string, log_level, "info", "Minimum log severity: info, warning, error, fatal");
ABSL_FLAG(std::string, config_override, "",
          "Text-format fields merged over the config file, e.g. 'advertise_host: \"10.0.0.7\"'");

int main(int argc, char** argv) {
  // Before any thread exists, so that only the lifecycle receives them.
  weft::BlockShutdownSignals();
  absl::SetProgramUsageMessage("weft-kvcache --config=kvcache.textproto");
  absl::ParseCommandLine(argc, argv);
  return weft::ServiceMain(
      weft::ServiceMainFlags{absl::GetFlag(FLAGS_config), absl::GetFlag(FLAGS_ready_file),
                             absl::GetFlag(FLAGS_log_level), absl::GetFlag(FLAGS_config_override)},
      weft::kvcache::KvCacheDefinition());
}
