#include "decode/kv_block_writer.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/kv_transfer/block_layout.h"
#include "common/logging/log.h"

namespace weft::decode {

KvBlockWriter::KvBlockWriter(engine::EngineInstance& engine, ReservationTable& reservations,
                             const weft::v1::KvBlockLayout& layout, prometheus::Registry& registry)
    : engine_(engine), reservations_(reservations), layout_(layout) {
  auto& bytes = prometheus::BuildCounter()
                    .Name("weft_kv_transfer_received_bytes_total")
                    .Help("KV bytes received from prefill instances, by transport")
                    .Register(registry);
  auto& blocks = prometheus::BuildCounter()
                     .Name("weft_kv_transfer_received_blocks_total")
                     .Help("KV blocks received from prefill instances, by transport")
                     .Register(registry);
  for (kv_transfer::KvTransport transport : kv_transfer::kKvTransports) {
    const std::string name(kv_transfer::KvTransportName(transport));
    counters_[static_cast<size_t>(transport)] = {.bytes = &bytes.Add({{"transport", name}}),
                                                 .blocks = &blocks.Add({{"transport", name}})};
  }
}

absl::Status KvBlockWriter::CheckLayout(const weft::v1::KvBlockLayout& layout) const {
  if (kv_transfer::SameLayout(layout, layout_)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("KV layout ", kv_transfer::LayoutString(layout),
                                                 " differs from this instance's ",
                                                 kv_transfer::LayoutString(layout_)));
}

absl::Status KvBlockWriter::Write(const ReservationInfo& info, uint32_t index, std::string data,
                                  kv_transfer::KvTransport transport) {
  if (index >= static_cast<uint32_t>(info.num_blocks)) {
    return absl::InvalidArgumentError(absl::StrCat("block ", index, " outside reservation ",
                                                   info.id, " of ", info.num_blocks, " blocks"));
  }
  const uint64_t reservation = info.id;
  const uint64_t bytes = data.size();
  const int32_t block = static_cast<int32_t>(index);
  auto shared = std::make_shared<std::string>(std::move(data));
  engine_.loop->Post([reservation, block, shared](engine::ModelExecutor& ex) {
    const absl::Status s =
        ex.WriteKv(engine::SequenceId(static_cast<int64_t>(reservation)), block, *shared);
    // A reservation cancelled meanwhile is NotFound: nothing to write into.
    if (!s.ok() && s.code() != absl::StatusCode::kNotFound) {
      WEFT_LOG(ERROR) << "writing KV block " << block << " of reservation " << reservation << ": "
                      << s;
    }
  });
  const Counters& counters = counters_[static_cast<size_t>(transport)];
  counters.bytes->Increment(static_cast<double>(bytes));
  counters.blocks->Increment();
  // After the write is queued: a waiting Generate starts behind it.
  return reservations_.MarkWritten(reservation, block);
}

}  // namespace weft::decode
