// weft::Notification: a one-shot event (absl::Notification's contract). Built
// on std::mutex and std::condition_variable, which ThreadSanitizer sees
// through its pthread interceptors (Debian's absl::Notification it cannot:
// see mutex.h).
#ifndef WEFT_COMMON_BASE_NOTIFICATION_H_
#define WEFT_COMMON_BASE_NOTIFICATION_H_

#include <condition_variable>
#include <mutex>

namespace weft {

class Notification {
 public:
  Notification() = default;
  Notification(const Notification&) = delete;
  Notification& operator=(const Notification&) = delete;

  // Wakes every waiter, now and later. Call at most once.
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }

  // Blocks until Notify() has been called.
  void WaitForNotification() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return notified_; });
  }

  bool HasBeenNotified() {
    std::lock_guard<std::mutex> lock(mu_);
    return notified_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

}  // namespace weft

#endif  // WEFT_COMMON_BASE_NOTIFICATION_H_
