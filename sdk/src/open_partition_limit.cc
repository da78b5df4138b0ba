#include "open_partition_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace inlet::internal {

int DefaultOpenPartitions(int64_t descriptor_limit, int workers) {
  if (descriptor_limit < 0) return std::numeric_limits<int>::max();
  const int64_t budget = std::max<int64_t>(descriptor_limit - kReservedDescriptors, 0) / 2;
  const int64_t each = budget / std::max(workers, 1);
  return static_cast<int>(std::clamp<int64_t>(each, 1, std::numeric_limits<int>::max()));
}

int64_t SoftDescriptorLimit() {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
      limit.rlim_cur > static_cast<rlim_t>(std::numeric_limits<int64_t>::max())) {
    return -1;
  }
  return static_cast<int64_t>(limit.rlim_cur);
}

int OpenPartitionsPerWorker(int requested, int workers) {
  if (requested > 0) return requested;
  return DefaultOpenPartitions(SoftDescriptorLimit(), workers);
}

}  // namespace inlet::internal
