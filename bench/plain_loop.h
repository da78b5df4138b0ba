// The plain polling loop inlet::Run is measured against: the same sources,
// polled round-robin on the same number of threads with the same
// partition-to-thread split, and nothing else (no scheduling, no `NextAwake`,
// no epochs). Used by runtime_overhead_bench.cc (throughput) and
// runtime_overhead_driver.cc (instructions per item under callgrind), so both
// measure the same code.

#ifndef INLET_BENCH_PLAIN_LOOP_H_
#define INLET_BENCH_PLAIN_LOOP_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inlet/counting_sink.h"
#include "inlet/source.h"
#include "memory_input.h"

namespace inlet_bench {

// Drains `sources` round-robin, as a cooperative loop must, into `sink`.
inline absl::Status Drain(std::vector<std::unique_ptr<MemoryInput::Source>> sources,
                          inlet::CountingSink<int64_t>& sink) {
  std::vector<int64_t> batch;
  while (!sources.empty()) {
    for (size_t i = 0; i < sources.size();) {
      absl::StatusOr<inlet::Poll> poll = sources[i]->NextBatch(batch);
      if (!poll.ok()) return poll.status();
      if (!batch.empty()) {
        if (absl::Status written = sink.Write(batch); !written.ok()) return written;
        batch.clear();
      }
      if (*poll == inlet::Poll::kEnd) {
        sources[i]->Close();
        sources.erase(sources.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
  return absl::OkStatus();
}

// Builds every partition on the calling thread, gives partition i (in sorted
// order) to thread i % workers as the runtime's balanced rule does, and
// drains each thread's share on its own thread.
inline absl::Status PollPlainly(MemoryInput& input, inlet::CountingSink<int64_t>& sink,
                                int workers) {
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  if (!parts.ok()) return parts.status();
  std::sort(parts->begin(), parts->end());
  std::vector<std::vector<std::unique_ptr<MemoryInput::Source>>> shares(workers);
  for (size_t i = 0; i < parts->size(); ++i) {
    absl::StatusOr<std::unique_ptr<MemoryInput::Source>> source =
        input.BuildPart("input", (*parts)[i], std::nullopt);
    if (!source.ok()) return source.status();
    shares[i % workers].push_back(*std::move(source));
  }
  std::vector<absl::Status> results(workers);
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] { results[w] = Drain(std::move(shares[w]), sink); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& result : results) {
    if (!result.ok()) return result;
  }
  return absl::OkStatus();
}

}  // namespace inlet_bench

#endif  // INLET_BENCH_PLAIN_LOOP_H_
