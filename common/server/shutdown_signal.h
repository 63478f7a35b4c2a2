// SIGTERM/SIGINT handling for service binaries, without signal handlers:
// the signals are blocked in every thread and received synchronously.
#ifndef WEFT_COMMON_SERVER_SHUTDOWN_SIGNAL_H_
#define WEFT_COMMON_SERVER_SHUTDOWN_SIGNAL_H_

namespace weft {

// Blocks SIGTERM and SIGINT in the calling thread; threads started afterwards
// inherit the mask. Call first thing in main(), before any thread exists.
void BlockShutdownSignals();

// Waits until SIGTERM or SIGINT is delivered to the process; returns it.
int WaitForShutdownSignal();

// Starts a detached thread that exits the process at once with status
// 128+signal if another SIGTERM/SIGINT arrives (an impatient operator).
void ExitOnSecondShutdownSignal();

}  // namespace weft

#endif  // WEFT_COMMON_SERVER_SHUTDOWN_SIGNAL_H_
