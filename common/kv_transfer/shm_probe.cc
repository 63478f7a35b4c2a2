#include "common/kv_transfer/shm_probe.h"

#include <utility>

#include "common/status/status_macros.h"

namespace weft::kv_transfer {

absl::StatusOr<std::unique_ptr<ShmProbe>> ShmProbe::Create() {
  WEFT_ASSIGN_OR_RETURN(OwnedShmObject object, OwnedShmObject::Create(kShmProbePrefix));
  weft::v1::KvShmEndpoint endpoint;
  endpoint.set_probe_name(object.name());
  endpoint.set_token(RandomBytes(kShmProbeTokenBytes));
  WEFT_RETURN_IF_ERROR(object.Allocate(kShmProbeTokenBytes));
  WEFT_RETURN_IF_ERROR(object.Write(0, endpoint.token()));
  return std::unique_ptr<ShmProbe>(new ShmProbe(std::move(object), std::move(endpoint)));
}

bool ShmProbeMatches(const weft::v1::KvShmEndpoint& endpoint) {
  if (endpoint.token().size() != kShmProbeTokenBytes) return false;
  if (!CheckShmName(endpoint.probe_name(), kShmProbePrefix, "probe_name").ok()) return false;
  absl::StatusOr<ShmView> probe = ShmView::Open(endpoint.probe_name());
  return probe.ok() && probe->bytes() == endpoint.token();
}

}  // namespace weft::kv_transfer
