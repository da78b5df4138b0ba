// `CallbackSink` hands every batch to a function. Calls are serialized, so
// the function need not be thread-safe; it must not call back into the run.

#ifndef INLET_CALLBACK_SINK_H_
#define INLET_CALLBACK_SINK_H_

#include <functional>
#include <mutex>
#include <span>
#include <utility>

#include "absl/status/status.h"
#include "inlet/sink.h"

namespace inlet {

template <class T>
class CallbackSink final : public Sink<T> {
 public:
  // `on_batch` receives each batch; a non-OK status stops the run.
  explicit CallbackSink(std::function<absl::Status(std::span<const T>)> on_batch)
      : on_batch_(std::move(on_batch)) {}

  absl::Status Write(std::span<const T> items) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return on_batch_(items);
  }

 private:
  std::mutex mutex_;
  std::function<absl::Status(std::span<const T>)> on_batch_;
};

}  // namespace inlet

#endif  // INLET_CALLBACK_SINK_H_
