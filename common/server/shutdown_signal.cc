#include "common/server/shutdown_signal.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "common/logging/log.h"

namespace weft {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  const sigset_t set = ShutdownSignals();
  WEFT_CHECK(pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0);
}

int WaitForShutdownSignal() {
  const sigset_t set = ShutdownSignals();
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  return signal;
}

void ExitOnSecondShutdownSignal() {
  std::thread([] {
    const int signal = WaitForShutdownSignal();
    WEFT_LOG(WARNING) << "second shutdown signal " << signal << ": exiting without drain";
    _exit(128 + signal);
  }).detach();
}

}  // namespace weft
