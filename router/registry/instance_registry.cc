// InstanceRegistry: a mutex-guarded map from instance id to InstanceView.
#include "router/registry/instance_registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace weft::router {
namespace {

// host:port with a non-empty host ("[::1]" included) and a port in 1..65535.
bool IsHostPort(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  const absl::string_view port = address.substr(colon + 1);
  if (port.empty() || !std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) return false;
  int port_number = 0;
  return absl::SimpleAtoi(port, &port_number) && port_number > 0 && port_number <= 65535;
}

std::vector<InstanceView> SortedById(std::vector<InstanceView> views) {
  std::sort(views.begin(), views.end(), [](const InstanceView& a, const InstanceView& b) {
    return a.descriptor.instance_id() < b.descriptor.instance_id();
  });
  return views;
}

}  // namespace

InstanceRegistry::InstanceRegistry(Options options) : options_(std::move(options)) {}

absl::Status InstanceRegistry::ValidateDescriptor(const weft::v1::InstanceDescriptor& descriptor) {
  if (descriptor.instance_id().empty()) {
    return absl::InvalidArgumentError("instance.instance_id is empty");
  }
  if (descriptor.role() != weft::v1::INSTANCE_ROLE_PREFILL &&
      descriptor.role() != weft::v1::INSTANCE_ROLE_DECODE) {
    return absl::InvalidArgumentError(
        absl::StrCat("instance.role must be INSTANCE_ROLE_PREFILL or INSTANCE_ROLE_DECODE, got ",
                     weft::v1::InstanceRole_Name(descriptor.role())));
  }
  if (!IsHostPort(descriptor.grpc_address())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "instance.grpc_address must be host:port, got \"", descriptor.grpc_address(), "\""));
  }
  if (descriptor.model().empty()) {
    return absl::InvalidArgumentError("instance.model is empty");
  }
  return absl::OkStatus();
}

absl::Status InstanceRegistry::Register(const weft::v1::InstanceDescriptor& descriptor,
                                        absl::Time now) {
  if (absl::Status status = ValidateDescriptor(descriptor); !status.ok()) return status;
  MutexLock lock(&mu_);
  InstanceView& view = instances_[descriptor.instance_id()];
  const bool is_static = view.is_static;
  view = InstanceView{};
  view.descriptor = descriptor;
  view.last_seen = now;
  view.healthy = true;
  view.is_static = is_static;
  return absl::OkStatus();
}

absl::Status InstanceRegistry::AddStatic(const weft::v1::InstanceDescriptor& descriptor,
                                         absl::Time now) {
  if (absl::Status status = ValidateDescriptor(descriptor); !status.ok()) return status;
  MutexLock lock(&mu_);
  InstanceView& view = instances_[descriptor.instance_id()];
  view = InstanceView{};
  view.descriptor = descriptor;
  view.last_seen = now;
  view.healthy = true;
  view.is_static = true;
  return absl::OkStatus();
}

absl::Status InstanceRegistry::Heartbeat(absl::string_view instance_id,
                                         const weft::v1::LoadReport& load, absl::Time now) {
  MutexLock lock(&mu_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) {
    return absl::NotFoundError(
        absl::StrCat("instance \"", instance_id, "\" is not registered; register again"));
  }
  it->second.load = load;
  it->second.last_seen = std::max(it->second.last_seen, now);
  it->second.healthy = true;
  return absl::OkStatus();
}

absl::Status InstanceRegistry::Deregister(absl::string_view instance_id) {
  MutexLock lock(&mu_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) {
    return absl::NotFoundError(absl::StrCat("instance \"", instance_id, "\" is not registered"));
  }
  instances_.erase(it);
  return absl::OkStatus();
}

std::vector<std::string> InstanceRegistry::Expire(absl::Time now) {
  const absl::Time deadline = now - options_.heartbeat_timeout;
  std::vector<std::string> expired;
  MutexLock lock(&mu_);
  for (auto it = instances_.begin(); it != instances_.end();) {
    if (!it->second.is_static && it->second.last_seen < deadline) {
      expired.push_back(it->first);
      instances_.erase(it++);
    } else {
      ++it;
    }
  }
  std::sort(expired.begin(), expired.end());
  return expired;
}

void InstanceRegistry::MarkUnreachable(absl::string_view instance_id) {
  MutexLock lock(&mu_);
  auto it = instances_.find(instance_id);
  if (it != instances_.end()) it->second.healthy = false;
}

bool InstanceRegistry::ReportPoll(absl::string_view instance_id,
                                  const absl::StatusOr<weft::v1::LoadReport>& load,
                                  absl::Time now) {
  MutexLock lock(&mu_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return false;
  const bool was_healthy = it->second.healthy;
  if (load.ok()) {
    it->second.load = *load;
    it->second.last_seen = std::max(it->second.last_seen, now);
    it->second.healthy = true;
  } else {
    it->second.healthy = false;
  }
  return it->second.healthy != was_healthy;
}

std::vector<InstanceView> InstanceRegistry::Snapshot(weft::v1::InstanceRole role,
                                                     absl::string_view model) const {
  std::vector<InstanceView> views;
  {
    ReaderMutexLock lock(&mu_);
    for (const auto& [id, view] : instances_) {
      if (view.descriptor.role() != role) continue;
      if (!model.empty() && view.descriptor.model() != model) continue;
      views.push_back(view);
    }
  }
  return SortedById(std::move(views));
}

std::vector<weft::v1::InstanceDescriptor> InstanceRegistry::StaticInstances() const {
  std::vector<InstanceView> views;
  {
    ReaderMutexLock lock(&mu_);
    for (const auto& [id, view] : instances_) {
      if (view.is_static) views.push_back(view);
    }
  }
  std::vector<weft::v1::InstanceDescriptor> descriptors;
  descriptors.reserve(views.size());
  for (InstanceView& view : SortedById(std::move(views))) {
    descriptors.push_back(std::move(view.descriptor));
  }
  return descriptors;
}

std::optional<InstanceView> InstanceRegistry::Get(absl::string_view instance_id) const {
  ReaderMutexLock lock(&mu_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return std::nullopt;
  return it->second;
}

size_t InstanceRegistry::size() const {
  ReaderMutexLock lock(&mu_);
  return instances_.size();
}

}  // namespace weft::router
