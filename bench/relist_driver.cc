// The cost of one relisting (RunOptions::relist_interval) over a directory:
// DirectoryInput::ListParts (glob(3) and a stat per file) and the discovery
// step that finds the new names among those already known, as the runtime
// does it. Prints one JSON object for bench/partitions_bench.py.
//
//   relist_driver '<dir>/*.txt' <repetitions>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/connectors/directory_input.h"
#include "partition_discovery.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: relist_driver PATTERN REPETITIONS\n");
    return 2;
  }
  inlet::DirectoryInput input(argv[1]);
  const int repetitions = std::max(1, std::atoi(argv[2]));
  auto first = input.ListParts();
  if (!first.ok()) {
    std::fprintf(stderr, "relist_driver: %s\n", std::string(first.status().message()).c_str());
    return 1;
  }
  // Two workers own what the first listing found, as the runtime deals it.
  std::vector<std::vector<std::string>> owned(2);
  for (size_t i = 0; i < first->size(); ++i) owned[i % 2].push_back((*first)[i]);
  inlet::internal::PartitionDiscovery discovery(owned);
  std::vector<double> list_ms, discover_ms;
  for (int r = 0; r < repetitions; ++r) {
    const absl::Time start = absl::Now();
    auto names = input.ListParts();
    const absl::Time listed = absl::Now();
    if (!names.ok()) return 1;
    auto found = discovery.Update(*names);
    const absl::Time done = absl::Now();
    if (!found.vanished.empty()) return 1;
    list_ms.push_back(absl::ToDoubleMilliseconds(listed - start));
    discover_ms.push_back(absl::ToDoubleMilliseconds(done - listed));
  }
  std::sort(list_ms.begin(), list_ms.end());
  std::sort(discover_ms.begin(), discover_ms.end());
  std::printf(
      "{\"partitions\": %zu, \"repetitions\": %d, \"list_parts_ms\": %.3f, "
      "\"discovery_ms\": %.3f}\n",
      first->size(), repetitions, list_ms[list_ms.size() / 2], discover_ms[discover_ms.size() / 2]);
  return 0;
}
