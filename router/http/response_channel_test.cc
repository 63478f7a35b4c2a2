// ResponseChannel framing and state rules, without sockets or loops.
#include "router/http/response_channel.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "router/http/http_responder.h"

namespace weft::router::http {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Fixture {
  explicit Fixture(ResponseFraming framing, size_t cap = 1 << 20)
      : channel(std::make_shared<ResponseChannel>(framing, cap, [this] { ++wakes; })) {}
  int wakes = 0;
  std::shared_ptr<ResponseChannel> channel;
};

ResponseFraming Http11() { return {.version_minor = 1, .head = false, .keep_alive = true}; }

TEST(ResponseChannelTest, WholeResponse) {
  Fixture f(Http11());
  ASSERT_TRUE(f.channel->Respond(200, {{"Content-Type", "application/json"}}, "{}"));
  EXPECT_EQ(f.wakes, 1);
  ResponseChannel::Output out = f.channel->Take();
  EXPECT_THAT(out.bytes, StartsWith("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: "));
  EXPECT_THAT(out.bytes, EndsWith(" GMT\r\nContent-Length: 2\r\n\r\n{}"));
  EXPECT_TRUE(out.complete);
  EXPECT_TRUE(out.keep_alive);
  EXPECT_FALSE(out.abort);
  EXPECT_FALSE(f.channel->Respond(200, {}, ""));  // only one response
  EXPECT_FALSE(f.channel->StartStream(200, {}));
}

TEST(ResponseChannelTest, ChunkedStream) {
  Fixture f(Http11());
  ASSERT_TRUE(f.channel->StartStream(200, {{"Date", "x"}}));
  EXPECT_TRUE(f.channel->Write("hello"));
  EXPECT_TRUE(f.channel->Write(""));
  EXPECT_TRUE(f.channel->Write(std::string(26, 'z')));
  EXPECT_EQ(f.wakes, 1);  // one wake-up until the loop takes the output
  ResponseChannel::Output out = f.channel->Take();
  EXPECT_EQ(out.bytes,
            "HTTP/1.1 200 OK\r\nDate: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n1a\r\nzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n");
  EXPECT_FALSE(out.complete);
  ASSERT_TRUE(f.channel->Finish());
  EXPECT_EQ(f.wakes, 2);
  out = f.channel->Take();
  EXPECT_EQ(out.bytes, "0\r\n\r\n");
  EXPECT_TRUE(out.complete);
  EXPECT_TRUE(out.keep_alive);
  EXPECT_FALSE(f.channel->Write("late"));
  EXPECT_FALSE(f.channel->Finish());
}

TEST(ResponseChannelTest, WriteNeedsAStartedStream) {
  Fixture f(Http11());
  EXPECT_FALSE(f.channel->Write("x"));
  EXPECT_FALSE(f.channel->Finish());
  EXPECT_FALSE(f.channel->StartStream(204, {}));
  EXPECT_FALSE(f.channel->Respond(100, {}, ""));
}

TEST(ResponseChannelTest, Http10) {
  Fixture close(ResponseFraming{.version_minor = 0, .head = false, .keep_alive = false});
  ASSERT_TRUE(close.channel->Respond(404, {}, "no"));
  ResponseChannel::Output out = close.channel->Take();
  EXPECT_THAT(out.bytes, StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(out.bytes, HasSubstr("Connection: close\r\n"));
  EXPECT_FALSE(out.keep_alive);

  Fixture keep(ResponseFraming{.version_minor = 0, .head = false, .keep_alive = true});
  ASSERT_TRUE(keep.channel->Respond(200, {}, ""));
  out = keep.channel->Take();
  EXPECT_THAT(out.bytes, HasSubstr("Connection: keep-alive\r\n"));
  EXPECT_TRUE(out.keep_alive);

  // A stream cannot be chunked: it ends by closing.
  Fixture stream(ResponseFraming{.version_minor = 0, .head = false, .keep_alive = true});
  ASSERT_TRUE(stream.channel->StartStream(200, {}));
  ASSERT_TRUE(stream.channel->Write("raw"));
  ASSERT_TRUE(stream.channel->Finish());
  out = stream.channel->Take();
  EXPECT_THAT(out.bytes, Not(HasSubstr("Transfer-Encoding")));
  EXPECT_THAT(out.bytes, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(out.bytes, EndsWith("\r\n\r\nraw"));
  EXPECT_FALSE(out.keep_alive);
}

TEST(ResponseChannelTest, HeadAndNoBodyStatuses) {
  Fixture head(ResponseFraming{.version_minor = 1, .head = true, .keep_alive = true});
  ASSERT_TRUE(head.channel->Respond(200, {}, "12345"));
  ResponseChannel::Output out = head.channel->Take();
  EXPECT_THAT(out.bytes, EndsWith("Content-Length: 5\r\n\r\n"));

  Fixture head_stream(ResponseFraming{.version_minor = 1, .head = true, .keep_alive = true});
  ASSERT_TRUE(head_stream.channel->StartStream(200, {}));
  EXPECT_TRUE(head_stream.channel->Write("dropped"));
  ASSERT_TRUE(head_stream.channel->Finish());
  out = head_stream.channel->Take();
  EXPECT_THAT(out.bytes, EndsWith("Transfer-Encoding: chunked\r\n\r\n"));
  EXPECT_TRUE(out.keep_alive);

  Fixture no_content(Http11());
  ASSERT_TRUE(no_content.channel->Respond(204, {}, "ignored"));
  out = no_content.channel->Take();
  EXPECT_THAT(out.bytes, Not(HasSubstr("Content-Length")));
  EXPECT_THAT(out.bytes, EndsWith("\r\n\r\n"));
}

TEST(ResponseChannelTest, ConnectionHeadersAreTheServers) {
  Fixture f(Http11());
  ASSERT_TRUE(f.channel->Respond(
      200, {{"connection", "Close"}, {"Transfer-Encoding", "gzip"}, {"content-length", "9"}}, "x"));
  ResponseChannel::Output out = f.channel->Take();
  EXPECT_THAT(out.bytes, Not(HasSubstr("gzip")));
  EXPECT_THAT(out.bytes, Not(HasSubstr("content-length")));
  EXPECT_THAT(out.bytes, HasSubstr("Content-Length: 1\r\nConnection: close\r\n"));
  EXPECT_FALSE(out.keep_alive);
}

TEST(ResponseChannelTest, DrainingDisallowsKeepAlive) {
  Fixture f(Http11());
  f.channel->DisallowKeepAlive();
  ASSERT_TRUE(f.channel->Respond(200, {}, ""));
  ResponseChannel::Output out = f.channel->Take();
  EXPECT_THAT(out.bytes, HasSubstr("Connection: close\r\n"));
  EXPECT_FALSE(out.keep_alive);
}

TEST(ResponseChannelTest, BackpressureCap) {
  Fixture f(Http11(), /*cap=*/1000);
  ASSERT_TRUE(f.channel->StartStream(200, {}));
  f.channel->Take();
  EXPECT_TRUE(f.channel->Write(std::string(400, 'a')));  // 400 + framing pending
  f.channel->Take();
  f.channel->SetUnsent(420);  // taken but not yet written to the socket
  EXPECT_TRUE(f.channel->Write(std::string(400, 'b')));
  bool fired = false;
  f.channel->OnClose([&] { fired = true; });
  EXPECT_FALSE(f.channel->Write(std::string(400, 'c')));  // 420 + 420 + 420 > 1000
  EXPECT_TRUE(f.channel->closed());
  EXPECT_FALSE(f.channel->Write("d"));
  EXPECT_TRUE(f.channel->Take().abort);
  EXPECT_FALSE(fired);  // fires when the connection actually closes
  f.channel->Close();
  EXPECT_TRUE(fired);
}

TEST(ResponseChannelTest, OnCloseRules) {
  {
    Fixture f(Http11());
    int fired = 0;
    f.channel->OnClose([&] { ++fired; });
    f.channel->Close();
    f.channel->Close();
    EXPECT_EQ(fired, 1);
    f.channel->OnClose([&] { ++fired; });  // already gone: runs at once
    EXPECT_EQ(fired, 2);
    EXPECT_FALSE(f.channel->Respond(200, {}, ""));
  }
  {
    Fixture f(Http11());
    int fired = 0;
    f.channel->OnClose([&] { ++fired; });
    ASSERT_TRUE(f.channel->Respond(200, {}, ""));
    f.channel->Close();  // after the response was complete
    EXPECT_EQ(fired, 0);
    f.channel->OnClose([&] { ++fired; });
    EXPECT_EQ(fired, 0);
  }
}

TEST(ResponseChannelTest, AbandonedResponses) {
  Fixture unanswered(Http11());
  std::make_shared<HttpResponder>(unanswered.channel).reset();
  ResponseChannel::Output out = unanswered.channel->Take();
  EXPECT_THAT(out.bytes, StartsWith("HTTP/1.1 500 Internal Server Error\r\n"));
  EXPECT_TRUE(out.complete);
  EXPECT_TRUE(out.keep_alive);

  Fixture stream(Http11());
  {
    HttpResponder responder(stream.channel);
    ASSERT_TRUE(responder.StartStream(200, {}));
    ASSERT_TRUE(responder.Write("part"));
  }
  out = stream.channel->Take();
  EXPECT_THAT(out.bytes, EndsWith("4\r\npart\r\n"));  // no terminating chunk
  EXPECT_TRUE(out.complete);
  EXPECT_FALSE(out.keep_alive);  // the connection closes: the client sees a cut-off

  Fixture done(Http11());
  {
    HttpResponder responder(done.channel);
    ASSERT_TRUE(responder.Respond(200, {}, "ok"));
  }
  EXPECT_EQ(done.wakes, 1);  // nothing more after a complete response
}

TEST(ResponseChannelTest, NoWakeAfterDetachOrClose) {
  Fixture f(Http11());
  ASSERT_TRUE(f.channel->StartStream(200, {}));
  f.channel->Take();
  f.channel->Close();
  EXPECT_FALSE(f.channel->Write("x"));
  EXPECT_EQ(f.wakes, 1);
}

}  // namespace
}  // namespace weft::router::http
