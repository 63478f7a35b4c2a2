// Writes KV blocks received from prefill into their reservation, whichever
// transport brought them (PushKv's chunks, PushKvShm's segment): the block
// is queued for the engine's thread and then marked written, so that a
// Generate waiting for the reservation starts behind the last write. Counts
// the bytes and blocks received, by transport
// (weft_kv_transfer_received_{bytes,blocks}_total{transport}). Thread-safe.
#ifndef WEFT_DECODE_KV_BLOCK_WRITER_H_
#define WEFT_DECODE_KV_BLOCK_WRITER_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/engine/serving/engine_instance.h"
#include "common/kv_transfer/kv_transport.h"
#include "decode/reservation_table.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "proto/kv_transfer.pb.h"

namespace weft::decode {

class KvBlockWriter {
 public:
  // `engine`, `reservations` and `registry` outlive the writer; `layout` is
  // the instance's own.
  KvBlockWriter(engine::EngineInstance& engine, ReservationTable& reservations,
                const weft::v1::KvBlockLayout& layout, prometheus::Registry& registry);

  // InvalidArgument, naming both, unless a sender's `layout` is this
  // instance's.
  absl::Status CheckLayout(const weft::v1::KvBlockLayout& layout) const;

  // Writes block `index` (`data`, layout.bytes_per_block long) of the
  // reservation `info`. InvalidArgument for an index outside it, NotFound
  // once it is gone.
  absl::Status Write(const ReservationInfo& info, uint32_t index, std::string data,
                     kv_transfer::KvTransport transport);

 private:
  struct Counters {
    prometheus::Counter* bytes = nullptr;
    prometheus::Counter* blocks = nullptr;
  };

  engine::EngineInstance& engine_;
  ReservationTable& reservations_;
  const weft::v1::KvBlockLayout layout_;
  std::array<Counters, kv_transfer::kKvTransports.size()> counters_;  // by KvTransport
};

}  // namespace weft::decode

#endif  // WEFT_DECODE_KV_BLOCK_WRITER_H_
