#include "common/engine/model/cpu_kv_memory.h"

#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

std::string Pattern(int64_t bytes, char seed) {
  std::string s(bytes, 0);
  for (int64_t i = 0; i < bytes; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

TEST(CpuKvMemory, BlocksRoundTripAndCopy) {
  for (const bool latent : {false, true}) {
    const KvLayout layout{.num_layers = 3,
                          .num_kv_heads = latent ? 1 : 2,
                          .head_dim = latent ? 12 : 8,
                          .v_head_dim = latent ? 8 : 6,
                          .latent = latent};
    CpuKvMemory kv(layout, 5, 4);
    const int64_t per_slot = latent ? 12 : 2 * (8 + 6);
    EXPECT_EQ(kv.BlockBytes(), 3 * 4 * per_slot * 4);
    const std::string a = Pattern(kv.BlockBytes(), 1), b = Pattern(kv.BlockBytes(), 5);
    ASSERT_TRUE(kv.WriteBlock(1, a).ok());
    ASSERT_TRUE(kv.WriteBlock(3, b).ok());
    std::string out;
    kv.ReadBlock(1, &out);
    EXPECT_EQ(out, a);
    kv.ReadBlock(3, &out);
    EXPECT_EQ(out, b);
    kv.ReadBlock(0, &out);
    EXPECT_EQ(out, std::string(kv.BlockBytes(), 0));  // neighbours untouched
    kv.CopyBlock(3, 4);
    kv.ReadBlock(4, &out);
    EXPECT_EQ(out, b);
    // The paged view sees what was written: layer 0, block 1, slot 0.
    const kernels::cpu::PagedKvCache layer0 = kv.Layer(0);
    EXPECT_EQ(std::memcmp(layer0.k + 1 * 4 * layer0.k_slot_stride, a.data(), sizeof(float)), 0);
  }
}

TEST(CpuKvMemory, WriteRejectsBadBlocksAndSizes) {
  CpuKvMemory kv({.num_layers = 1, .num_kv_heads = 1, .head_dim = 2, .v_head_dim = 2}, 2, 2);
  EXPECT_EQ(kv.WriteBlock(2, std::string(kv.BlockBytes(), 0)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(kv.WriteBlock(-1, std::string(kv.BlockBytes(), 0)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(kv.WriteBlock(0, std::string(kv.BlockBytes() - 1, 0)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft::engine
