// What collecting metrics costs: `inlet::Run` with `collect_metrics` (every
// `NextBatch` timed into a histogram, workers handing their counters over
// every 100 ms, ten times as often as by default, to an `on_metrics` that
// keeps a copy as `RunMain --metrics-address` does) against the same run
// without.
//
// BM_MetricsOverhead: four in-memory partitions hand out integers `batch` at
// a time into a `CountingSink` on one worker, as runtime_overhead_bench. The
// two runs alternate within every iteration and swap order between
// iterations, so load that comes and goes on the machine weighs on both
// alike. bench/report.py reports `on_over_off`, the throughput with metrics
// over the throughput without.

#include <cstdint>
#include <mutex>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "inlet/counting_sink.h"
#include "inlet/metrics.h"
#include "inlet/run.h"
#include "inlet/run_options.h"
#include "memory_input.h"

namespace {

constexpr int kPartitions = 4;

using inlet_bench::MemoryInput;

// Sized so one run takes a few tenths of a second: several metrics
// handovers per run, and long enough that a loaded machine's noise averages.
int64_t ItemsPerPartition(int64_t batch) {
  return batch <= 64 ? int64_t{1} << 25 : int64_t{1} << 26;
}

absl::StatusOr<absl::Duration> TimedRun(int64_t batch, bool metrics) {
  MemoryInput input(kPartitions, ItemsPerPartition(batch), batch);
  inlet::CountingSink<int64_t> sink;
  std::mutex mu;
  inlet::RunMetrics latest;
  inlet::RunOptions options;
  if (metrics) {
    options.collect_metrics = true;
    options.metrics_interval = absl::Milliseconds(100);
    options.on_metrics = [&](const inlet::RunMetrics& taken) {
      std::lock_guard<std::mutex> lock(mu);
      latest = taken;
    };
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, options);
  const absl::Duration wall = absl::Now() - start;
  if (!report.ok()) return report.status();
  if (sink.items() != input.total_items()) {
    return absl::InternalError("the runtime lost or duplicated items");
  }
  if (metrics && report->metrics.partitions.size() != kPartitions) {
    return absl::InternalError("the run with metrics reported none");
  }
  return wall;
}

void BM_MetricsOverhead(benchmark::State& state) {
  const int64_t batch = state.range(0);
  absl::Duration off = absl::ZeroDuration();
  absl::Duration on = absl::ZeroDuration();
  int64_t iteration = 0;
  absl::Status failed;
  for (auto _ : state) {
    for (const bool metrics : {iteration % 2 == 1, iteration % 2 == 0}) {
      absl::StatusOr<absl::Duration> wall = TimedRun(batch, metrics);
      if (!wall.ok()) {
        failed = wall.status();
        break;
      }
      (metrics ? on : off) += *wall;
    }
    if (!failed.ok()) {
      state.SkipWithError(failed.ToString().c_str());
      break;
    }
    ++iteration;
  }
  if (!failed.ok()) return;
  const double items = static_cast<double>(iteration * kPartitions * ItemsPerPartition(batch));
  state.counters["items_per_second_off"] = items / absl::ToDoubleSeconds(off);
  state.counters["items_per_second_on"] = items / absl::ToDoubleSeconds(on);
  state.counters["on_over_off"] = absl::FDivDuration(off, on);
}

BENCHMARK(BM_MetricsOverhead)
    ->ArgName("batch")
    ->Arg(64)
    ->Arg(1024)
    ->Iterations(10)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
