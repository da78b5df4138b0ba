// `CountingSink` counts items and batches and discards them: for
// benchmarks, smoke runs and tests that only care how much arrived.
// Thread-safe.

#ifndef INLET_COUNTING_SINK_H_
#define INLET_COUNTING_SINK_H_

#include <atomic>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "inlet/sink.h"

namespace inlet {

template <class T>
class CountingSink final : public Sink<T> {
 public:
  absl::Status Write(std::span<const T> items) override {
    items_.fetch_add(static_cast<int64_t>(items.size()), std::memory_order_relaxed);
    batches_.fetch_add(1, std::memory_order_relaxed);
    return absl::OkStatus();
  }

  int64_t items() const { return items_.load(std::memory_order_relaxed); }
  int64_t batches() const { return batches_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> items_{0};
  std::atomic<int64_t> batches_{0};
};

}  // namespace inlet

#endif  // INLET_COUNTING_SINK_H_
