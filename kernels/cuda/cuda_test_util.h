// Helpers for GPU tests: assertions that evaluate a CUDA call once and fail
// with the library's error string, device arrays, argument rejection checks,
// bf16 rounding, seeded random data and relative error.
#ifndef WEFT_KERNELS_CUDA_CUDA_TEST_UTIL_H_
#define WEFT_KERNELS_CUDA_CUDA_TEST_UTIL_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "gtest/gtest.h"

#define ASSERT_CUDA_OK(expr)                                  \
  do {                                                        \
    const cudaError_t err_ = (expr);                          \
    ASSERT_EQ(err_, cudaSuccess) << cudaGetErrorString(err_); \
  } while (0)

namespace weft::kernels::gpu::testing {

// A device copy of a host vector; Download() brings it back.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(size_t n) : n_(n) {
    if (n > 0) {
      EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T)), cudaSuccess);
      EXPECT_EQ(cudaMemset(data_, 0, n * sizeof(T)), cudaSuccess);
    }
  }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
    if (n_ > 0) {
      EXPECT_EQ(cudaMemcpy(data_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice),
                cudaSuccess);
    }
  }
  ~DeviceArray() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return data_; }
  std::vector<T> Download() const {
    std::vector<T> host(n_);
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    if (n_ > 0) {
      EXPECT_EQ(cudaMemcpy(host.data(), data_, n_ * sizeof(T), cudaMemcpyDeviceToHost),
                cudaSuccess);
    }
    return host;
  }

 private:
  T* data_ = nullptr;
  size_t n_;
};

// Expects `launch` to answer `rejected` for every variant of `good` that one
// of `breaks` makes, each from a fresh copy of `good`; a failure names the
// variant by its index in `breaks`.
template <typename Params, typename Launch, typename Code = cudaError_t>
void ExpectRejected(const Params& good, Launch launch,
                    const std::vector<std::function<void(Params&)>>& breaks,
                    Code rejected = cudaErrorInvalidValue) {
  for (size_t i = 0; i < breaks.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "variant " << i);
    Params bad = good;
    breaks[i](bad);
    EXPECT_EQ(launch(bad), rejected);
  }
}

inline std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline std::vector<__nv_bfloat16> ToBf16(const std::vector<float>& v) {
  std::vector<__nv_bfloat16> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = __float2bfloat16(v[i]);
  return out;
}

inline std::vector<float> ToFloat(const std::vector<__nv_bfloat16>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = __bfloat162float(v[i]);
  return out;
}

// The values rounded to bf16 (what the GPU sees of them).
inline std::vector<float> RoundBf16(const std::vector<float>& v) { return ToFloat(ToBf16(v)); }

// ||out - ref|| / ||ref|| (0 when both are zero).
inline double RelativeError(const std::vector<float>& out, const std::vector<float>& ref) {
  double err = 0.0, norm = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = double{out[i]} - double{ref[i]};
    err += d * d;
    norm += double{ref[i]} * ref[i];
  }
  return norm == 0.0 ? std::sqrt(err) : std::sqrt(err / norm);
}

}  // namespace weft::kernels::gpu::testing

#endif  // WEFT_KERNELS_CUDA_CUDA_TEST_UTIL_H_
