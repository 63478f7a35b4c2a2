#include "common/kv_transfer/kv_layout_proto.h"

#include "common/kv_transfer/block_layout.h"
#include "gtest/gtest.h"

namespace weft::kv_transfer {
namespace {

engine::KvLayout Gqa(engine::KvElement element) {
  engine::KvLayout layout;
  layout.num_layers = 2;
  layout.num_kv_heads = 2;
  layout.head_dim = layout.v_head_dim = 32;
  layout.element = element;
  return layout;
}

TEST(KvLayoutProtoTest, CarriesTheBackendsElementType) {
  const weft::v1::KvBlockLayout cpu = LayoutProto(Gqa(engine::KvElement::kFloat32), 16);
  EXPECT_EQ(cpu.dtype(), weft::v1::KV_DTYPE_FP32);
  EXPECT_EQ(cpu.bytes_per_block(), 2u * 2 * (32 + 32) * 16 * 4);
  const weft::v1::KvBlockLayout cuda = LayoutProto(Gqa(engine::KvElement::kBf16), 16);
  EXPECT_EQ(cuda.dtype(), weft::v1::KV_DTYPE_BF16);
  EXPECT_EQ(cuda.bytes_per_block(), cpu.bytes_per_block() / 2);
  // Blocks of a CPU instance are not a CUDA instance's: the layouts differ.
  EXPECT_FALSE(SameLayout(cpu, cuda));
  EXPECT_TRUE(ValidateLayout(cuda, 1 << 20, "layout").ok());
}

TEST(KvLayoutProtoTest, LatentCachesHaveNoValueRows) {
  engine::KvLayout mla;
  mla.num_layers = 3;
  mla.num_kv_heads = 1;
  mla.head_dim = 576;
  mla.v_head_dim = 512;
  mla.latent = true;
  const weft::v1::KvBlockLayout p = LayoutProto(mla, 8);
  EXPECT_EQ(p.value_head_dim(), 0u);
  EXPECT_EQ(p.bytes_per_block(), 3u * 576 * 8 * 4);
}

}  // namespace
}  // namespace weft::kv_transfer
