// The runtime polls a partition only when it is due and sleeps otherwise.

#include <sys/resource.h>

#include <atomic>
#include <map>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "scripted_input.h"

namespace inlet {
namespace {

using ::inlet_test::Call;
using ::inlet_test::PartitionScript;
using ::inlet_test::ScriptedInput;

std::vector<absl::Time> PollTimes(const ScriptedInput& input, const std::string& part) {
  std::vector<absl::Time> times;
  for (const Call& call : input.calls(part)) {
    if (call.method == "NextBatch") times.push_back(call.at);
  }
  return times;
}

TEST(RuntimeSchedulingTest, NextAwakeIsAskedAfterBuildingAndObeyedBeforeTheFirstPoll) {
  const absl::Time not_before = absl::Now() + absl::Milliseconds(80);
  ScriptedInput input({{"p", {.items = 1, .awake = [&](int64_t) {
                                return std::optional<absl::Time>(not_before);
                              }}}});
  CountingSink<int64_t> sink;
  ASSERT_TRUE(inlet::Run(input, sink).ok());
  std::vector<std::string> methods = input.methods("p");
  ASSERT_GE(methods.size(), 3u);
  EXPECT_EQ(methods[0], "BuildPart");
  EXPECT_EQ(methods[1], "NextAwake");
  EXPECT_EQ(methods[2], "NextBatch");
  EXPECT_GE(PollTimes(input, "p").front(), not_before);
}

TEST(RuntimeSchedulingTest, EveryPollWaitsForTheTimeNextAwakeReturned) {
  // Each batch asks for the next poll 15 ms later.
  std::map<int64_t, absl::Time> asked;  // Items handed out -> requested time.
  std::mutex mutex;
  ScriptedInput input({{"p", {.items = 8, .awake = [&](int64_t next) {
                                std::lock_guard<std::mutex> lock(mutex);
                                absl::Time at = absl::Now() + absl::Milliseconds(15);
                                asked[next] = at;
                                return std::optional<absl::Time>(at);
                              }}}});
  CountingSink<int64_t> sink;
  ASSERT_TRUE(inlet::Run(input, sink).ok());
  // The n-th poll (n >= 1) follows the awake time asked after n items.
  std::vector<absl::Time> polls = PollTimes(input, "p");
  ASSERT_EQ(polls.size(), 8u);
  for (size_t n = 1; n < polls.size(); ++n) {
    EXPECT_GE(polls[n], asked.at(static_cast<int64_t>(n))) << "poll " << n << " came early";
  }
}

TEST(RuntimeSchedulingTest, EmptyBatchWithoutAwakeWaitsTheOneMillisecondCooldown) {
  // 20 empty batches without an awake time, then the item.
  class Slow final : public StatefulSource<int64_t, int64_t> {
   public:
    explicit Slow(std::vector<absl::Time>& polls) : polls_(polls) {}
    absl::StatusOr<Poll> NextBatch(std::vector<int64_t>& out) override {
      polls_.push_back(absl::Now());
      if (polls_.size() <= 20) return Poll::kMore;
      out.push_back(1);
      return Poll::kEnd;
    }
    int64_t Snapshot() override { return 0; }

   private:
    std::vector<absl::Time>& polls_;
  };
  class OnePart final : public PartitionedInput<int64_t, int64_t> {
   public:
    absl::StatusOr<std::vector<std::string>> ListParts() override {
      return std::vector<std::string>{"p"};
    }
    absl::StatusOr<std::unique_ptr<StatefulSource<int64_t, int64_t>>> BuildPart(
        std::string_view, std::string_view, std::optional<int64_t>) override {
      return std::make_unique<Slow>(polls);
    }
    std::vector<absl::Time> polls;
  };
  OnePart one;
  CountingSink<int64_t> sink;
  ASSERT_TRUE(inlet::Run(one, sink).ok());
  ASSERT_EQ(one.polls.size(), 21u);
  for (size_t i = 1; i < one.polls.size(); ++i) {
    EXPECT_GE(one.polls[i] - one.polls[i - 1], absl::Milliseconds(1))
        << "poll " << i << " came before the cooldown";
  }
}

TEST(RuntimeSchedulingTest, NonEmptyBatchWithoutAwakeIsPolledAgainAtOnce) {
  ScriptedInput input({{"p", {.items = 2000, .batch = 1}}});
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink);
  ASSERT_TRUE(report.ok());
  // 2000 polls with a 1 ms pause each would take 2 s; back-to-back they take
  // a few milliseconds. Half a second tells the two apart on any machine.
  EXPECT_LT(report->wall_time, absl::Milliseconds(500));
  EXPECT_EQ(sink.items(), 2000);
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

TEST(RuntimeSchedulingTest, WorkersWithNothingDueSleep) {
  // 50 partitions that always want to be polled 500 ms from now, on two
  // workers, for 1.5 s: the process must stay (almost) idle.
  std::map<std::string, PartitionScript> scripts;
  for (int i = 0; i < 50; ++i) {
    scripts[absl::StrCat("p", i)] = {
        .items = 1'000'000, .batch = 0, .awake = [](int64_t) {
          return std::optional<absl::Time>(absl::Now() + absl::Milliseconds(500));
        }};
  }
  ScriptedInput input(scripts);
  CountingSink<int64_t> sink;
  std::stop_source stop;
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(1500));
    stop.request_stop();
  });
  const double cpu_before = ProcessCpuSeconds();
  const absl::Time wall_before = absl::Now();
  auto report = inlet::Run(input, sink, {.workers = 2, .stop = stop.get_token()});
  const double cpu = ProcessCpuSeconds() - cpu_before;
  const double wall = absl::ToDoubleSeconds(absl::Now() - wall_before);
  stopper.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped);
  // A spinning worker would use ~100% of a core; sleeping ones use well
  // under 1%. 5% leaves room for sanitizer builds.
  EXPECT_LT(cpu / wall, 0.05) << "CPU " << cpu << " s over " << wall << " s wall";
  // Each partition was polled about 3 times (at 0, 0.5, 1.0 s), never spun.
  EXPECT_LE(input.count("p7", "NextBatch"), 5);
}

}  // namespace
}  // namespace inlet
