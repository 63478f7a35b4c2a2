#include "common/engine/model/model_backends.h"

#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace weft::engine {
namespace {

struct Registry {
  absl::Mutex mu;
  std::map<std::string, ModelDirLoader, std::less<>> loaders ABSL_GUARDED_BY(mu);
};

Registry& GetRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry;
    absl::MutexLock lock(&r->mu);
    r->loaders.emplace("cpu", [](const std::string& dir, const ModelOptions& options) {
      return LoadCpuModel(dir, options);
    });
    return r;
  }();
  return *registry;
}

}  // namespace

bool RegisterModelBackend(const std::string& name, ModelDirLoader loader) {
  Registry& r = GetRegistry();
  absl::MutexLock lock(&r.mu);
  r.loaders.emplace(name, std::move(loader));
  return true;
}

bool HasModelBackend(absl::string_view name) {
  Registry& r = GetRegistry();
  absl::MutexLock lock(&r.mu);
  return r.loaders.find(name) != r.loaders.end();
}

std::vector<std::string> ModelBackendNames() {
  Registry& r = GetRegistry();
  absl::MutexLock lock(&r.mu);
  std::vector<std::string> names;
  for (const auto& [name, loader] : r.loaders) names.push_back(name);
  return names;
}

absl::StatusOr<std::unique_ptr<CausalLm>> LoadModelOnBackend(absl::string_view name,
                                                             const std::string& model_dir,
                                                             const ModelOptions& options) {
  ModelDirLoader loader;
  {
    Registry& r = GetRegistry();
    absl::MutexLock lock(&r.mu);
    auto it = r.loaders.find(name);
    if (it == r.loaders.end()) {
      std::vector<std::string> names;
      for (const auto& [n, l] : r.loaders) names.push_back(absl::StrCat("\"", n, "\""));
      return absl::InvalidArgumentError(absl::StrCat("backend \"", name,
                                                     "\" is not in this binary (it has ",
                                                     absl::StrJoin(names, ", "), ")"));
    }
    loader = it->second;
  }
  return loader(model_dir, options);
}

}  // namespace weft::engine
