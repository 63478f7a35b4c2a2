// GPU test: a one-rank NCCL communicator (tag "gpu"). Proves that NCCL links
// and runs on the GPU machine; multi-rank tests come with expert parallelism.
#include <cuda_runtime.h>
#include <nccl.h>

#include <cstdio>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/cuda_test_util.h"
#include "kernels/cuda/vector_add.h"

namespace weft {
namespace {

#define ASSERT_NCCL_OK(expr)                                  \
  do {                                                        \
    const ncclResult_t res_ = (expr);                         \
    ASSERT_EQ(res_, ncclSuccess) << ncclGetErrorString(res_); \
  } while (0)

TEST(NcclOneRank, AllReduceAndBroadcastOfKernelOutput) {
  int version = 0;
  ASSERT_NCCL_OK(ncclGetVersion(&version));
  std::printf("NCCL version code %d\n", version);

  ncclUniqueId id;
  ASSERT_NCCL_OK(ncclGetUniqueId(&id));
  ncclComm_t comm = nullptr;
  ASSERT_CUDA_OK(cudaSetDevice(0));
  ASSERT_NCCL_OK(ncclCommInitRank(&comm, /*nranks=*/1, id, /*rank=*/0));
  int count = 0, rank = -1;
  ASSERT_NCCL_OK(ncclCommCount(comm, &count));
  ASSERT_NCCL_OK(ncclCommUserRank(comm, &rank));
  EXPECT_EQ(count, 1);
  EXPECT_EQ(rank, 0);

  constexpr int64_t kN = 1 << 16;
  std::vector<float> a(kN), b(kN);
  for (int64_t i = 0; i < kN; ++i) {
    a[i] = static_cast<float>(i);
    b[i] = 2.0f;
  }
  float *da, *db, *dsum, *dreduced;
  const size_t bytes = kN * sizeof(float);
  ASSERT_CUDA_OK(cudaMalloc(&da, bytes));
  ASSERT_CUDA_OK(cudaMalloc(&db, bytes));
  ASSERT_CUDA_OK(cudaMalloc(&dsum, bytes));
  ASSERT_CUDA_OK(cudaMalloc(&dreduced, bytes));
  ASSERT_CUDA_OK(cudaMemcpy(da, a.data(), bytes, cudaMemcpyHostToDevice));
  ASSERT_CUDA_OK(cudaMemcpy(db, b.data(), bytes, cudaMemcpyHostToDevice));
  cudaStream_t stream;
  ASSERT_CUDA_OK(cudaStreamCreate(&stream));

  // Our kernel produces the input, NCCL reduces it on the same stream.
  ASSERT_CUDA_OK(kernels::LaunchVectorAdd({da, db, dsum, kN}, stream));
  ASSERT_NCCL_OK(ncclAllReduce(dsum, dreduced, kN, ncclFloat, ncclSum, comm, stream));
  ASSERT_CUDA_OK(cudaStreamSynchronize(stream));

  std::vector<float> out(kN);
  ASSERT_CUDA_OK(cudaMemcpy(out.data(), dreduced, bytes, cudaMemcpyDeviceToHost));
  for (int64_t i = 0; i < kN; ++i) ASSERT_EQ(out[i], a[i] + b[i]) << "at " << i;

  ASSERT_NCCL_OK(ncclBroadcast(da, dreduced, kN, ncclFloat, /*root=*/0, comm, stream));
  ASSERT_CUDA_OK(cudaStreamSynchronize(stream));
  ASSERT_CUDA_OK(cudaMemcpy(out.data(), dreduced, bytes, cudaMemcpyDeviceToHost));
  for (int64_t i = 0; i < kN; ++i) ASSERT_EQ(out[i], a[i]) << "at " << i;

  ASSERT_NCCL_OK(ncclCommDestroy(comm));
  cudaStreamDestroy(stream);
  cudaFree(da);
  cudaFree(db);
  cudaFree(dsum);
  cudaFree(dreduced);
}

}  // namespace
}  // namespace weft
