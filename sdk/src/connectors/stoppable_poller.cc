#include "connectors/stoppable_poller.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <system_error>
#include <utility>

namespace inlet::internal {

void StoppablePoller::Signal::operator()() const {
  const uint64_t one = 1;
  // Fails only when the counter is saturated, and then it is readable anyway.
  [[maybe_unused]] const ssize_t written = ::write(eventfd, &one, sizeof(one));
}

StoppablePoller::StoppablePoller(std::stop_token stop) : stop_(std::move(stop)) {
  wakeup_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wakeup_.valid()) throw std::system_error(errno, std::generic_category(), "eventfd");
  on_stop_.emplace(stop_, Signal{wakeup_.get()});
}

bool StoppablePoller::Wait(std::span<pollfd> fds) {
  polled_.assign(fds.begin(), fds.end());
  polled_.push_back({.fd = wakeup_.get(), .events = POLLIN, .revents = 0});
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
