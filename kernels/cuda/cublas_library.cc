#include "kernels/cuda/cublas_library.h"

#include <dlfcn.h>

#include <string>

namespace weft::kernels::gpu {
namespace {

struct Opened {
  CublasLibrary library;
  std::string error;  // empty once every function is resolved
};

template <typename F>
bool Resolve(void* handle, const char* name, F* out, std::string* error) {
  *out = reinterpret_cast<F>(dlsym(handle, name));
  if (*out == nullptr) *error = std::string("cuBLAS lacks ") + name;
  return *out != nullptr;
}

Opened Open() {
  Opened o;
  const std::string name = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  // Never closed: handles and kernels live as long as the process.
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    o.error = "cannot open " + name + ": " + (why != nullptr ? why : "unknown error");
    return o;
  }
  CublasLibrary& l = o.library;
  const bool all =
      Resolve(handle, "cublasCreate_v2", &l.create, &o.error) &&
      Resolve(handle, "cublasDestroy_v2", &l.destroy, &o.error) &&
      Resolve(handle, "cublasSetStream_v2", &l.set_stream, &o.error) &&
      Resolve(handle, "cublasGetStream_v2", &l.get_stream, &o.error) &&
      Resolve(handle, "cublasSetWorkspace_v2", &l.set_workspace, &o.error) &&
      Resolve(handle, "cublasGemmEx", &l.gemm_ex, &o.error) &&
      Resolve(handle, "cublasGemmStridedBatchedEx", &l.gemm_strided_batched_ex, &o.error) &&
      Resolve(handle, "cublasGetStatusName", &l.status_name, &o.error) &&
      Resolve(handle, "cublasGetStatusString", &l.status_string, &o.error);
  if (!all) o.error += " (" + name + ")";
  return o;
}

const Opened& Get() {
  static const Opened* opened = new Opened(Open());
  return *opened;
}

}  // namespace

const CublasLibrary* Cublas() { return Get().error.empty() ? &Get().library : nullptr; }

const std::string& CublasOpenError() { return Get().error; }

cublasStatus_t CublasOnStream(cublasHandle_t handle, cudaStream_t stream,
                              const CublasLibrary** blas) {
  *blas = Cublas();
  if (*blas == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  cudaStream_t current = nullptr;
  if (const cublasStatus_t s = (*blas)->get_stream(handle, &current); s != CUBLAS_STATUS_SUCCESS) {
    return s;
  }
  return current == stream ? CUBLAS_STATUS_SUCCESS : (*blas)->set_stream(handle, stream);
}

}  // namespace weft::kernels::gpu
