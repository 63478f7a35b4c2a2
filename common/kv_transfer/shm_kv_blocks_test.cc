#include "common/kv_transfer/shm_kv_blocks.h"

#include <unistd.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/checksum/crc32c.h"
#include "common/kv_transfer/shm_kv_sender.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::kv_transfer {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kBlock = 100;

bool Exists(const std::string& name) { return access(("/dev/shm" + name).c_str(), F_OK) == 0; }

weft::v1::KvBlockLayout Layout() {
  weft::v1::KvBlockLayout layout;
  layout.set_num_layers(1);
  layout.set_block_size_tokens(4);
  layout.set_num_kv_heads(1);
  layout.set_head_dim(4);
  layout.set_dtype(weft::v1::KV_DTYPE_FP16);
  layout.set_bytes_per_block(kBlock);
  return layout;
}

// Three distinct blocks staged by the sender, and the transfer naming them.
class ShmKvBlocksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      blocks_.push_back(std::string(kBlock, static_cast<char>('a' + i)));
      keys_.push_back(std::string(16, static_cast<char>(i)));
    }
    absl::StatusOr<ShmKvSender::Staged> staged = ShmKvSender::Stage(Layout(), blocks_, keys_);
    ASSERT_TRUE(staged.ok()) << staged.status();
    staged_.emplace(std::move(*staged));
    name_ = staged_->segment.name();
    transfer_.set_request_id("r");
    transfer_.set_reservation_id(7);
    *transfer_.mutable_layout() = Layout();
    transfer_.set_segment_name(name_);
    transfer_.set_num_blocks(3);
    for (int i = 0; i < 3; ++i) {
      transfer_.add_keys()->set_hash(keys_[i]);
      transfer_.add_block_crc32c(staged_->block_crc32c[i]);
    }
  }

  void TearDown() override {
    staged_->segment.Close();
    EXPECT_FALSE(Exists(name_)) << "left behind";
  }

  std::vector<std::string> blocks_, keys_;
  std::optional<ShmKvSender::Staged> staged_;
  std::string name_;
  weft::v1::KvShmTransfer transfer_;
};

TEST_F(ShmKvBlocksTest, RoundTripAndTheNameIsGoneAtOnce) {
  EXPECT_EQ(staged_->block_crc32c[1], Crc32c(blocks_[1]));
  absl::StatusOr<ShmKvBlocks> received = ShmKvBlocks::Open(transfer_, Layout());
  ASSERT_TRUE(received.ok()) << received.status();
  EXPECT_FALSE(Exists(name_));  // unlinked; the mapping stays
  ASSERT_EQ(received->num_blocks(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(received->block(i), blocks_[i]);
    EXPECT_EQ(std::string(received->key(i).begin(), received->key(i).end()), keys_[i]);
  }
}

TEST_F(ShmKvBlocksTest, ACorruptByteIsDataLossNamingTheBlock) {
  ASSERT_TRUE(staged_->segment.Write(kBlock + 17, "!").ok());
  absl::StatusOr<ShmKvBlocks> received = ShmKvBlocks::Open(transfer_, Layout());
  EXPECT_EQ(received.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(received.status().message(), HasSubstr("KV block 1 (key 01010101"));
  EXPECT_THAT(received.status().message(), HasSubstr("crc32c mismatch"));
  EXPECT_FALSE(Exists(name_));
}

TEST_F(ShmKvBlocksTest, AMissingSegmentIsDataLoss) {
  staged_->segment.Close();
  absl::StatusOr<ShmKvBlocks> received = ShmKvBlocks::Open(transfer_, Layout());
  EXPECT_EQ(received.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(received.status().message(), HasSubstr("is not there"));
}

TEST_F(ShmKvBlocksTest, ASegmentOfTheWrongSizeIsDataLoss) {
  transfer_.set_num_blocks(4);
  transfer_.add_keys()->set_hash(std::string(16, 'x'));
  transfer_.add_block_crc32c(0);
  absl::StatusOr<ShmKvBlocks> received = ShmKvBlocks::Open(transfer_, Layout());
  EXPECT_EQ(received.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(received.status().message(), HasSubstr("holds 300 bytes; 4 blocks of 100"));
  EXPECT_FALSE(Exists(name_));
}

TEST_F(ShmKvBlocksTest, MalformedTransfersAreInvalidAndStillUnlinked) {
  weft::v1::KvShmTransfer t = transfer_;
  t.mutable_layout()->set_num_layers(2);
  EXPECT_THAT(ShmKvBlocks::Open(t, Layout()).status().message(), HasSubstr("differs from"));
  EXPECT_FALSE(Exists(name_));

  t = transfer_;
  t.mutable_block_crc32c()->RemoveLast();
  EXPECT_EQ(ShmKvBlocks::Open(t, Layout()).status().code(), absl::StatusCode::kInvalidArgument);
  t = transfer_;
  t.mutable_keys(2)->set_hash("short");
  EXPECT_THAT(ShmKvBlocks::Open(t, Layout()).status().message(), HasSubstr("keys[2]"));
}

TEST_F(ShmKvBlocksTest, OnlyKvSegmentNamesAreOpenedOrUnlinked) {
  absl::StatusOr<OwnedShmObject> other = OwnedShmObject::Create(kShmProbePrefix);
  ASSERT_TRUE(other.ok());
  weft::v1::KvShmTransfer t = transfer_;
  t.set_segment_name(other->name());
  EXPECT_EQ(ShmKvBlocks::Open(t, Layout()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Exists(other->name()));
  EXPECT_TRUE(Exists(name_));
}

TEST(ShmKvSender, StageRefusesBlocksThatDoNotFitTheLayout) {
  EXPECT_EQ(
      ShmKvSender::Stage(Layout(), {std::string(99, 'a')}, {std::string(16, 'k')}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShmKvSender::Stage(Layout(), {std::string(kBlock, 'a')}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft::kv_transfer
