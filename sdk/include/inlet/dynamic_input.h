// A `DynamicInput` builds one source on every worker (Bytewax's
// DynamicSource): each worker reads its own share of an external stream that
// does its own balancing, such as a consumer group, a load-balanced socket or
// a generator. It has no resume state: after a restart it starts afresh, so
// it gives at-most-once delivery of what was read before a crash.
//
// Threading: `Build` is called from the thread that called `inlet::Run`, once
// per worker, one call at a time, before any source is polled.

#ifndef INLET_DYNAMIC_INPUT_H_
#define INLET_DYNAMIC_INPUT_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "inlet/source.h"

namespace inlet {

template <class T>
class DynamicInput {
 public:
  using Item = T;
  using Source = StatelessSource<T>;

  DynamicInput() = default;
  DynamicInput(const DynamicInput&) = delete;
  DynamicInput& operator=(const DynamicInput&) = delete;
  virtual ~DynamicInput() = default;

  // Builds the source for worker `worker_index` of `worker_count`
  // (0 <= worker_index < worker_count). Called once per worker per run. A
  // non-OK status stops the run.
  virtual absl::StatusOr<std::unique_ptr<Source>> Build(std::string_view step_id, int worker_index,
                                                        int worker_count) = 0;
};

}  // namespace inlet

#endif  // INLET_DYNAMIC_INPUT_H_
