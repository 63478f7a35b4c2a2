// weft.v1.KvCache served for real on a loopback port and driven through the
// generated stub: round trips, every kind of bad input, eviction under the
// byte budget, and streams that end early (cancel, deadline, server time
// limit) releasing what they held.
#include "kvcache/kvcache_service.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/checksum/crc32c.h"
#include "common/server/grpc_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kvcache/kvcache_config.h"
#include "kvcache/kvcache_module.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "proto/config.pb.h"
#include "proto/kvcache.grpc.pb.h"

namespace weft::kvcache {
namespace {

using ::testing::HasSubstr;
using weft::v1::GetBlocksRequest;
using weft::v1::GetBlocksResponse;
using weft::v1::KvBlockLayout;
using weft::v1::KvCache;
using weft::v1::KvCacheStats;
using weft::v1::PutBlocksRequest;
using weft::v1::PutBlocksResponse;

KvBlockLayout Layout(uint64_t bytes, uint32_t layers = 4) {
  KvBlockLayout layout;
  layout.set_num_layers(layers);
  layout.set_block_size_tokens(16);
  layout.set_num_kv_heads(8);
  layout.set_head_dim(128);
  layout.set_value_head_dim(128);
  layout.set_dtype(weft::v1::KV_DTYPE_BF16);
  layout.set_bytes_per_block(bytes);
  return layout;
}

std::string Key(int n) {
  std::string key(16, '\0');
  for (int i = 0; i < 16; ++i) key[i] = static_cast<char>(n * 7 + i * 13);
  return key;
}

// Pseudo-random bytes, different per block, so that a mix-up shows.
std::string BlockData(int n, uint64_t bytes) {
  std::mt19937 rng(n);
  std::string data(bytes, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  return data;
}

// The messages of a PutBlocks stream for blocks `ids`, cut into chunks.
std::vector<PutBlocksRequest> PutStream(const std::string& model, const KvBlockLayout& layout,
                                        const std::vector<int>& ids, uint64_t chunk) {
  std::vector<PutBlocksRequest> messages;
  for (size_t b = 0; b < ids.size(); ++b) {
    const std::string data = BlockData(ids[b], layout.bytes_per_block());
    for (uint64_t offset = 0; offset < data.size(); offset += chunk) {
      PutBlocksRequest request;
      if (messages.empty()) {
        request.set_model(model);
        *request.mutable_chunk()->mutable_layout() = layout;
      }
      weft::v1::KvBlockChunk* c = request.mutable_chunk();
      c->set_block_index(static_cast<uint32_t>(b));
      c->mutable_key()->set_hash(Key(ids[b]));
      c->set_offset(offset);
      c->set_payload(data.substr(offset, chunk));
      c->set_crc32c(Crc32c(c->payload()));
      c->set_last_chunk_of_block(offset + chunk >= data.size());
      messages.push_back(std::move(request));
    }
  }
  return messages;
}

std::chrono::system_clock::time_point In(absl::Duration d) {
  return std::chrono::system_clock::now() + absl::ToChronoNanoseconds(d);
}

// Polls `done` until it holds or 10 s pass.
bool Eventually(const std::function<bool()>& done) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

struct GotBlocks {
  grpc::Status status;
  uint32_t header_blocks = 0;
  std::map<uint32_t, std::string> data;  // by block_index
  int chunks = 0;
  bool layout_on_first_chunk = false;
  std::string problem;  // a malformed stream
};

class KvCacheServiceTest : public ::testing::Test {
 protected:
  void Start(uint64_t capacity, const std::function<void(weft::v1::KvCacheConfig&)>& edit = {}) {
    weft::v1::KvCacheConfig config;
    config.mutable_server()->set_grpc_address("127.0.0.1:0");
    config.mutable_server()->set_metrics_address("127.0.0.1:0");
    config.mutable_server()->set_drain_timeout_ms(1000);
    config.set_capacity_bytes(capacity);
    config.set_chunk_bytes(4096);
    config.set_max_keys_per_request(64);
    if (edit) edit(config);
    chunk_bytes_ = config.chunk_bytes();
    ASSERT_TRUE(ValidateKvCacheConfig(config).ok()) << ValidateKvCacheConfig(config);
    registry_ = std::make_shared<prometheus::Registry>();
    module_ = std::make_unique<KvCacheModule>(config, *registry_);
    GrpcServerOptions options;
    options.address = "127.0.0.1:0";
    auto server = GrpcServer::Start(options, module_->GrpcServices());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    server_->SetServing(true);
    stub_ = NewStub();
  }

  // A stub on its own connection; `small_window` keeps its receive window at
  // 16 KiB, so a server writing to a client that does not read stalls soon.
  std::unique_ptr<KvCache::Stub> NewStub(bool small_window = false) {
    grpc::ChannelArguments args;
    args.SetInt("weft.test.connection", next_connection_++);
    if (small_window) {
      args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 10);
    }
    return KvCache::NewStub(grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                                      grpc::InsecureChannelCredentials(), args));
  }

  grpc::Status Put(const std::vector<PutBlocksRequest>& messages,
                   PutBlocksResponse* response = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(absl::Seconds(20)));
    PutBlocksResponse local;
    auto writer = stub_->PutBlocks(&ctx, response != nullptr ? response : &local);
    for (const PutBlocksRequest& m : messages) {
      if (!writer->Write(m)) break;  // the server ended the call
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status Lookup(const std::string& model, const std::vector<std::string>& keys,
                      uint32_t* matched) {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(absl::Seconds(10)));
    weft::v1::LookupPrefixRequest request;
    request.set_model(model);
    for (const std::string& k : keys) request.add_keys()->set_hash(k);
    weft::v1::LookupPrefixResponse response;
    const grpc::Status status = stub_->LookupPrefix(&ctx, request, &response);
    *matched = response.matched_blocks();
    return status;
  }

  uint32_t Matched(const std::string& model, const std::vector<int>& ids) {
    std::vector<std::string> keys;
    for (int id : ids) keys.push_back(Key(id));
    uint32_t matched = 0;
    const grpc::Status status = Lookup(model, keys, &matched);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return matched;
  }

  static GetBlocksRequest GetRequest(const std::string& model, const std::vector<int>& ids) {
    GetBlocksRequest request;
    request.set_model(model);
    request.set_request_id("req-1");
    for (int id : ids) request.add_keys()->set_hash(Key(id));
    return request;
  }

  GotBlocks Get(const GetBlocksRequest& request) {
    GotBlocks got;
    grpc::ClientContext ctx;
    ctx.set_deadline(In(absl::Seconds(20)));
    auto reader = stub_->GetBlocks(&ctx, request);
    GetBlocksResponse response;
    bool first = true;
    uint32_t expected_block = 0;
    while (reader->Read(&response)) {
      if (first) {
        if (!response.has_header()) got.problem = "no header first";
        got.header_blocks = response.header().blocks();
        first = false;
        continue;
      }
      if (!response.has_chunk()) {
        got.problem = "a second header";
        continue;
      }
      const weft::v1::KvBlockChunk& c = response.chunk();
      if (got.chunks == 0) got.layout_on_first_chunk = c.has_layout();
      ++got.chunks;
      if (c.block_index() != expected_block) got.problem = "blocks out of order";
      if (c.key().hash() != request.keys(c.block_index()).hash()) got.problem = "wrong key";
      if (c.request_id() != request.request_id()) got.problem = "no request_id";
      if (Crc32c(c.payload()) != c.crc32c()) got.problem = "bad crc32c";
      if (c.payload().size() > chunk_bytes_) got.problem = "chunk larger than chunk_bytes";
      std::string& data = got.data[c.block_index()];
      if (c.offset() != data.size()) got.problem = "offset gap";
      data += c.payload();
      if (c.last_chunk_of_block()) ++expected_block;
    }
    got.status = reader->Finish();
    return got;
  }

  KvCacheStats Stats() {
    grpc::ClientContext ctx;
    ctx.set_deadline(In(absl::Seconds(10)));
    KvCacheStats stats;
    const grpc::Status status = stub_->GetStats(&ctx, weft::v1::GetStatsRequest(), &stats);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return stats;
  }

  std::string Scrape() { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

  std::atomic<int> next_connection_{0};
  uint32_t chunk_bytes_ = 0;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<KvCacheModule> module_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<KvCache::Stub> stub_;
};

constexpr uint64_t kBlock = 10000;  // three chunks of 4096 bytes at most

TEST_F(KvCacheServiceTest, PutLookupAndGetBlocksByteExact) {
  Start(100 * kBlock);
  PutBlocksResponse put;
  grpc::Status status = Put(PutStream("llama", Layout(kBlock), {0, 1, 2}, 4096), &put);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(put.blocks_received(), 3u);
  EXPECT_EQ(put.blocks_added(), 3u);
  EXPECT_EQ(put.bytes_received(), 3 * kBlock);

  EXPECT_EQ(Matched("llama", {0, 1, 2, 9}), 3u);
  EXPECT_EQ(Matched("llama", {0, 9, 2}), 1u);
  EXPECT_EQ(Matched("llama", {9, 0}), 0u);
  EXPECT_EQ(Matched("other-model", {0, 1}), 0u);  // the model is part of the key

  // Chunked differently on the way back: the blocks come back whole and exact,
  // only the stored leading ones.
  GotBlocks got = Get(GetRequest("llama", {0, 1, 2, 9, 0}));
  ASSERT_TRUE(got.status.ok()) << got.status.error_message();
  EXPECT_EQ(got.problem, "");
  EXPECT_EQ(got.header_blocks, 3u);
  EXPECT_TRUE(got.layout_on_first_chunk);
  EXPECT_EQ(got.chunks, 9);
  ASSERT_EQ(got.data.size(), 3u);
  for (uint32_t b = 0; b < 3; ++b) EXPECT_TRUE(got.data[b] == BlockData(b, kBlock)) << b;

  got = Get(GetRequest("llama", {1}));
  ASSERT_TRUE(got.status.ok());
  EXPECT_TRUE(got.data[0] == BlockData(1, kBlock));
  got = Get(GetRequest("llama", {7}));
  ASSERT_TRUE(got.status.ok());
  EXPECT_EQ(got.header_blocks, 0u);
  EXPECT_EQ(got.chunks, 0);

  // Putting stored blocks again is accepted and adds nothing.
  status = Put(PutStream("llama", Layout(kBlock), {1, 2, 3}, kBlock), &put);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(put.blocks_received(), 3u);
  EXPECT_EQ(put.blocks_added(), 1u);

  const KvCacheStats stats = Stats();
  EXPECT_EQ(stats.capacity_bytes(), 100 * kBlock);
  EXPECT_EQ(stats.blocks(), 4u);
  EXPECT_EQ(stats.used_bytes(), 4 * kBlock);
  EXPECT_EQ(stats.models(), 1u);
  EXPECT_EQ(stats.pinned_blocks(), 0u);
  EXPECT_EQ(stats.put_buffered_bytes(), 0u);
  EXPECT_EQ(stats.put_blocks_total(), 6u);
  EXPECT_EQ(stats.put_bytes_total(), 6 * kBlock);
  EXPECT_EQ(stats.get_bytes_total(), 4 * kBlock);
  EXPECT_EQ(stats.prefix_query_blocks_total(), 4u + 3 + 2 + 2);
  EXPECT_EQ(stats.prefix_hit_blocks_total(), 3u + 1);
}

TEST_F(KvCacheServiceTest, ACorruptChunkIsDataLossAndItsBlockIsNotStored) {
  Start(100 * kBlock);
  std::vector<PutBlocksRequest> stream = PutStream("m", Layout(kBlock), {0, 1, 2}, 4096);
  // Block 1's second chunk (offset 4096) is damaged in flight.
  (*stream[4].mutable_chunk()->mutable_payload())[100] ^= 0x40;
  const grpc::Status status = Put(stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_THAT(status.error_message(), HasSubstr("block 1, key "));
  EXPECT_THAT(status.error_message(), HasSubstr("offset 4096): crc32c mismatch"));
  EXPECT_THAT(status.error_message(), HasSubstr("(1 earlier blocks of this stream were stored)"));
  EXPECT_EQ(Matched("m", {0, 1, 2}), 1u);
  EXPECT_EQ(Matched("m", {1}), 0u);
  EXPECT_EQ(Matched("m", {2}), 0u);
  const KvCacheStats stats = Stats();
  EXPECT_EQ(stats.blocks(), 1u);
  EXPECT_EQ(stats.used_bytes(), kBlock);
  EXPECT_TRUE(Eventually([&] { return Stats().put_buffered_bytes() == 0; }));
}

TEST_F(KvCacheServiceTest, AModelKeepsOneLayout) {
  Start(100 * kBlock);
  ASSERT_TRUE(Put(PutStream("m", Layout(kBlock), {0}, 4096)).ok());
  grpc::Status status = Put(PutStream("m", Layout(kBlock, 8), {1}, 4096));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("model \"m\" has 1 blocks stored with layout"));
  EXPECT_THAT(status.error_message(), HasSubstr("num_layers: 8"));
  // Same size, other shape: still refused.
  status = Put(PutStream("m", Layout(2 * kBlock), {1}, 4096));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Matched("m", {0, 1}), 1u);
  // Another model has its own layout.
  EXPECT_TRUE(Put(PutStream("n", Layout(kBlock, 8), {1}, 4096)).ok());
  EXPECT_EQ(Stats().blocks(), 2u);
}

TEST_F(KvCacheServiceTest, BadInputIsInvalidArgumentAndChangesNothing) {
  Start(100 * kBlock);
  ASSERT_TRUE(Put(PutStream("m", Layout(kBlock), {0}, 4096)).ok());
  uint32_t matched = 99;

  grpc::Status status = Lookup("m", {Key(0), "12345678"}, &matched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "keys[1].hash is 8 bytes; a block hash is 16");
  status = Lookup("", {Key(0)}, &matched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "model is required");
  status = Lookup(std::string(300, 'm'), {}, &matched);
  EXPECT_THAT(status.error_message(), HasSubstr("model is 300 bytes; the limit is 256"));
  status = Lookup("m", std::vector<std::string>(65, Key(0)), &matched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("65 keys exceed this cache's limit of 64"));

  GetBlocksRequest get = GetRequest("m", {0});
  get.add_keys()->set_hash("");
  GotBlocks got = Get(get);
  EXPECT_EQ(got.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(got.status.error_message(), "keys[1].hash is 0 bytes; a block hash is 16");

  // PutBlocks: no model; no layout; a bad hash; a block cut short; a block
  // above max_block_bytes; a stream that stops within a block.
  std::vector<PutBlocksRequest> stream = PutStream("m", Layout(kBlock), {1}, 4096);
  stream[0].clear_model();
  status = Put(stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("model (of the stream's first message) is required"));

  stream = PutStream("m", Layout(kBlock), {1}, 4096);
  stream[0].mutable_chunk()->clear_layout();
  status = Put(stream);
  EXPECT_THAT(status.error_message(),
              HasSubstr("the first chunk of a stream must carry the layout"));

  stream = PutStream("m", Layout(kBlock), {1}, 4096);
  stream[1].mutable_chunk()->mutable_key()->set_hash("short");
  status = Put(stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("chunk 1 (block 0): chunk.key.hash is 5 bytes"));

  stream = PutStream("m", Layout(kBlock), {1}, 4096);
  stream.pop_back();
  stream.back().mutable_chunk()->set_last_chunk_of_block(true);
  status = Put(stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("the block ended at 8192 bytes; its layout says"));

  stream = PutStream("m", Layout(kBlock), {1}, 4096);
  stream.pop_back();
  status = Put(stream);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("the stream ended within block 0 (key "));
  EXPECT_THAT(status.error_message(),
              HasSubstr("at 8192 of 10000 bytes; that block was not stored"));

  status = Put(PutStream("big", Layout(101 * kBlock), {1}, 4096));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("bytes_per_block: 1010000 exceeds this cache's "
                                                "largest block, 1000000 bytes"));

  const KvCacheStats stats = Stats();
  EXPECT_EQ(stats.blocks(), 1u);
  EXPECT_EQ(stats.used_bytes(), kBlock);
  EXPECT_EQ(stats.evictions_total(), 0u);
  EXPECT_EQ(Matched("m", {0}), 1u);
  EXPECT_TRUE(Eventually([&] { return Stats().put_buffered_bytes() == 0; }));
}

TEST_F(KvCacheServiceTest, EvictionUnderTheByteBudgetShowsInStatsAndMetrics) {
  Start(4 * kBlock);
  ASSERT_TRUE(Put(PutStream("m", Layout(kBlock), {0, 1, 2, 3}, 4096)).ok());
  EXPECT_EQ(Matched("m", {0}), 1u);  // 0 becomes the most recent
  // Two more evict the two least recently used, 1 and 2.
  ASSERT_TRUE(Put(PutStream("m", Layout(kBlock), {4, 5}, 4096)).ok());
  EXPECT_EQ(Matched("m", {0}), 1u);
  EXPECT_EQ(Matched("m", {1}), 0u);
  EXPECT_EQ(Matched("m", {2}), 0u);
  EXPECT_EQ(Matched("m", {3, 4, 5}), 3u);
  EXPECT_EQ(Matched("m", {4, 5}), 2u);
  const KvCacheStats stats = Stats();
  EXPECT_EQ(stats.evictions_total(), 2u);
  EXPECT_EQ(stats.blocks(), 4u);
  EXPECT_EQ(stats.used_bytes(), 4 * kBlock);
  const std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr("weft_kvcache_capacity_bytes 40000"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_used_bytes 40000"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_blocks 4"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_evictions_total 2"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_put_blocks_total 6"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_put_bytes_total 60000"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_prefix_query_blocks_total 9"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_prefix_hit_blocks_total 7"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_pinned_blocks 0"));
  EXPECT_THAT(text, HasSubstr("weft_kvcache_put_buffered_bytes 0"));
}

// Enough for a GetBlocks stream to stall on a client that does not read and
// keeps a small window (NewStub(true)), yet little: under TSan every payload
// byte that crosses the uninstrumented gRPC library costs a (suppressed) race
// check.
constexpr uint64_t kBigBlock = 16 << 10;
constexpr int kBigBlocks = 16;
constexpr uint64_t kBigChunk = 8 << 10;

std::vector<int> BigIds() {
  std::vector<int> ids;
  for (int i = 0; i < kBigBlocks; ++i) ids.push_back(i);
  return ids;
}

void BigConfig(weft::v1::KvCacheConfig& config) { config.set_chunk_bytes(kBigChunk); }

class KvCacheServiceStallTest : public KvCacheServiceTest {
 protected:
  // Stores the big blocks, each by a short stream of its own.
  void PutBigBlocks() {
    for (int id : BigIds()) {
      const grpc::Status status = Put(PutStream("m", Layout(kBigBlock), {id}, kBigChunk));
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }
};

TEST_F(KvCacheServiceStallTest, ACancelledGetBlocksReleasesItsPins) {
  Start(2 * kBigBlocks * kBigBlock, BigConfig);
  PutBigBlocks();
  auto slow = NewStub(/*small_window=*/true);
  grpc::ClientContext ctx;
  ctx.set_deadline(In(absl::Seconds(60)));
  auto reader = slow->GetBlocks(&ctx, GetRequest("m", BigIds()));
  GetBlocksResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.header().blocks(), static_cast<uint32_t>(kBigBlocks));
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(response.has_chunk());
  // Mid-transfer the blocks are pinned: nothing can evict them.
  KvCacheStats stats = Stats();
  EXPECT_EQ(stats.pinned_blocks(), static_cast<uint64_t>(kBigBlocks));
  EXPECT_EQ(stats.pinned_bytes(), kBigBlocks * kBigBlock);
  EXPECT_THAT(Scrape(), HasSubstr(absl::StrCat("weft_kvcache_pinned_blocks ", kBigBlocks)));

  ctx.TryCancel();
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return Stats().pinned_blocks() == 0; }));
  EXPECT_EQ(Stats().pinned_bytes(), 0u);
  EXPECT_THAT(Scrape(), HasSubstr("weft_kvcache_pinned_blocks 0"));
  EXPECT_EQ(Stats().blocks(), static_cast<uint64_t>(kBigBlocks));
  // Unpinned, they can be evicted again: the cache holds 32, 17 more evict one.
  for (int id = 100; id < 117; ++id) {
    ASSERT_TRUE(Put(PutStream("m", Layout(kBigBlock), {id}, kBigChunk)).ok());
  }
  EXPECT_EQ(Stats().evictions_total(), 1u);
}

TEST_F(KvCacheServiceStallTest, APassingDeadlineFreesPinsAndBuffers) {
  Start(2 * kBigBlocks * kBigBlock, BigConfig);
  PutBigBlocks();
  // A reader that stops reading, and a writer that stops within a block,
  // until their deadlines pass.
  const auto deadline = In(absl::Seconds(5));
  auto slow = NewStub(/*small_window=*/true);
  grpc::ClientContext get_ctx;
  get_ctx.set_deadline(deadline);
  auto reader = slow->GetBlocks(&get_ctx, GetRequest("m", BigIds()));
  GetBlocksResponse response;
  ASSERT_TRUE(reader->Read(&response));
  grpc::ClientContext put_ctx;
  put_ctx.set_deadline(deadline);
  PutBlocksResponse put;
  auto writer = stub_->PutBlocks(&put_ctx, &put);
  ASSERT_TRUE(writer->Write(PutStream("m", Layout(kBigBlock), {500}, kBigChunk)[0]));
  // Both hold something while they last.
  EXPECT_TRUE(Eventually([&] { return Stats().put_buffered_bytes() == kBigBlock; }));
  EXPECT_GT(Stats().pinned_blocks(), 0u);

  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(Eventually([&] {
    const KvCacheStats s = Stats();
    return s.pinned_blocks() == 0 && s.put_buffered_bytes() == 0;
  }));
  EXPECT_EQ(Matched("m", {500}), 0u);
  EXPECT_EQ(Stats().blocks(), static_cast<uint64_t>(kBigBlocks));
}

TEST_F(KvCacheServiceStallTest, TheServerCutsOffStalledStreams) {
  Start(2 * kBigBlocks * kBigBlock, [](weft::v1::KvCacheConfig& config) {
    BigConfig(config);
    config.set_max_stream_duration_ms(5000);
  });
  PutBigBlocks();
  // Clients with generous deadlines that stall.
  auto slow = NewStub(/*small_window=*/true);
  grpc::ClientContext get_ctx;
  get_ctx.set_deadline(In(absl::Seconds(120)));
  auto reader = slow->GetBlocks(&get_ctx, GetRequest("m", BigIds()));
  GetBlocksResponse response;
  ASSERT_TRUE(reader->Read(&response));
  grpc::ClientContext put_ctx;
  put_ctx.set_deadline(In(absl::Seconds(120)));
  PutBlocksResponse put;
  auto writer = stub_->PutBlocks(&put_ctx, &put);
  ASSERT_TRUE(writer->Write(PutStream("m", Layout(kBigBlock), {500}, kBigChunk)[0]));

  // The server cancels both at its limit, long before the clients' deadlines.
  const absl::Time start = absl::Now();
  EXPECT_TRUE(Eventually([&] {
    const KvCacheStats s = Stats();
    return s.pinned_blocks() == 0 && s.put_buffered_bytes() == 0;
  }));
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // What had arrived before the cancel is still read out, then the status.
  while (reader->Read(&response)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(60));
  EXPECT_EQ(Matched("m", {500}), 0u);
  // Streams within the limit are unaffected.
  GotBlocks got = Get(GetRequest("m", {3}));
  ASSERT_TRUE(got.status.ok()) << got.status.error_message();
  EXPECT_TRUE(got.data[0] == BlockData(3, kBigBlock));
}

// Several clients at once, each on its own connection (run under TSan).
constexpr uint64_t kSmallBlock = 1024;

TEST_F(KvCacheServiceTest, ConcurrentClients) {
  Start(64 * kSmallBlock);
  constexpr int kClients = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(kClients);
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto stub = NewStub();
      for (int round = 0; round < 5; ++round) {
        const std::vector<int> ids = {t * 100 + round * 4, t * 100 + round * 4 + 1};
        {
          grpc::ClientContext ctx;
          ctx.set_deadline(In(absl::Seconds(20)));
          PutBlocksResponse response;
          auto writer = stub->PutBlocks(&ctx, &response);
          for (const PutBlocksRequest& m :
               PutStream("m", Layout(kSmallBlock), ids, kSmallBlock / 2)) {
            writer->Write(m);
          }
          writer->WritesDone();
          const grpc::Status status = writer->Finish();
          if (!status.ok()) failures[t] = status.error_message();
        }
        grpc::ClientContext ctx;
        ctx.set_deadline(In(absl::Seconds(20)));
        GetBlocksRequest request = GetRequest("m", ids);
        auto reader = stub->GetBlocks(&ctx, request);
        GetBlocksResponse response;
        std::string data;
        while (reader->Read(&response)) {
          if (response.has_chunk() && response.chunk().block_index() == 1) {
            data += response.chunk().payload();
          }
        }
        if (!reader->Finish().ok() || data != BlockData(ids[1], kSmallBlock)) {
          failures[t] = absl::StrCat("round ", round, ": block not returned intact");
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& failure : failures) EXPECT_EQ(failure, "");
  const KvCacheStats stats = Stats();
  EXPECT_EQ(stats.blocks(), static_cast<uint64_t>(kClients * 10));
  EXPECT_EQ(stats.pinned_blocks(), 0u);
}

}  // namespace
}  // namespace weft::kvcache
