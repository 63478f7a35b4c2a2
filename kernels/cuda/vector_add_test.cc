// GPU test: runs only on a machine with an NVIDIA GPU (tag "gpu").
#include "kernels/cuda/vector_add.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/cuda_test_util.h"

namespace weft::kernels {
namespace {

class VectorAddTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(VectorAddTest, MatchesHost) {
  const int64_t n = GetParam();
  std::vector<float> a(n), b(n), out(n, -1.0f);
  for (int64_t i = 0; i < n; ++i) {
    a[i] = 0.5f * static_cast<float>(i);
    b[i] = 1.0f - static_cast<float>(i % 7);
  }
  float *da = nullptr, *db = nullptr, *dout = nullptr;
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  ASSERT_CUDA_OK(cudaMalloc(&da, bytes + 1));
  ASSERT_CUDA_OK(cudaMalloc(&db, bytes + 1));
  ASSERT_CUDA_OK(cudaMalloc(&dout, bytes + 1));
  ASSERT_CUDA_OK(cudaMemcpy(da, a.data(), bytes, cudaMemcpyHostToDevice));
  ASSERT_CUDA_OK(cudaMemcpy(db, b.data(), bytes, cudaMemcpyHostToDevice));
  cudaStream_t stream;
  ASSERT_CUDA_OK(cudaStreamCreate(&stream));
  ASSERT_CUDA_OK(LaunchVectorAdd({da, db, dout, n}, stream));
  ASSERT_CUDA_OK(cudaStreamSynchronize(stream));
  ASSERT_CUDA_OK(cudaMemcpy(out.data(), dout, bytes, cudaMemcpyDeviceToHost));
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(out[i], a[i] + b[i]) << "at " << i;
  }
  cudaStreamDestroy(stream);
  cudaFree(da);
  cudaFree(db);
  cudaFree(dout);
}

INSTANTIATE_TEST_SUITE_P(Sizes, VectorAddTest,
                         ::testing::Values(0, 1, 255, 257, 1 << 20, (1 << 24) + 3));

TEST(VectorAddErrors, RejectsNullAndNegative) {
  EXPECT_EQ(LaunchVectorAdd({nullptr, nullptr, nullptr, 4}, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(LaunchVectorAdd({nullptr, nullptr, nullptr, -1}, nullptr), cudaErrorInvalidValue);
}

TEST(DeviceInfo, IsHopper) {
  int device = 0;
  ASSERT_CUDA_OK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  ASSERT_CUDA_OK(cudaGetDeviceProperties(&prop, device));
  std::printf("device %d: %s, sm_%d%d, %d SMs, %.1f GiB\n", device, prop.name, prop.major,
              prop.minor, prop.multiProcessorCount,
              static_cast<double>(prop.totalGlobalMem) / (1 << 30));
  EXPECT_EQ(prop.major, 9) << "built for sm_90a";
}

}  // namespace
}  // namespace weft::kernels
