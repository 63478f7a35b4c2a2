#include "router/serving/prefix_index.h"

#include <algorithm>

namespace weft::router {
namespace {

// splitmix64's finalizer: a well-mixed 64-bit step for the chain.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t HashString(uint64_t seed, absl::string_view s) {
  uint64_t h = Mix(seed ^ s.size());
  for (unsigned char c : s) h = Mix(h ^ c);
  return h;
}

}  // namespace

PrefixIndex::PrefixIndex(size_t max_blocks) : max_blocks_(std::max<size_t>(max_blocks, 1)) {}

std::vector<uint64_t> PrefixIndex::BlockHashes(absl::string_view model, absl::string_view tenant,
                                               absl::Span<const uint32_t> tokens,
                                               int32_t block_size) {
  std::vector<uint64_t> hashes;
  if (block_size <= 0) return hashes;
  uint64_t h = HashString(HashString(0, model), tenant);
  const size_t blocks = tokens.size() / static_cast<size_t>(block_size);
  hashes.reserve(blocks);
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t i = 0; i < static_cast<size_t>(block_size); ++i) {
      h = Mix(h ^ tokens[b * block_size + i]);
    }
    hashes.push_back(h);
  }
  return hashes;
}

void PrefixIndex::Record(absl::string_view instance, absl::Span<const uint64_t> hashes) {
  MutexLock lock(&mu_);
  for (uint64_t hash : hashes) {
    auto [it, inserted] = entries_.try_emplace(hash);
    Entry& e = it->second;
    if (inserted) {
      lru_.push_front(hash);
    } else {
      lru_.splice(lru_.begin(), lru_, e.lru);
    }
    e.lru = lru_.begin();
    auto held = std::find(e.instances.begin(), e.instances.end(), instance);
    if (held != e.instances.end()) e.instances.erase(held);
    if (e.instances.size() == kMaxHolders) e.instances.erase(e.instances.begin());
    e.instances.emplace_back(instance);
  }
  while (entries_.size() > max_blocks_) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
}

int64_t PrefixIndex::Match(absl::string_view instance, absl::Span<const uint64_t> hashes) const {
  MutexLock lock(&mu_);
  int64_t n = 0;
  for (uint64_t hash : hashes) {
    auto it = entries_.find(hash);
    if (it == entries_.end()) break;
    const std::vector<std::string>& held = it->second.instances;
    if (std::find(held.begin(), held.end(), instance) == held.end()) break;
    ++n;
  }
  return n;
}

int64_t PrefixIndex::MatchAny(absl::Span<const uint64_t> hashes) const {
  MutexLock lock(&mu_);
  int64_t n = 0;
  for (uint64_t hash : hashes) {
    if (!entries_.contains(hash)) break;
    ++n;
  }
  return n;
}

size_t PrefixIndex::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace weft::router
