// A Hugging Face model directory's weights: `model.safetensors`, or
// `model.safetensors.index.json` plus the shard files its weight_map names,
// presented as one name -> tensor lookup.
//
// Opening validates: the directory and every file exist (NotFound with the
// path otherwise); every shard header is valid (see safetensors.h); the index
// is well-formed, names shards only by plain file names inside the
// directory, every tensor it lists is in its shard, and no tensor appears in
// two shards or in a shard without being listed (InvalidArgument naming the
// index, shard and tensor). When both files exist, model.safetensors is used,
// as transformers does.
//
// Ownership and thread-safety: the Checkpoint owns its SafetensorsFiles (and
// so the mappings); TensorView pointers stay valid while it lives. Immutable
// after Open, so concurrent reads from any number of threads are safe.
#ifndef WEFT_COMMON_CHECKPOINT_CHECKPOINT_H_
#define WEFT_COMMON_CHECKPOINT_CHECKPOINT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/checkpoint/safetensors.h"

namespace weft::checkpoint {

inline constexpr absl::string_view kSingleFileName = "model.safetensors";
inline constexpr absl::string_view kIndexFileName = "model.safetensors.index.json";

class Checkpoint {
 public:
  // Opens the weights of the model directory `dir`.
  static absl::StatusOr<std::unique_ptr<Checkpoint>> Open(const std::string& dir);

  // Combines already-open files (e.g. generated dummy weights held in
  // memory). InvalidArgument if a tensor name appears in two files.
  // `label` names the checkpoint in messages.
  static absl::StatusOr<std::unique_ptr<Checkpoint>> FromFiles(
      std::vector<std::unique_ptr<SafetensorsFile>> files, std::string label);

  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  // The directory (or label) it was opened from.
  const std::string& path() const { return path_; }
  // The tensor named `name` in whichever shard holds it, or nullptr.
  const TensorView* Find(absl::string_view name) const;
  // All tensor names, sorted.
  const std::vector<std::string>& tensor_names() const { return names_; }
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }

 private:
  Checkpoint() = default;

  std::string path_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, const TensorView*> index_;
};

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_CHECKPOINT_H_
