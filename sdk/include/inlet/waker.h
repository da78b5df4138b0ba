// A `Waker` makes one partition due now, from any thread. A source whose data
// arrives elsewhere (a client library's callback, a subject's commit, a file
// watcher) returns `absl::InfiniteFuture()` from `NextAwake` when it has
// nothing, and calls `Wake()` when it has: its worker then polls it at once,
// instead of polling it on a timer.
//
// Thread-safety: `Wake` may be called from any thread, concurrently, at any
// time, including before the partition is first polled and after the run
// ended (then it does nothing). It never blocks on the worker. Wakes that
// come before the worker reaches the partition coalesce into one poll.

#ifndef INLET_WAKER_H_
#define INLET_WAKER_H_

#include <memory>
#include <utility>

namespace inlet {
namespace internal {

// What a `Waker` wakes: in the runtime, a partition's "woken" flag and its
// worker's signal; elsewhere, whatever drives the source.
class WakeTarget {
 public:
  virtual ~WakeTarget() = default;
  virtual void Wake() = 0;
};

}  // namespace internal

class Waker {
 public:
  // A waker that wakes nothing, as a source holds before it is bound.
  Waker() = default;
  // For runtimes and adapters that drive sources; connectors get their
  // waker from `waker()`.
  explicit Waker(std::shared_ptr<internal::WakeTarget> target) : target_(std::move(target)) {}

  // Makes the partition due now: its worker polls it as soon as the poll in
  // progress (if any) returns.
  void Wake() const {
    if (target_ != nullptr) target_->Wake();
  }

 private:
  std::shared_ptr<internal::WakeTarget> target_;
};

namespace internal {

// What every source has in common with respect to the runtime: the waker it
// is bound to. Connector authors use `waker()` through `StatefulSource` and
// `StatelessSource`.
class WakeableSource {
 public:
  WakeableSource() = default;
  WakeableSource(const WakeableSource&) = delete;
  WakeableSource& operator=(const WakeableSource&) = delete;
  virtual ~WakeableSource() = default;

  // Gives the source its waker. Called by the runtime once, after the
  // source is built and before its first `NextAwake`. A source that wraps
  // another overrides it to pass the waker on (and calls this one); no
  // other connector code calls it.
  virtual void BindWaker(Waker waker) { waker_ = std::move(waker); }

 protected:
  // This partition's waker: copy it to any thread and call `Wake()` when
  // data is ready. Bound before the first `NextAwake`; before that (in the
  // constructor) it wakes nothing, so take it in `NextAwake` or `NextBatch`.
  const Waker& waker() const { return waker_; }

 private:
  Waker waker_;
};

}  // namespace internal
}  // namespace inlet

#endif  // INLET_WAKER_H_
