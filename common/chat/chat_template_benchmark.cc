// Render throughput of real chat templates:
//   bazel run -c opt //common/chat:chat_template_benchmark
#include <fstream>
#include <iterator>
#include <string>

#include "benchmark/benchmark.h"
#include "common/chat/chat_template.h"
#include "nlohmann/json.hpp"

namespace weft::chat {
namespace {

using json = nlohmann::ordered_json;

ChatTemplate Load(const std::string& name) {
  std::ifstream in("common/chat/testdata/templates/" + name + ".jinja");
  const std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return *ChatTemplate::Parse(source, SpecialTokens{.bos_token = "<s>", .eos_token = "</s>"});
}

// A system message, then `turns` user/assistant pairs and a final user
// message.
RenderInput Conversation(int turns, bool tools) {
  RenderInput input;
  input.messages.push_back({{"role", "system"}, {"content", "You are a helpful assistant."}});
  for (int i = 0; i < turns; ++i) {
    input.messages.push_back(
        {{"role", "user"}, {"content", "Question " + std::to_string(i) + ": what about this?"}});
    input.messages.push_back(
        {{"role", "assistant"}, {"content", "<think>\nSome reasoning.\n</think>\n\nAn answer."}});
  }
  input.messages.push_back({{"role", "user"}, {"content", "Thanks!"}});
  if (tools) {
    input.tools = json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "description": "Weather in a city.", "parameters": {"type": "object",
      "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])");
  }
  return input;
}

void BM_Render(benchmark::State& state, const std::string& name) {
  const ChatTemplate t = Load(name);
  const RenderInput input = Conversation(static_cast<int>(state.range(0)), state.range(1) != 0);
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> out = t.Render(input);
    if (!out.ok()) {
      state.SkipWithError(std::string(out.status().message()).c_str());
      return;
    }
    bytes += out->size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

BENCHMARK_CAPTURE(BM_Render, qwen3, std::string("qwen3"))
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({500, 1});
BENCHMARK_CAPTURE(BM_Render, llama3_1, std::string("llama3.1"))
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({500, 1});
BENCHMARK_CAPTURE(BM_Render, deepseek_v3, std::string("deepseek_v3"))->Args({1, 0})->Args({500, 0});

}  // namespace
}  // namespace weft::chat

BENCHMARK_MAIN();
