// A `Sink` receives every item the runtime reads. The embedded runtime has
// exactly one input and one sink: anything past "source -> sink" belongs to
// the engine the connector is plugged into.
//
// Threading: `Write` is called from worker threads, possibly concurrently,
// so implementations must be thread-safe. `Flush` and `Close` are called from
// the runtime's coordinating thread while no `Write` is in progress.

#ifndef INLET_SINK_H_
#define INLET_SINK_H_

#include <span>

#include "absl/status/status.h"

namespace inlet {

template <class T>
class Sink {
 public:
  Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  virtual ~Sink() = default;

  // Takes one batch of items, in the order the source produced them. The
  // span is valid only during the call. A non-OK status stops the run.
  virtual absl::Status Write(std::span<const T> items) = 0;

  // Makes everything written so far durable. Called at every epoch close,
  // after the epoch's last `Write` and before its snapshots are committed.
  virtual absl::Status Flush() { return absl::OkStatus(); }

  // Called once when the run ends, successfully or not; no `Write` follows.
  virtual absl::Status Close() { return Flush(); }
};

}  // namespace inlet

#endif  // INLET_SINK_H_
