// An in-memory partitioned input for the benchmarks: partitions that hand
// out consecutive integers, `batch` at a time, appending into the vector they
// are given and allocating nothing else, and resume from the next integer.

#ifndef INLET_BENCH_MEMORY_INPUT_H_
#define INLET_BENCH_MEMORY_INPUT_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "inlet/partitioned_input.h"
#include "inlet/source.h"

namespace inlet_bench {

class MemoryInput final : public inlet::PartitionedInput<int64_t, int64_t> {
 public:
  MemoryInput(int partitions, int64_t items_per_partition, int64_t batch)
      : partitions_(partitions), items_per_partition_(items_per_partition), batch_(batch) {}

  absl::StatusOr<std::vector<std::string>> ListParts() override {
    std::vector<std::string> parts;
    parts.reserve(partitions_);
    for (int i = 0; i < partitions_; ++i) parts.push_back(absl::StrFormat("part-%04d", i));
    return parts;
  }

  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view, std::string_view,
                                                    std::optional<int64_t> resume) override {
    return std::make_unique<Partition>(resume.value_or(0), items_per_partition_, batch_);
  }

  int64_t total_items() const { return partitions_ * items_per_partition_; }

 private:
  class Partition final : public inlet::StatefulSource<int64_t, int64_t> {
   public:
    Partition(int64_t next, int64_t end, int64_t batch) : next_(next), end_(end), batch_(batch) {}

    absl::StatusOr<inlet::Poll> NextBatch(std::vector<int64_t>& out) override {
      const int64_t stop = std::min(next_ + batch_, end_);
      for (; next_ < stop; ++next_) out.push_back(next_);
      return next_ < end_ ? inlet::Poll::kMore : inlet::Poll::kEnd;
    }

    int64_t Snapshot() override { return next_; }

   private:
    int64_t next_;
    const int64_t end_;
    const int64_t batch_;
  };

  const int partitions_;
  const int64_t items_per_partition_;
  const int64_t batch_;
};

}  // namespace inlet_bench

#endif  // INLET_BENCH_MEMORY_INPUT_H_
