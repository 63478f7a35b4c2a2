#include "common/tokenizer/nfc.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace weft::tokenizer {
namespace {

TEST(NfcTest, Basics) {
  EXPECT_EQ(NfcNormalize(""), "");
  EXPECT_EQ(NfcNormalize("plain ascii"), "plain ascii");
  EXPECT_TRUE(IsTriviallyNfc("plain ascii \xE6\x97\xA5"));
  EXPECT_EQ(NfcNormalize("e\xCC\x81"), "\xC3\xA9");                     // e + U+0301 -> U+00E9.
  EXPECT_EQ(NfcNormalize("\xE2\x84\xA6"), "\xCE\xA9");                  // Ohm sign -> Omega.
  EXPECT_EQ(NfcNormalize("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");  // Hangul L V.
  EXPECT_EQ(NfcNormalize("a\xFF"
                         "e\xCC\x81"),
            "a\xFF\xC3\xA9");  // Ill-formed byte kept.
}

// testdata/nfc_golden.json: Python's unicodedata.normalize("NFC").
TEST(NfcTest, MatchesPythonGolden) {
  std::ifstream in("common/tokenizer/testdata/nfc_golden.json");
  ASSERT_TRUE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const nlohmann::json golden = nlohmann::json::parse(buffer.str(), nullptr, false);
  ASSERT_TRUE(golden.is_array());
  int failures = 0;
  for (const nlohmann::json& c : golden) {
    const std::string text = c["text"].get<std::string>();
    const std::string expected = c["nfc"].get<std::string>();
    const std::string actual = NfcNormalize(text);
    if (actual != expected && ++failures <= 20) {
      ADD_FAILURE() << "NFC of " << nlohmann::json(text).dump() << ": got "
                    << nlohmann::json(actual).dump() << ", want "
                    << nlohmann::json(expected).dump();
    }
    if (IsTriviallyNfc(text)) {
      EXPECT_EQ(text, expected);
    }
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GT(golden.size(), 5000u);
}

}  // namespace
}  // namespace weft::tokenizer
