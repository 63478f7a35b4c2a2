#include "common/engine/bench/bench_row.h"

#include <string>
#include <type_traits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace weft::engine::bench {
namespace {

using Json = nlohmann::json;

// Every field, in one place, for both directions.
template <typename Row, typename F>
void ForEachField(Row& row, F&& f) {
  f("model", row.model);
  f("precision", row.precision);
  f("parameters", row.parameters);
  f("weight_bytes", row.weight_bytes);
  f("load_seconds", row.load_seconds);
  f("blas_threads", row.blas_threads);
  f("batch", row.batch);
  f("prompt_len", row.prompt_len);
  f("decode_steps", row.decode_steps);
  f("prefill_tokens", row.prefill_tokens);
  f("prefill_seconds", row.prefill_seconds);
  f("prefill_flops", row.prefill_flops);
  f("decode_tokens", row.decode_tokens);
  f("decode_seconds", row.decode_seconds);
  f("decode_step_mean_s", row.decode_step_mean_s);
  f("decode_step_p50_s", row.decode_step_p50_s);
  f("decode_step_p99_s", row.decode_step_p99_s);
  f("decode_bytes_per_step", row.decode_bytes_per_step);
  f("peak_rss_bytes", row.peak_rss_bytes);
  f("rss_after_load_bytes", row.rss_after_load_bytes);
  f("ru_maxrss_bytes", row.ru_maxrss_bytes);
}

}  // namespace

std::string EncodeRowLine(const BenchRow& row) {
  Json j = Json::object();
  ForEachField(row, [&j](const char* key, const auto& value) { j[key] = value; });
  return absl::StrCat(kRowPrefix, j.dump());
}

absl::StatusOr<BenchRow> FindRowLine(absl::string_view output) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!absl::StartsWith(line, kRowPrefix)) continue;
    line.remove_prefix(kRowPrefix.size());
    const Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat("bad row line: ", line));
    BenchRow row;
    std::string missing;
    ForEachField(row, [&](const char* key, auto& value) {
      using T = std::decay_t<decltype(value)>;
      const auto it = j.find(key);
      bool ok = it != j.end();
      if constexpr (std::is_same_v<T, std::string>) {
        ok = ok && it->is_string();
      } else {
        ok = ok && it->is_number();
      }
      if (ok) {
        value = it->template get<T>();
      } else if (missing.empty()) {
        missing = key;
      }
    });
    if (!missing.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("row line lacks '", missing, "': ", line));
    }
    return row;
  }
  return absl::NotFoundError("no WEFT_BENCH_ROW line in the output");
}

}  // namespace weft::engine::bench
