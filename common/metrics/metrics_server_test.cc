#include "common/metrics/metrics_server.h"

#include <memory>
#include <string>

#include "common/metrics/grpc_server_metrics.h"
#include "common/metrics/process_metrics.h"
#include "common/testing/http_get.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "prometheus/text_serializer.h"

namespace weft {
namespace {

using ::testing::HasSubstr;

TEST(MetricsServer, ServesRegistryOverRealHttp) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& requests = prometheus::BuildCounter()
                       .Name("weft_test_requests_total")
                       .Help("test counter")
                       .Register(*registry)
                       .Add({{"route", "/v1/completions"}});
  ProcessMetrics process(*registry, "router");
  process.SetServing(true);
  requests.Increment(3);

  auto server = MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);

  auto response = testutil::HttpGet("127.0.0.1", (*server)->port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status_code, 200);
  EXPECT_THAT(response->headers, HasSubstr("text/plain"));
  EXPECT_THAT(response->body, HasSubstr("# TYPE weft_test_requests_total counter"));
  EXPECT_THAT(response->body, HasSubstr("weft_test_requests_total{route=\"/v1/completions\"} 3"));
  EXPECT_THAT(response->body, HasSubstr("weft_build_info{service=\"router\",version=\""));
  EXPECT_THAT(response->body, HasSubstr("weft_serving{service=\"router\"} 1"));

  // A second scrape sees updates.
  requests.Increment();
  process.SetServing(false);
  response = testutil::HttpGet("127.0.0.1", (*server)->port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_THAT(response->body, HasSubstr("weft_test_requests_total{route=\"/v1/completions\"} 4"));
  EXPECT_THAT(response->body, HasSubstr("weft_serving{service=\"router\"} 0"));

  auto missing = testutil::HttpGet("127.0.0.1", (*server)->port(), "/nothing-here");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status_code, 404);
}

TEST(MetricsServer, BusyPortIsUnavailableNotACrash) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto first = MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok());
  auto second = MetricsServer::Start("127.0.0.1:" + std::to_string((*first)->port()), registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("cannot listen on 127.0.0.1:"));
  // The server's own reason, not only the wrapper's "null context".
  EXPECT_THAT(second.status().message(), HasSubstr("Address already in use")) << second.status();
}

TEST(GrpcServerMetrics, MethodLabelsAreBounded) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  metrics.RegisterService("weft.v1.NotLinkedIntoThisTest");
  EXPECT_EQ(metrics.ForMethod("/grpc.health.v1.Health/Check").label,
            "/grpc.health.v1.Health/Check");
  EXPECT_EQ(metrics.ForMethod("/attacker.Service/Random123").label, "unknown");
  EXPECT_EQ(metrics.ForMethod("garbage").label, "unknown");
  EXPECT_EQ(&metrics.ForMethod("/a/b/c"), &metrics.ForMethod("/x/y"));
  metrics.RecordHandled(metrics.ForMethod("/x/y"), 99, 0.01);
  metrics.RecordHandled(metrics.ForMethod("/x/y"), 5, 0.01);
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(text, HasSubstr("weft_grpc_server_handled_total{grpc_code=\"UNKNOWN\","
                              "grpc_method=\"unknown\"} 1"));
  EXPECT_THAT(text, HasSubstr("weft_grpc_server_handled_total{grpc_code=\"NOT_FOUND\","
                              "grpc_method=\"unknown\"} 1"));
}

}  // namespace
}  // namespace weft
