// Delivery and waking: output reaches the sink's destination without waiting
// for an epoch, and a source woken from another thread is polled at once.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "inlet/partitioned_input.h"
#include "inlet/run.h"
#include "inlet/sink.h"
#include "inlet/source.h"
#include "scripted_input.h"

namespace {

using inlet_test::PartitionScript;
using inlet_test::ScriptedInput;

// Records when each batch was written and when the sink was flushed and
// committed.
class TimingSink final : public inlet::Sink<int64_t> {
 public:
  absl::Status Write(std::span<const int64_t> items) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < items.size(); ++i) writes_.push_back(absl::Now());
    return absl::OkStatus();
  }
  absl::Status Flush() override {
    std::lock_guard<std::mutex> lock(mutex_);
    flushes_.push_back(absl::Now());
    return absl::OkStatus();
  }
  absl::StatusOr<nlohmann::json> Commit() override {
    std::lock_guard<std::mutex> lock(mutex_);
    commits_.push_back(absl::Now());
    return nlohmann::json();
  }
  absl::Status Close() override { return absl::OkStatus(); }

  std::vector<absl::Time> writes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return writes_;
  }
  std::vector<absl::Time> flushes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return flushes_;
  }
  std::vector<absl::Time> commits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commits_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<absl::Time> writes_;
  std::vector<absl::Time> flushes_;
  std::vector<absl::Time> commits_;
};

TEST(RuntimeDeliveryTest, AWorkerFlushesTheSinkBeforeItSleepsLongBeforeTheEpoch) {
  // Three items, then the partition waits far longer than the test lasts.
  const absl::Time start = absl::Now();
  ScriptedInput input({{"p", PartitionScript{.items = 1000, .batch = 3, .awake = [&](int64_t next) {
                                               return std::optional<absl::Time>(
                                                   next == 0 ? absl::InfinitePast()
                                                             : start + absl::Hours(1));
                                             }}}});
  TimingSink sink;
  std::stop_source stop;
  std::jthread stopper([&] {
    absl::SleepFor(absl::Milliseconds(300));
    stop.request_stop();
  });
  auto report =
      inlet::Run(input, sink, {.epoch_interval = absl::Seconds(30), .stop = stop.get_token()});
  ASSERT_TRUE(report.ok()) << report.status();
  const std::vector<absl::Time> writes = sink.writes();
  const std::vector<absl::Time> flushes = sink.flushes();
  ASSERT_EQ(writes.size(), 3u);
  ASSERT_FALSE(flushes.empty());
  // The flush follows the write at once, and long before the one epoch
  // (which only the stop closed).
  EXPECT_GE(flushes.front(), writes.back());
  EXPECT_LT(flushes.front() - writes.back(), absl::Milliseconds(50));
  ASSERT_EQ(sink.commits().size(), 1u);
  EXPECT_GT(sink.commits().front() - flushes.front(), absl::Milliseconds(200));
}

TEST(RuntimeDeliveryTest, ABusyWorkerFlushesAtLeastEveryFlushInterval) {
  // Never idle: a batch is ready at every poll for about 400 ms.
  const absl::Time start = absl::Now();
  ScriptedInput input(
      {{"p", PartitionScript{.items = 1'000'000'000, .batch = 1, .before_batch = [&](int64_t) {
                               return absl::Now() - start > absl::Milliseconds(400)
                                          ? absl::CancelledError("enough")
                                          : absl::OkStatus();
                             }}}});
  TimingSink sink;
  auto report = inlet::Run(
      input, sink, {.epoch_interval = absl::Seconds(30), .flush_interval = absl::Milliseconds(20)});
  ASSERT_FALSE(report.ok());  // The scripted end of the busy spell.
  const std::vector<absl::Time> flushes = sink.flushes();
  ASSERT_GE(flushes.size(), 5u);
  for (size_t i = 1; i < flushes.size(); ++i) {
    EXPECT_LT(flushes[i] - flushes[i - 1], absl::Milliseconds(20) + absl::Milliseconds(80))
        << "gap " << i;
  }
}

// A partition fed by another thread: it has nothing until the feeder hands it
// a value and wakes it.
class FedInput final : public inlet::PartitionedInput<int64_t, int64_t> {
 public:
  absl::StatusOr<std::vector<std::string>> ListParts() override { return {{"fed"}}; }
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view, std::string_view,
                                                    std::optional<int64_t>) override {
    return std::make_unique<Part>(*this);
  }

  // Called by the feeder thread.
  void Feed(int64_t value) {
    inlet::Waker waker;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.push_back(value);
      waker = waker_;
    }
    waker.Wake();
  }
  bool bound() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bound_;
  }
  int polls() const { return polls_.load(); }

 private:
  class Part final : public inlet::StatefulSource<int64_t, int64_t> {
   public:
    explicit Part(FedInput& input) : input_(input) {}
    absl::StatusOr<inlet::Poll> NextBatch(std::vector<int64_t>& out) override {
      ++input_.polls_;
      std::lock_guard<std::mutex> lock(input_.mutex_);
      out.insert(out.end(), input_.ready_.begin(), input_.ready_.end());
      const bool end = !input_.ready_.empty() && input_.ready_.back() < 0;
      input_.ready_.clear();
      return end ? inlet::Poll::kEnd : inlet::Poll::kMore;
    }
    std::optional<absl::Time> NextAwake() override {
      std::lock_guard<std::mutex> lock(input_.mutex_);
      input_.waker_ = waker();
      input_.bound_ = true;
      return input_.ready_.empty() ? absl::InfiniteFuture() : absl::InfinitePast();
    }
    int64_t Snapshot() override { return 0; }

   private:
    FedInput& input_;
  };

  mutable std::mutex mutex_;
  std::vector<int64_t> ready_;
  inlet::Waker waker_;
  bool bound_ = false;
  std::atomic<int> polls_{0};
};

TEST(RuntimeDeliveryTest, AWokenPartitionIsPolledAtOnceAndAnIdleOneNotAtAll) {
  FedInput input;
  TimingSink sink;
  std::vector<absl::Time> fed_at;
  std::jthread feeder([&] {
    while (!input.bound()) absl::SleepFor(absl::Milliseconds(1));
    absl::SleepFor(absl::Milliseconds(100));  // Idle: nothing may poll it now.
    const int idle_polls = input.polls();
    EXPECT_LE(idle_polls, 1);
    for (int64_t i = 1; i <= 20; ++i) {
      fed_at.push_back(absl::Now());
      input.Feed(i);
      absl::SleepFor(absl::Milliseconds(5));
    }
    input.Feed(-1);
  });
  auto report = inlet::Run(input, sink, {.epoch_interval = absl::Seconds(30)});
  feeder.join();
  ASSERT_TRUE(report.ok()) << report.status();
  const std::vector<absl::Time> writes = sink.writes();
  ASSERT_EQ(writes.size(), 21u);
  std::vector<absl::Duration> latencies;
  for (size_t i = 0; i < fed_at.size(); ++i) latencies.push_back(writes[i] - fed_at[i]);
  std::sort(latencies.begin(), latencies.end());
  // The median wake reaches the sink well under the 1 ms cooldown a polled
  // source would wait, even on a loaded machine.
  EXPECT_LT(latencies[latencies.size() / 2], absl::Milliseconds(5));
  // About one poll per feed, never a spin.
  EXPECT_LE(input.polls(), 60);
}

}  // namespace
