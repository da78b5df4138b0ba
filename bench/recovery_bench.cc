// What recovery costs: throughput with a recovery store against none, the
// time to resume 1,000 partitions, and the latency of one epoch's commit.
//
// BM_RecoveryThroughput: 8 in-memory partitions hand out integers 1,024 at a
// time into a `CountingSink` through `inlet::Run` with a 1 s epoch, once
// without a store and once committing every epoch to a fresh one. Each run
// reads about 3 s of items (calibrated once per worker count), so several
// epochs are committed. The two runs alternate within every iteration and
// swap order between iterations, so load that comes and goes on the machine
// weighs on both alike. bench/report.py divides their throughputs.
//
// BM_Resume: a store whose latest epoch holds 1,000 partitions that have all
// reached their end (written by a first run over the whole input); each
// iteration times a run that resumes from it: opening and checking the store,
// loading the states, `BuildPart` for each partition, polls that find
// nothing left, and the final commit.
//
// BM_Commit: `RecoveryStore::Commit` alone, with 10, 100 and 1,000 partition
// states per epoch; the median of the commits in a run is reported.
//
// Stores live under the temporary directory (TMPDIR), which must be on the
// file system being measured: a commit's cost is mostly its fsync.

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "inlet/counting_sink.h"
#include "inlet/partitioned_input.h"
#include "inlet/run.h"
#include "inlet/run_options.h"
#include "inlet/source.h"
#include "memory_input.h"
#include "nlohmann/json.hpp"
#include "recovery_store.h"

namespace {

constexpr int kThroughputPartitions = 8;
constexpr int64_t kBatch = 1024;
constexpr absl::Duration kEpoch = absl::Seconds(1);
constexpr absl::Duration kRunLength = absl::Seconds(3);
constexpr int kResumePartitions = 1000;

using inlet_bench::MemoryInput;

// A recovery file path under the temporary directory, with no file, -wal or
// -shm there; they are removed again when it goes out of scope.
class ScratchStore {
 public:
  explicit ScratchStore(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              absl::StrCat("inlet-recovery-bench-", getpid(), "-", name, ".db")) {
    Remove();
  }
  ~ScratchStore() { Remove(); }
  ScratchStore(const ScratchStore&) = delete;
  ScratchStore& operator=(const ScratchStore&) = delete;

  const std::filesystem::path& path() const { return path_; }

  void Remove() const {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_.string() + suffix, ignored);
    }
  }

 private:
  std::filesystem::path path_;
};

// Items per partition for a run of about `kRunLength` without recovery,
// measured once per worker count from a shorter run.
absl::StatusOr<int64_t> CalibratedItemsPerPartition(int workers) {
  static std::mutex mutex;
  static std::map<int, int64_t>* calibrated = new std::map<int, int64_t>();
  std::lock_guard<std::mutex> lock(mutex);
  if (auto found = calibrated->find(workers); found != calibrated->end()) return found->second;
  constexpr int64_t kProbeItems = int64_t{1} << 25;
  MemoryInput input(kThroughputPartitions, kProbeItems, kBatch);
  inlet::CountingSink<int64_t> sink;
  absl::StatusOr<inlet::RunReport> report =
      inlet::Run(input, sink, {.workers = workers, .epoch_interval = kEpoch});
  if (!report.ok()) return report.status();
  const double rate = static_cast<double>(sink.items()) / absl::ToDoubleSeconds(report->wall_time);
  const auto items =
      static_cast<int64_t>(rate * absl::ToDoubleSeconds(kRunLength) / kThroughputPartitions);
  (*calibrated)[workers] = items;
  return items;
}

// One run over `items_per_partition` items per partition; returns its wall
// time, or an error when it failed or lost or repeated items.
absl::StatusOr<absl::Duration> TimedRun(int workers, int64_t items_per_partition,
                                        const ScratchStore* store) {
  if (store != nullptr) store->Remove();
  MemoryInput input(kThroughputPartitions, items_per_partition, kBatch);
  inlet::CountingSink<int64_t> sink;
  inlet::RunOptions options{.workers = workers, .epoch_interval = kEpoch};
  if (store != nullptr) options.recovery_db = store->path();
  const absl::Time start = absl::Now();
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, options);
  const absl::Duration wall = absl::Now() - start;
  if (!report.ok()) return report.status();
  if (sink.items() != input.total_items()) {
    return absl::InternalError("the runtime lost or duplicated items");
  }
  if (store != nullptr && report->last_epoch < 2) {
    return absl::InternalError(
        absl::StrCat("the run committed ", report->last_epoch, " epoch(s); expected several"));
  }
  return wall;
}

void BM_RecoveryThroughput(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  absl::StatusOr<int64_t> items_per_partition = CalibratedItemsPerPartition(workers);
  if (!items_per_partition.ok()) {
    state.SkipWithError(items_per_partition.status().ToString().c_str());
    return;
  }
  ScratchStore store("throughput");
  absl::Duration without = absl::ZeroDuration();
  absl::Duration with = absl::ZeroDuration();
  int64_t iteration = 0;
  absl::Status failed;
  for (auto _ : state) {
    for (const bool recovery : {iteration % 2 == 1, iteration % 2 == 0}) {
      absl::StatusOr<absl::Duration> wall =
          TimedRun(workers, *items_per_partition, recovery ? &store : nullptr);
      if (!wall.ok()) {
        failed = wall.status();
        break;
      }
      (recovery ? with : without) += *wall;
    }
    if (!failed.ok()) {
      state.SkipWithError(failed.ToString().c_str());
      break;
    }
    ++iteration;
  }
  if (!failed.ok()) return;
  const double items =
      static_cast<double>(iteration * kThroughputPartitions * *items_per_partition);
  state.counters["items_per_second_without_recovery"] = items / absl::ToDoubleSeconds(without);
  state.counters["items_per_second_with_recovery"] = items / absl::ToDoubleSeconds(with);
  state.counters["with_over_without"] = absl::FDivDuration(without, with);
}

void BM_Resume(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  ScratchStore store("resume");
  MemoryInput input(kResumePartitions, /*items_per_partition=*/100, kBatch);
  {
    inlet::CountingSink<int64_t> sink;
    absl::StatusOr<inlet::RunReport> first =
        inlet::Run(input, sink, {.workers = workers, .recovery_db = store.path()});
    if (!first.ok()) {
      state.SkipWithError(first.status().ToString().c_str());
      return;
    }
  }
  for (auto _ : state) {
    inlet::CountingSink<int64_t> sink;
    absl::StatusOr<inlet::RunReport> report =
        inlet::Run(input, sink, {.workers = workers, .recovery_db = store.path()});
    if (!report.ok()) {
      state.SkipWithError(report.status().ToString().c_str());
      break;
    }
    if (report->resumed_epoch == 0 || report->items != 0 ||
        report->snapshots.size() != static_cast<size_t>(kResumePartitions)) {
      state.SkipWithError("the run did not resume every partition at its end");
      break;
    }
  }
  state.counters["partitions"] = kResumePartitions;
}

void BM_Commit(benchmark::State& state) {
  const int partitions = static_cast<int>(state.range(0));
  ScratchStore scratch("commit");
  absl::StatusOr<std::unique_ptr<inlet::internal::RecoveryStore>> store =
      inlet::internal::RecoveryStore::Open(scratch.path(),
                                           inlet::RunOptions().recovery_epochs_kept);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  inlet::internal::StoredEpoch epoch{.worker_count = 2};
  std::vector<double> seconds;
  for (auto _ : state) {
    // Not timed: building the epoch is the runtime's work, not the store's.
    state.PauseTiming();
    ++epoch.epoch;
    for (int i = 0; i < partitions; ++i) {
      epoch.states[absl::StrFormat("part-%04d", i)] = epoch.epoch * 1024 + i;
    }
    epoch.sink_marker = epoch.epoch * 4096;
    state.ResumeTiming();
    const absl::Time start = absl::Now();
    absl::Status committed = (*store)->Commit("input", epoch);
    seconds.push_back(absl::ToDoubleSeconds(absl::Now() - start));
    if (!committed.ok()) {
      state.SkipWithError(committed.ToString().c_str());
      break;
    }
  }
  if (seconds.empty()) return;
  std::sort(seconds.begin(), seconds.end());
  state.counters["median_commit_ms"] = 1e3 * seconds[seconds.size() / 2];
  state.counters["partitions"] = partitions;
}

// The work happens on worker threads and in fsync, so only wall time means
// anything.
BENCHMARK(BM_RecoveryThroughput)
    ->ArgName("workers")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);
BENCHMARK(BM_Resume)->ArgName("workers")->Arg(1)->Arg(2)->UseRealTime()->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_Commit)
    ->ArgName("partitions")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
