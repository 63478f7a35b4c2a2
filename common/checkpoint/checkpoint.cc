#include "common/checkpoint/checkpoint.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/checkpoint/json_util.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace weft::checkpoint {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxIndexBytes = 100'000'000;

enum class PathKind { kMissing, kFile, kDirectory, kOther };

PathKind Stat(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return PathKind::kMissing;
  if (S_ISREG(st.st_mode)) return PathKind::kFile;
  if (S_ISDIR(st.st_mode)) return PathKind::kDirectory;
  return PathKind::kOther;
}

// A shard name from an index must be a plain file name in the directory.
bool IsPlainFileName(absl::string_view name) {
  return !name.empty() && name != "." && name != ".." && !absl::StrContains(name, '/') &&
         !absl::StrContains(name, '\0');
}

absl::StatusOr<std::unique_ptr<Checkpoint>> OpenSharded(const std::string& dir,
                                                        const std::string& index_path) {
  WEFT_ASSIGN_OR_RETURN(std::string text, ReadFileToString(index_path, kMaxIndexBytes));
  WEFT_ASSIGN_OR_RETURN(Json root, ParseJson(text, index_path));
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(index_path, ": ", what));
  };
  if (!root.is_object()) return error("must be a JSON object");
  auto map_it = root.find("weight_map");
  if (map_it == root.end()) return error("field 'weight_map' is missing");
  if (!map_it->is_object()) {
    return error(absl::StrCat("field 'weight_map' must be an object, got ", JsonTypeName(*map_it)));
  }
  // tensor -> shard file name, and the set of shards.
  std::map<std::string, std::string> weight_map;
  std::set<std::string> shard_names;
  for (const auto& [tensor, shard] : map_it->items()) {
    if (!shard.is_string()) {
      return error(absl::StrCat("weight_map entry for tensor '", EscapeForMessage(tensor),
                                "' must be a file name string, got ", JsonTypeName(shard)));
    }
    const std::string& name = shard.get_ref<const Json::string_t&>();
    if (!IsPlainFileName(name)) {
      return error(absl::StrCat("weight_map entry for tensor '", EscapeForMessage(tensor),
                                "' names shard '", EscapeForMessage(name),
                                "', which is not a plain file name in the directory"));
    }
    weight_map.emplace(tensor, name);
    shard_names.insert(name);
  }
  if (shard_names.empty()) return error("weight_map is empty");

  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::map<std::string, const SafetensorsFile*> by_name;
  for (const std::string& shard : shard_names) {
    const std::string shard_path = absl::StrCat(dir, "/", shard);
    if (Stat(shard_path) == PathKind::kMissing) {
      return absl::NotFoundError(
          absl::StrCat("shard ", shard_path, " named in ", index_path, " not found"));
    }
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open(shard_path));
    by_name[shard] = file.get();
    files.push_back(std::move(file));
  }
  for (const auto& [tensor, shard] : weight_map) {
    if (by_name[shard]->Find(tensor) == nullptr) {
      return error(absl::StrCat("tensor '", EscapeForMessage(tensor), "' is listed in shard ",
                                shard, ", which does not contain it"));
    }
  }
  std::map<std::string, std::string> seen;  // tensor -> shard holding it
  for (const auto& [shard, file] : by_name) {
    for (const std::string& tensor : file->tensor_names()) {
      auto [it, inserted] = seen.emplace(tensor, shard);
      if (!inserted) {
        return error(absl::StrCat("tensor '", EscapeForMessage(tensor),
                                  "' is in two shards: ", it->second, " and ", shard));
      }
      if (weight_map.find(tensor) == weight_map.end()) {
        return error(absl::StrCat("shard ", shard, " holds tensor '", EscapeForMessage(tensor),
                                  "', which weight_map does not list"));
      }
    }
  }
  return Checkpoint::FromFiles(std::move(files), dir);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::Open(const std::string& dir) {
  const PathKind kind = Stat(dir);
  if (kind == PathKind::kMissing) {
    return absl::NotFoundError(absl::StrCat("model directory ", dir, " not found"));
  }
  if (kind != PathKind::kDirectory) {
    return absl::InvalidArgumentError(absl::StrCat("model directory ", dir, " is not a directory"));
  }
  const std::string single = absl::StrCat(dir, "/", kSingleFileName);
  if (Stat(single) != PathKind::kMissing) {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open(single));
    std::vector<std::unique_ptr<SafetensorsFile>> files;
    files.push_back(std::move(file));
    return FromFiles(std::move(files), dir);
  }
  const std::string index = absl::StrCat(dir, "/", kIndexFileName);
  if (Stat(index) != PathKind::kMissing) return OpenSharded(dir, index);
  return absl::NotFoundError(
      absl::StrCat("model directory ", dir, " has neither ", single, " nor ", index));
}

absl::StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::FromFiles(
    std::vector<std::unique_ptr<SafetensorsFile>> files, std::string label) {
  auto checkpoint = std::unique_ptr<Checkpoint>(new Checkpoint());
  checkpoint->path_ = std::move(label);
  absl::flat_hash_map<absl::string_view, const std::string*> owner;  // tensor -> file path
  for (const auto& file : files) {
    for (const TensorView& tensor : file->tensors()) {
      auto [it, inserted] = owner.emplace(tensor.name, &file->path());
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat(
            "checkpoint ", checkpoint->path_, ": tensor '", EscapeForMessage(tensor.name),
            "' is in two files: ", *it->second, " and ", file->path()));
      }
      checkpoint->index_.emplace(tensor.name, &tensor);
      checkpoint->names_.push_back(tensor.name);
    }
  }
  std::sort(checkpoint->names_.begin(), checkpoint->names_.end());
  checkpoint->files_ = std::move(files);
  return checkpoint;
}

const TensorView* Checkpoint::Find(absl::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

}  // namespace weft::checkpoint
