// A `PartitionedInput` is a fixed set of named, independently resumable
// partitions (Bytewax's FixedPartitionedSource): files, Kafka partitions,
// shards of a table. The runtime spreads the partitions over its workers and
// snapshots each one at every epoch, so a run can resume where it stopped.
//
// Threading: `ListParts` and `BuildPart` are never called at the same time
// as each other or themselves. At the start both are called from the thread
// that called `inlet::Run`, before any partition is polled. A partition that
// waits for room (`RunOptions::max_open_partitions`) is built later on the
// worker thread that will drive it, while other partitions are polled; with
// `RunOptions::relist_interval`, `ListParts` is called again from the thread
// that called `inlet::Run`. The sources they build are driven from worker
// threads (see source.h).

#ifndef INLET_PARTITIONED_INPUT_H_
#define INLET_PARTITIONED_INPUT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/source.h"

namespace inlet {

template <class T, class State>
class PartitionedInput {
 public:
  using Item = T;
  using StateType = State;
  using Source = StatefulSource<T, State>;

  PartitionedInput() = default;
  PartitionedInput(const PartitionedInput&) = delete;
  PartitionedInput& operator=(const PartitionedInput&) = delete;
  virtual ~PartitionedInput() = default;

  // Returns the names of the partitions this process can reach. Called once
  // at the start of a run, before any partition is built, and again every
  // `RunOptions::relist_interval` when one is set (names not seen before are
  // new partitions; a name that is gone is a partition that keeps running
  // until it ends). Names must be unique, and the
  // same data set must give the same names on every call and in every
  // process: a name is the key its resume state is stored under.
  virtual absl::StatusOr<std::vector<std::string>> ListParts() = 0;

  // Builds the source for partition `for_part` (one of the names from
  // `ListParts`). `resume` is the state its last snapshot returned, or
  // `std::nullopt` when the partition starts from its beginning.
  //
  // All state of a partition must come from `resume`, not from this object,
  // because the partition may have moved to another worker or process.
  // A non-OK status stops the run; the message should say what was wrong
  // (for example which path could not be opened).
  virtual absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                            std::string_view for_part,
                                                            std::optional<State> resume) = 0;
};

}  // namespace inlet

#endif  // INLET_PARTITIONED_INPUT_H_
