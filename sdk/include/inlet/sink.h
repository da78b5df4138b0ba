// A `Sink` receives every item the runtime reads. The embedded runtime has
// exactly one input and one sink: anything past "source -> sink" belongs to
// the engine the connector is plugged into.
//
// Delivery: with a recovery store, a resumed run repeats the items read
// after the last committed epoch. A sink whose `Restore` discards what it
// received after the epoch's `Flush` marker gives exactly-once output (the
// built-in JSON-lines file sink does); any other sink gets at-least-once
// output, with duplicates bounded by one epoch.
//
// Threading: `Write` is called from worker threads, possibly concurrently,
// so implementations must be thread-safe. `Restore`, `Flush` and `Close` are
// called from the runtime's coordinating thread while no `Write` is in
// progress.

#ifndef INLET_SINK_H_
#define INLET_SINK_H_

#include <span>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace inlet {

template <class T>
class Sink {
 public:
  Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  virtual ~Sink() = default;

  // Called once at the start of a run, before any `Write`. `marker` is what
  // `Flush` returned at the epoch the run resumes from, or null when the run
  // starts afresh. A sink that can go back to the marker (truncate a file,
  // roll back a table) should do so: then nothing is written twice.
  virtual absl::Status Restore(const nlohmann::json& /*marker*/) { return absl::OkStatus(); }

  // Takes one batch of items, in the order the source produced them. The
  // span is valid only during the call. A non-OK status stops the run.
  virtual absl::Status Write(std::span<const T> items) = 0;

  // Makes everything written so far durable and returns a marker of the
  // position reached (any JSON; null for none). Called at every epoch close,
  // after the epoch's last `Write`; the marker is committed in the same
  // transaction as the epoch's snapshots.
  virtual absl::StatusOr<nlohmann::json> Flush() { return nlohmann::json(); }

  // Called once when the run ends, successfully or not; no `Write` follows.
  virtual absl::Status Close() { return Flush().status(); }
};

}  // namespace inlet

#endif  // INLET_SINK_H_
