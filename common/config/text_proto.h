// Reads typed configuration from Protobuf text format. Configuration files are
// untrusted input: every problem is reported as an InvalidArgument status that
// names the file, line and column, never a crash.
#ifndef WEFT_COMMON_CONFIG_TEXT_PROTO_H_
#define WEFT_COMMON_CONFIG_TEXT_PROTO_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace weft {

// Largest configuration file accepted.
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Parses `text` into `message` (cleared first). `source` names the input in
// errors ("router.textproto:3:7: ..."). Unknown fields, wrong value types,
// syntax errors and repeated singular fields are errors.
absl::Status ParseTextProto(absl::string_view text, absl::string_view source,
                            google::protobuf::Message* message);

// Reads `path` (at most kMaxConfigFileBytes) and parses it as above.
// NotFound if the file does not exist, InvalidArgument if it cannot be parsed.
absl::Status LoadTextProtoFile(const std::string& path, google::protobuf::Message* message);

// Parses `text` (text format, same rules as ParseTextProto) and merges it over
// `message`: singular fields set in `text` replace the file's values, repeated
// fields are appended. For deployment-time values a config file cannot hold,
// e.g. a pod's IP given as `--config_override='advertise_host: "10.0.0.7"'`.
// `message` is unchanged when `text` cannot be parsed.
absl::Status MergeTextProtoOverride(absl::string_view text, absl::string_view source,
                                    google::protobuf::Message* message);

}  // namespace weft

#endif  // WEFT_COMMON_CONFIG_TEXT_PROTO_H_
