// Owns a file descriptor and closes it once, when it goes out of scope.

#ifndef INLET_SRC_CONNECTORS_UNIQUE_FD_H_
#define INLET_SRC_CONNECTORS_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace inlet::internal {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership: returns the descriptor without closing it.
  int Release() { return std::exchange(fd_, -1); }
  // Closes the descriptor held, if any, and holds `fd` instead.
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_CONNECTORS_UNIQUE_FD_H_
