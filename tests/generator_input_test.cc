#include "inlet/connectors/generator_input.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/run.h"
#include "inlet/testing/testing.h"
#include "test_support.h"

namespace inlet {
namespace {

using ::inlet_test::ReadToEnd;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Source = StatelessSource<int64_t>;

// Worker w of c produces w * 1000 + n for n < `count`, then ends.
GeneratorInput<int64_t>::Generator CountTo(int64_t count) {
  return [count](int worker, int, int64_t n) -> std::optional<int64_t> {
    if (n >= count) return std::nullopt;
    return worker * 1000 + n;
  };
}

std::unique_ptr<Source> Build(GeneratorInput<int64_t>& input, int worker, int workers) {
  absl::StatusOr<std::unique_ptr<Source>> source = input.Build("step", worker, workers);
  EXPECT_TRUE(source.ok()) << source.status();
  return source.ok() ? *std::move(source) : nullptr;
}

TEST(GeneratorInputTest, EachWorkerCallsTheFunctionWithItsOwnNumbersAndCount) {
  std::vector<std::tuple<int, int, int64_t>> calls;
  GeneratorInput<int64_t> input([&calls](int worker, int workers, int64_t n) {
    calls.emplace_back(worker, workers, n);
    return n < 3 ? std::optional<int64_t>(worker * 1000 + n) : std::nullopt;
  });
  for (int worker = 0; worker < 3; ++worker) {
    SCOPED_TRACE(absl::StrCat("worker ", worker));
    calls.clear();
    std::unique_ptr<Source> source = Build(input, worker, 3);
    ASSERT_NE(source, nullptr);
    EXPECT_THAT(ReadToEnd(*source),
                ElementsAre(worker * 1000, worker * 1000 + 1, worker * 1000 + 2));
    EXPECT_THAT(calls, ElementsAre(std::make_tuple(worker, 3, 0), std::make_tuple(worker, 3, 1),
                                   std::make_tuple(worker, 3, 2), std::make_tuple(worker, 3, 3)));
  }
}

TEST(GeneratorInputTest, NulloptEndsTheSourceWithTheItemsBeforeIt) {
  int calls = 0;
  GeneratorInput<int64_t> input([&calls](int, int, int64_t n) -> std::optional<int64_t> {
    ++calls;
    if (n >= 2) return std::nullopt;
    return n;
  });
  std::unique_ptr<Source> source = Build(input, 0, 1);
  ASSERT_NE(source, nullptr);
  std::vector<int64_t> batch;
  absl::StatusOr<Poll> poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kEnd);
  EXPECT_THAT(batch, ElementsAre(0, 1));
  EXPECT_EQ(calls, 3);

  batch.clear();
  poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kEnd);
  EXPECT_THAT(batch, IsEmpty());
  EXPECT_EQ(calls, 3) << "an ended source must not call the function again";
}

TEST(GeneratorInputTest, BatchHoldsAtMostBatchSizeItems) {
  GeneratorInput<int64_t> input(CountTo(10), {.batch_size = 4});
  std::unique_ptr<Source> source = Build(input, 0, 1);
  ASSERT_NE(source, nullptr);
  std::vector<std::vector<int64_t>> batches;
  for (int call = 0; call < 10; ++call) {
    std::vector<int64_t> batch;
    absl::StatusOr<Poll> poll = source->NextBatch(batch);
    ASSERT_TRUE(poll.ok()) << poll.status();
    batches.push_back(batch);
    if (*poll == Poll::kEnd) break;
  }
  EXPECT_THAT(batches,
              ElementsAre(ElementsAre(0, 1, 2, 3), ElementsAre(4, 5, 6, 7), ElementsAre(8, 9)));
}

TEST(GeneratorInputTest, BatchSizeZeroMeansOneItemPerBatch) {
  GeneratorInput<int64_t> input(CountTo(10), {.batch_size = 0});
  std::unique_ptr<Source> source = Build(input, 0, 1);
  ASSERT_NE(source, nullptr);
  std::vector<int64_t> batch;
  ASSERT_TRUE(source->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre(0));
}

TEST(GeneratorInputTest, WithoutIntervalTheSourceIsAlwaysDue) {
  GeneratorInput<int64_t> input(CountTo(100), {.batch_size = 10});
  std::unique_ptr<Source> source = Build(input, 0, 1);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->NextAwake(), std::nullopt);
  std::vector<int64_t> batch;
  ASSERT_TRUE(source->NextBatch(batch).ok());
  EXPECT_EQ(batch.size(), 10u);
  EXPECT_EQ(source->NextAwake(), std::nullopt);
  batch.clear();
  ASSERT_TRUE(source->NextBatch(batch).ok());
  EXPECT_EQ(batch.size(), 10u);
}

TEST(GeneratorInputTest, IntervalAllowsOneBatchPerInterval) {
  const absl::Duration interval = absl::Milliseconds(200);
  int calls = 0;
  GeneratorInput<int64_t> input(
      [&calls](int, int, int64_t n) -> std::optional<int64_t> {
        ++calls;
        return n;
      },
      {.batch_size = 2, .interval = interval});
  const absl::Time before_build = absl::Now();
  std::unique_ptr<Source> source = Build(input, 0, 1);
  const absl::Time after_build = absl::Now();
  ASSERT_NE(source, nullptr);

  std::optional<absl::Time> awake = source->NextAwake();
  ASSERT_TRUE(awake.has_value());
  EXPECT_LE(*awake, absl::Now()) << "the first batch is due when the source is built";

  std::vector<int64_t> batch;
  absl::StatusOr<Poll> poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kMore);
  EXPECT_THAT(batch, ElementsAre(0, 1));
  awake = source->NextAwake();
  ASSERT_TRUE(awake.has_value());
  EXPECT_GE(*awake, before_build + interval);
  EXPECT_LE(*awake, after_build + interval);

  // Polled before it is due: no batch, and the function is not called.
  batch.clear();
  poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kMore);
  EXPECT_THAT(batch, IsEmpty());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(source->NextAwake(), awake);

  absl::SleepFor(*awake - absl::Now());
  batch.clear();
  poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_THAT(batch, ElementsAre(2, 3));
  EXPECT_EQ(source->NextAwake(), *awake + interval) << "batches keep the interval's cadence";
}

TEST(GeneratorInputTest, BatchesMissedWhileBehindAreSkipped) {
  const absl::Duration interval = absl::Milliseconds(100);
  GeneratorInput<int64_t> input(CountTo(1000), {.batch_size = 1, .interval = interval});
  std::unique_ptr<Source> source = Build(input, 0, 1);
  ASSERT_NE(source, nullptr);
  std::vector<int64_t> batch;
  ASSERT_TRUE(source->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre(0));

  absl::SleepFor(4 * interval);
  const absl::Time late_poll = absl::Now();
  batch.clear();
  ASSERT_TRUE(source->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre(1));
  std::optional<absl::Time> awake = source->NextAwake();
  ASSERT_TRUE(awake.has_value());
  EXPECT_GE(*awake, late_poll + interval);

  batch.clear();
  ASSERT_TRUE(source->NextBatch(batch).ok());
  EXPECT_THAT(batch, IsEmpty()) << "no burst to make up for the missed batches";
}

TEST(GeneratorInputTest, BuildRejectsWorkerNumbersOutOfRange) {
  GeneratorInput<int64_t> input(CountTo(1));
  for (const auto& [worker, workers] : {std::pair{3, 3}, std::pair{-1, 3}, std::pair{0, 0}}) {
    absl::StatusOr<std::unique_ptr<Source>> source = input.Build("step", worker, workers);
    ASSERT_FALSE(source.ok());
    EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(source.status().message(),
              absl::StrCat("GeneratorInput: worker ", worker, " of ", workers, " is out of range"));
  }
}

TEST(GeneratorInputTest, BuildRejectsAnEmptyFunction) {
  GeneratorInput<int64_t> input(nullptr);
  absl::StatusOr<std::unique_ptr<Source>> source = input.Build("step", 0, 1);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(source.status().message(), "GeneratorInput has an empty function");
}

TEST(GeneratorInputTest, WorksWithStringItems) {
  GeneratorInput<std::string> input([](int worker, int, int64_t n) -> std::optional<std::string> {
    if (n >= 2) return std::nullopt;
    return absl::StrCat("w", worker, "-", n);
  });
  absl::StatusOr<std::unique_ptr<StatelessSource<std::string>>> source = input.Build("s", 1, 2);
  ASSERT_TRUE(source.ok()) << source.status();
  std::vector<std::string> batch;
  absl::StatusOr<Poll> poll = (*source)->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kEnd);
  EXPECT_THAT(batch, ElementsAre("w1-0", "w1-1"));
}

// End to end through the embedded runtime.

TEST(GeneratorInputRunTest, EveryWorkerDeliversItsWholeSequenceOnce) {
  GeneratorInput<int64_t> input(CountTo(100), {.batch_size = 7});
  TestingSink<int64_t> sink;
  absl::StatusOr<RunReport> report = inlet::Run(input, sink, {.workers = 3});
  ASSERT_TRUE(report.ok()) << report.status();

  std::vector<int64_t> expected;
  for (int worker = 0; worker < 3; ++worker) {
    for (int64_t n = 0; n < 100; ++n) expected.push_back(worker * 1000 + n);
  }
  std::vector<int64_t> received = sink.items();
  std::sort(received.begin(), received.end());
  EXPECT_EQ(received, expected);
  EXPECT_EQ(report->items, 300);
  EXPECT_EQ(report->partition_items, (std::map<std::string, int64_t>{
                                         {"worker-0", 100}, {"worker-1", 100}, {"worker-2", 100}}));
  EXPECT_THAT(report->snapshots, IsEmpty());
}

TEST(GeneratorInputRunTest, RuntimeObeysTheInterval) {
  const absl::Duration interval = absl::Milliseconds(50);
  GeneratorInput<int64_t> input(CountTo(5), {.batch_size = 1, .interval = interval});
  std::mutex mutex;
  std::vector<absl::Time> writes;
  CallbackSink<int64_t> sink([&](std::span<const int64_t> items) {
    std::lock_guard<std::mutex> lock(mutex);
    for (size_t i = 0; i < items.size(); ++i) writes.push_back(absl::Now());
    return absl::OkStatus();
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<RunReport> report = inlet::Run(input, sink, {.workers = 1});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->items, 5);
  ASSERT_EQ(writes.size(), 5u);
  // Item k is due k intervals after the source was built, which was after
  // `start`.
  for (size_t k = 0; k < writes.size(); ++k) {
    EXPECT_GE(writes[k] - start, static_cast<int64_t>(k) * interval) << "item " << k;
  }
  EXPECT_GE(report->wall_time, 4 * interval);
}

}  // namespace
}  // namespace inlet
