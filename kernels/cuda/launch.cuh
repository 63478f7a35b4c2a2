// Kernel launches with programmatic dependent launch (PDL, sm_90): each of
// weft's kernels is launched with programmatic stream serialization, so it
// may be scheduled while the kernel before it on the stream drains, and
// waits (griddepcontrol.wait, the first thing every weft kernel does) until
// that kernel has completed and its writes are visible. What a decode step
// gains is the launch latency between consecutive small kernels; results
// do not change (split-K's atomic sums already vary in order from run to
// run). Kernels launched without the attribute (cuBLAS's) and
// memset/memcpy nodes serialize as usual. Works inside CUDA graph capture.
#ifndef WEFT_KERNELS_CUDA_LAUNCH_CUH_
#define WEFT_KERNELS_CUDA_LAUNCH_CUH_

#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda/programmatic_launch.h"

namespace weft::kernels::gpu {
namespace device {

// Blocks until the grid this one depends on has completed (a no-op when it
// was launched without programmatic serialization, or before sm_90). Must
// precede every global memory access of a kernel launched through LaunchKernel.
__device__ __forceinline__ void WaitForPredecessors() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

}  // namespace device

// kernel<<<grid, block, shared_bytes, stream>>>(args...), with programmatic
// stream serialization unless ProgrammaticLaunchEnabled() is false.
template <typename... Params, typename... Args>
cudaError_t LaunchKernel(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes,
                         cudaStream_t stream, Args&&... args) {
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute[0].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  config.attrs = attribute;
  config.numAttrs = ProgrammaticLaunchEnabled() ? 1 : 0;
  const cudaError_t e = cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
  // A failed launch is reported here only: the runtime's last error is
  // cleared so that a later, unrelated cudaGetLastError() does not see it.
  if (e != cudaSuccess) (void)cudaGetLastError();
  return e;
}

}  // namespace weft::kernels::gpu

// Returns the launch's error from the enclosing function (which returns
// cudaError_t) if it failed.
#define WEFT_RETURN_IF_LAUNCH_FAILED(launch)                                                  \
  do {                                                                                        \
    if (const cudaError_t weft_launch_error_ = (launch); weft_launch_error_ != cudaSuccess) { \
      return weft_launch_error_;                                                              \
    }                                                                                         \
  } while (0)

#endif  // WEFT_KERNELS_CUDA_LAUNCH_CUH_
