// Decode's KV reservations: for each request, the blocks reserved in the
// engine for its prompt, which of them have arrived, and when the
// reservation expires if the request never starts. Thread-safe; the gRPC
// reactions of ReserveKv, PushKv and Generate meet here.
#ifndef WEFT_DECODE_RESERVATION_TABLE_H_
#define WEFT_DECODE_RESERVATION_TABLE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"

namespace weft::decode {

struct ReservationInfo {
  uint64_t id = 0;  // also the engine's sequence id
  std::string request_id;
  int32_t prompt_tokens = 0;
  int32_t num_blocks = 0;
};

class ReservationTable {
 public:
  // AlreadyExists for a request id with a live reservation.
  absl::StatusOr<ReservationInfo> Add(const std::string& request_id, int32_t prompt_tokens,
                                      int32_t num_blocks, absl::Time deadline);

  absl::StatusOr<ReservationInfo> Get(uint64_t id) const;
  absl::StatusOr<uint64_t> IdOf(const std::string& request_id) const;

  // Block `index` arrived. InvalidArgument outside the reservation;
  // NotFound for an unknown id. Runs the completion callback (once) when the
  // last block arrives.
  absl::Status MarkWritten(uint64_t id, int32_t index);

  // Calls `on_complete(OK)` once every block has arrived (at once if they
  // have), or `on_complete(DeadlineExceeded)` if the reservation expires
  // first. NotFound if unknown, FailedPrecondition if already started.
  absl::Status StartWhenComplete(uint64_t id, std::function<void(absl::Status)> on_complete);

  // Forgets a reservation (finished, cancelled or failed); returns whether it
  // existed.
  bool Remove(uint64_t id);

  // Removes and returns the reservations past their deadline that have not
  // started or whose KV has not all arrived (a started one's completion gets
  // DeadlineExceeded). A started, complete reservation is the caller's to
  // Remove once its sequence runs.
  std::vector<ReservationInfo> TakeExpired(absl::Time now);

  int32_t size() const;

 private:
  struct Entry {
    ReservationInfo info;
    std::vector<bool> written;
    int32_t num_written = 0;
    absl::Time deadline;
    bool started = false;
    std::function<void(absl::Status)> on_complete;
  };

  mutable Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> by_request_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::decode

#endif  // WEFT_DECODE_RESERVATION_TABLE_H_
