// How the conformance kit drives an input: through `inlet::Run` with a time
// limit and an optional stop once enough items arrived (unbounded inputs
// never end by themselves), or one source directly, polled the way the
// runtime polls it.

#ifndef INLET_TESTING_INTERNAL_CONFORMANCE_DRIVING_H_
#define INLET_TESTING_INTERNAL_CONFORMANCE_DRIVING_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/run.h"
#include "inlet/sink.h"
#include "inlet/source.h"
#include "inlet/waker.h"
#include "nlohmann/json.hpp"

namespace inlet::internal::conformance {

// A sink that forwards to another and lets the kit watch (and pace) the
// traffic; `Restore`, `Flush` and `Close` are passed through unchanged, so a
// transactional sink stays transactional.
template <class T>
class ObservedSink final : public Sink<T> {
 public:
  struct Hooks {
    std::function<void(const nlohmann::json& marker)> on_restore = nullptr;
    std::function<void(size_t items)> after_write = nullptr;
    std::function<void()> before_commit = nullptr;
    std::function<void()> before_close = nullptr;
  };

  ObservedSink(Sink<T>& inner, Hooks hooks) : inner_(inner), hooks_(std::move(hooks)) {}

  absl::Status Restore(const nlohmann::json& marker) override {
    if (hooks_.on_restore) hooks_.on_restore(marker);
    return inner_.Restore(marker);
  }
  absl::Status Write(std::span<const T> items) override {
    absl::Status written = inner_.Write(items);
    if (written.ok() && hooks_.after_write) hooks_.after_write(items.size());
    return written;
  }
  absl::Status Flush() override { return inner_.Flush(); }
  absl::StatusOr<nlohmann::json> Commit() override {
    if (hooks_.before_commit) hooks_.before_commit();
    return inner_.Commit();
  }
  absl::Status Close() override {
    if (hooks_.before_close) hooks_.before_close();
    return inner_.Close();
  }

 private:
  Sink<T>& inner_;
  Hooks hooks_;
};

// Collects every item and requests `stop` once it holds `stop_after` items
// (at once when 0, never when `std::nullopt`). Thread-safe.
template <class T>
class CollectingSink final : public Sink<T> {
 public:
  CollectingSink(std::stop_source stop, std::optional<int64_t> stop_after)
      : stop_(std::move(stop)), stop_after_(stop_after) {
    if (stop_after_ == 0) stop_.request_stop();
  }

  absl::Status Write(std::span<const T> items) override {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.insert(items_.end(), items.begin(), items.end());
    if (stop_after_.has_value() && static_cast<int64_t>(items_.size()) >= *stop_after_) {
      stop_.request_stop();
    }
    return absl::OkStatus();
  }
  std::vector<T> items() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }

 private:
  std::stop_source stop_;
  const std::optional<int64_t> stop_after_;
  mutable std::mutex mutex_;
  std::vector<T> items_;
};

// Requests `stop` when `limit` passes before the watchdog is destroyed, so a
// connector that never ends fails the case instead of hanging it.
class Watchdog {
 public:
  Watchdog(const std::stop_source& stop, absl::Duration limit);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog();

  bool fired() const { return fired_.load(); }

 private:
  std::atomic<bool> fired_{false};
  std::jthread thread_;  // Last: joined before `fired_` goes away.
};

struct RunOutcome {
  absl::StatusOr<RunReport> report = absl::UnknownError("not run");
  bool timed_out = false;
};

// Runs `input` into `sink` with `options` (its `stop` replaced by `stop`),
// requesting a stop when `limit` passes.
template <class Input, class T>
RunOutcome RunWithin(Input& input, Sink<T>& sink, RunOptions options, const std::stop_source& stop,
                     absl::Duration limit) {
  options.stop = stop.get_token();
  Watchdog watchdog(stop, limit);
  RunOutcome outcome;
  outcome.report = inlet::Run(input, sink, options);
  outcome.timed_out = watchdog.fired();
  return outcome;
}

template <class T>
struct Drained {
  std::vector<T> items = {};
  absl::Status status = absl::OkStatus();
  bool ended = false;      // `NextBatch` returned `kEnd`.
  bool timed_out = false;  // The time limit passed first.
  absl::Duration slowest_poll = absl::ZeroDuration();
  int polls = 0;
};

template <class T>
struct DrainLimits {
  // Stop once this returns true for the items received so far (in addition
  // to `kEnd`). Default: only `kEnd` stops.
  std::function<bool(const std::vector<T>& received)> enough = nullptr;
  int max_polls = 0;  // 0: no limit.
  absl::Duration time_limit = absl::Seconds(20);
};

// Lets `Drain` sleep until a due time or a wake of the source it drives.
class WakeWaiter {
 public:
  WakeWaiter();
  // The waker to bind to the drained source.
  Waker waker() const;
  // Sleeps until `deadline` or a wake (at once when one came since the last
  // call); true when woken.
  bool SleepUntil(absl::Time deadline);

 private:
  class Target;
  std::shared_ptr<Target> target_;
};

// Polls `source` as the runtime does: `NextAwake` after building and after
// every poll, a named time obeyed, none meaning "now" after items and "in
// 1 ms" after an empty batch, a wake of its waker making it due at once.
// Calls `after_batch` with the number of items
// received so far after every non-empty batch.
template <class SourceType, class T = typename SourceType::Item>
Drained<T> Drain(SourceType& source, const DrainLimits<T>& limits,
                 const std::function<void(size_t received)>& after_batch = nullptr) {
  Drained<T> drained;
  const absl::Time deadline = absl::Now() + limits.time_limit;
  WakeWaiter waiter;
  source.BindWaker(waiter.waker());
  absl::Time due = source.NextAwake().value_or(absl::Now());
  while (true) {
    const absl::Time now = absl::Now();
    const bool waits = due > now;
    if (now >= deadline ||
        (waits && !waiter.SleepUntil(std::min(due, deadline)) && due >= deadline)) {
      drained.timed_out = true;
      return drained;
    }
    std::vector<T> batch;
    const absl::Time started = absl::Now();
    absl::StatusOr<Poll> poll = source.NextBatch(batch);
    const absl::Time finished = absl::Now();
    drained.slowest_poll = std::max(drained.slowest_poll, finished - started);
    ++drained.polls;
    if (!poll.ok()) {
      drained.status = poll.status();
      return drained;
    }
    drained.items.insert(drained.items.end(), batch.begin(), batch.end());
    if (!batch.empty() && after_batch) after_batch(drained.items.size());
    if (*poll == Poll::kEnd) {
      drained.ended = true;
      return drained;
    }
    if ((limits.enough && limits.enough(drained.items)) ||
        (limits.max_polls > 0 && drained.polls >= limits.max_polls)) {
      return drained;
    }
    const std::optional<absl::Time> awake = source.NextAwake();
    due = awake.value_or(batch.empty() ? finished + absl::Milliseconds(1) : finished);
  }
}

}  // namespace inlet::internal::conformance

#endif  // INLET_TESTING_INTERNAL_CONFORMANCE_DRIVING_H_
