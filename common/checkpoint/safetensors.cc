#include "common/checkpoint/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/checkpoint/json_util.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace weft::checkpoint {
namespace {

using Json = nlohmann::json;

absl::Status FileError(absl::string_view file, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("safetensors file ", file, ": ", what));
}

absl::Status TensorError(absl::string_view file, absl::string_view tensor, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("safetensors file ", file, ": tensor '", EscapeForMessage(tensor), "': ", what));
}

// Reads a non-negative JSON integer that fits in uint64.
bool ReadUnsigned(const Json& value, uint64_t* out) {
  if (value.is_number_unsigned()) {
    *out = value.get_ref<const Json::number_unsigned_t&>();
    return true;
  }
  if (value.is_number_integer()) {
    const int64_t v = value.get_ref<const Json::number_integer_t&>();
    if (v < 0) return false;
    *out = static_cast<uint64_t>(v);
    return true;
  }
  return false;
}

// The name of the JSON string that contains byte `offset` of `json`, for a
// message about invalid UTF-8 inside it (a best-effort scan back to the
// opening quote).
std::string EnclosingString(absl::string_view json, size_t offset) {
  size_t start = offset;
  while (start > 0 && !(json[start - 1] == '"' && (start < 2 || json[start - 2] != '\\'))) {
    --start;
  }
  size_t end = offset;
  while (end < json.size() && !(json[end] == '"' && json[end - 1] != '\\')) ++end;
  return EscapeForMessage(json.substr(start, std::min<size_t>(end - start, 200)));
}

absl::StatusOr<TensorInfo> ParseEntry(const std::string& name, const Json& entry,
                                      uint64_t data_size, absl::string_view file) {
  if (name.empty()) return FileError(file, "a tensor has an empty name");
  if (std::optional<size_t> bad = FindInvalidUtf8(name); bad.has_value()) {
    return TensorError(file, name, absl::StrCat("name is not valid UTF-8 (byte ", *bad, ")"));
  }
  if (!entry.is_object()) {
    return TensorError(file, name,
                       absl::StrCat("entry must be an object, got ", JsonTypeName(entry)));
  }
  TensorInfo info;
  info.name = name;

  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end()) return TensorError(file, name, "missing 'dtype'");
  if (!dtype_it->is_string()) {
    return TensorError(file, name,
                       absl::StrCat("'dtype' must be a string, got ", JsonTypeName(*dtype_it)));
  }
  const std::string& dtype_name = dtype_it->get_ref<const Json::string_t&>();
  std::optional<DType> dtype = DTypeFromName(dtype_name);
  if (!dtype.has_value()) {
    return TensorError(file, name,
                       absl::StrCat("unknown dtype '", EscapeForMessage(dtype_name), "'"));
  }
  info.dtype = *dtype;

  auto shape_it = entry.find("shape");
  if (shape_it == entry.end()) return TensorError(file, name, "missing 'shape'");
  if (!shape_it->is_array()) {
    return TensorError(file, name,
                       absl::StrCat("'shape' must be an array, got ", JsonTypeName(*shape_it)));
  }
  uint64_t elements = 1;
  constexpr uint64_t kMaxElements = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  for (size_t i = 0; i < shape_it->size(); ++i) {
    const Json& dim = (*shape_it)[i];
    if (dim.is_number_integer() && !dim.is_number_unsigned() &&
        dim.get_ref<const Json::number_integer_t&>() < 0) {
      return TensorError(file, name,
                         absl::StrCat("'shape' dimension ", i, " is negative (",
                                      dim.get_ref<const Json::number_integer_t&>(), ")"));
    }
    uint64_t d;
    if (!ReadUnsigned(dim, &d)) {
      return TensorError(file, name,
                         absl::StrCat("'shape' dimension ", i,
                                      " must be a non-negative integer, got ", JsonTypeName(dim)));
    }
    if (d > kMaxElements) {
      return TensorError(file, name, absl::StrCat("'shape' dimension ", i, " is too large"));
    }
    info.shape.push_back(static_cast<int64_t>(d));
    if (d != 0 && elements > kMaxElements / d) {
      return TensorError(file, name,
                         absl::StrCat("element count of shape ", ShapeToString(info.shape),
                                      "... overflows 64 bits"));
    }
    elements *= d;
  }
  // Zero-sized dimensions: elements is 0 regardless of later overflow checks.
  for (int64_t d : info.shape) {
    if (d == 0) elements = 0;
  }
  const uint64_t element_size = DTypeSize(info.dtype);
  if (elements > kMaxElements / element_size) {
    return TensorError(
        file, name,
        absl::StrCat("byte size of shape ", ShapeToString(info.shape), " overflows 64 bits"));
  }
  const uint64_t expected_bytes = elements * element_size;

  auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end()) return TensorError(file, name, "missing 'data_offsets'");
  if (!offsets_it->is_array() || offsets_it->size() != 2) {
    return TensorError(file, name, "'data_offsets' must be an array of two integers");
  }
  if (!ReadUnsigned((*offsets_it)[0], &info.begin) || !ReadUnsigned((*offsets_it)[1], &info.end)) {
    return TensorError(file, name, "'data_offsets' must be two non-negative integers");
  }
  if (info.begin > info.end) {
    return TensorError(file, name,
                       absl::StrCat("data_offsets begin ", info.begin, " > end ", info.end));
  }
  if (info.end > data_size) {
    return TensorError(file, name,
                       absl::StrCat("data_offsets [", info.begin, ", ", info.end,
                                    ") outside the data section of ", data_size, " bytes"));
  }
  if (info.end - info.begin != expected_bytes) {
    return TensorError(
        file, name,
        absl::StrCat("data_offsets [", info.begin, ", ", info.end, ") span ", info.end - info.begin,
                     " bytes but shape ", ShapeToString(info.shape), " of ", DTypeName(info.dtype),
                     " needs ", expected_bytes));
  }
  return info;
}

}  // namespace

int64_t TensorInfo::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t TensorView::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

std::string TensorView::ShapeString() const { return ShapeToString(shape); }

absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeaderJson(absl::string_view header_json,
                                                             uint64_t data_size,
                                                             absl::string_view file_label) {
  if (std::optional<size_t> bad = FindInvalidUtf8(header_json); bad.has_value()) {
    return FileError(file_label,
                     absl::StrCat("header is not valid UTF-8 at header byte ", *bad,
                                  " (in string \"", EnclosingString(header_json, *bad), "\")"));
  }
  absl::StatusOr<Json> parsed =
      ParseJson(header_json, absl::StrCat("safetensors file ", file_label, ": header"));
  if (!parsed.ok()) return parsed.status();
  const Json& root = *parsed;
  if (!root.is_object()) {
    return FileError(file_label,
                     absl::StrCat("header must be a JSON object, got ", JsonTypeName(root)));
  }
  SafetensorsHeader header;
  for (const auto& [name, entry] : root.items()) {
    if (name == "__metadata__") {
      if (entry.is_null()) continue;
      if (!entry.is_object()) {
        return FileError(file_label,
                         absl::StrCat("__metadata__ must be an object, got ", JsonTypeName(entry)));
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          return FileError(file_label,
                           absl::StrCat("__metadata__ value of '", EscapeForMessage(key),
                                        "' must be a string, got ", JsonTypeName(value)));
        }
        header.metadata[key] = value.get_ref<const Json::string_t&>();
      }
      continue;
    }
    WEFT_ASSIGN_OR_RETURN(TensorInfo info, ParseEntry(name, entry, data_size, file_label));
    header.tensors.push_back(std::move(info));
  }
  // nlohmann's object is a std::map: tensors are already sorted by name.
  std::vector<const TensorInfo*> by_offset;
  for (const TensorInfo& t : header.tensors) {
    if (t.end > t.begin) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->name < b->name;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& prev = *by_offset[i - 1];
    const TensorInfo& cur = *by_offset[i];
    if (cur.begin < prev.end) {
      return TensorError(
          file_label, cur.name,
          absl::StrCat("data [", cur.begin, ", ", cur.end, ") overlaps tensor '",
                       EscapeForMessage(prev.name), "' at [", prev.begin, ", ", prev.end, ")"));
    }
  }
  return header;
}

absl::StatusOr<SafetensorsHeader> ParseSafetensorsHeader(absl::string_view file_bytes,
                                                         absl::string_view file_label) {
  if (file_bytes.size() < 8) {
    return FileError(file_label, absl::StrCat("file is ", file_bytes.size(),
                                              " bytes, shorter than the 8-byte length prefix"));
  }
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) {
    header_len = (header_len << 8) | static_cast<unsigned char>(file_bytes[i]);
  }
  if (header_len > kMaxHeaderBytes) {
    return FileError(file_label, absl::StrCat("header length ", header_len,
                                              " exceeds the limit of ", kMaxHeaderBytes));
  }
  if (header_len > file_bytes.size() - 8) {
    return FileError(file_label,
                     absl::StrCat("header length ", header_len, " runs past the end of the ",
                                  file_bytes.size(), "-byte file"));
  }
  const uint64_t data_offset = 8 + header_len;
  WEFT_ASSIGN_OR_RETURN(SafetensorsHeader header,
                        ParseSafetensorsHeaderJson(file_bytes.substr(8, header_len),
                                                   file_bytes.size() - data_offset, file_label));
  header.data_offset = data_offset;
  return header;
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat("safetensors file ", path, ": not found"));
    }
    return FileError(path, absl::StrCat("cannot open: ", std::strerror(err)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return FileError(path, absl::StrCat("cannot stat: ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return FileError(path, "not a regular file");
  }
  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->size_ = static_cast<size_t>(st.st_size);
  if (file->size_ > 0) {
    void* mapping = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return FileError(path, absl::StrCat("mmap failed: ", std::strerror(err)));
    }
    file->mapping_ = mapping;
    file->base_ = static_cast<const uint8_t*>(mapping);
  }
  ::close(fd);
  WEFT_RETURN_IF_ERROR(file->Init(path));
  return file;
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::FromBuffer(std::string bytes,
                                                                             std::string label) {
  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->owned_ = std::move(bytes);
  file->base_ = reinterpret_cast<const uint8_t*>(file->owned_.data());
  file->size_ = file->owned_.size();
  WEFT_RETURN_IF_ERROR(file->Init(std::move(label)));
  return file;
}

absl::Status SafetensorsFile::Init(std::string path) {
  path_ = std::move(path);
  const absl::string_view bytes(reinterpret_cast<const char*>(base_), size_);
  WEFT_ASSIGN_OR_RETURN(SafetensorsHeader header, ParseSafetensorsHeader(bytes, path_));
  metadata_ = std::move(header.metadata);
  names_.reserve(header.tensors.size());
  tensors_.reserve(header.tensors.size());
  for (TensorInfo& info : header.tensors) {
    TensorView view;
    view.name = info.name;
    view.dtype = info.dtype;
    view.shape = std::move(info.shape);
    view.data = base_ + header.data_offset + info.begin;
    view.size_bytes = static_cast<size_t>(info.end - info.begin);
    index_.emplace(info.name, tensors_.size());
    names_.push_back(std::move(info.name));
    tensors_.push_back(std::move(view));
  }
  return absl::OkStatus();
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, size_);
}

const TensorView* SafetensorsFile::Find(absl::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace weft::checkpoint
