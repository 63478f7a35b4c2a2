#include "kernels/cpu/int8_dot.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace weft::kernels::cpu {

int32_t Int8DotPortable(const int8_t* a, const int8_t* b, int64_t k) {
  int32_t sum = 0;
  for (int64_t i = 0; i < k; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

#if defined(__x86_64__)
namespace {

__attribute__((target("avx2"))) int32_t Int8DotAvx2(const int8_t* a, const int8_t* b, int64_t k) {
  // Sign-extend 16 bytes to 16 int16 lanes; madd multiplies and adds pairs
  // into 8 int32 lanes (|127 * 127 * 2| fits easily).
  __m256i acc0 = _mm256_setzero_si256();
  __m256i acc1 = _mm256_setzero_si256();
  int64_t i = 0;
  for (; i + 32 <= k; i += 32) {
    const __m256i a0 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256i b0 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    const __m256i a1 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i + 16)));
    const __m256i b1 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i + 16)));
    acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a0, b0));
    acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(a1, b1));
  }
  const __m256i acc = _mm256_add_epi32(acc0, acc1);
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_hadd_epi32(s, s);
  s = _mm_hadd_epi32(s, s);
  int32_t sum = _mm_cvtsi128_si32(s);
  for (; i < k; ++i) sum += int32_t{a[i]} * int32_t{b[i]};
  return sum;
}

}  // namespace

int32_t Int8Dot(const int8_t* a, const int8_t* b, int64_t k) {
  static const bool kHasAvx2 = __builtin_cpu_supports("avx2");
  return kHasAvx2 ? Int8DotAvx2(a, b, k) : Int8DotPortable(a, b, k);
}
#else
int32_t Int8Dot(const int8_t* a, const int8_t* b, int64_t k) { return Int8DotPortable(a, b, k); }
#endif

}  // namespace weft::kernels::cpu
