#include "common/checkpoint/dtype.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace weft::checkpoint {
namespace {

struct DTypeInfo {
  DType dtype;
  absl::string_view name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "BOOL", 1}, {DType::kU8, "U8", 1},          {DType::kI8, "I8", 1},
    {DType::kI16, "I16", 2},   {DType::kU16, "U16", 2},        {DType::kI32, "I32", 4},
    {DType::kU32, "U32", 4},   {DType::kI64, "I64", 8},        {DType::kU64, "U64", 8},
    {DType::kF16, "F16", 2},   {DType::kBF16, "BF16", 2},      {DType::kF32, "F32", 4},
    {DType::kF64, "F64", 8},   {DType::kF8E4M3, "F8_E4M3", 1}, {DType::kF8E5M2, "F8_E5M2", 1},
};

const DTypeInfo* Find(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return &info;
  }
  return nullptr;
}

// Value of a float format with `mantissa_bits` stored mantissa bits and the
// given exponent bias, for a finite encoding (exponent field `exp`, mantissa
// field `man`). Exact: all these values are representable as float.
float FiniteValue(bool negative, int exp, int man, int mantissa_bits, int bias) {
  float magnitude;
  if (exp == 0) {  // Zero or subnormal: man * 2^(1 - bias - mantissa_bits).
    magnitude = std::ldexp(static_cast<float>(man), 1 - bias - mantissa_bits);
  } else {
    magnitude =
        std::ldexp(static_cast<float>(man + (1 << mantissa_bits)), exp - bias - mantissa_bits);
  }
  return negative ? -magnitude : magnitude;
}

float SignedNaN(bool negative) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  return negative ? -nan : nan;
}

template <typename T>
void ConvertWith(const void* src, size_t count, float* dst, float (*fn)(T)) {
  const auto* bytes = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < count; ++i) {
    T bits;
    std::memcpy(&bits, bytes + i * sizeof(T), sizeof(T));
    dst[i] = fn(bits);
  }
}

template <typename T>
void ConvertCast(const void* src, size_t count, float* dst) {
  const auto* bytes = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, bytes + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(value);
  }
}

}  // namespace

size_t DTypeSize(DType dtype) {
  const DTypeInfo* info = Find(dtype);
  return info == nullptr ? 0 : info->size;
}

absl::string_view DTypeName(DType dtype) {
  const DTypeInfo* info = Find(dtype);
  return info == nullptr ? absl::string_view("INVALID") : info->name;
}

std::optional<DType> DTypeFromName(absl::string_view name) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.name == name) return info.dtype;
  }
  return std::nullopt;
}

bool IsFloatingPoint(DType dtype) {
  switch (dtype) {
    case DType::kF16:
    case DType::kBF16:
    case DType::kF32:
    case DType::kF64:
    case DType::kF8E4M3:
    case DType::kF8E5M2:
      return true;
    default:
      return false;
  }
}

float Bf16ToFloat(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

float F16ToFloat(uint16_t bits) {
  const bool negative = (bits & 0x8000) != 0;
  const int exp = (bits >> 10) & 0x1F;
  const int man = bits & 0x3FF;
  if (exp == 0x1F) {
    if (man != 0) return SignedNaN(negative);
    return negative ? -std::numeric_limits<float>::infinity()
                    : std::numeric_limits<float>::infinity();
  }
  return FiniteValue(negative, exp, man, 10, 15);
}

float F8E4M3ToFloat(uint8_t bits) {
  const bool negative = (bits & 0x80) != 0;
  const int exp = (bits >> 3) & 0xF;
  const int man = bits & 0x7;
  if (exp == 0xF && man == 0x7) return SignedNaN(negative);
  return FiniteValue(negative, exp, man, 3, 7);
}

float F8E5M2ToFloat(uint8_t bits) {
  const bool negative = (bits & 0x80) != 0;
  const int exp = (bits >> 2) & 0x1F;
  const int man = bits & 0x3;
  if (exp == 0x1F) {
    if (man != 0) return SignedNaN(negative);
    return negative ? -std::numeric_limits<float>::infinity()
                    : std::numeric_limits<float>::infinity();
  }
  return FiniteValue(negative, exp, man, 2, 15);
}

uint16_t FloatToBf16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if (std::isnan(value)) {
    // Keep the sign, force a quiet NaN (the top mantissa bit set).
    return static_cast<uint16_t>((bits >> 16) | 0x0040);
  }
  const uint32_t lsb = (bits >> 16) & 1;
  const uint32_t rounded = bits + 0x7FFF + lsb;
  return static_cast<uint16_t>(rounded >> 16);
}

absl::Status ConvertToFloat(DType dtype, const void* src, size_t count, float* dst) {
  switch (dtype) {
    case DType::kBool:
    case DType::kU8:
      ConvertCast<uint8_t>(src, count, dst);
      return absl::OkStatus();
    case DType::kI8:
      ConvertCast<int8_t>(src, count, dst);
      return absl::OkStatus();
    case DType::kI16:
      ConvertCast<int16_t>(src, count, dst);
      return absl::OkStatus();
    case DType::kU16:
      ConvertCast<uint16_t>(src, count, dst);
      return absl::OkStatus();
    case DType::kI32:
      ConvertCast<int32_t>(src, count, dst);
      return absl::OkStatus();
    case DType::kU32:
      ConvertCast<uint32_t>(src, count, dst);
      return absl::OkStatus();
    case DType::kI64:
      ConvertCast<int64_t>(src, count, dst);
      return absl::OkStatus();
    case DType::kU64:
      ConvertCast<uint64_t>(src, count, dst);
      return absl::OkStatus();
    case DType::kF16:
      ConvertWith<uint16_t>(src, count, dst, &F16ToFloat);
      return absl::OkStatus();
    case DType::kBF16:
      ConvertWith<uint16_t>(src, count, dst, &Bf16ToFloat);
      return absl::OkStatus();
    case DType::kF32:
      if (count > 0) std::memcpy(dst, src, count * sizeof(float));
      return absl::OkStatus();
    case DType::kF64:
      ConvertCast<double>(src, count, dst);
      return absl::OkStatus();
    case DType::kF8E4M3:
      ConvertWith<uint8_t>(src, count, dst, &F8E4M3ToFloat);
      return absl::OkStatus();
    case DType::kF8E5M2:
      ConvertWith<uint8_t>(src, count, dst, &F8E5M2ToFloat);
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("ConvertToFloat: invalid dtype value ", static_cast<int>(dtype)));
}

}  // namespace weft::checkpoint
