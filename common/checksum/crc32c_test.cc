#include "common/checksum/crc32c.h"

#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace weft {
namespace {

using crc32c_internal::Crc32cExtendPortable;

// The check value of the CRC catalogue and the test vectors of RFC 3720
// (iSCSI), appendix B.4.
TEST(Crc32c, MatchesPublishedVectors) {
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Crc32c(ones), 0x62A8AB43u);
  std::string ascending(32, '\0');
  std::string descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32c, PortableMatchesPublishedVectors) {
  EXPECT_EQ(Crc32cExtendPortable(0, "123456789", 9), 0xE3069283u);
  std::string ones(32, '\xff');
  EXPECT_EQ(Crc32cExtendPortable(0, ones.data(), ones.size()), 0x62A8AB43u);
}

// Every length and alignment around the 8-byte stride, and a large buffer:
// the dispatching implementation (hardware where present) and the portable
// one agree, and extending piecewise equals one pass.
TEST(Crc32c, ImplementationsAgreeAndExtendComposes) {
  std::mt19937 rng(7);
  std::string data(1 << 16, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t size = 0; size < 70; ++size) {
      const char* p = data.data() + offset;
      ASSERT_EQ(Crc32c(p, size), Crc32cExtendPortable(0, p, size))
          << "offset " << offset << " size " << size;
    }
  }
  const uint32_t whole = Crc32c(data);
  EXPECT_EQ(whole, Crc32cExtendPortable(0, data.data(), data.size()));
  for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}, data.size()}) {
    const uint32_t head = Crc32c(data.data(), split);
    EXPECT_EQ(Crc32cExtend(head, data.data() + split, data.size() - split), whole) << split;
  }
}

TEST(Crc32c, DetectsASingleBitFlip) {
  std::string data(1024, 'x');
  const uint32_t before = Crc32c(data);
  data[517] ^= 0x10;
  EXPECT_NE(Crc32c(data), before);
}

}  // namespace
}  // namespace weft
