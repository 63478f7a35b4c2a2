#include "decode/reservation_table.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace weft::decode {

absl::StatusOr<ReservationInfo> ReservationTable::Add(const std::string& request_id,
                                                      int32_t prompt_tokens, int32_t num_blocks,
                                                      absl::Time deadline) {
  MutexLock lock(&mu_);
  if (by_request_.contains(request_id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("request ", request_id, " already has a KV reservation"));
  }
  Entry e;
  e.info = {.id = next_id_++,
            .request_id = request_id,
            .prompt_tokens = prompt_tokens,
            .num_blocks = num_blocks};
  e.written.assign(num_blocks, false);
  e.deadline = deadline;
  const ReservationInfo info = e.info;
  by_request_[request_id] = info.id;
  entries_.emplace(info.id, std::move(e));
  return info;
}

absl::StatusOr<ReservationInfo> ReservationTable::Get(uint64_t id) const {
  MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return absl::NotFoundError(absl::StrCat("no reservation ", id));
  return it->second.info;
}

absl::StatusOr<uint64_t> ReservationTable::IdOf(const std::string& request_id) const {
  MutexLock lock(&mu_);
  auto it = by_request_.find(request_id);
  if (it == by_request_.end()) {
    return absl::NotFoundError(absl::StrCat("no reservation for request ", request_id));
  }
  return it->second;
}

absl::Status ReservationTable::MarkWritten(uint64_t id, int32_t index) {
  std::function<void(absl::Status)> run;
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return absl::NotFoundError(absl::StrCat("no reservation ", id));
    Entry& e = it->second;
    if (index < 0 || index >= e.info.num_blocks) {
      return absl::InvalidArgumentError(absl::StrCat("block ", index, " outside reservation ", id,
                                                     " of ", e.info.num_blocks, " blocks"));
    }
    if (!e.written[index]) {
      e.written[index] = true;
      ++e.num_written;
    }
    if (e.num_written == e.info.num_blocks && e.on_complete) run = std::exchange(e.on_complete, {});
  }
  if (run) run(absl::OkStatus());
  return absl::OkStatus();
}

absl::Status ReservationTable::StartWhenComplete(uint64_t id,
                                                 std::function<void(absl::Status)> on_complete) {
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return absl::NotFoundError(absl::StrCat("no reservation ", id));
    Entry& e = it->second;
    if (e.started) {
      return absl::FailedPreconditionError(absl::StrCat("reservation ", id, " already started"));
    }
    e.started = true;
    if (e.num_written < e.info.num_blocks) {
      e.on_complete = std::move(on_complete);
      return absl::OkStatus();
    }
  }
  on_complete(absl::OkStatus());
  return absl::OkStatus();
}

bool ReservationTable::Remove(uint64_t id) {
  MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  by_request_.erase(it->second.info.request_id);
  entries_.erase(it);
  return true;
}

std::vector<ReservationInfo> ReservationTable::TakeExpired(absl::Time now) {
  std::vector<ReservationInfo> out;
  std::vector<std::function<void(absl::Status)>> failed;
  {
    MutexLock lock(&mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      const Entry& e = it->second;
      if ((!e.started || e.num_written < e.info.num_blocks) && e.deadline <= now) {
        out.push_back(e.info);
        if (e.on_complete) failed.push_back(e.on_complete);
        by_request_.erase(e.info.request_id);
        entries_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& f : failed) {
    f(absl::DeadlineExceededError(
        "the request's KV did not arrive before its reservation expired"));
  }
  return out;
}

int32_t ReservationTable::size() const {
  MutexLock lock(&mu_);
  return static_cast<int32_t>(entries_.size());
}

}  // namespace weft::decode
