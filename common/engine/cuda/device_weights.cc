#include "common/engine/cuda/device_weights.h"

#include <cstring>

namespace weft::engine::gpu {

std::vector<uint16_t> ToBf16(const std::vector<float>& values) {
  std::vector<uint16_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], sizeof(bits));
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0) {
      out[i] = static_cast<uint16_t>((bits >> 16) | 0x0040u);  // quiet NaN
      continue;
    }
    const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
    out[i] = static_cast<uint16_t>((bits + rounding) >> 16);
  }
  return out;
}

absl::StatusOr<DeviceBuffer> UploadBf16(const std::vector<float>& values) {
  return DeviceBuffer::From(ToBf16(values));
}

}  // namespace weft::engine::gpu
