// The process-wide switch for programmatic dependent launch of weft's
// kernels (launch.cuh): on by default; off restores plain stream order (for
// measuring what it gains, or ruling it out).
#ifndef WEFT_KERNELS_CUDA_PROGRAMMATIC_LAUNCH_H_
#define WEFT_KERNELS_CUDA_PROGRAMMATIC_LAUNCH_H_

namespace weft::kernels::gpu {

bool ProgrammaticLaunchEnabled();
// Affects launches made after the call (not graphs captured before it).
void SetProgrammaticLaunch(bool enabled);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_PROGRAMMATIC_LAUNCH_H_
