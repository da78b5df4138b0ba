// What the embedded runtime costs over polling the same sources by hand.
//
// `MemoryInput` is a partitioned input whose partitions hand out consecutive
// integers from memory, `batch` at a time, appending into the vector they are
// given and allocating nothing else. Each benchmark drains it into a
// `CountingSink`, either through `inlet::Run` (BM_Runtime) or through a plain
// polling loop on the same number of threads with the same partition-to-thread
// split (BM_PlainLoop). The two differ only in what the runtime adds:
// scheduling, `NextAwake`, per-partition accounting, the epoch machinery.
// bench/report.py divides their throughputs.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "inlet/counting_sink.h"
#include "inlet/partitioned_input.h"
#include "inlet/run.h"
#include "inlet/run_options.h"
#include "inlet/source.h"
#include "memory_input.h"
#include "plain_loop.h"

namespace {

constexpr int kPartitions = 4;

using inlet_bench::MemoryInput;
using inlet_bench::PollPlainly;

// Sized so one iteration through `inlet::Run` takes roughly 50-200 ms: small
// batches cost a poll and a sink write per item, large ones mostly the copy.
// Both benchmarks read the same items, so the plain loop's iterations are
// shorter where the runtime costs more.
int64_t ItemsPerPartition(int64_t batch) {
  if (batch <= 1) return int64_t{1} << 18;
  if (batch <= 64) return int64_t{1} << 23;
  return int64_t{1} << 24;
}

void BM_Runtime(benchmark::State& state) {
  const int64_t batch = state.range(0);
  inlet::RunOptions options;
  options.workers = static_cast<int>(state.range(1));
  int64_t items = 0;
  for (auto _ : state) {
    MemoryInput input(kPartitions, ItemsPerPartition(batch), batch);
    inlet::CountingSink<int64_t> sink;
    absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, options);
    if (!report.ok()) {
      state.SkipWithError(report.status().ToString().c_str());
      break;
    }
    if (sink.items() != input.total_items()) {
      state.SkipWithError("the runtime lost or duplicated items");
      break;
    }
    items += sink.items();
  }
  state.SetItemsProcessed(items);
}

void BM_PlainLoop(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const int workers = static_cast<int>(state.range(1));
  int64_t items = 0;
  for (auto _ : state) {
    MemoryInput input(kPartitions, ItemsPerPartition(batch), batch);
    inlet::CountingSink<int64_t> sink;
    if (absl::Status status = PollPlainly(input, sink, workers); !status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
    if (sink.items() != input.total_items()) {
      state.SkipWithError("the plain loop lost or duplicated items");
      break;
    }
    items += sink.items();
  }
  state.SetItemsProcessed(items);
}

// The work happens on worker threads, so only wall time means anything.
BENCHMARK(BM_Runtime)
    ->ArgNames({"batch", "workers"})
    ->ArgsProduct({{1, 64, 1024}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PlainLoop)
    ->ArgNames({"batch", "workers"})
    ->ArgsProduct({{1, 64, 1024}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
