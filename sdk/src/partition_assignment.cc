#include "partition_assignment.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace inlet::internal {

std::optional<std::string> FindDuplicate(const std::vector<std::string>& names) {
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) return name;
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<std::vector<std::string>>> AssignPartitions(
    const std::vector<std::vector<std::string>>& listed_by_worker) {
  // Which workers can reach each partition, in sorted partition order.
  std::map<std::string, std::vector<int>> reachable_by;
  for (size_t worker = 0; worker < listed_by_worker.size(); ++worker) {
    if (std::optional<std::string> duplicate = FindDuplicate(listed_by_worker[worker])) {
      return absl::InvalidArgumentError(
          absl::StrCat("worker ", worker, " lists partition \"", *duplicate, "\" twice"));
    }
    for (const std::string& part : listed_by_worker[worker]) {
      reachable_by[part].push_back(static_cast<int>(worker));
    }
  }
  std::vector<std::vector<std::string>> owned(listed_by_worker.size());
  for (const auto& [part, workers] : reachable_by) {
    int owner = *std::min_element(workers.begin(), workers.end(), [&](int a, int b) {
      return owned[a].size() < owned[b].size() || (owned[a].size() == owned[b].size() && a < b);
    });
    owned[owner].push_back(part);
  }
  return owned;
}

}  // namespace inlet::internal
