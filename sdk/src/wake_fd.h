// A readiness file descriptor: any thread (or a signal handler) signals it,
// and a thread waiting in `poll()` on `fd()` with POLLIN wakes up. An eventfd
// on Linux, a non-blocking self-pipe elsewhere; both are close-on-exec.
//
// Signals coalesce: however many `Signal` calls happen before a `Drain`, the
// descriptor is simply readable, and one `Drain` makes it unreadable again.
// So a waiter that must not miss a wake-up drains first and then checks the
// condition it was woken for, before it polls again.
//
// Thread-safety: `Signal` may be called from any thread and from signal
// handlers, concurrently with everything but destruction. `Drain` and `fd`
// belong to the waiting thread.

#ifndef INLET_SRC_WAKE_FD_H_
#define INLET_SRC_WAKE_FD_H_

namespace inlet::internal {

class WakeFd {
 public:
  // Throws std::system_error when the descriptor(s) cannot be made.
  WakeFd();
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;
  ~WakeFd();

  // Makes `fd()` readable. Never blocks (when the pipe is full or the counter
  // saturated, the descriptor is readable already), never allocates, and is
  // async-signal-safe; errno is left as it was.
  void Signal() const;

  // Makes `fd()` unreadable again, consuming every signal so far. A `Signal`
  // that races with `Drain` either is consumed or leaves the descriptor
  // readable: it is never lost. Never blocks.
  void Drain() const;

  // The descriptor to poll for POLLIN. Owned by this object; valid until
  // destruction.
  int fd() const { return read_fd_; }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;  // The same descriptor as `read_fd_` for an eventfd.
};

}  // namespace inlet::internal

#endif  // INLET_SRC_WAKE_FD_H_
