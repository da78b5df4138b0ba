// The testing kit: TestingSource markers and resume state, TestingSink.

#include "inlet/testing/testing.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/run.h"

namespace inlet {
namespace {

using ::testing::ElementsAre;
using Source = TestingSource<int>;

TEST(TestingSourceTest, ReplaysItemsInBatchesAndEnds) {
  Source input = Source::FromItems({1, 2, 3, 4, 5}, 2);
  auto part = input.BuildPart("step", "iterable", std::nullopt);
  ASSERT_TRUE(part.ok());
  std::vector<int> batch;
  EXPECT_EQ(*(*part)->NextBatch(batch), Poll::kMore);
  EXPECT_THAT(batch, ElementsAre(1, 2));
  batch.clear();
  EXPECT_EQ(*(*part)->NextBatch(batch), Poll::kMore);
  EXPECT_THAT(batch, ElementsAre(3, 4));
  batch.clear();
  EXPECT_EQ(*(*part)->NextBatch(batch), Poll::kEnd);
  EXPECT_THAT(batch, ElementsAre(5));
  EXPECT_EQ((*part)->Snapshot(), 5);
}

TEST(TestingSourceTest, ResumesRightAfterTheSnapshot) {
  Source input = Source::FromItems({10, 20, 30});
  auto first = input.BuildPart("step", "iterable", std::nullopt);
  std::vector<int> batch;
  ASSERT_TRUE((*first)->NextBatch(batch).ok());
  const int64_t state = (*first)->Snapshot();
  EXPECT_EQ(state, 1);
  auto resumed = input.BuildPart("step", "iterable", state);
  batch.clear();
  ASSERT_TRUE((*resumed)->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre(20));
}

TEST(TestingSourceTest, RejectsAnUnknownPartitionAndAnOutOfRangeIndex) {
  Source input = Source::FromItems({1});
  EXPECT_EQ(input.BuildPart("step", "other", std::nullopt).status(),
            absl::NotFoundError(
                "TestingSource has no partition \"other\"; its only partition is \"iterable\""));
  EXPECT_EQ(input.BuildPart("step", "iterable", 5).status(),
            absl::InvalidArgumentError("TestingSource resume index 5 is outside [0, 1]"));
}

TEST(TestingSourceTest, EofEndsTheRunAndTheNextRunContinuesAfterIt) {
  Source input({1, 2, Source::Eof{}, 3, 4});
  TestingSink<int> first_sink;
  auto first = inlet::Run(input, first_sink);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first_sink.items(), ElementsAre(1, 2));
  const int64_t state = first->snapshots.at("iterable").get<int64_t>();
  EXPECT_EQ(state, 3);
  auto rest = input.BuildPart("step", "iterable", state);
  std::vector<int> batch;
  for (int poll = 0; poll < 2; ++poll) ASSERT_TRUE((*rest)->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre(3, 4));
}

TEST(TestingSourceTest, AbortFailsTheRunOnceThenIsPassed) {
  Source input({1, Source::Abort{}, 2});
  TestingSink<int> sink;
  auto aborted = inlet::Run(input, sink, {.step_id = "s"});
  EXPECT_EQ(aborted.status(), absl::AbortedError("step \"s\" partition \"iterable\": NextBatch: "
                                                 "TestingSource ABORT marker at entry 1"));
  TestingSink<int> again;
  auto passed = inlet::Run(input, again);
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_THAT(again.items(), ElementsAre(1, 2));
}

TEST(TestingSourceTest, PauseDelaysTheNextItemThroughNextAwake) {
  Source input({1, Source::Pause{absl::Milliseconds(50)}, 2});
  auto part = input.BuildPart("step", "iterable", std::nullopt);
  std::vector<int> batch;
  ASSERT_TRUE((*part)->NextBatch(batch).ok());
  ASSERT_THAT(batch, ElementsAre(1));
  ASSERT_TRUE((*part)->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre(1));  // The pause hands out nothing.
  std::optional<absl::Time> awake = (*part)->NextAwake();
  ASSERT_TRUE(awake.has_value());
  EXPECT_GT(*awake, absl::Now() + absl::Milliseconds(30));

  const absl::Time start = absl::Now();
  TestingSink<int> sink;
  ASSERT_TRUE(inlet::Run(input, sink).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_THAT(sink.items(), ElementsAre(1, 2));
}

}  // namespace
}  // namespace inlet
