#include "kernels/cuda/programmatic_launch.h"

#include <atomic>

namespace weft::kernels::gpu {
namespace {

std::atomic<bool> enabled{true};

}  // namespace

bool ProgrammaticLaunchEnabled() { return enabled.load(std::memory_order_relaxed); }

void SetProgrammaticLaunch(bool on) { enabled.store(on, std::memory_order_relaxed); }

}  // namespace weft::kernels::gpu
