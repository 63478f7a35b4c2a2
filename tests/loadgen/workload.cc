#include "tests/loadgen/workload.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace weft::loadgen {
namespace {

using Json = nlohmann::json;

// Words for chat prompts: common English words that most tokenizers keep as
// one token each (with their leading space).
constexpr const char* kWords[] = {
    "the",      "of",    "and",    "to",       "in",     "is",    "was",     "for",    "on",
    "that",     "with",  "as",     "by",       "at",     "from",  "his",     "her",    "they",
    "this",     "which", "time",   "year",     "people", "way",   "day",     "man",    "thing",
    "woman",    "life",  "child",  "world",    "school", "state", "family",  "group",  "country",
    "problem",  "hand",  "part",   "place",    "case",   "week",  "company", "system", "program",
    "question", "work",  "number", "night",    "point",  "home",  "water",   "room",   "mother",
    "area",     "money", "story",  "fact",     "month",  "lot",   "right",   "study",  "book",
    "eye",      "job",   "word",   "business", "issue",  "side",
};
constexpr int kNumWords = sizeof(kWords) / sizeof(kWords[0]);

// Separate streams for prompts and arrivals, so that changing the rate keeps
// the prompts.
constexpr uint64_t kArrivalStream = 0x9e3779b97f4a7c15ull;

}  // namespace

absl::Status ValidateWorkloadOptions(const WorkloadOptions& options) {
  if (options.model.empty()) return absl::InvalidArgumentError("--model is required");
  if (options.num_requests < 1) return absl::InvalidArgumentError("--num_requests must be >= 1");
  if (options.input_len < 1) return absl::InvalidArgumentError("--input_len must be >= 1");
  if (options.output_len < 1) return absl::InvalidArgumentError("--output_len must be >= 1");
  if (options.prefix_len < 0) return absl::InvalidArgumentError("--prefix_len must be >= 0");
  if (options.min_token_id < 0 || options.max_token_id < options.min_token_id) {
    return absl::InvalidArgumentError("need 0 <= --min_token_id <= --max_token_id");
  }
  if (!(options.request_rate > 0)) {
    return absl::InvalidArgumentError("--request_rate must be > 0 (inf: all at once)");
  }
  return absl::OkStatus();
}

std::vector<double> ArrivalOffsets(int n, double rate, uint64_t seed) {
  std::vector<double> offsets(n, 0.0);
  if (std::isinf(rate)) return offsets;
  std::mt19937_64 rng(seed ^ kArrivalStream);
  std::exponential_distribution<double> gap(rate);
  for (int i = 1; i < n; ++i) offsets[i] = offsets[i - 1] + gap(rng);
  return offsets;
}

std::vector<PlannedRequest> MakeWorkload(const WorkloadOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<int> token(options.min_token_id, options.max_token_id);
  std::uniform_int_distribution<int> word(0, kNumWords - 1);
  const bool chat = options.kind == ApiKind::kChat;
  auto draw = [&](int n, std::vector<int>* out) {
    for (int i = 0; i < n; ++i) out->push_back(chat ? word(rng) : token(rng));
  };
  std::vector<int> prefix;
  draw(options.prefix_len, &prefix);

  const std::vector<double> arrivals =
      ArrivalOffsets(options.num_requests, options.request_rate, options.seed);
  std::vector<PlannedRequest> requests;
  requests.reserve(options.num_requests);
  for (int r = 0; r < options.num_requests; ++r) {
    std::vector<int> prompt = prefix;
    draw(options.input_len, &prompt);
    Json body = {
        {"model", options.model}, {"max_tokens", options.output_len},
        {"temperature", 0},       {"ignore_eos", true},
        {"stream", true},         {"stream_options", {{"include_usage", true}}},
    };
    if (chat) {
      std::string text = absl::StrJoin(
          prompt, " ", [](std::string* out, int w) { absl::StrAppend(out, kWords[w]); });
      Json message = {{"role", "user"}, {"content", std::move(text)}};
      body["messages"] = Json::array({std::move(message)});
    } else {
      body["prompt"] = prompt;
    }
    PlannedRequest request;
    request.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    request.prompt_len = static_cast<int>(prompt.size());
    request.send_at_s = arrivals[r];
    requests.push_back(std::move(request));
  }
  return requests;
}

}  // namespace weft::loadgen
