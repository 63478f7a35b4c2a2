#include "router/serving/outstanding_work.h"

namespace weft::router {

void OutstandingWork::Add(absl::string_view instance_id, const InstanceWork& work) {
  MutexLock lock(&mu_);
  InstanceWork& w = work_[instance_id];
  w.prefill_tokens += work.prefill_tokens;
  w.sequences += work.sequences;
}

void OutstandingWork::Remove(absl::string_view instance_id, const InstanceWork& work) {
  MutexLock lock(&mu_);
  auto it = work_.find(instance_id);
  if (it == work_.end()) return;
  it->second.prefill_tokens -= work.prefill_tokens;
  it->second.sequences -= work.sequences;
  if (it->second.prefill_tokens <= 0 && it->second.sequences <= 0) work_.erase(it);
}

InstanceWork OutstandingWork::Get(absl::string_view instance_id) const {
  MutexLock lock(&mu_);
  auto it = work_.find(instance_id);
  return it == work_.end() ? InstanceWork{} : it->second;
}

}  // namespace weft::router
