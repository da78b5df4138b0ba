// The deterministic balanced assignment of partitions to workers (Bytewax's
// primary assignment): every worker reports which partitions it can reach,
// and each partition goes to exactly one worker that listed it.

#ifndef INLET_SRC_PARTITION_ASSIGNMENT_H_
#define INLET_SRC_PARTITION_ASSIGNMENT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace inlet::internal {

// Returns the first name that occurs twice in `names`, if any.
std::optional<std::string> FindDuplicate(const std::vector<std::string>& names);

// `listed_by_worker[w]` holds the partitions worker `w` can reach. Returns,
// for each worker, the sorted partitions it owns. The rule depends only on
// the lists, never on their order or on timing: partitions are taken in
// sorted order and each goes to the worker that listed it and owns the fewest
// so far, the lowest index winning ties. When every worker lists everything
// this is round-robin over the sorted names, so counts differ by at most one.
// A worker listing one name twice is an InvalidArgument error.
absl::StatusOr<std::vector<std::vector<std::string>>> AssignPartitions(
    const std::vector<std::vector<std::string>>& listed_by_worker);

}  // namespace inlet::internal

#endif  // INLET_SRC_PARTITION_ASSIGNMENT_H_
