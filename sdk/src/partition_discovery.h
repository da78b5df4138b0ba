// Partitions found while a run goes on: each later `ListParts` is compared
// with what the run already knows, new names are dealt to workers by the
// balanced rule of partition_assignment.h continued from the counts each
// worker owns (no partition already assigned ever moves), and names that
// disappeared are reported once.
//
// Threading: used from one thread at a time (the coordinator).

#ifndef INLET_SRC_PARTITION_DISCOVERY_H_
#define INLET_SRC_PARTITION_DISCOVERY_H_

#include <set>
#include <string>
#include <vector>

namespace inlet::internal {

class PartitionDiscovery {
 public:
  // What one `Update` found.
  struct Found {
    // New partitions for each worker, sorted.
    std::vector<std::vector<std::string>> assigned;
    // Known partitions missing from this listing for the first time, sorted.
    std::vector<std::string> vanished;
  };

  // `owned[w]`: the partitions worker `w` owns from the run's first listing,
  // pinned ones included.
  explicit PartitionDiscovery(const std::vector<std::vector<std::string>>& owned);

  // `listed`: the names of a new `ListParts` call, without duplicates.
  // Names seen before are ignored, wherever they run; each new name, in
  // sorted order, goes to the worker owning the fewest partitions so far,
  // the lowest index winning ties.
  Found Update(const std::vector<std::string>& listed);

  size_t known() const { return known_.size(); }

 private:
  std::set<std::string> known_;
  std::set<std::string> vanished_;  // Already reported.
  std::vector<size_t> owned_count_;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_PARTITION_DISCOVERY_H_
