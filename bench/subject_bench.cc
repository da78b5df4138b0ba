// What the subject adapter costs, and how soon a commit reaches the sink.
//
// BM_Subject pushes `kMessages` 16-byte strings through a `ConnectorSubject`
// (raw format, a commit every `kCommitEvery` messages) into a
// `CountingSink` on one worker, as `std::string` items and as
// `inlet::Message` items. BM_PlainHandoff moves the same strings from
// a producer thread to a consumer thread through a plain bounded queue of
// the same capacity (a mutex, two condition variables, and a consumer that
// takes everything queued at once): the floor any thread-to-thread handoff
// pays. bench/report.py divides their throughputs.
//
// BM_CommitLatency pushes one message, commits it and waits until the sink
// has it, over and over; it reports the 50th and 99th percentile of the time
// from `Commit` to the sink's `Write`.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "inlet/callback_sink.h"
#include "inlet/connector_subject.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "inlet/subject_input.h"

namespace {

constexpr int64_t kMessages = int64_t{1} << 21;
constexpr int64_t kCommitEvery = 1024;
constexpr size_t kBacklog = 65536;

// Writes the 16-byte payload of message `i` into `payload`.
void FormatPayload(int64_t i, char (&payload)[16]) {
  std::memcpy(payload, "message-00000000", 16);
  for (int k = 15; k >= 8 && i > 0; --k, i /= 10) payload[k] = static_cast<char>('0' + i % 10);
}

class PayloadSubject final : public inlet::ConnectorSubject {
 public:
  void Run() override {
    char payload[16];
    for (int64_t i = 0; i < kMessages; ++i) {
      FormatPayload(i, payload);
      NextStr(std::string_view(payload, sizeof(payload)));
      if ((i + 1) % kCommitEvery == 0) Commit();
    }
  }
};

// `T` is the item type: `std::string` (the text alone) or `inlet::Message`
// (the text as a JSON string value).
template <class T>
void BM_Subject(benchmark::State& state) {
  for (auto _ : state) {
    inlet::SubjectInput<T> input([] { return std::make_unique<PayloadSubject>(); },
                                 {.format = inlet::MessageFormat::kRaw, .max_backlog = kBacklog});
    inlet::CountingSink<T> sink;
    absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
    if (!report.ok() || sink.items() != kMessages) {
      state.SkipWithError("the run failed or lost messages");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}
BENCHMARK(BM_Subject<std::string>)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Subject<inlet::Message>)->Unit(benchmark::kMillisecond)->UseRealTime();

// A bounded queue of strings between one producer and one consumer.
class PlainHandoff {
 public:
  void Push(std::string item) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [&] { return queue_.size() < kBacklog; });
    queue_.push_back(std::move(item));
    if (queue_.size() == 1) not_empty_.notify_one();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_one();
  }
  // Moves everything queued into `out`; false once closed and drained.
  bool TakeAll(std::vector<std::string>& out) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return false;
    out.swap(queue_);
    not_full_.notify_one();
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::vector<std::string> queue_;
  bool closed_ = false;
};

void BM_PlainHandoff(benchmark::State& state) {
  for (auto _ : state) {
    PlainHandoff handoff;
    std::thread producer([&] {
      char payload[16];
      for (int64_t i = 0; i < kMessages; ++i) {
        FormatPayload(i, payload);
        handoff.Push(std::string(payload, sizeof(payload)));
      }
      handoff.Close();
    });
    int64_t received = 0;
    std::vector<std::string> batch;
    while (handoff.TakeAll(batch)) {
      received += static_cast<int64_t>(batch.size());
      batch.clear();
    }
    producer.join();
    benchmark::DoNotOptimize(received);
    if (received != kMessages) {
      state.SkipWithError("the handoff lost messages");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
}
BENCHMARK(BM_PlainHandoff)->Unit(benchmark::kMillisecond)->UseRealTime();

constexpr int kLatencySamples = 2000;

using Clock = std::chrono::steady_clock;

// Pushes one message holding the time of its commit, commits, and waits for
// the sink to have it before the next.
class PingSubject final : public inlet::ConnectorSubject {
 public:
  explicit PingSubject(std::atomic<int>& received) : received_(received) {}
  void Run() override {
    for (int i = 0; i < kLatencySamples && !stop_requested(); ++i) {
      NextJson(Clock::now().time_since_epoch().count());
      Commit();
      while (received_.load(std::memory_order_acquire) <= i) std::this_thread::yield();
    }
  }

 private:
  std::atomic<int>& received_;
};

void BM_CommitLatency(benchmark::State& state) {
  std::vector<double> micros;
  for (auto _ : state) {
    std::atomic<int> received{0};
    inlet::SubjectInput input([&] { return std::make_unique<PingSubject>(received); },
                              {.autocommit_duration = absl::InfiniteDuration()});
    inlet::CallbackSink<inlet::Message> sink([&](std::span<const inlet::Message> batch) {
      const int64_t now = Clock::now().time_since_epoch().count();
      for (const inlet::Message& message : batch) {
        micros.push_back(static_cast<double>(now - message.value.get<int64_t>()) / 1e3);
      }
      received.fetch_add(static_cast<int>(batch.size()), std::memory_order_release);
      return absl::OkStatus();
    });
    if (!inlet::Run(input, sink).ok()) {
      state.SkipWithError("the run failed");
      return;
    }
  }
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
  state.counters["samples"] = static_cast<double>(micros.size());
  state.SetItemsProcessed(static_cast<int64_t>(micros.size()));
}
BENCHMARK(BM_CommitLatency)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
