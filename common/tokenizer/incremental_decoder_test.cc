#include "common/tokenizer/incremental_decoder.h"

#include <memory>
#include <string>
#include <vector>

#include "common/tokenizer/tokenizer_loader.h"
#include "common/tokenizer/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::tokenizer {
namespace {

using ::testing::ElementsAre;

const std::string kFffd = "\xEF\xBF\xBD";

class IncrementalDecoderTest : public testing::Test {
 protected:
  void SetUp() override {
    auto t = LoadTokenizerFromFile("tests/data/models/tiny-llama/tokenizer.json");
    ASSERT_TRUE(t.ok()) << t.status();
    tokenizer_ = *std::move(t);
  }

  // The id of the token for a single byte.
  int32_t ByteId(const std::string& byte_level_char) {
    const auto id = tokenizer_->TokenToId(byte_level_char);
    EXPECT_TRUE(id.has_value()) << byte_level_char;
    return id.value_or(-1);
  }

  std::vector<std::string> Chunks(const std::vector<int32_t>& ids, bool skip_special = false) {
    IncrementalDecoder decoder(tokenizer_.get(), skip_special);
    std::vector<std::string> chunks;
    for (const int32_t id : ids) {
      auto chunk = decoder.Step(id);
      EXPECT_TRUE(chunk.ok()) << chunk.status();
      chunks.push_back(chunk.value_or(""));
    }
    chunks.push_back(decoder.Finish());
    return chunks;
  }

  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_F(IncrementalDecoderTest, HoldsBackIncompleteCharacters) {
  // U+1F642 is F0 9F 99 82: one byte per token, then "x".
  const std::vector<int32_t> ids = {ByteId("\u00f0"), ByteId("\u0141"), ByteId("\u013b"),
                                    ByteId("\u0124"), ByteId("x")};
  // Check the byte-level characters stand for those bytes.
  EXPECT_EQ(*tokenizer_->Decode(ids), "\U0001F642x");
  EXPECT_THAT(Chunks(ids), ElementsAre("", "", "", "\U0001F642", "x", ""));
}

TEST_F(IncrementalDecoderTest, MultiByteTokensStream) {
  const auto ids = tokenizer_->Encode("emoji \U0001F642\U0001F44D\U0001F3FD mix \u65e5\u672c");
  ASSERT_TRUE(ids.ok());
  std::string all;
  for (const std::string& chunk : Chunks(*ids)) {
    EXPECT_TRUE(ValidateUtf8(chunk).ok());
    all += chunk;
  }
  EXPECT_EQ(all, "emoji \U0001F642\U0001F44D\U0001F3FD mix \u65e5\u672c");
}

TEST_F(IncrementalDecoderTest, InvalidSequencesBecomeReplacementCharacters) {
  const int32_t e6 = ByteId("\u00e6");  // Lead byte of a 3-byte sequence.
  const int32_t ff = ByteId("\u00ff");  // Never valid.
  const int32_t x = ByteId("x");
  EXPECT_THAT(Chunks({e6, x}), ElementsAre("", kFffd + "x", ""));
  EXPECT_THAT(Chunks({ff, x}), ElementsAre(kFffd, "x", ""));
  // A truncated sequence at the end of the stream: one U+FFFD from Finish().
  EXPECT_THAT(Chunks({x, e6}), ElementsAre("x", "", kFffd));
  // Same as the batch decoder.
  EXPECT_EQ(*tokenizer_->Decode({e6, x}), kFffd + "x");
  EXPECT_EQ(*tokenizer_->Decode({x, e6}), "x" + kFffd);
}

TEST_F(IncrementalDecoderTest, SkipsSpecialTokens) {
  const auto ids = tokenizer_->Encode("<|im_start|>hi<|im_end|>");
  ASSERT_TRUE(ids.ok());
  std::string all;
  for (const std::string& c : Chunks(*ids, /*skip_special=*/true)) all += c;
  EXPECT_EQ(all, "hi");
}

TEST_F(IncrementalDecoderTest, UnknownIdLeavesStateUnchanged) {
  IncrementalDecoder decoder(tokenizer_.get());
  EXPECT_EQ(*decoder.Step(ByteId("\u00e6")), "");
  EXPECT_EQ(decoder.pending_bytes(), 1u);
  const auto bad = decoder.Step(123456);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(decoder.pending_bytes(), 1u);
  EXPECT_EQ(decoder.Finish(), kFffd);
  EXPECT_EQ(decoder.pending_bytes(), 0u);
}

}  // namespace
}  // namespace weft::tokenizer
