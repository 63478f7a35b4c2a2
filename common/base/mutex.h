// weft::Mutex: absl::Mutex with ThreadSanitizer annotations.
//
// Debian's Abseil is built without ThreadSanitizer, so TSan cannot see
// absl::Mutex acquire and release: every field it guards would look racy
// and real races could hide among the false reports. This wrapper tells TSan
// about each lock and unlock (the __tsan_mutex_* interface), so weft's own
// code is checked for real. Outside TSan builds the annotations compile to
// nothing and this is exactly absl::Mutex. It carries clang's thread-safety
// capability attributes, so ABSL_GUARDED_BY(mu_) and friends work as usual.
//
// Use weft::Mutex and weft::MutexLock for every lock in weft code.
#ifndef WEFT_COMMON_BASE_MUTEX_H_
#define WEFT_COMMON_BASE_MUTEX_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#ifdef WEFT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace weft {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() {
#ifdef WEFT_TSAN
    __tsan_mutex_create(this, 0);
#endif
  }
  ~Mutex() {
#ifdef WEFT_TSAN
    __tsan_mutex_destroy(this, 0);
#endif
  }
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
#ifdef WEFT_TSAN
    __tsan_mutex_pre_lock(this, 0);
#endif
    mu_.Lock();
#ifdef WEFT_TSAN
    __tsan_mutex_post_lock(this, 0, 0);
#endif
  }

  void Unlock() ABSL_UNLOCK_FUNCTION() {
#ifdef WEFT_TSAN
    __tsan_mutex_pre_unlock(this, 0);
#endif
    mu_.Unlock();
#ifdef WEFT_TSAN
    __tsan_mutex_post_unlock(this, 0);
#endif
  }

  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
#ifdef WEFT_TSAN
    __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
#endif
    mu_.ReaderLock();
#ifdef WEFT_TSAN
    __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
#endif
  }

  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() {
#ifdef WEFT_TSAN
    __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
#endif
    mu_.ReaderUnlock();
#ifdef WEFT_TSAN
    __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
#endif
  }

  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() { mu_.AssertHeld(); }

 private:
  absl::Mutex mu_;
};

// Holds `mu` exclusively for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Holds `mu` shared for its scope.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace weft

#endif  // WEFT_COMMON_BASE_MUTEX_H_
