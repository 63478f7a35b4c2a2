#include "common/kv_transfer/shm_object.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace weft::kv_transfer {
namespace {

constexpr size_t kNameRandomBytes = 16;  // 32 hex digits

absl::Status ErrnoStatus(int error, absl::string_view what) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
    case EFBIG:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  size_t filled = 0;
  while (filled < n) {
    const ssize_t got = getrandom(bytes.data() + filled, n - filled, 0);
    if (got > 0) filled += static_cast<size_t>(got);
    // EINTR: try again. getrandom cannot otherwise fail for a valid buffer.
  }
  return bytes;
}

absl::Status CheckShmName(absl::string_view name, absl::string_view prefix,
                          absl::string_view field) {
  bool ok = absl::StartsWith(name, prefix) && name.size() == prefix.size() + 2 * kNameRandomBytes;
  for (size_t i = prefix.size(); ok && i < name.size(); ++i) {
    const char c = name[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " \"", absl::CEscape(name), "\" is not ",
                                                 prefix, " followed by 32 hex digits"));
}

absl::Status UnlinkShm(const std::string& name) {
  if (shm_unlink(name.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  return ErrnoStatus(errno, absl::StrCat("shm_unlink ", name));
}

absl::StatusOr<OwnedShmObject> OwnedShmObject::Create(absl::string_view prefix) {
  for (int attempt = 0;; ++attempt) {
    std::string name = absl::StrCat(prefix, absl::BytesToHexString(RandomBytes(kNameRandomBytes)));
    const int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return OwnedShmObject(std::move(name), fd);
    // A collision of 128 random bits means a broken random source: give up.
    if (errno != EEXIST || attempt >= 3) {
      return ErrnoStatus(errno, absl::StrCat("shm_open ", name));
    }
  }
}

OwnedShmObject& OwnedShmObject::operator=(OwnedShmObject&& other) noexcept {
  if (this != &other) {
    Close();
    name_ = std::move(other.name_);
    fd_ = std::exchange(other.fd_, -1);
    other.name_.clear();
  }
  return *this;
}

absl::Status OwnedShmObject::Allocate(uint64_t bytes) {
  if (fd_ < 0) return absl::FailedPreconditionError("shared-memory object closed");
  if (bytes == 0) return absl::OkStatus();
  // posix_fallocate returns the error instead of setting errno.
  if (const int error = posix_fallocate(fd_, 0, static_cast<off_t>(bytes)); error != 0) {
    return ErrnoStatus(error, absl::StrCat("allocating ", bytes, " bytes for ", name_));
  }
  return absl::OkStatus();
}

absl::Status OwnedShmObject::Write(uint64_t offset, absl::string_view data) {
  if (fd_ < 0) return absl::FailedPreconditionError("shared-memory object closed");
  while (!data.empty()) {
    const ssize_t n = pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, absl::StrCat("writing ", name_, " at ", offset));
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

void OwnedShmObject::Close() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (!name_.empty()) {
    (void)UnlinkShm(name_);
    name_.clear();
  }
}

absl::StatusOr<ShmView> ShmView::Open(const std::string& name) {
  const int fd = shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("shm_open ", name));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int error = errno;
    close(fd);
    return ErrnoStatus(error, absl::StrCat("fstat ", name));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* data = nullptr;
  if (size > 0) {
    data = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED) {
      const int error = errno;
      close(fd);
      return ErrnoStatus(error, absl::StrCat("mmap ", size, " bytes of ", name));
    }
  }
  close(fd);  // the mapping keeps the object
  return ShmView(data, size);
}

ShmView& ShmView::operator=(ShmView&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) munmap(const_cast<void*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

ShmView::~ShmView() {
  if (data_ != nullptr) munmap(const_cast<void*>(data_), size_);
}

}  // namespace weft::kv_transfer
