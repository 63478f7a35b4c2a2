#include "common/checkpoint/safetensors.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/checkpoint/safetensors_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::checkpoint {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kLlama[] = "tests/data/models/tiny-llama/model.safetensors";

std::string TmpPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

absl::Status ParseHeader(absl::string_view header, size_t data_size) {
  return ParseSafetensorsHeader(RawSafetensors(header, std::string(data_size, '\0')), "t.st")
      .status();
}

// Expects InvalidArgument whose message names the file and contains `what`.
void ExpectRejected(absl::string_view header, size_t data_size, absl::string_view what) {
  const absl::Status status = ParseHeader(header, data_size);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << header;
  EXPECT_THAT(std::string(status.message()), AllOf(HasSubstr("t.st"), HasSubstr(what))) << header;
}

TEST(SafetensorsHeaderTest, AcceptsValidHeader) {
  absl::StatusOr<SafetensorsHeader> header =
      ParseSafetensorsHeader(RawSafetensors(R"({"__metadata__": {"format": "pt"},
          "b": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]},
          "a": {"dtype": "F32", "shape": [], "data_offsets": [12, 16]},
          "empty": {"dtype": "F32", "shape": [0, 4], "data_offsets": [16, 16]}})",
                                            std::string(16, '\0')),
                             "t.st");
  ASSERT_TRUE(header.ok()) << header.status();
  ASSERT_EQ(header->tensors.size(), 3);
  EXPECT_EQ(header->tensors[0].name, "a");
  EXPECT_EQ(header->tensors[0].num_elements(), 1);
  EXPECT_EQ(header->tensors[1].name, "b");
  EXPECT_THAT(header->tensors[1].shape, ElementsAre(2, 3));
  EXPECT_EQ(header->tensors[1].dtype, DType::kBF16);
  EXPECT_EQ(header->tensors[2].num_elements(), 0);
  EXPECT_EQ(header->metadata.at("format"), "pt");
}

TEST(SafetensorsHeaderTest, RejectsShortFile) {
  const absl::Status status = ParseSafetensorsHeader("abc", "t.st").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), AllOf(HasSubstr("t.st"), HasSubstr("shorter")));
}

TEST(SafetensorsHeaderTest, RejectsHugeHeaderLength) {
  std::string bytes = RawSafetensors("{}", "");
  const uint64_t huge = 100'000'001;
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((huge >> (8 * i)) & 0xFF);
  const absl::Status status = ParseSafetensorsHeader(bytes, "t.st").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("exceeds the limit"));
  // The maximum u64 must not overflow the bounds check.
  for (int i = 0; i < 8; ++i) bytes[i] = '\xFF';
  EXPECT_EQ(ParseSafetensorsHeader(bytes, "t.st").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SafetensorsHeaderTest, RejectsHeaderPastEndOfFile) {
  std::string bytes = RawSafetensors("{}", "");
  bytes[0] = 100;
  const absl::Status status = ParseSafetensorsHeader(bytes, "t.st").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("past the end"));
}

TEST(SafetensorsHeaderTest, RejectsInvalidJson) {
  ExpectRejected(R"({"a": {"dtype": "F32", )", 0, "invalid JSON");
  ExpectRejected("", 0, "invalid JSON");
  ExpectRejected(R"({"a": 1} trailing)", 0, "invalid JSON");
}

TEST(SafetensorsHeaderTest, RejectsNonObjects) {
  ExpectRejected("[1, 2]", 0, "header must be a JSON object");
  ExpectRejected(R"({"w": 5})", 0, "tensor 'w': entry must be an object");
  ExpectRejected(R"({"__metadata__": [1]})", 0, "__metadata__ must be an object");
  ExpectRejected(R"({"__metadata__": {"k": 1}})", 0, "__metadata__ value of 'k'");
}

TEST(SafetensorsHeaderTest, RejectsMissingAndIllTypedFields) {
  ExpectRejected(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4,
                 "tensor 'w': missing 'dtype'");
  ExpectRejected(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", 4,
                 "tensor 'w': missing 'shape'");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [1]}})", 4,
                 "tensor 'w': missing 'data_offsets'");
  ExpectRejected(R"({"w": {"dtype": 3, "shape": [1], "data_offsets": [0, 4]}})", 4,
                 "tensor 'w': 'dtype' must be a string");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}})", 4,
                 "tensor 'w': 'shape' must be an array");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4,
                 "tensor 'w': 'shape' dimension 0 must be a non-negative integer");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4,
                 "tensor 'w': 'data_offsets' must be an array of two integers");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, "4"]}})", 4,
                 "tensor 'w': 'data_offsets' must be two non-negative integers");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})", 4,
                 "tensor 'w': 'data_offsets' must be two non-negative integers");
}

TEST(SafetensorsHeaderTest, RejectsUnknownDtype) {
  ExpectRejected(R"({"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}})", 16,
                 "tensor 'w': unknown dtype 'F128'");
}

TEST(SafetensorsHeaderTest, RejectsBadShapes) {
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 4]}})", 4,
                 "tensor 'w': 'shape' dimension 0 is negative");
  ExpectRejected(
      R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})", 4,
      "tensor 'w': element count of shape");
  ExpectRejected(
      R"({"w": {"dtype": "F64", "shape": [2147483648, 2147483648], "data_offsets": [0, 4]}})", 4,
      "tensor 'w': byte size of shape");
  ExpectRejected(
      R"({"w": {"dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 4]}})", 4,
      "tensor 'w': 'shape' dimension 0 is too large");
}

TEST(SafetensorsHeaderTest, RejectsBadOffsets) {
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 4,
                 "tensor 'w': data_offsets [0, 8) outside the data section of 4 bytes");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [1], )"
                 R"("data_offsets": [18446744073709551612, 18446744073709551615]}})",
                 4,
                 "tensor 'w': data_offsets [18446744073709551612, 18446744073709551615) outside");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}})", 8,
                 "tensor 'w': data_offsets begin 8 > end 4");
  ExpectRejected(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 16,
                 "tensor 'w': data_offsets [0, 8) span 8 bytes but shape [3] of F32 needs 12");
}

TEST(SafetensorsHeaderTest, RejectsOverlappingTensors) {
  ExpectRejected(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                 12, "tensor 'b': data [4, 12) overlaps tensor 'a' at [0, 8)");
  // Identical ranges overlap too.
  ExpectRejected(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                     "b": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}})",
                 8, "overlaps tensor");
}

TEST(SafetensorsHeaderTest, RejectsNamesThatAreNotUtf8) {
  ExpectRejected(
      "{\"bad\xFFname\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
      "not valid UTF-8 at header byte 5 (in string \"bad\\xFFname\")");
  // Overlong encoding of '/' and an encoded surrogate.
  ExpectRejected("{\"a\xC0\xAF\": {}}", 0, "not valid UTF-8");
  ExpectRejected("{\"a\xED\xA0\x80\": {}}", 0, "not valid UTF-8");
  // JSON escapes may not smuggle a lone surrogate either.
  ExpectRejected(R"({"a\ud800": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4,
                 "invalid JSON");
  ExpectRejected(R"({"": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4,
                 "empty name");
}

TEST(SafetensorsFileTest, OpensFixtureAndReadsValues) {
  absl::StatusOr<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::Open(kLlama);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->tensor_names().size(), 21);
  EXPECT_EQ((*file)->metadata().at("format"), "pt");
  const TensorView* q = (*file)->Find("model.layers.0.self_attn.q_proj.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->dtype, DType::kBF16);
  EXPECT_THAT(q->shape, ElementsAre(128, 128));
  EXPECT_EQ(q->size_bytes, 128 * 128 * 2);
  float first[4];
  ASSERT_TRUE(ConvertToFloat(q->dtype, q->data, 4, first).ok());
  EXPECT_THAT(first, ElementsAre(0.04443359375f, -0.0439453125f, -0.04443359375f, -0.10986328125f));
  EXPECT_EQ((*file)->Find("no.such.tensor"), nullptr);
}

TEST(SafetensorsFileTest, MissingFileIsNotFound) {
  const absl::Status status = SafetensorsFile::Open(TmpPath("absent.safetensors")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("absent.safetensors"));
}

TEST(SafetensorsFileTest, RejectsTruncatedFixture) {
  const std::string bytes = ReadAll(kLlama);
  ASSERT_GT(bytes.size(), 1000);
  const std::string path = TmpPath("truncated.safetensors");
  ASSERT_TRUE(WriteStringToFile(path, absl::string_view(bytes).substr(0, bytes.size() - 100)).ok());
  const absl::Status status = SafetensorsFile::Open(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), AllOf(HasSubstr(path), HasSubstr("model.norm.weight"),
                                                   HasSubstr("outside the data section")));
  // Cut inside the header.
  ASSERT_TRUE(WriteStringToFile(path, absl::string_view(bytes).substr(0, 100)).ok());
  EXPECT_THAT(std::string(SafetensorsFile::Open(path).status().message()),
              HasSubstr("past the end"));
  // Empty file.
  ASSERT_TRUE(WriteStringToFile(path, "").ok());
  EXPECT_THAT(std::string(SafetensorsFile::Open(path).status().message()),
              HasSubstr("shorter than the 8-byte length prefix"));
}

TEST(SafetensorsWriterTest, RoundTrips) {
  std::vector<TensorData> tensors = {
      MakeFloatTensor("x", DType::kF32, {2, 2}, {1, 2, 3, 4}),
      MakeFloatTensor("y", DType::kBF16, {3}, {0.5f, -1.0f, 1.00390625f}),
  };
  absl::StatusOr<std::string> bytes = SerializeSafetensors(tensors, {{"format", "pt"}});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  // Header padded to a multiple of 8.
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[0]) % 8, 0);
  absl::StatusOr<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::FromBuffer(*std::move(bytes), "mem");
  ASSERT_TRUE(file.ok()) << file.status();
  const TensorView* y = (*file)->Find("y");
  ASSERT_NE(y, nullptr);
  float values[3];
  ASSERT_TRUE(ConvertToFloat(y->dtype, y->data, 3, values).ok());
  EXPECT_THAT(values, ElementsAre(0.5f, -1.0f, 1.0f));  // 1 + 2^-8 ties to even.
  EXPECT_EQ((*file)->Find("x")->num_elements(), 4);

  const std::string path = TmpPath("written.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
  ASSERT_TRUE(SafetensorsFile::Open(path).ok());

  tensors.push_back(tensors[0]);
  EXPECT_FALSE(SerializeSafetensors(tensors).ok());  // Duplicate name.
  tensors.pop_back();
  tensors[0].bytes.pop_back();
  EXPECT_FALSE(SerializeSafetensors(tensors).ok());  // Size mismatch.
}

}  // namespace
}  // namespace weft::checkpoint
