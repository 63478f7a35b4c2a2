// Element types of safetensors tensors, their sizes and names, and exact
// scalar conversions between the reduced-precision float formats and float.
//
// Everything here is a pure function of its arguments: thread-safe.
#ifndef WEFT_COMMON_CHECKPOINT_DTYPE_H_
#define WEFT_COMMON_CHECKPOINT_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::checkpoint {

// The dtypes of the safetensors format, by their header names.
enum class DType {
  kBool,    // "BOOL", 1 byte
  kU8,      // "U8"
  kI8,      // "I8"
  kI16,     // "I16"
  kU16,     // "U16"
  kI32,     // "I32"
  kU32,     // "U32"
  kI64,     // "I64"
  kU64,     // "U64"
  kF16,     // "F16": IEEE 754 binary16
  kBF16,    // "BF16": bfloat16 (the top 16 bits of a float)
  kF32,     // "F32"
  kF64,     // "F64"
  kF8E4M3,  // "F8_E4M3": OCP E4M3 "fn" variant (bias 7, no infinities, NaN = S.1111.111)
  kF8E5M2,  // "F8_E5M2": OCP E5M2 (bias 15, IEEE-like with infinities and NaNs)
};

// Size of one element in bytes (BOOL is one byte).
size_t DTypeSize(DType dtype);

// The safetensors header name ("BF16", "F8_E4M3", ...).
absl::string_view DTypeName(DType dtype);

// Parses a safetensors header name (exact, case-sensitive). nullopt if unknown.
std::optional<DType> DTypeFromName(absl::string_view name);

// True for F16, BF16, F32, F64, F8_E4M3 and F8_E5M2.
bool IsFloatingPoint(DType dtype);

// Exact conversions to float (every value of these formats is representable
// as a float, subnormals included). NaN inputs give a quiet NaN with the sign
// of the input; infinities stay infinities.
float Bf16ToFloat(uint16_t bits);
float F16ToFloat(uint16_t bits);
// E4M3 "fn": 0x7F and 0xFF are NaN; there is no infinity (0x7E = 448).
float F8E4M3ToFloat(uint8_t bits);
float F8E5M2ToFloat(uint8_t bits);

// float -> bfloat16 with round-to-nearest-even. NaN stays NaN (quiet, sign
// kept); overflow rounds to infinity as IEEE rounding does.
uint16_t FloatToBf16(float value);

// Converts `count` elements of `dtype` at `src` (any alignment; host byte
// order, which safetensors defines as little-endian) into `dst`. Integer and
// BOOL elements convert with static_cast. Never fails for a valid dtype;
// returns InvalidArgument for an out-of-range enum value.
absl::Status ConvertToFloat(DType dtype, const void* src, size_t count, float* dst);

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_DTYPE_H_
