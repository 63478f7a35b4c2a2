#include "router/http/event_loop.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/notification.h"
#include "common/logging/log.h"

namespace weft::router::http {
namespace {

constexpr int kMaxEventsPerWait = 256;

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Start(const std::string& name) {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", strerror(errno)));
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    const int err = errno;
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(err)));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = 0;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &event) != 0) {
    const int err = errno;
    close(wake_fd);
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("epoll_ctl(eventfd): ", strerror(err)));
  }
  std::unique_ptr<EventLoop> loop(new EventLoop(epoll_fd, wake_fd));
  weft::Notification started;
  EventLoop* raw = loop.get();
  const std::string thread_name = name.substr(0, 15);
  loop->thread_ = std::thread([raw, &started, thread_name] {
    pthread_setname_np(pthread_self(), thread_name.c_str());
    raw->loop_thread_id_ = std::this_thread::get_id();
    started.Notify();
    raw->Loop();
  });
  started.WaitForNotification();
  return loop;
}

EventLoop::EventLoop(int epoll_fd, int wake_fd) : epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}

EventLoop::~EventLoop() {
  Stop();
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Stop() {
  WEFT_CHECK(!InLoopThread()) << "EventLoop::Stop called from its own thread";
  {
    weft::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
}

bool EventLoop::RunInLoop(std::function<void()> task) {
  bool wake;
  {
    weft::MutexLock lock(&mu_);
    if (stopping_) return false;
    wake = tasks_.empty();
    tasks_.push_back(std::move(task));
  }
  if (wake) {
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
  return true;
}

absl::StatusOr<EventLoop::WatchId> EventLoop::Watch(int fd, uint32_t events,
                                                    std::function<void(uint32_t)> callback) {
  WEFT_CHECK(InLoopThread());
  const WatchId id = next_id_++;
  epoll_event event{};
  event.events = events;
  event.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl(ADD ", fd, "): ", strerror(errno)));
  }
  watchers_[id] = std::make_unique<Watcher>(Watcher{fd, std::move(callback)});
  return id;
}

void EventLoop::Unwatch(WatchId id) {
  WEFT_CHECK(InLoopThread());
  auto it = watchers_.find(id);
  if (it == watchers_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second->fd, nullptr);
  retired_watchers_.push_back(std::move(it->second));
  watchers_.erase(it);
}

EventLoop::TimerId EventLoop::RunAt(absl::Time when, std::function<void()> callback) {
  WEFT_CHECK(InLoopThread());
  const TimerId id = next_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(callback));
  timer_deadlines_[id] = when;
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  WEFT_CHECK(InLoopThread());
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return;
  // Destroyed outside the containers, in case its destructor re-enters.
  std::function<void()> callback;
  auto timer = timers_.find(std::make_pair(it->second, id));
  if (timer != timers_.end()) {
    callback = std::move(timer->second);
    timers_.erase(timer);
  }
  timer_deadlines_.erase(it);
}

void EventLoop::Loop() {
  epoll_event events[kMaxEventsPerWait];
  while (true) {
    int timeout_ms = -1;
    if (!timers_.empty()) {
      const absl::Duration until = timers_.begin()->first.first - absl::Now();
      timeout_ms = until <= absl::ZeroDuration()
                       ? 0
                       : static_cast<int>(std::min<double>(
                             std::ceil(absl::ToDoubleMilliseconds(until)), 1 << 30));
    }
    const int n = epoll_wait(epoll_fd_, events, kMaxEventsPerWait, timeout_ms);
    if (n < 0 && errno != EINTR) {
      WEFT_LOG(FATAL) << "epoll_wait: " << strerror(errno);
    }
    bool tasks_ready = false;
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == 0) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof(count));
        tasks_ready = true;
        continue;
      }
      auto it = watchers_.find(id);
      if (it == watchers_.end()) continue;  // unwatched earlier in this batch
      Watcher* watcher = it->second.get();
      watcher->callback(events[i].events);
    }
    retired_watchers_.clear();
    if (tasks_ready && !RunTasks()) break;
    RunTimers();
    retired_watchers_.clear();
  }
}

bool EventLoop::RunTasks() {
  std::vector<std::function<void()>> tasks;
  bool stopping;
  {
    weft::MutexLock lock(&mu_);
    tasks.swap(tasks_);
    stopping = stopping_;
  }
  for (std::function<void()>& task : tasks) {
    task();
    task = nullptr;  // release captures now, in order
  }
  retired_watchers_.clear();
  return !stopping;
}

void EventLoop::RunTimers() {
  const absl::Time now = absl::Now();
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_deadlines_.erase(node.key().second);
    node.mapped()();
  }
}

}  // namespace weft::router::http
