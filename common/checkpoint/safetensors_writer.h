// Writing safetensors files: for tests (malformed and sharded checkpoints)
// and for generated dummy weights. testonly.
//
// Pure functions plus file writes; thread-safe for distinct paths.
#ifndef WEFT_COMMON_CHECKPOINT_SAFETENSORS_WRITER_H_
#define WEFT_COMMON_CHECKPOINT_SAFETENSORS_WRITER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/checkpoint/dtype.h"
#include "common/checkpoint/safetensors.h"

namespace weft::checkpoint {

// One tensor to write; `bytes` holds exactly elements * DTypeSize(dtype)
// bytes, little-endian.
struct TensorData {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::string bytes;
};

// A copy of a tensor view's contents.
TensorData CopyTensor(const TensorView& view);

// Float values converted to `dtype` (F32 or BF16 (round-to-nearest-even)).
TensorData MakeFloatTensor(std::string name, DType dtype, std::vector<int64_t> shape,
                           const std::vector<float>& values);

// A complete safetensors file image: the header (tensors in the given order,
// `metadata` as __metadata__ when non-empty) padded with spaces to a multiple
// of 8 bytes, then the tensor bytes back to back. InvalidArgument for a
// duplicate or non-UTF-8 name, or bytes that do not match shape and dtype.
absl::StatusOr<std::string> SerializeSafetensors(
    const std::vector<TensorData>& tensors,
    const std::map<std::string, std::string>& metadata = {});

// SerializeSafetensors written to `path`.
absl::Status WriteSafetensors(const std::string& path, const std::vector<TensorData>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

// An arbitrary header and data section behind a correct length prefix (for
// malformed-header tests): 8-byte LE length of `header_json`, the header,
// then `data`.
std::string RawSafetensors(absl::string_view header_json, absl::string_view data);

// Writes `contents` to `path`, replacing it.
absl::Status WriteStringToFile(const std::string& path, absl::string_view contents);

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_SAFETENSORS_WRITER_H_
