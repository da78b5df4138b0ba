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
// retry back-off) is expressed through `NextAwake()` instead, or through the
// source's waker (waker.h) when data arrives on another thread.
//
// Acknowledgement: after an epoch is durable (the sink committed, and with a
// recovery store the epoch's transaction is on disk), every live source
// learns it through `Committed`, so it can tell its system (commit a Kafka
// offset, XACK a stream entry, delete queue messages, advance a replication
// slot). Never earlier.

#ifndef INLET_SOURCE_H_
#define INLET_SOURCE_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inlet/backlog.h"
#include "inlet/waker.h"

namespace inlet {

// What a `NextBatch` call says about the partition after it returns.
enum class Poll {
  kMore,  // The partition may produce more items; poll again when due.
  kEnd,   // The partition is exhausted (Bytewax's StopIteration).
};

template <class T, class State>
class StatefulSource : public internal::WakeableSource {
 public:
  using Item = T;
  using StateType = State;

  StatefulSource() = default;
  StatefulSource(const StatefulSource&) = delete;
  StatefulSource& operator=(const StatefulSource&) = delete;
  ~StatefulSource() override = default;

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
  // present means "now"; `absl::InfiniteFuture()` means "when woken" (see
  // `waker()`). `std::nullopt` means "now" after a batch with items and
  // "in 1 ms" after an empty one, so an idle source never spins. A wake
  // makes the partition due at once, whatever this said.
  virtual std::optional<absl::Time> NextAwake() { return std::nullopt; }

  // Returns the state that resumes this partition right AFTER the last item
  // handed out by `NextBatch`: building the partition again with it must
  // neither repeat nor skip an item. Called at every epoch close and once at
  // the end of the partition, between `NextBatch` calls; never after
  // `Close`. `State` must convert to and from `nlohmann::json`.
  virtual State Snapshot() = 0;

  // Says that `state`, returned by the latest `Snapshot`, is durable: every
  // item handed out before that snapshot is committed by the sink and, with a
  // recovery store, `state` is what a crashed run resumes from (or a later
  // state). Tell the system now (commit the offset, acknowledge the
  // messages); never earlier. Called on the partition's worker thread,
  // between `NextBatch` calls, after every epoch close that took a snapshot
  // of this partition, in epoch order; never for a state that was not
  // committed, never after `Close`, and not at all when the epoch's commit
  // failed. A partition that ends stays open until its final state is
  // committed (at the next epoch close, at most `epoch_interval` later):
  // `Committed` with the final state, then `Close`. Must not block; an
  // exception or a long call is reported like one from `NextBatch`.
  virtual void Committed(const State& state) { static_cast<void>(state); }

  // How much this partition has yet to hand out (bytes left in a file,
  // messages behind the current offset), for the run's metrics; `nullopt`
  // when the source cannot tell (the default). Called on the partition's
  // worker thread, between `NextBatch` calls, only when the run collects
  // metrics (`RunOptions::collect_metrics`), at most once per
  // `RunOptions::metrics_interval`; never after `Close`. Must not block:
  // answer from what the source already knows or from a cheap local call
  // (`fstat`), never from a round trip to a remote system. An exception
  // stops the run like one from `NextBatch`.
  virtual std::optional<Backlog> EstimateBacklog() { return std::nullopt; }

  // Releases resources. Called exactly once, at the end of the partition
  // (after its final state is committed) or when the run stops (orderly or
  // after an error); no other method is called afterwards.
  virtual void Close() {}
};

template <class T>
class StatelessSource : public internal::WakeableSource {
 public:
  using Item = T;

  StatelessSource() = default;
  StatelessSource(const StatelessSource&) = delete;
  StatelessSource& operator=(const StatelessSource&) = delete;
  ~StatelessSource() override = default;

  // Same contract as `StatefulSource::NextBatch`: append what is ready, never
  // block, `kEnd` when exhausted.
  virtual absl::StatusOr<Poll> NextBatch(std::vector<T>& out) = 0;

  // Same contract as `StatefulSource::NextAwake`.
  virtual std::optional<absl::Time> NextAwake() { return std::nullopt; }

  // Says that every item this source returned from `NextBatch` before this
  // call is durable (committed by the sink at an epoch close), so an
  // ack-based source can acknowledge or delete exactly those messages. The
  // worker does not poll between an epoch's barrier and this call, so
  // "before this call" is exact. Called on the source's worker thread after
  // every epoch close, in order; not when the commit failed; never after
  // `Close`. A source that ends stays open until the next epoch close so its
  // last items are acknowledged before `Close`. Must not block.
  virtual void Committed() {}

  // Same contract as `StatefulSource::EstimateBacklog`.
  virtual std::optional<Backlog> EstimateBacklog() { return std::nullopt; }

  // Same contract as `StatefulSource::Close`.
  virtual void Close() {}
};

}  // namespace inlet

#endif  // INLET_SOURCE_H_
