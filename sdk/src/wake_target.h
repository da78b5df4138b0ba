// What a `Waker` points at in the runtime: one partition's "woken" flag and
// the signal of the worker that owns it. The worker sleeps on its signal until its
// earliest due partition, a wake, an epoch request or an error.

#ifndef INLET_SRC_WAKE_TARGET_H_
#define INLET_SRC_WAKE_TARGET_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/time/time.h"
#include "inlet/waker.h"

namespace inlet::internal {

// One per worker. `Notify` may be called from any thread.
class WorkerSignal {
 public:
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      notified_ = true;
    }
    condition_.notify_one();
  }

  // Returns at `deadline` or once notified (at once when a notification came
  // since the last wait), clears the notification and says whether there
  // was one.
  bool WaitUntil(absl::Time deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (deadline == absl::InfiniteFuture()) {
      condition_.wait(lock, [&] { return notified_; });
    } else {
      condition_.wait_until(lock, absl::ToChronoTime(deadline), [&] { return notified_; });
    }
    return std::exchange(notified_, false);
  }

 private:
  std::mutex mutex_;
  std::condition_variable condition_;
  bool notified_ = false;
};

class PartitionWake final : public WakeTarget {
 public:
  explicit PartitionWake(std::shared_ptr<WorkerSignal> worker) : worker_(std::move(worker)) {}

  // Marks the partition woken and, unless it already was, notifies its
  // worker. A worker that takes the flag before sleeping never misses a
  // wake: the flag is set before the notification is sent.
  void Wake() override {
    if (!woken_.exchange(true, std::memory_order_acq_rel)) worker_->Notify();
  }

  // On the worker: whether the partition was woken since the last call.
  bool TakeWoken() {
    return woken_.load(std::memory_order_relaxed) &&
           woken_.exchange(false, std::memory_order_acq_rel);
  }

 private:
  std::atomic<bool> woken_{false};
  const std::shared_ptr<WorkerSignal> worker_;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_WAKE_TARGET_H_
