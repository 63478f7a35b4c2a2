#include "decode/reservation_table.h"

#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::decode {
namespace {

TEST(ReservationTable, CompletesWhenEveryBlockArrives) {
  ReservationTable t;
  const absl::Time later = absl::Now() + absl::Hours(1);
  auto r = t.Add("req", 40, 3, later);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(t.Add("req", 1, 1, later).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(*t.IdOf("req"), r->id);
  std::optional<absl::Status> done;
  ASSERT_TRUE(t.MarkWritten(r->id, 0).ok());
  ASSERT_TRUE(t.StartWhenComplete(r->id, [&](absl::Status s) { done = s; }).ok());
  EXPECT_EQ(t.StartWhenComplete(r->id, [](absl::Status) {}).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(t.MarkWritten(r->id, 2).ok());
  ASSERT_TRUE(t.MarkWritten(r->id, 2).ok());  // a retried block counts once
  EXPECT_FALSE(done.has_value());
  EXPECT_EQ(t.MarkWritten(r->id, 3).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(t.MarkWritten(r->id, 1).ok());
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->ok());
  // Started and complete: not expired, removed by its owner.
  EXPECT_TRUE(t.TakeExpired(later + absl::Hours(1)).empty());
  EXPECT_TRUE(t.Remove(r->id));
  EXPECT_FALSE(t.Remove(r->id));
  EXPECT_EQ(t.size(), 0);
}

TEST(ReservationTable, ExpiryFreesUnstartedAndFailsWaitingStarts) {
  ReservationTable t;
  const absl::Time now = absl::Now();
  auto idle = t.Add("idle", 8, 1, now + absl::Seconds(1));
  auto waiting = t.Add("waiting", 8, 2, now + absl::Seconds(1));
  auto fresh = t.Add("fresh", 8, 1, now + absl::Hours(1));
  std::optional<absl::Status> done;
  ASSERT_TRUE(t.StartWhenComplete(waiting->id, [&](absl::Status s) { done = s; }).ok());
  const auto expired = t.TakeExpired(now + absl::Seconds(2));
  EXPECT_EQ(expired.size(), 2u);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(t.size(), 1);
  EXPECT_TRUE(t.Get(fresh->id).ok());
  EXPECT_EQ(t.Get(idle->id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.MarkWritten(idle->id, 0).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace weft::decode
