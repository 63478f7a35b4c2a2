// Encode/decode throughput of the fixture tokenizer on a few KB of mixed text.
//   bazel run -c opt //common/tokenizer:encode_benchmark
// (run from the workspace root so that tests/data is found through runfiles).
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "common/tokenizer/tokenizer.h"
#include "common/tokenizer/tokenizer_loader.h"

namespace weft::tokenizer {
namespace {

const Tokenizer& Get() {
  static const Tokenizer* const t = [] {
    auto loaded = LoadTokenizerFromFile("tests/data/models/tiny-llama/tokenizer.json");
    if (!loaded.ok()) std::abort();
    return loaded->release();
  }();
  return *t;
}

std::string Text() {
  const std::string paragraph =
      "The quick brown fox jumps over the lazy dog. It's 12:34 and we've got 56 items!\n"
      "def encode(self, text):\n    return [self.vocab[t] for t in text.split()]  # ok\n"
      "caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E "
      "\xF0\x9F\x99\x82 <|im_start|>user\nhello<|im_end|>\n";
  std::string text;
  while (text.size() < 4096) text += paragraph;
  return text;
}

// The same text each iteration: after the first, words come from the cache.
void BM_EncodeCached(benchmark::State& state) {
  const Tokenizer& t = Get();
  const std::string text = Text();
  for (auto _ : state) {
    auto ids = t.Encode(text);
    benchmark::DoNotOptimize(ids);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * text.size());
}
BENCHMARK(BM_EncodeCached);

// Every iteration a text with words not seen before (numbers change), so that
// part of the BPE merging runs each time.
void BM_EncodeFreshWords(benchmark::State& state) {
  const Tokenizer& t = Get();
  const std::string base = Text();
  int64_t n = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string text = base;
    for (int i = 0; i < 64; ++i, ++n) {
      text += " w" + std::to_string(n) + "x" + std::to_string(n * 7);
    }
    state.ResumeTiming();
    auto ids = t.Encode(text);
    benchmark::DoNotOptimize(ids);
    bytes += text.size();
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_EncodeFreshWords);

void BM_Decode(benchmark::State& state) {
  const Tokenizer& t = Get();
  const std::vector<int32_t> ids = *t.Encode(Text());
  for (auto _ : state) {
    auto text = t.Decode(ids);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * ids.size());
}
BENCHMARK(BM_Decode);

}  // namespace
}  // namespace weft::tokenizer

BENCHMARK_MAIN();
