#include "common/checkpoint/model_name.h"

#include <filesystem>

namespace weft::checkpoint {

std::string ModelNameFromDir(absl::string_view model_dir) {
  std::filesystem::path dir{std::string(model_dir)};
  if (!dir.has_filename()) dir = dir.parent_path();  // trailing slash
  return dir.filename().string();
}

}  // namespace weft::checkpoint
