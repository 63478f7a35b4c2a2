// The default name a model is served under: its checkpoint directory's base
// name ("/models/Qwen3-30B-A3B/" -> "Qwen3-30B-A3B"), as vLLM names a model
// by the path it was given when no served name is configured.
#ifndef WEFT_COMMON_CHECKPOINT_MODEL_NAME_H_
#define WEFT_COMMON_CHECKPOINT_MODEL_NAME_H_

#include <string>

#include "absl/strings/string_view.h"

namespace weft::checkpoint {

std::string ModelNameFromDir(absl::string_view model_dir);

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_MODEL_NAME_H_
