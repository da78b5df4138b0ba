#include "wake_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <system_error>

#if defined(__linux__)
#include <sys/eventfd.h>
#endif

namespace inlet::internal {
namespace {

#if !defined(__linux__)
// Signals queued in the pipe, taken this many at a time.
constexpr size_t kDrainBytes = 64;

void SetNonBlockingAndCloseOnExec(int fd) {
  const int status = ::fcntl(fd, F_GETFL);
  if (status < 0 || ::fcntl(fd, F_SETFL, status | O_NONBLOCK) != 0 ||
      ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "wake fd: fcntl");
  }
}
#endif

}  // namespace

WakeFd::WakeFd() {
#if defined(__linux__)
  read_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (read_fd_ < 0) throw std::system_error(errno, std::generic_category(), "wake fd: eventfd");
  write_fd_ = read_fd_;
#else
  int fds[2];
  if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "wake fd: pipe");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  try {
    SetNonBlockingAndCloseOnExec(read_fd_);
    SetNonBlockingAndCloseOnExec(write_fd_);
  } catch (...) {
    ::close(read_fd_);
    ::close(write_fd_);
    throw;
  }
#endif
}

WakeFd::~WakeFd() {
  ::close(read_fd_);
  if (write_fd_ != read_fd_) ::close(write_fd_);
}

void WakeFd::Signal() const {
  const int saved = errno;
  // An eventfd takes an 8-byte increment; a pipe any byte. Fails only with
  // EAGAIN (the counter saturated or the pipe full: readable already) or
  // EINTR before anything was written, which a retry covers.
#if defined(__linux__)
  const uint64_t one = 1;
#else
  const char one = 1;
#endif
  while (::write(write_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
  errno = saved;
}

void WakeFd::Drain() const {
  // Reading stops at EAGAIN (nothing left) and retries EINTR.
#if defined(__linux__)
  // One read takes the counter and zeroes it.
  uint64_t count = 0;
  while (::read(read_fd_, &count, sizeof(count)) < 0 && errno == EINTR) {
  }
#else
  // A short read emptied the pipe; a signal after it keeps it readable.
  char buffer[kDrainBytes];
  while (true) {
    const ssize_t read = ::read(read_fd_, buffer, sizeof(buffer));
    if (read == static_cast<ssize_t>(sizeof(buffer)) || (read < 0 && errno == EINTR)) continue;
    return;
  }
#endif
}

}  // namespace inlet::internal
