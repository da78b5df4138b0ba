// What an idle run costs: 100 partitions that have nothing to read and ask,
// through `NextAwake`, to be polled again in one second. A runtime that
// sleeps until a partition is due uses next to no CPU; one that spins or
// polls early shows up here. Each run lasts five seconds and reports the
// process's CPU time over that span as a percentage of one core.

#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "inlet/counting_sink.h"
#include "inlet/partitioned_input.h"
#include "inlet/run.h"
#include "inlet/run_options.h"
#include "inlet/source.h"

namespace {

constexpr int kPartitions = 100;
constexpr absl::Duration kPollEvery = absl::Seconds(1);
constexpr std::chrono::seconds kRunFor{5};

class IdleInput final : public inlet::PartitionedInput<int64_t, int64_t> {
 public:
  absl::StatusOr<std::vector<std::string>> ListParts() override {
    std::vector<std::string> parts;
    parts.reserve(kPartitions);
    for (int i = 0; i < kPartitions; ++i) parts.push_back(absl::StrCat("idle-", i));
    return parts;
  }

  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view, std::string_view,
                                                    std::optional<int64_t>) override {
    return std::make_unique<Partition>(polls_);
  }

  int64_t polls() const { return polls_.load(std::memory_order_relaxed); }

 private:
  class Partition final : public inlet::StatefulSource<int64_t, int64_t> {
   public:
    explicit Partition(std::atomic<int64_t>& polls) : polls_(polls) {}

    absl::StatusOr<inlet::Poll> NextBatch(std::vector<int64_t>&) override {
      polls_.fetch_add(1, std::memory_order_relaxed);
      return inlet::Poll::kMore;
    }
    std::optional<absl::Time> NextAwake() override { return absl::Now() + kPollEvery; }
    int64_t Snapshot() override { return 0; }

   private:
    std::atomic<int64_t>& polls_;
  };

  std::atomic<int64_t> polls_{0};
};

// User plus system time of every thread of this process.
absl::Duration ProcessCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

void BM_IdleRun(benchmark::State& state) {
  inlet::RunOptions options;
  options.workers = static_cast<int>(state.range(0));
  for (auto _ : state) {
    IdleInput input;
    inlet::CountingSink<int64_t> sink;
    std::stop_source stop;
    options.stop = stop.get_token();
    // Requests the stop after kRunFor, or returns early once cancelled.
    std::jthread timer([&stop](const std::stop_token& cancelled) {
      std::mutex mutex;
      std::condition_variable_any wake;
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait_for(lock, cancelled, kRunFor, [] { return false; });
      stop.request_stop();
    });

    const absl::Duration cpu_before = ProcessCpuTime();
    const absl::Time wall_before = absl::Now();
    absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, options);
    const absl::Duration wall = absl::Now() - wall_before;
    const absl::Duration cpu = ProcessCpuTime() - cpu_before;
    timer.request_stop();

    if (!report.ok()) {
      state.SkipWithError(report.status().ToString().c_str());
      break;
    }
    if (!report->stopped) {
      state.SkipWithError("the run ended before the stop was requested");
      break;
    }
    state.counters["cpu_percent_of_one_core"] = 100.0 * absl::FDivDuration(cpu, wall);
    state.counters["polls"] = static_cast<double>(input.polls());
    state.counters["partitions"] = kPartitions;
  }
}

BENCHMARK(BM_IdleRun)
    ->ArgName("workers")
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
