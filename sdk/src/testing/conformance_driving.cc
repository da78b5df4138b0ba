#include "inlet/testing/internal/conformance_driving.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>

#include "absl/time/time.h"
#include "wake_target.h"

namespace inlet::internal::conformance {

Watchdog::Watchdog(const std::stop_source& stop, absl::Duration limit)
    : thread_([this, stop, limit](const std::stop_token& done) mutable {
        std::mutex mutex;
        std::unique_lock<std::mutex> lock(mutex);
        std::condition_variable_any().wait_for(lock, done, absl::ToChronoMilliseconds(limit),
                                               [] { return false; });
        if (!done.stop_requested()) {
          fired_.store(true);
          stop.request_stop();
        }
      }) {}

Watchdog::~Watchdog() = default;

class WakeWaiter::Target final : public WakeTarget {
 public:
  void Wake() override { signal.Notify(); }
  WorkerSignal signal;
};

WakeWaiter::WakeWaiter() : target_(std::make_shared<Target>()) {}

Waker WakeWaiter::waker() const { return Waker(target_); }

bool WakeWaiter::SleepUntil(absl::Time deadline) { return target_->signal.WaitUntil(deadline); }

}  // namespace inlet::internal::conformance
