#include "common/checkpoint/safetensors_writer.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/checkpoint/json_util.h"
#include "nlohmann/json.hpp"

namespace weft::checkpoint {

TensorData CopyTensor(const TensorView& view) {
  return {view.name, view.dtype, view.shape,
          std::string(reinterpret_cast<const char*>(view.data), view.size_bytes)};
}

TensorData MakeFloatTensor(std::string name, DType dtype, std::vector<int64_t> shape,
                           const std::vector<float>& values) {
  TensorData t{std::move(name), dtype, std::move(shape), {}};
  if (dtype == DType::kBF16) {
    t.bytes.resize(values.size() * 2);
    for (size_t i = 0; i < values.size(); ++i) {
      const uint16_t bits = FloatToBf16(values[i]);
      std::memcpy(&t.bytes[i * 2], &bits, 2);
    }
  } else {
    t.dtype = DType::kF32;
    t.bytes.resize(values.size() * 4);
    if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), values.size() * 4);
  }
  return t;
}

absl::StatusOr<std::string> SerializeSafetensors(
    const std::vector<TensorData>& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) {
    nlohmann::json meta = nlohmann::json::object();
    for (const auto& [key, value] : metadata) {
      if (FindInvalidUtf8(key) || FindInvalidUtf8(value)) {
        return absl::InvalidArgumentError("metadata is not valid UTF-8");
      }
      meta[key] = value;
    }
    header["__metadata__"] = std::move(meta);
  }
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const TensorData& t : tensors) {
    if (FindInvalidUtf8(t.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor name '", EscapeForMessage(t.name), "' is not valid UTF-8"));
    }
    if (t.name == "__metadata__" || !names.insert(t.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate tensor name '", t.name, "'"));
    }
    uint64_t elements = 1;
    for (int64_t d : t.shape) {
      if (d < 0) return absl::InvalidArgumentError(absl::StrCat(t.name, ": negative dim"));
      elements *= static_cast<uint64_t>(d);
    }
    if (elements * DTypeSize(t.dtype) != t.bytes.size()) {
      return absl::InvalidArgumentError(absl::StrCat(t.name, ": ", t.bytes.size(),
                                                     " bytes for shape ", ShapeToString(t.shape),
                                                     " of ", DTypeName(t.dtype)));
    }
    nlohmann::json entry = nlohmann::json::object();
    entry["dtype"] = std::string(DTypeName(t.dtype));
    entry["shape"] = t.shape;
    entry["data_offsets"] = {offset, offset + t.bytes.size()};
    header[t.name] = std::move(entry);
    offset += t.bytes.size();
  }
  std::string header_text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  std::string data;
  data.reserve(offset);
  for (const TensorData& t : tensors) data += t.bytes;
  return RawSafetensors(header_text, data);
}

absl::Status WriteSafetensors(const std::string& path, const std::vector<TensorData>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  absl::StatusOr<std::string> bytes = SerializeSafetensors(tensors, metadata);
  if (!bytes.ok()) return bytes.status();
  return WriteStringToFile(path, *bytes);
}

std::string RawSafetensors(absl::string_view header_json, absl::string_view data) {
  std::string out(8, '\0');
  uint64_t n = header_json.size();
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(n & 0xFF);
    n >>= 8;
  }
  out.append(header_json.data(), header_json.size());
  out.append(data.data(), data.size());
  return out;
}

absl::Status WriteStringToFile(const std::string& path, absl::string_view contents) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (file == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  if (std::fwrite(contents.data(), 1, contents.size(), file.get()) != contents.size()) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  if (std::fclose(file.release()) != 0) {
    return absl::InternalError(absl::StrCat("cannot close ", path));
  }
  return absl::OkStatus();
}

}  // namespace weft::checkpoint
