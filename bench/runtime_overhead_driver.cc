// Drains a fixed number of items through inlet::Run or the plain loop, once,
// for counting instructions per item under callgrind
// (bench/callgrind_per_item.py). The same input, sink, options and loop as
// runtime_overhead_bench.cc, without Google Benchmark's timing loop, whose
// iteration count is not fixed.
//
//   runtime_overhead_driver --mode=inlet --batch=64 --items=4194304
//
// Flags (all required but --partitions and --workers):
//   --mode=inlet|inlet-metrics|plain  through inlet::Run (default RunOptions),
//                        inlet::Run collecting metrics (`collect_metrics`, an
//                        `on_metrics` that keeps a copy, as RunMain's
//                        --metrics-address does) or the plain loop
//   --batch=B            items per NextBatch, >= 1
//   --items=N            items in all, a positive multiple of --partitions
//   --partitions=P       in-memory partitions (default 4, as the benchmark)
//   --workers=W          worker threads (default 1)
//   --metrics-interval-ms=M  with inlet-metrics, `metrics_interval` (default
//                        1000, RunMain's)
// Prints the items read on stdout. Exit status: 0 when every item arrived
// exactly once, 1 when the run failed or lost items, 2 for a bad command line.

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inlet/counting_sink.h"
#include "inlet/metrics.h"
#include "inlet/run.h"
#include "inlet/run_options.h"
#include "memory_input.h"
#include "plain_loop.h"

namespace {

int Usage(const std::string& problem) {
  std::fprintf(
      stderr,
      "runtime_overhead_driver: %s\n"
      "usage: runtime_overhead_driver --mode=inlet|inlet-metrics|plain --batch=B --items=N "
      "[--partitions=P] [--workers=W] [--metrics-interval-ms=M]\n",
      problem.c_str());
  return 2;
}

// Parses `text` as an integer >= 1 into `value`; false when it is not one.
bool ParsePositive(std::string_view text, int64_t& value) {
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const long long parsed = std::strtoll(copy.c_str(), &end, 10);
  if (copy.empty() || *end != '\0' || errno != 0 || parsed < 1) return false;
  value = parsed;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode;
  int64_t batch = 0;
  int64_t items = 0;
  int64_t partitions = 4;
  int64_t workers = 1;
  int64_t metrics_interval_ms = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : arg.substr(equals + 1);
    int64_t* number = nullptr;
    if (name == "--mode") {
      if (value != "inlet" && value != "inlet-metrics" && value != "plain") {
        return Usage("--mode=" + std::string(value) + ": expected inlet, inlet-metrics or plain");
      }
      mode = value;
      continue;
    }
    if (name == "--batch") number = &batch;
    if (name == "--items") number = &items;
    if (name == "--partitions") number = &partitions;
    if (name == "--workers") number = &workers;
    if (name == "--metrics-interval-ms") number = &metrics_interval_ms;
    if (number == nullptr) return Usage("unknown argument \"" + std::string(arg) + "\"");
    if (!ParsePositive(value, *number)) {
      return Usage(std::string(name) + "=" + std::string(value) +
                   ": expected an integer of at least 1");
    }
  }
  if (mode.empty() || batch == 0 || items == 0) {
    return Usage("--mode, --batch and --items are required");
  }
  if (items % partitions != 0) {
    return Usage("--items=" + std::to_string(items) +
                 " is not a multiple of --partitions=" + std::to_string(partitions));
  }

  inlet_bench::MemoryInput input(static_cast<int>(partitions), items / partitions, batch);
  inlet::CountingSink<int64_t> sink;
  absl::Status status;
  std::mutex mu;
  inlet::RunMetrics latest;
  if (mode != "plain") {
    inlet::RunOptions options;
    options.workers = static_cast<int>(workers);
    if (mode == "inlet-metrics") {
      options.collect_metrics = true;
      options.metrics_interval = absl::Milliseconds(metrics_interval_ms);
      options.on_metrics = [&](const inlet::RunMetrics& taken) {
        std::lock_guard<std::mutex> lock(mu);
        latest = taken;
      };
    }
    absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, options);
    status = report.status();
  } else {
    status = inlet_bench::PollPlainly(input, sink, static_cast<int>(workers));
  }
  if (!status.ok()) {
    std::fprintf(stderr, "runtime_overhead_driver: %s\n", status.ToString().c_str());
    return 1;
  }
  if (sink.items() != input.total_items()) {
    std::fprintf(stderr, "runtime_overhead_driver: %lld items arrived, %lld expected\n",
                 static_cast<long long>(sink.items()), static_cast<long long>(input.total_items()));
    return 1;
  }
  std::printf("%lld\n", static_cast<long long>(sink.items()));
  return 0;
}
