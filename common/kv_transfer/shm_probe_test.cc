#include "common/kv_transfer/shm_probe.h"

#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::kv_transfer {
namespace {

bool Exists(const std::string& name) { return access(("/dev/shm" + name).c_str(), F_OK) == 0; }

TEST(ShmProbe, MatchesItsOwnEndpointOnly) {
  absl::StatusOr<std::unique_ptr<ShmProbe>> probe = ShmProbe::Create();
  ASSERT_TRUE(probe.ok()) << probe.status();
  const weft::v1::KvShmEndpoint endpoint = (*probe)->endpoint();
  EXPECT_TRUE(CheckShmName(endpoint.probe_name(), kShmProbePrefix, "probe_name").ok());
  EXPECT_EQ(endpoint.token().size(), kShmProbeTokenBytes);
  EXPECT_TRUE(ShmProbeMatches(endpoint));

  weft::v1::KvShmEndpoint wrong = endpoint;
  wrong.mutable_token()->back() ^= 1;  // another instance's token
  EXPECT_FALSE(ShmProbeMatches(wrong));
  wrong = endpoint;
  wrong.set_token(endpoint.token().substr(1));
  EXPECT_FALSE(ShmProbeMatches(wrong));
  wrong = endpoint;
  wrong.set_probe_name(std::string(kShmProbePrefix) + std::string(32, '0'));  // no such probe
  EXPECT_FALSE(ShmProbeMatches(wrong));
  wrong = endpoint;
  wrong.set_probe_name("/etc-passwd");
  EXPECT_FALSE(ShmProbeMatches(wrong));
  EXPECT_FALSE(ShmProbeMatches(weft::v1::KvShmEndpoint()));
}

TEST(ShmProbe, TwoProbesDiffer) {
  absl::StatusOr<std::unique_ptr<ShmProbe>> a = ShmProbe::Create();
  absl::StatusOr<std::unique_ptr<ShmProbe>> b = ShmProbe::Create();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->endpoint().probe_name(), (*b)->endpoint().probe_name());
  EXPECT_NE((*a)->endpoint().token(), (*b)->endpoint().token());
  weft::v1::KvShmEndpoint crossed = (*a)->endpoint();
  crossed.set_token((*b)->endpoint().token());
  EXPECT_FALSE(ShmProbeMatches(crossed));
}

TEST(ShmProbe, GoneOnceDestroyed) {
  absl::StatusOr<std::unique_ptr<ShmProbe>> probe = ShmProbe::Create();
  ASSERT_TRUE(probe.ok());
  const weft::v1::KvShmEndpoint endpoint = (*probe)->endpoint();
  EXPECT_TRUE(Exists(endpoint.probe_name()));
  probe->reset();
  EXPECT_FALSE(Exists(endpoint.probe_name()));
  EXPECT_FALSE(ShmProbeMatches(endpoint));
}

}  // namespace
}  // namespace weft::kv_transfer
