// A `Sink` receives every item the runtime reads. The embedded runtime has
// exactly one input and one sink: anything past "source -> sink" belongs to
// the engine the connector is plugged into.
//
// Two clocks, never conflated:
// - Delivery: `Flush` makes what `Write` took visible at the destination
//   (a buffer written out, not fsynced). Workers call it before they sleep
//   and at least every `RunOptions::flush_interval` while busy, so output
//   never waits for an epoch.
// - Durability: `Commit` makes everything written so far durable and
//   returns a marker of the position reached; the runtime stores the marker
//   with the epoch's snapshots in one transaction.
//
// With a recovery store, a resumed run repeats the items read after the
// last committed epoch. A sink whose `Restore` discards what it received
// after the epoch's `Commit` marker gives exactly-once output (the built-in
// JSON-lines file sink does); what follows the marker may be visible before
// the epoch commits and is discarded on resume, as a Kafka reader in
// read-uncommitted mode sees it. Any other sink gets at-least-once output,
// with duplicates bounded by one epoch.
//
// Threading: `Write` and `Flush` are called from worker threads, possibly
// concurrently, so implementations must be thread-safe. `Restore`, `Commit`
// and `Close` are called from the runtime's coordinating thread while no
// `Write` or `Flush` is in progress.

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

  // Makes what `Write` took so far visible at the destination, without
  // making it durable (flush a buffer; do not fsync). Called from a worker
  // thread after it wrote and before it sleeps, and at least every
  // `RunOptions::flush_interval` while it keeps writing. Must be cheap when
  // nothing is buffered. A non-OK status stops the run.
  virtual absl::Status Flush() { return absl::OkStatus(); }

  // Makes everything written so far durable and returns a marker of the
  // position reached (any JSON; null for none). Called at every epoch close,
  // after the epoch's last `Write`; the marker is committed in the same
  // transaction as the epoch's snapshots.
  virtual absl::StatusOr<nlohmann::json> Commit() { return nlohmann::json(); }

  // Called once when the run ends, successfully or not; no `Write` follows.
  virtual absl::Status Close() { return Commit().status(); }
};

}  // namespace inlet

#endif  // INLET_SINK_H_
