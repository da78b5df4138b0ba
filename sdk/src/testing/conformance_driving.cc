#include "inlet/testing/internal/conformance_driving.h"

#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "absl/time/time.h"

namespace inlet::internal::conformance {

Watchdog::Watchdog(std::stop_source stop, absl::Duration limit)
    : thread_([this, stop, limit](std::stop_token done) mutable {
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

}  // namespace inlet::internal::conformance
