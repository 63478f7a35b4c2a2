#include "tests/loadgen/load_runner.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/loadgen/sse_client.h"

namespace weft::loadgen {
namespace {

// Longest single wait, so that a stuck loop still notices deadlines.
constexpr int kMaxWaitMs = 1000;

struct InFlight {
  std::unique_ptr<SseClient> client;
  Clock::time_point deadline;
  uint32_t registered_events = 0;
};

Clock::duration Seconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

class Loop {
 public:
  Loop(int epoll_fd, const ServerAddress& address, const std::vector<PlannedRequest>& requests,
       const LoadOptions& options)
      : epoll_fd_(epoll_fd), address_(address), requests_(requests), options_(options) {
    result_.results.resize(requests.size());
  }

  absl::StatusOr<LoadResult> Run() {
    start_ = Clock::now();
    last_end_ = start_;
    while (finished_ < requests_.size()) {
      LaunchDue();
      if (finished_ == requests_.size()) break;
      const int n = epoll_wait(epoll_fd_, events_, kMaxEvents, WaitMs());
      if (n < 0 && errno != EINTR) {
        return absl::InternalError(absl::StrCat("epoll_wait: ", std::strerror(errno)));
      }
      for (int i = 0; i < n; ++i) OnEvent(events_[i]);
      ExpireDeadlines();
    }
    result_.duration_s = std::chrono::duration<double>(last_end_ - start_).count();
    return std::move(result_);
  }

 private:
  static constexpr int kMaxEvents = 256;

  bool HasSlot() const {
    return options_.max_concurrency <= 0 ||
           in_flight_.size() < static_cast<size_t>(options_.max_concurrency);
  }
  Clock::time_point DueAt(size_t index) const {
    return start_ + Seconds(requests_[index].send_at_s);
  }

  void LaunchDue() {
    while (next_ < requests_.size() && HasSlot() && DueAt(next_) <= Clock::now()) {
      const size_t index = next_++;
      const PlannedRequest& request = requests_[index];
      InFlight flight;
      flight.client = std::make_unique<SseClient>(
          options_.kind, request.prompt_len,
          FormatPostRequest(address_, ApiPath(options_.kind), request.body, options_.api_key));
      const Clock::time_point now = Clock::now();
      flight.client->Start(address_, now);
      flight.deadline = now + Seconds(options_.timeout_s);
      if (!flight.client->done()) {
        epoll_event event = {};
        event.events = flight.client->wanted_events();
        event.data.u64 = index;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, flight.client->fd(), &event) == 0) {
          flight.registered_events = event.events;
        } else {
          flight.client->Fail(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
        }
      }
      if (flight.client->done()) {
        Finish(index, flight);
      } else {
        in_flight_.emplace(index, std::move(flight));
      }
    }
  }

  // Milliseconds until the next arrival that can be sent or the next
  // deadline, rounded up.
  int WaitMs() const {
    Clock::time_point wake = Clock::time_point::max();
    if (next_ < requests_.size() && HasSlot()) wake = DueAt(next_);
    for (const auto& [index, flight] : in_flight_) wake = std::min(wake, flight.deadline);
    if (wake == Clock::time_point::max()) return kMaxWaitMs;
    const auto wait = wake - Clock::now();
    if (wait <= Clock::duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
    return static_cast<int>(std::min<int64_t>(ms, kMaxWaitMs));
  }

  void OnEvent(const epoll_event& event) {
    auto it = in_flight_.find(static_cast<size_t>(event.data.u64));
    if (it == in_flight_.end()) return;
    InFlight& flight = it->second;
    flight.client->OnReady(event.events);
    if (flight.client->done()) {
      Finish(it->first, flight);
      in_flight_.erase(it);
      return;
    }
    const uint32_t wanted = flight.client->wanted_events();
    if (wanted != flight.registered_events) {
      epoll_event modified = {};
      modified.events = wanted;
      modified.data.u64 = it->first;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, flight.client->fd(), &modified) == 0) {
        flight.registered_events = wanted;
      } else {
        flight.client->Fail(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
        Finish(it->first, flight);
        in_flight_.erase(it);
      }
    }
  }

  void ExpireDeadlines() {
    const Clock::time_point now = Clock::now();
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      it->second.client->Fail(absl::StrCat("timed out after ", options_.timeout_s, " s"));
      Finish(it->first, it->second);
      it = in_flight_.erase(it);
    }
  }

  void Finish(size_t index, InFlight& flight) {
    if (flight.registered_events != 0) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, flight.client->fd(), nullptr);
    }
    result_.results[index] = flight.client->TakeResult();
    last_end_ = Clock::now();
    ++finished_;
  }

  const int epoll_fd_;
  const ServerAddress& address_;
  const std::vector<PlannedRequest>& requests_;
  const LoadOptions& options_;
  Clock::time_point start_;
  Clock::time_point last_end_;
  size_t next_ = 0;      // the next request to send
  size_t finished_ = 0;  // requests with an outcome
  std::map<size_t, InFlight> in_flight_;
  epoll_event events_[kMaxEvents];
  LoadResult result_;
};

}  // namespace

absl::StatusOr<LoadResult> RunLoad(const ServerAddress& address,
                                   const std::vector<PlannedRequest>& requests,
                                   const LoadOptions& options) {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0)
    return absl::InternalError(absl::StrCat("epoll_create1: ", std::strerror(errno)));
  absl::StatusOr<LoadResult> result = Loop(epoll_fd, address, requests, options).Run();
  close(epoll_fd);
  return result;
}

}  // namespace weft::loadgen
