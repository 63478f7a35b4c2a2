#include "common/kv_transfer/shm_object.h"

#include <unistd.h>

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::kv_transfer {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

bool Exists(const std::string& name) { return access(("/dev/shm" + name).c_str(), F_OK) == 0; }

TEST(ShmObject, CreatedUnderARandomWellFormedNameAndUnlinkedWhenDestroyed) {
  std::string name;
  {
    absl::StatusOr<OwnedShmObject> object = OwnedShmObject::Create(kShmKvSegmentPrefix);
    ASSERT_TRUE(object.ok()) << object.status();
    name = object->name();
    EXPECT_THAT(name, StartsWith("/weft-kv-"));
    EXPECT_TRUE(CheckShmName(name, kShmKvSegmentPrefix, "name").ok());
    EXPECT_TRUE(Exists(name));
    absl::StatusOr<OwnedShmObject> other = OwnedShmObject::Create(kShmKvSegmentPrefix);
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->name(), name);
  }
  EXPECT_FALSE(Exists(name));
}

TEST(ShmObject, WhatTheOwnerWritesAViewReads) {
  absl::StatusOr<OwnedShmObject> object = OwnedShmObject::Create(kShmKvSegmentPrefix);
  ASSERT_TRUE(object.ok());
  ASSERT_TRUE(object->Allocate(10).ok());
  ASSERT_TRUE(object->Write(0, "hello").ok());
  ASSERT_TRUE(object->Write(5, "world").ok());
  absl::StatusOr<ShmView> view = ShmView::Open(object->name());
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->bytes(), "helloworld");
  // The mapping outlives the name.
  const std::string name = object->name();
  object->Close();
  EXPECT_FALSE(Exists(name));
  ShmView moved = std::move(*view);
  EXPECT_EQ(moved.bytes(), "helloworld");
}

TEST(ShmObject, AMovedObjectIsUnlinkedOnce) {
  absl::StatusOr<OwnedShmObject> object = OwnedShmObject::Create(kShmProbePrefix);
  ASSERT_TRUE(object.ok());
  const std::string name = object->name();
  OwnedShmObject moved = std::move(*object);
  EXPECT_EQ(moved.name(), name);
  EXPECT_TRUE(Exists(name));
  moved.Close();
  moved.Close();  // idempotent
  EXPECT_FALSE(Exists(name));
}

TEST(ShmObject, MissingObjectsAreNotFoundAndUnlinkingThemIsFine) {
  const std::string name = std::string(kShmKvSegmentPrefix) + std::string(32, '0');
  EXPECT_EQ(ShmView::Open(name).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(UnlinkShm(name).ok());
}

TEST(ShmObject, OnlyPrefixAnd32HexDigitsIsAName) {
  const std::string hex(32, 'a');
  EXPECT_TRUE(CheckShmName("/weft-kv-" + hex, kShmKvSegmentPrefix, "f").ok());
  for (const std::string& bad :
       {"/weft-probe-" + hex, "/weft-kv-" + hex + "0", "/weft-kv-" + hex.substr(1),
        "/weft-kv-" + std::string(32, 'A'), "/weft-kv-../../" + hex.substr(6), std::string("")}) {
    const absl::Status s = CheckShmName(bad, kShmKvSegmentPrefix, "segment_name");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("segment_name")) << bad;
  }
}

TEST(ShmObject, RandomBytesDiffer) {
  EXPECT_EQ(RandomBytes(16).size(), 16u);
  EXPECT_NE(RandomBytes(16), RandomBytes(16));
}

}  // namespace
}  // namespace weft::kv_transfer
