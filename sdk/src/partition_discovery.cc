#include "partition_discovery.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace inlet::internal {

PartitionDiscovery::PartitionDiscovery(const std::vector<std::vector<std::string>>& owned)
    : owned_count_(owned.size(), 0) {
  for (size_t w = 0; w < owned.size(); ++w) {
    owned_count_[w] = owned[w].size();
    known_.insert(owned[w].begin(), owned[w].end());
  }
}

PartitionDiscovery::Found PartitionDiscovery::Update(const std::vector<std::string>& listed) {
  Found found{.assigned = std::vector<std::vector<std::string>>(owned_count_.size()),
              .vanished = {}};
  const std::set<std::string> now(listed.begin(), listed.end());
  for (const std::string& name : now) {
    if (known_.contains(name) || owned_count_.empty()) continue;
    const auto fewest = std::min_element(owned_count_.begin(), owned_count_.end());
    const size_t worker = static_cast<size_t>(fewest - owned_count_.begin());
    ++*fewest;
    found.assigned[worker].push_back(name);
  }
  for (const std::vector<std::string>& names : found.assigned) {
    known_.insert(names.begin(), names.end());
  }
  for (const std::string& name : known_) {
    if (!now.contains(name) && vanished_.insert(name).second) found.vanished.push_back(name);
  }
  return found;
}

}  // namespace inlet::internal
