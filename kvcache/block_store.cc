#include "kvcache/block_store.h"

#include "absl/strings/str_cat.h"
#include "common/kv_transfer/block_layout.h"
#include "common/logging/log.h"

namespace weft::kvcache {

using ::weft::kv_transfer::BlockHashHex;
using ::weft::kv_transfer::LayoutString;
using ::weft::kv_transfer::SameLayout;

BlockStore::PinnedBlocks& BlockStore::PinnedBlocks::operator=(PinnedBlocks&& other) noexcept {
  if (this != &other) {
    Release();
    store_ = std::exchange(other.store_, nullptr);
    model_id_ = other.model_id_;
    layout_ = std::move(other.layout_);
    hashes_ = std::move(other.hashes_);
    data_ = std::move(other.data_);
    other.hashes_.clear();
    other.data_.clear();
  }
  return *this;
}

void BlockStore::PinnedBlocks::Release() {
  if (store_ != nullptr && !hashes_.empty()) store_->Unpin(model_id_, hashes_);
  store_ = nullptr;
  hashes_.clear();
  data_.clear();
}

BlockStore::BlockStore(uint64_t capacity_bytes, KvCacheMetrics* metrics)
    : capacity_(capacity_bytes), metrics_(metrics) {
  if (metrics_ != nullptr) metrics_->capacity_bytes.Set(static_cast<double>(capacity_));
}

BlockStore::~BlockStore() {
  MutexLock lock(&mu_);
  WEFT_CHECK(pinned_blocks_ == 0) << pinned_blocks_ << " blocks still pinned";
}

absl::Status BlockStore::CheckLayout(absl::string_view model,
                                     const weft::v1::KvBlockLayout& layout) const {
  MutexLock lock(&mu_);
  const uint64_t id = FindModelLocked(model);
  if (id == 0) return absl::OkStatus();
  const Model& m = models_.at(id);
  if (SameLayout(m.layout, layout)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("model \"", model, "\" has ", m.blocks, " blocks stored with layout ",
                   LayoutString(m.layout), "; this block's layout is ", LayoutString(layout)));
}

absl::StatusOr<bool> BlockStore::Put(absl::string_view model, const weft::v1::KvBlockLayout& layout,
                                     const BlockHash& hash, std::string data) {
  if (model.empty()) return absl::InvalidArgumentError("model is required");
  if (data.size() != layout.bytes_per_block()) {
    return absl::InvalidArgumentError(absl::StrCat("block ", BlockHashHex(hash), " is ",
                                                   data.size(), " bytes; its layout says ",
                                                   layout.bytes_per_block()));
  }
  const uint64_t size = data.size();
  MutexLock lock(&mu_);
  if (uint64_t id = FindModelLocked(model); id != 0) {
    const Model& m = models_.at(id);
    if (!SameLayout(m.layout, layout)) {
      return absl::FailedPreconditionError(
          absl::StrCat("model \"", model, "\" has ", m.blocks, " blocks stored with layout ",
                       LayoutString(m.layout), "; this block's layout is ", LayoutString(layout)));
    }
    if (auto it = entries_.find(Key{id, hash}); it != entries_.end()) {
      TouchLocked(it->second);
      ++put_blocks_;
      put_bytes_ += size;
      if (metrics_ != nullptr) {
        metrics_->put_blocks.Increment();
        metrics_->put_bytes.Increment(static_cast<double>(size));
      }
      return false;
    }
  }
  if (size > capacity_) {
    return absl::ResourceExhaustedError(absl::StrCat("block ", BlockHashHex(hash), " of ", size,
                                                     " bytes exceeds the cache's capacity of ",
                                                     capacity_, " bytes"));
  }
  if (size > capacity_ - pinned_bytes_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "block ", BlockHashHex(hash), " of ", size, " bytes does not fit: ", pinned_bytes_,
        " of the cache's ", capacity_, " bytes are pinned by transfers in progress"));
  }
  // Evicting may drop the model's last block and with it its record.
  while (used_bytes_ + size > capacity_) EvictOneLocked();
  uint64_t id = FindModelLocked(model);
  if (id == 0) {
    id = next_model_id_++;
    model_ids_.emplace(std::string(model), id);
    models_.emplace(id, Model{std::string(model), layout, 0});
  }
  ++models_.at(id).blocks;
  const Key key{id, hash};
  lru_.push_front(key);
  entries_.emplace(key,
                   Entry{std::make_shared<const std::string>(std::move(data)), 0, lru_.begin()});
  used_bytes_ += size;
  ++put_blocks_;
  put_bytes_ += size;
  if (metrics_ != nullptr) {
    metrics_->put_blocks.Increment();
    metrics_->put_bytes.Increment(static_cast<double>(size));
  }
  PublishLocked();
  return true;
}

size_t BlockStore::LookupPrefix(absl::string_view model, absl::Span<const BlockHash> keys) {
  MutexLock lock(&mu_);
  prefix_query_blocks_ += keys.size();
  if (metrics_ != nullptr) metrics_->prefix_query_blocks.Increment(keys.size());
  const uint64_t id = FindModelLocked(model);
  if (id == 0) return 0;
  std::vector<Entry*> hits;
  for (const BlockHash& hash : keys) {
    auto it = entries_.find(Key{id, hash});
    if (it == entries_.end()) break;
    hits.push_back(&it->second);
  }
  // Deepest first, so that the chain's head ends up the most recent.
  for (auto it = hits.rbegin(); it != hits.rend(); ++it) TouchLocked(**it);
  prefix_hit_blocks_ += hits.size();
  if (metrics_ != nullptr) metrics_->prefix_hit_blocks.Increment(hits.size());
  return hits.size();
}

BlockStore::PinnedBlocks BlockStore::PinPrefix(absl::string_view model,
                                               absl::Span<const BlockHash> keys) {
  PinnedBlocks pinned;
  MutexLock lock(&mu_);
  const uint64_t id = FindModelLocked(model);
  if (id == 0) return pinned;
  for (const BlockHash& hash : keys) {
    auto it = entries_.find(Key{id, hash});
    if (it == entries_.end()) break;
    Entry& entry = it->second;
    if (entry.pins++ == 0) {
      lru_.erase(entry.lru);
      ++pinned_blocks_;
      pinned_bytes_ += entry.data->size();
    }
    pinned.hashes_.push_back(hash);
    pinned.data_.push_back(entry.data);
  }
  if (!pinned.hashes_.empty()) {
    pinned.store_ = this;
    pinned.model_id_ = id;
    pinned.layout_ = models_.at(id).layout;
    PublishLocked();
  }
  return pinned;
}

void BlockStore::Unpin(uint64_t model_id, absl::Span<const BlockHash> hashes) {
  MutexLock lock(&mu_);
  // Deepest first, so that the chain's head ends up the most recent.
  for (auto hash = hashes.rbegin(); hash != hashes.rend(); ++hash) {
    auto it = entries_.find(Key{model_id, *hash});
    WEFT_CHECK(it != entries_.end() && it->second.pins > 0) << "unpinning an unpinned block";
    Entry& entry = it->second;
    if (--entry.pins == 0) {
      lru_.push_front(it->first);
      entry.lru = lru_.begin();
      --pinned_blocks_;
      pinned_bytes_ -= entry.data->size();
    }
  }
  PublishLocked();
}

bool BlockStore::Contains(absl::string_view model, const BlockHash& hash) const {
  MutexLock lock(&mu_);
  const uint64_t id = FindModelLocked(model);
  return id != 0 && entries_.contains(Key{id, hash});
}

BlockStore::Stats BlockStore::GetStats() const {
  MutexLock lock(&mu_);
  Stats stats;
  stats.capacity_bytes = capacity_;
  stats.used_bytes = used_bytes_;
  stats.blocks = entries_.size();
  stats.pinned_blocks = pinned_blocks_;
  stats.pinned_bytes = pinned_bytes_;
  stats.models = models_.size();
  stats.evictions_total = evictions_;
  stats.prefix_query_blocks_total = prefix_query_blocks_;
  stats.prefix_hit_blocks_total = prefix_hit_blocks_;
  stats.put_blocks_total = put_blocks_;
  stats.put_bytes_total = put_bytes_;
  return stats;
}

uint64_t BlockStore::FindModelLocked(absl::string_view model) const {
  auto it = model_ids_.find(model);
  return it == model_ids_.end() ? 0 : it->second;
}

void BlockStore::TouchLocked(Entry& entry) {
  if (entry.pins == 0) lru_.splice(lru_.begin(), lru_, entry.lru);
}

void BlockStore::EvictOneLocked() {
  WEFT_CHECK(!lru_.empty()) << "nothing evictable: used " << used_bytes_ << ", pinned "
                            << pinned_bytes_ << ", capacity " << capacity_;
  const Key key = lru_.back();
  lru_.pop_back();
  auto it = entries_.find(key);
  used_bytes_ -= it->second.data->size();
  entries_.erase(it);
  ++evictions_;
  if (metrics_ != nullptr) metrics_->evictions.Increment();
  Model& model = models_.at(key.model_id);
  if (--model.blocks == 0) {
    // The layout is free again: a model redeployed with another layout can
    // use the cache once its old blocks are gone.
    model_ids_.erase(model.name);
    models_.erase(key.model_id);
  }
}

void BlockStore::PublishLocked() {
  if (metrics_ == nullptr) return;
  metrics_->used_bytes.Set(static_cast<double>(used_bytes_));
  metrics_->blocks.Set(static_cast<double>(entries_.size()));
  metrics_->pinned_blocks.Set(static_cast<double>(pinned_blocks_));
}

}  // namespace weft::kvcache
