// Dot product of two int8 vectors with int32 accumulation: the inner loop of
// the CPU backend's W8A8 GEMM. AVX2 (16 products per instruction pair) when
// the CPU has it, chosen at run time; portable C++ otherwise.
#ifndef WEFT_KERNELS_CPU_INT8_DOT_H_
#define WEFT_KERNELS_CPU_INT8_DOT_H_

#include <cstdint>

namespace weft::kernels::cpu {

// sum_i a[i] * b[i] over k elements. Inputs in [-127, 127] (no overflow for
// k < 2^17).
int32_t Int8Dot(const int8_t* a, const int8_t* b, int64_t k);

// The portable version, for tests.
int32_t Int8DotPortable(const int8_t* a, const int8_t* b, int64_t k);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_INT8_DOT_H_
