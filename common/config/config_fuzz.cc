// Fuzz target: arbitrary bytes through the config parser and validator. Either
// may reject the input; neither may crash, hang or leak.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/config/server_config.h"
#include "common/config/text_proto.h"
#include "proto/config.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  weft::v1::RouterConfig config;
  if (weft::ParseTextProto(text, "fuzz", &config).ok()) {
    (void)weft::ValidateServerConfig(config.server(), "server");
  }
  return 0;
}
