// Reason phrases, body-less statuses and server-sent-event framing.
#include "router/http/http_status.h"

#include "gtest/gtest.h"
#include "router/http/sse.h"

namespace weft::router::http {
namespace {

TEST(HttpStatusTest, ReasonPhrases) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(299), "Success");
  EXPECT_EQ(ReasonPhrase(460), "Client Error");
  EXPECT_EQ(ReasonPhrase(999), "Unknown");
}

TEST(HttpStatusTest, NoBodyStatuses) {
  EXPECT_TRUE(StatusHasNoBody(100));
  EXPECT_TRUE(StatusHasNoBody(204));
  EXPECT_TRUE(StatusHasNoBody(304));
  EXPECT_FALSE(StatusHasNoBody(200));
  EXPECT_FALSE(StatusHasNoBody(404));
}

TEST(SseTest, Events) {
  EXPECT_EQ(SseEvent("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(SseEvent("one\ntwo"), "data: one\ndata: two\n\n");
  EXPECT_EQ(SseEvent(""), "data: \n\n");
  EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
}

}  // namespace
}  // namespace weft::router::http
