// Lets a subject's thread block in `poll()` on its file descriptors and still
// return at once when a stop is requested: a wake fd, signalled by a
// `std::stop_callback` on the stop token, is polled with them. No timeouts.
//
// One poller belongs to one thread (the subject's); the stop may be
// requested from any thread.

#ifndef INLET_SRC_CONNECTORS_STOPPABLE_POLLER_H_
#define INLET_SRC_CONNECTORS_STOPPABLE_POLLER_H_

#include <poll.h>

#include <optional>
#include <span>
#include <stop_token>
#include <vector>

#include "wake_fd.h"

namespace inlet::internal {

class StoppablePoller {
 public:
  // Throws std::system_error when no wake fd can be made.
  explicit StoppablePoller(std::stop_token stop);
  StoppablePoller(const StoppablePoller&) = delete;
  StoppablePoller& operator=(const StoppablePoller&) = delete;

  // Blocks until an event of `fds` is ready (their `revents` are then set)
  // and returns true, or until a stop is requested and returns false, also
  // when the stop came first. Throws std::system_error when poll fails.
  bool Wait(std::span<pollfd> fds);

 private:
  struct Signal {
    const WakeFd* wake;
    void operator()() const { wake->Signal(); }
  };

  std::stop_token stop_;
  WakeFd wake_;
  std::vector<pollfd> polled_;
  // Declared last: it is unregistered before the wake fd is closed.
  std::optional<std::stop_callback<Signal>> on_stop_;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_CONNECTORS_STOPPABLE_POLLER_H_
