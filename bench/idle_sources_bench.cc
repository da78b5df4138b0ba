// What real sources cost while they have nothing to deliver: 100 subjects
// that never push (a push source waiting on its client library), and 100
// files followed for appends (`FileInput` with `follow`) that nobody writes.
// bench/bytewax_idle.py measures the same two shapes in Bytewax, and
// bench/report.py sets them side by side.
//
// A third run measures what waking costs in latency: the same 100 followed
// files, one line appended to one of them every kAppendEvery, and the time
// from the write to the sink's receiving the line.
//
// Each idle run lasts kWarmup + kWindow; the CPU time of the whole process (every
// thread: workers, coordinator, subject threads) is read at the start and the
// end of the window, after the partitions are built and have settled, and
// reported as a percentage of one core.

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "inlet/callback_sink.h"
#include "inlet/connector_subject.h"
#include "inlet/connectors/file_input.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "inlet/run_options.h"
#include "inlet/subject_input.h"

namespace {

constexpr int kPartitions = 100;
constexpr std::chrono::seconds kWarmup{1};
constexpr std::chrono::seconds kWindow{5};

// A subject whose client never has anything: `Run` blocks until the stop.
class IdleSubject final : public inlet::ConnectorSubject {
 public:
  void Run() override {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait(lock, stop_token(), [] { return false; });
  }
};

// User plus system time of every thread of this process.
absl::Duration ProcessCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

// Sleeps `duration` unless `cancelled`; false when cancelled.
bool SleepFor(const std::stop_token& cancelled, std::chrono::nanoseconds duration) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock<std::mutex> lock(mutex);
  return !wake.wait_for(lock, cancelled, duration, [] { return false; }) &&
         !cancelled.stop_requested();
}

// Runs `input` on one worker for kWarmup + kWindow and records the CPU it
// used during the window in `state`'s counters. The run must deliver
// `expected_items`, the items there before it started.
template <class Input>
void MeasureIdle(benchmark::State& state, Input& input, int64_t expected_items) {
  using Item = typename Input::Item;
  inlet::CountingSink<Item> sink;
  inlet::RunOptions options;
  std::stop_source stop;
  options.stop = stop.get_token();
  absl::Duration cpu;
  absl::Duration wall;
  std::jthread timer([&](const std::stop_token& cancelled) {
    if (!SleepFor(cancelled, kWarmup)) return;
    const absl::Duration cpu_before = ProcessCpuTime();
    const absl::Time wall_before = absl::Now();
    if (!SleepFor(cancelled, kWindow)) return;
    cpu = ProcessCpuTime() - cpu_before;
    wall = absl::Now() - wall_before;
    stop.request_stop();
  });
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, options);
  timer.request_stop();
  timer.join();
  if (!report.ok()) {
    state.SkipWithError(report.status().ToString().c_str());
    return;
  }
  if (!report->stopped || wall == absl::ZeroDuration()) {
    state.SkipWithError("the run ended before the measurement window closed");
    return;
  }
  if (sink.items() != expected_items) {
    state.SkipWithError("the sources delivered more or fewer items than were there");
    return;
  }
  state.counters["cpu_percent_of_one_core"] = 100.0 * absl::FDivDuration(cpu, wall);
  state.counters["partitions"] = kPartitions;
  state.counters["window_s"] = absl::ToDoubleSeconds(wall);
}

void BM_IdleSubjects(benchmark::State& state) {
  std::vector<std::string> partitions;
  for (int i = 0; i < kPartitions; ++i) partitions.push_back(absl::StrCat("subject-", i));
  for (auto _ : state) {
    inlet::SubjectInput<std::string> input(
        partitions, [](std::string_view) { return std::make_unique<IdleSubject>(); },
        {.format = inlet::MessageFormat::kRaw});
    MeasureIdle(state, input, 0);
  }
}
BENCHMARK(BM_IdleSubjects)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

// A fresh directory under TMPDIR holding kPartitions files of one line each,
// removed on destruction.
class FollowedFiles {
 public:
  FollowedFiles() {
    std::string pattern = (std::filesystem::temp_directory_path() / "idle-files-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return;
    directory_ = pattern;
    for (int i = 0; i < kPartitions; ++i) {
      std::filesystem::path path = directory_ / absl::StrCat("file-", i, ".txt");
      std::ofstream(path) << "a line already there\n";
      paths_.push_back(std::move(path));
    }
  }
  FollowedFiles(const FollowedFiles&) = delete;
  FollowedFiles& operator=(const FollowedFiles&) = delete;
  ~FollowedFiles() {
    std::error_code ignored;
    if (!directory_.empty()) std::filesystem::remove_all(directory_, ignored);
  }

  const std::vector<std::filesystem::path>& paths() const { return paths_; }

 private:
  std::filesystem::path directory_;
  std::vector<std::filesystem::path> paths_;
};

void BM_IdleFollowedFiles(benchmark::State& state) {
  FollowedFiles files;
  if (files.paths().size() != kPartitions) {
    state.SkipWithError("could not create the files to follow under TMPDIR");
    return;
  }
  for (auto _ : state) {
    // Their one line each is read during the warmup: the window sees only
    // the follow mode's polling of files nobody writes.
    inlet::FileInput input(files.paths(), {.follow = true});
    MeasureIdle(state, input, kPartitions);
  }
}
BENCHMARK(BM_IdleFollowedFiles)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

constexpr int kAppends = 200;
constexpr absl::Duration kAppendEvery = absl::Milliseconds(10);

// The milliseconds at `fraction` (0 to 1) of the sorted `sorted`.
double Percentile(const std::vector<double>& sorted, double fraction) {
  const size_t at = static_cast<size_t>(fraction * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[at];
}

void BM_FollowedFileAppendLatency(benchmark::State& state) {
  FollowedFiles files;
  if (files.paths().size() != kPartitions) {
    state.SkipWithError("could not create the files to follow under TMPDIR");
    return;
  }
  for (auto _ : state) {
    inlet::FileInput input(files.paths(), {.follow = true});
    // Written and received times of each appended line, "append <n>".
    std::vector<absl::Time> written(kAppends);
    std::vector<absl::Duration> latency(kAppends, absl::InfiniteDuration());
    std::atomic<int> received{0};
    std::atomic<int> lines{0};
    inlet::CallbackSink<std::string> sink([&](std::span<const std::string> batch) {
      const absl::Time now = absl::Now();
      for (const std::string& line : batch) {
        lines.fetch_add(1);
        int n = 0;
        if (line.rfind("append ", 0) != 0 || !absl::SimpleAtoi(line.substr(7), &n) || n < 0 ||
            n >= kAppends) {
          continue;
        }
        latency[n] = now - written[n];
        received.fetch_add(1);
      }
      return absl::OkStatus();
    });
    std::stop_source stop;
    absl::StatusOr<inlet::RunReport> report;
    std::jthread run([&] {
      inlet::RunOptions options;
      options.stop = stop.get_token();
      report = inlet::Run(input, sink, options);
    });
    absl::SleepFor(absl::FromChrono(kWarmup));
    for (int n = 0; n < kAppends; ++n) {
      const std::filesystem::path& path = files.paths()[n % kPartitions];
      const std::string line = absl::StrCat("append ", n, "\n");
      written[n] = absl::Now();
      std::ofstream(path, std::ios::app) << line << std::flush;
      absl::SleepFor(kAppendEvery);
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (received.load() < kAppends && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    stop.request_stop();
    run.join();
    if (!report.ok()) {
      state.SkipWithError(report.status().ToString().c_str());
      return;
    }
    if (received.load() != kAppends || lines.load() != kPartitions + kAppends) {
      state.SkipWithError("not every appended line reached the sink exactly once");
      return;
    }
    std::vector<double> ms;
    for (absl::Duration d : latency) ms.push_back(absl::ToDoubleMilliseconds(d));
    std::sort(ms.begin(), ms.end());
    state.counters["p50_ms"] = Percentile(ms, 0.5);
    state.counters["p99_ms"] = Percentile(ms, 0.99);
    state.counters["max_ms"] = ms.back();
    state.counters["appends"] = kAppends;
  }
}
BENCHMARK(BM_FollowedFileAppendLatency)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
