// `inlet::Run` drives one input into one sink on a pool of worker threads
// until every partition ends, the run is asked to stop, or something fails.
//
//   inlet::FileInput input({"a.txt", "b.txt"});
//   inlet::CountingSink<std::string> sink;
//   absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {.workers = 2});
//
// Semantics (the same in every runtime inlet plugs into):
// - A partition is polled only when due: `NextAwake` is asked after building
//   and after every poll; a worker with nothing due sleeps.
// - Partitions go to workers by a deterministic balanced rule.
// - Every `epoch_interval`, and when all partitions have ended, an epoch
//   closes: every live partition is snapshotted (never after `Close`), the
//   sink is flushed, and the snapshots become the run's resume state.
// - An error (a non-OK status or an exception) from any user method stops the
//   run with a message naming the step, the partition and the method, e.g.
//   `step "orders" partition "part-3": NextBatch: connection reset`; every
//   partition is closed; the last complete epoch stays the resume state.
//
// `Run` blocks the calling thread; `input` and `sink` must outlive it.
// Inside a GoogleTest test body write `inlet::Run`: `testing::Test` has a
// member function named `Run` that hides this one.

#ifndef INLET_RUN_H_
#define INLET_RUN_H_

#include "absl/status/statusor.h"
#include "inlet/dynamic_input.h"
#include "inlet/internal/erased_input.h"
#include "inlet/partitioned_input.h"
#include "inlet/run_options.h"
#include "inlet/sink.h"

namespace inlet {

template <class T, class State>
absl::StatusOr<RunReport> Run(PartitionedInput<T, State>& input, Sink<T>& sink,
                              const RunOptions& options = {}) {
  internal::TypedPartitionedInput<T, State> erased_input(input);
  internal::TypedSink<T> erased_sink(sink);
  return internal::RunErased(erased_input, erased_sink, options);
}

template <class T>
absl::StatusOr<RunReport> Run(DynamicInput<T>& input, Sink<T>& sink,
                              const RunOptions& options = {}) {
  internal::TypedDynamicInput<T> erased_input(input);
  internal::TypedSink<T> erased_sink(sink);
  return internal::RunErased(erased_input, erased_sink, options);
}

}  // namespace inlet

#endif  // INLET_RUN_H_
