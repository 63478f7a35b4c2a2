// EventLoop: one thread running epoll over non-blocking file descriptors, with
// timers and a cross-thread task queue woken through an eventfd. The HTTP
// server runs a small fixed number of these and multiplexes every connection
// over them (no thread per connection).
//
// Threading: RunInLoop() may be called from any thread; everything else
// (Watch, Unwatch, RunAt, CancelTimer) only from the loop's own thread, i.e.
// from inside a callback or task. Callbacks must not block.
#ifndef WEFT_ROUTER_HTTP_EVENT_LOOP_H_
#define WEFT_ROUTER_HTTP_EVENT_LOOP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"

namespace weft::router::http {

class EventLoop {
 public:
  using WatchId = uint64_t;
  using TimerId = uint64_t;  // 0 is never a valid id

  // Creates the epoll instance and starts the loop thread, named `name`
  // (at most 15 characters are kept).
  static absl::StatusOr<std::unique_ptr<EventLoop>> Start(const std::string& name);

  // Stops the loop (see Stop) and closes its descriptors. Watched descriptors
  // are not closed: they belong to whoever watched them.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Ends the loop after its current iteration and joins the thread; tasks
  // queued before Stop still run, later ones are refused. Idempotent; must
  // not be called from the loop thread.
  void Stop();

  // Queues `task` to run on the loop thread, after earlier tasks. Returns
  // false (and destroys the task here) if the loop has been stopped.
  bool RunInLoop(std::function<void()> task);

  bool InLoopThread() const { return std::this_thread::get_id() == loop_thread_id_; }

  // Loop thread only. Adds `fd` to the epoll set with `events` (EPOLLIN,
  // EPOLLOUT, EPOLLRDHUP, EPOLLET, ...); `callback` receives the ready
  // events. Unwatch before closing the descriptor.
  absl::StatusOr<WatchId> Watch(int fd, uint32_t events, std::function<void(uint32_t)> callback);
  // Loop thread only. Removes the watch; its callback is never called again
  // (and is destroyed after the current batch of events, so a callback may
  // unwatch itself).
  void Unwatch(WatchId id);

  // Loop thread only. Runs `callback` on the loop thread at `when` (at the
  // earliest; millisecond resolution).
  TimerId RunAt(absl::Time when, std::function<void()> callback);
  // Loop thread only. A timer that already ran or was cancelled is ignored.
  void CancelTimer(TimerId id);

 private:
  struct Watcher {
    int fd;
    std::function<void(uint32_t)> callback;
  };

  EventLoop(int epoll_fd, int wake_fd);
  void Loop();
  // Runs the timers that are due.
  void RunTimers();
  // Runs the queued tasks; returns false once the loop should end.
  bool RunTasks();

  const int epoll_fd_;
  const int wake_fd_;  // eventfd; its epoll data is 0
  std::thread thread_;
  std::thread::id loop_thread_id_;  // written before the thread starts looping

  weft::Mutex mu_;
  std::vector<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Loop-thread state.
  uint64_t next_id_ = 1;
  absl::flat_hash_map<WatchId, std::unique_ptr<Watcher>> watchers_;
  std::vector<std::unique_ptr<Watcher>> retired_watchers_;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> timers_;
  absl::flat_hash_map<TimerId, absl::Time> timer_deadlines_;
};

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_EVENT_LOOP_H_
