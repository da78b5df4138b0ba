#include "partition_assignment.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "scripted_input.h"

namespace inlet::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Names(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(absl::StrCat("part-", i < 10 ? "0" : "", i));
  return names;
}

TEST(PartitionAssignmentTest, EveryWorkerListingEverythingIsRoundRobinOverSortedNames) {
  auto owned = AssignPartitions({{"c", "a", "d", "b", "e"}, {"e", "d", "c", "b", "a"}});
  ASSERT_TRUE(owned.ok()) << owned.status();
  EXPECT_THAT((*owned)[0], ElementsAre("a", "c", "e"));
  EXPECT_THAT((*owned)[1], ElementsAre("b", "d"));
}

TEST(PartitionAssignmentTest, CountsDifferByAtMostOne) {
  for (int workers = 1; workers <= 7; ++workers) {
    for (int parts = 0; parts <= 20; ++parts) {
      auto owned = AssignPartitions(std::vector<std::vector<std::string>>(workers, Names(parts)));
      ASSERT_TRUE(owned.ok());
      size_t least = parts, most = 0, total = 0;
      for (const auto& mine : *owned) {
        least = std::min(least, mine.size());
        most = std::max(most, mine.size());
        total += mine.size();
      }
      EXPECT_EQ(total, static_cast<size_t>(parts));
      EXPECT_LE(most - least, 1u) << workers << " workers, " << parts << " partitions";
    }
  }
}

TEST(PartitionAssignmentTest, DoesNotDependOnTheOrderOfTheLists) {
  std::vector<std::string> names = Names(13);
  auto expected = AssignPartitions({names, names, names});
  ASSERT_TRUE(expected.ok());
  std::mt19937 random(42);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::vector<std::string>> lists(3, names);
    for (auto& list : lists) std::shuffle(list.begin(), list.end(), random);
    auto owned = AssignPartitions(lists);
    ASSERT_TRUE(owned.ok());
    EXPECT_EQ(*owned, *expected);
  }
}

TEST(PartitionAssignmentTest, UsesTheUnionAndOnlyWorkersThatListedAPartition) {
  auto owned = AssignPartitions({{"a", "b"}, {"b", "c"}, {}});
  ASSERT_TRUE(owned.ok());
  EXPECT_THAT((*owned)[0], ElementsAre("a"));
  EXPECT_THAT((*owned)[1], ElementsAre("b", "c"));
  EXPECT_THAT((*owned)[2], IsEmpty());
}

TEST(PartitionAssignmentTest, RejectsANameListedTwiceByOneWorker) {
  auto owned = AssignPartitions({{"a"}, {"b", "a", "b"}});
  EXPECT_EQ(owned.status(), absl::InvalidArgumentError("worker 1 lists partition \"b\" twice"));
}

TEST(PartitionAssignmentTest, RunRejectsListPartsWithADuplicate) {
  inlet_test::ScriptedInput input({{"a", {}}});
  input.list_parts = [] { return std::vector<std::string>{"a", "b", "a"}; };
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.step_id = "orders"});
  EXPECT_EQ(report.status(), absl::InvalidArgumentError(
                                 "step \"orders\": ListParts: partition \"a\" is listed twice"));
}

TEST(PartitionAssignmentTest, RunPollsEachPartitionFromOneWorkerThreadAndBalancesThem) {
  std::map<std::string, inlet_test::PartitionScript> scripts;
  for (const std::string& name : Names(7)) scripts[name] = {.items = 50, .batch = 3};
  inlet_test::ScriptedInput input(scripts);
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.workers = 3});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(sink.items(), 7 * 50);
  std::map<std::thread::id, int> partitions_per_thread;
  for (const std::string& name : Names(7)) {
    // BuildPart and the first NextAwake run on the thread that called Run.
    std::vector<inlet_test::Call> calls = input.calls(name);
    ASSERT_GT(calls.size(), 2u);
    std::set<std::thread::id> threads;
    for (size_t i = 2; i < calls.size(); ++i) threads.insert(calls[i].thread);
    ASSERT_EQ(threads.size(), 1u) << name << " was polled from several threads";
    ++partitions_per_thread[*threads.begin()];
  }
  ASSERT_EQ(partitions_per_thread.size(), 3u);
  for (const auto& [thread, count] : partitions_per_thread) {
    EXPECT_TRUE(count == 2 || count == 3) << count;
  }
}

}  // namespace
}  // namespace inlet::internal
