// Reading safetensors files (https://github.com/huggingface/safetensors):
//   [8 bytes: little-endian u64 N][N bytes: JSON header][data section]
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin,
// end)} (offsets relative to the data section), plus an optional
// "__metadata__" object of string values.
//
// The header is untrusted input. Parsing rejects, with InvalidArgument naming
// the file and (where there is one) the tensor: a file shorter than 8 bytes; a
// header length over kMaxHeaderBytes or past the end of the file; bytes that
// are not UTF-8; invalid JSON; a header that is not an object; entries that
// are not objects; missing or ill-typed dtype/shape/data_offsets; unknown
// dtypes; negative dimensions or element counts that overflow; begin > end;
// offsets outside the data section; (end - begin) != elements * element size;
// overlapping tensors; empty names; a malformed __metadata__. Parsing never
// crashes or reads outside the buffer, whatever the input.
#ifndef WEFT_COMMON_CHECKPOINT_SAFETENSORS_H_
#define WEFT_COMMON_CHECKPOINT_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/checkpoint/dtype.h"

namespace weft::checkpoint {

// The largest header accepted (the reference implementation's limit).
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// One tensor entry of a header, validated against the data section size.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  // Byte range [begin, end) within the data section.
  uint64_t begin = 0;
  uint64_t end = 0;

  int64_t num_elements() const;
};

// A parsed, validated header.
struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;  // Sorted by name.
  std::map<std::string, std::string> metadata;
  // Offset of the data section from the start of the file (8 + N).
  uint64_t data_offset = 0;
};

// Parses and validates the JSON header text `header_json` against a data
// section of `data_size` bytes. `file_label` names the file in errors.
// `data_offset` in the result is left 0.
absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeaderJson(absl::string_view header_json,
                                                             uint64_t data_size,
                                                             absl::string_view file_label);

// Parses the header of a complete in-memory safetensors file (length prefix,
// header, data section). For tests and fuzzing; SafetensorsFile uses it too.
absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(absl::string_view file_bytes,
                                                         absl::string_view file_label);

// A tensor's bytes, borrowed from the SafetensorsFile that produced it: valid
// as long as that file object lives. `data` has no alignment guarantee beyond
// 1 (the header length need not be a multiple of 8): read with memcpy or
// ConvertToFloat.
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t size_bytes = 0;

  int64_t num_elements() const;
  // The shape as "[1024, 128]", for messages.
  std::string ShapeString() const;
};

// "[1024, 128]".
std::string ShapeToString(const std::vector<int64_t>& shape);

// A safetensors file, memory-mapped read-only (or, for tests and generated
// weights, held in an owned buffer), with a validated header.
//
// Ownership: the object owns the mapping (munmap in the destructor); every
// TensorView it hands out points into it. Thread-safety: immutable after
// construction, so any number of threads may call its const methods and read
// tensor bytes concurrently. Not copyable or movable (views point at it).
class SafetensorsFile {
 public:
  // Maps `path` and validates its header. NotFound if the file does not
  // exist; InvalidArgument (naming `path`) for any malformed header.
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);

  // Validates `bytes` (a complete file image) and takes ownership of it.
  // `label` stands for the path in errors and path().
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> FromBuffer(std::string bytes,
                                                                     std::string label);

  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  // Tensor names in sorted order.
  const std::vector<std::string>& tensor_names() const { return names_; }
  // Views in the order of tensor_names().
  const std::vector<TensorView>& tensors() const { return tensors_; }
  // The tensor named `name`, or nullptr. The pointer lives as long as *this.
  const TensorView* Find(absl::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  size_t file_size() const { return size_; }

 private:
  SafetensorsFile() = default;
  absl::Status Init(std::string path);

  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;  // Non-null when base_ comes from mmap.
  std::string owned_;        // Holds the bytes when not mapped.
  std::vector<std::string> names_;
  std::vector<TensorView> tensors_;
  absl::flat_hash_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_SAFETENSORS_H_
