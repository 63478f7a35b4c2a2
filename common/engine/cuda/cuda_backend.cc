// Links the CUDA backend into a binary: registers "cuda" with the model
// backends (model_backends.h) at static initialization.
#include "common/engine/cuda/cuda_model_loader.h"
#include "common/engine/model/model_backends.h"

namespace weft::engine::gpu {
namespace {

const bool kRegistered =
    RegisterModelBackend("cuda", [](const std::string& dir, const ModelOptions& options) {
      return LoadCudaModel(dir, options);
    });

}  // namespace
}  // namespace weft::engine::gpu
