#include "common/engine/model/random_weights.h"

#include <cmath>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace weft::engine {
namespace {

// FNV-1a: a stable name hash (std::hash is not guaranteed stable).
uint64_t StableHash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

absl::StatusOr<std::vector<float>> RandomWeights::Load(const std::string& name,
                                                       const std::vector<int64_t>& shape) const {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d <= 0)
      return absl::InvalidArgumentError(absl::StrCat("dummy tensor ", name, ": bad shape"));
    count *= d;
  }
  std::vector<float> out(static_cast<size_t>(count));
  if (absl::EndsWith(name, "norm.weight")) {
    std::fill(out.begin(), out.end(), 1.0f);
    return out;
  }
  if (absl::EndsWith(name, ".bias")) {
    std::fill(out.begin(), out.end(), 0.0f);
    return out;
  }
  float stddev = 1.0f;
  if (absl::EndsWith(name, "e_score_correction_bias")) {
    stddev = 0.01f;
  } else if (!absl::StrContains(name, "embed_tokens")) {
    stddev = 1.0f / std::sqrt(static_cast<float>(shape.back()));
  }
  std::mt19937_64 rng(seed_ ^ StableHash(name));
  std::normal_distribution<float> dist(0.0f, stddev);
  for (float& v : out) v = dist(rng);
  return out;
}

}  // namespace weft::engine
