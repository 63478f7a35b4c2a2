// The model backends linked into a binary, by the name configurations use
// ("cpu", "cuda"). The CPU backend is always present; the CUDA backend
// registers itself when //common/engine/cuda:cuda_backend is linked (the
// *-cuda service binaries), so CPU-only binaries carry no CUDA libraries.
#ifndef WEFT_COMMON_ENGINE_MODEL_MODEL_BACKENDS_H_
#define WEFT_COMMON_ENGINE_MODEL_MODEL_BACKENDS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/model/model_loader.h"

namespace weft::engine {

using ModelDirLoader = std::function<absl::StatusOr<std::unique_ptr<CausalLm>>(
    const std::string& model_dir, const ModelOptions& options)>;

// Registers `loader` under `name` (at static initialization; a second
// registration of a name is ignored). Returns true, for use as
// `const bool kRegistered = RegisterModelBackend(...)`.
bool RegisterModelBackend(const std::string& name, ModelDirLoader loader);

// Whether `name` is linked in, and the names that are (sorted).
bool HasModelBackend(absl::string_view name);
std::vector<std::string> ModelBackendNames();

// Loads `model_dir` on backend `name`. InvalidArgument for a backend this
// binary does not have; otherwise the backend's loader's result.
absl::StatusOr<std::unique_ptr<CausalLm>> LoadModelOnBackend(absl::string_view name,
                                                             const std::string& model_dir,
                                                             const ModelOptions& options);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_MODEL_BACKENDS_H_
