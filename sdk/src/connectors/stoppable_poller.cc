#include "connectors/stoppable_poller.h"

#include <errno.h>

#include <system_error>
#include <utility>

namespace inlet::internal {

StoppablePoller::StoppablePoller(std::stop_token stop) : stop_(std::move(stop)) {
  on_stop_.emplace(stop_, Signal{&wake_});
}

bool StoppablePoller::Wait(std::span<pollfd> fds) {
  polled_.assign(fds.begin(), fds.end());
  polled_.push_back({.fd = wake_.fd(), .events = POLLIN, .revents = 0});
  while (!stop_.stop_requested()) {
    if (::poll(polled_.data(), polled_.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (polled_.back().revents != 0) continue;  // The stop; the loop condition sees it.
    for (size_t i = 0; i < fds.size(); ++i) fds[i].revents = polled_[i].revents;
    return true;
  }
  return false;
}

}  // namespace inlet::internal
