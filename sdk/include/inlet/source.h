// A source is one live partition of an input: the object the runtime polls for
// items. `StatefulSource` belongs to a `PartitionedInput` and can be resumed
// from a snapshot; `StatelessSource` belongs to a `DynamicInput` and cannot.
//
// Threading: the runtime calls every method of one source from one worker
// thread at a time, never concurrently. Different sources run on different
// threads, so state shared between sources must be synchronized by the author.
//
// The runtime is cooperative: a worker polls many sources in turn, so a
// source must never block. Anything that waits (a socket, a rate limit, a
// retry back-off) is expressed through `NextAwake()` instead.

#ifndef INLET_SOURCE_H_
#define INLET_SOURCE_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace inlet {

// What a `NextBatch` call says about the partition after it returns.
enum class Poll {
  kMore,  // The partition may produce more items; poll again when due.
  kEnd,   // The partition is exhausted (Bytewax's StopIteration).
};

template <class T, class State>
class StatefulSource {
 public:
  using Item = T;
  using StateType = State;

  StatefulSource() = default;
  StatefulSource(const StatefulSource&) = delete;
  StatefulSource& operator=(const StatefulSource&) = delete;
  virtual ~StatefulSource() = default;

  // Appends the items that are ready now to `out` (which the runtime passes
  // in empty) and says whether more may follow. Called only when the
  // partition is due (see `NextAwake`). Returning `kEnd` together with items
  // is allowed: they are delivered, then the partition ends.
  //
  // Must not block or sleep: return an empty batch and let `NextAwake` say
  // when to try again. A call longer than the slow-poll threshold is
  // reported. A non-OK status (or an exception) stops the whole run.
  virtual absl::StatusOr<Poll> NextBatch(std::vector<T>& out) = 0;

  // When this partition next wants `NextBatch` called. Asked after the
  // source is built and after every `NextBatch`. A time in the past or
  // present means "now". `std::nullopt` means "now" after a batch with
  // items and "in 1 ms" after an empty one, so an idle source never spins.
  virtual std::optional<absl::Time> NextAwake() { return std::nullopt; }

  // Returns the state that resumes this partition right AFTER the last item
  // handed out by `NextBatch`: building the partition again with it must
  // neither repeat nor skip an item. Called at every epoch close and once at
  // the end of the partition, between `NextBatch` calls; never after
  // `Close`. `State` must convert to and from `nlohmann::json`.
  virtual State Snapshot() = 0;

  // Releases resources. Called exactly once, at the end of the partition or
  // when the run stops (orderly or after an error); no other method is
  // called afterwards.
  virtual void Close() {}
};

template <class T>
class StatelessSource {
 public:
  using Item = T;

  StatelessSource() = default;
  StatelessSource(const StatelessSource&) = delete;
  StatelessSource& operator=(const StatelessSource&) = delete;
  virtual ~StatelessSource() = default;

  // Same contract as `StatefulSource::NextBatch`: append what is ready, never
  // block, `kEnd` when exhausted.
  virtual absl::StatusOr<Poll> NextBatch(std::vector<T>& out) = 0;

  // Same contract as `StatefulSource::NextAwake`.
  virtual std::optional<absl::Time> NextAwake() { return std::nullopt; }

  // Same contract as `StatefulSource::Close`.
  virtual void Close() {}
};

}  // namespace inlet

#endif  // INLET_SOURCE_H_
