// POSIX shared-memory objects (shm_open, /dev/shm) as the KV data plane uses
// them: objects a process creates under a random name and owns until it
// unlinks them, and read-only views of objects another process created.
// Names are a fixed prefix and 32 random hex digits, and only names of that
// form are ever opened or unlinked for a peer, so that a name received over
// the network cannot reach any other object.
#ifndef WEFT_COMMON_KV_TRANSFER_SHM_OBJECT_H_
#define WEFT_COMMON_KV_TRANSFER_SHM_OBJECT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::kv_transfer {

// Name prefixes: a decode instance's same-host probe and a KV segment.
inline constexpr char kShmProbePrefix[] = "/weft-probe-";
inline constexpr char kShmKvSegmentPrefix[] = "/weft-kv-";

// `n` bytes from the kernel's random source (getrandom).
std::string RandomBytes(size_t n);

// InvalidArgument, naming `field`, unless `name` is `prefix` followed by
// exactly 32 lowercase hex digits.
absl::Status CheckShmName(absl::string_view name, absl::string_view prefix,
                          absl::string_view field);

// Removes the name `name`; OK if it is already gone. Mappings of the object
// stay valid until unmapped.
absl::Status UnlinkShm(const std::string& name);

// A shared-memory object this process created, mode 0600, with a fresh
// name. The destructor closes it and unlinks the name (if still there), so
// an owned object never outlives its owner's scope. Movable, not copyable.
class OwnedShmObject {
 public:
  // Creates an empty object named `prefix` + 32 random hex digits
  // (O_CREAT|O_EXCL). ResourceExhausted when out of descriptors, Internal
  // or PermissionDenied when /dev/shm is not usable.
  static absl::StatusOr<OwnedShmObject> Create(absl::string_view prefix);

  OwnedShmObject(OwnedShmObject&& other) noexcept { *this = std::move(other); }
  OwnedShmObject& operator=(OwnedShmObject&& other) noexcept;
  ~OwnedShmObject() { Close(); }

  const std::string& name() const { return name_; }

  // Sets the object's size to `bytes`, allocating the memory now:
  // ResourceExhausted if /dev/shm cannot hold it (rather than a SIGBUS when
  // the memory is touched later).
  absl::Status Allocate(uint64_t bytes);

  // Writes `data` at `offset` (within the allocated size).
  absl::Status Write(uint64_t offset, absl::string_view data);

  // Closes and unlinks now; idempotent.
  void Close();

 private:
  OwnedShmObject(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}

  std::string name_;
  int fd_ = -1;
};

// A read-only mapping of a whole shared-memory object created elsewhere.
// Movable, not copyable; unmapped when destroyed. The creator must not shrink
// the object while it is mapped (reading past its new end raises SIGBUS); the
// objects weft creates never shrink.
class ShmView {
 public:
  // Maps the object `name` read-only. NotFound if there is none,
  // PermissionDenied if this process may not read it.
  static absl::StatusOr<ShmView> Open(const std::string& name);

  ShmView(ShmView&& other) noexcept { *this = std::move(other); }
  ShmView& operator=(ShmView&& other) noexcept;
  ~ShmView();

  // The object's bytes, as large as it was when opened.
  absl::string_view bytes() const {
    return absl::string_view(static_cast<const char*>(data_), size_);
  }

 private:
  ShmView(const void* data, size_t size) : data_(data), size_(size) {}

  const void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_SHM_OBJECT_H_
