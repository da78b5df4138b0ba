// A worker keeps at most `RunOptions::max_open_partitions` partitions
// built; the others wait in order, keep their stored state in every epoch
// committed meanwhile, and are built as earlier ones are closed.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <map>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "open_partition_limit.h"
#include "scripted_input.h"

namespace inlet {
namespace {

using ::inlet_test::PartitionScript;
using ::inlet_test::ScriptedInput;
using ::testing::ElementsAre;

// Counts the partitions built and not yet closed, and the most at once.
struct OpenCount {
  std::atomic<int> open{0};
  std::atomic<int> most{0};
  void Opened() {
    const int now = open.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
  }
};

std::map<std::string, PartitionScript> Parts(int count, int64_t items, OpenCount& counter) {
  std::map<std::string, PartitionScript> parts;
  for (int i = 0; i < count; ++i) {
    parts[absl::StrCat("p", i / 10, i % 10)] =
        PartitionScript{.items = items, .batch = 2, .on_close = [&counter] { --counter.open; }};
  }
  return parts;
}

TEST(OpenPartitionsTest, NoMoreThanTheBoundIsOpenAndEveryPartitionIsReadWhole) {
  OpenCount counter;
  ScriptedInput input(Parts(30, 5, counter));
  input.before_build = [&](std::string_view) {
    counter.Opened();
    return absl::OkStatus();
  };
  CountingSink<int64_t> sink;
  // An hour between epochs: ended partitions make room through the early
  // epochs their workers ask for, not through the interval.
  auto report = inlet::Run(
      input, sink, {.workers = 2, .epoch_interval = absl::Hours(1), .max_open_partitions = 3});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->items, 150);
  EXPECT_EQ(report->partition_items.size(), 30u);
  for (const auto& [name, items] : report->partition_items) EXPECT_EQ(items, 5) << name;
  EXPECT_LE(counter.most.load(), 6) << "2 workers with 3 open each";
  EXPECT_GE(counter.most.load(), 2);
  EXPECT_EQ(counter.open.load(), 0);
  EXPECT_GT(report->epochs, 1);
  EXPECT_EQ(report->snapshots.size(), 30u);
  for (const auto& [name, state] : report->snapshots) EXPECT_EQ(state, 5) << name;
  for (int i = 0; i < 30; ++i) {
    const std::string name = absl::StrCat("p", i / 10, i % 10);
    const std::vector<std::string> methods = input.methods(name);
    ASSERT_FALSE(methods.empty()) << name;
    EXPECT_EQ(methods.front(), "BuildPart") << name;
    EXPECT_EQ(methods.back(), "Close") << name;
    EXPECT_EQ(input.count(name, "Close"), 1) << name;
  }
}

TEST(OpenPartitionsTest, OneWorkerBuildsItsPartitionsInSortedOrderOneAtATime) {
  OpenCount counter;
  ScriptedInput input(Parts(5, 3, counter));
  std::vector<std::string> built;
  input.before_build = [&](std::string_view part) {
    counter.Opened();
    built.emplace_back(part);
    return absl::OkStatus();
  };
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.max_open_partitions = 1});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->items, 15);
  EXPECT_EQ(counter.most.load(), 1);
  EXPECT_THAT(built, ElementsAre("p00", "p01", "p02", "p03", "p04"));
}

TEST(OpenPartitionsTest, PartitionsNotBuiltYetKeepTheirStoredStateInEveryEpoch) {
  const std::filesystem::path db = std::filesystem::path(::testing::TempDir()) /
                                   absl::StrCat("open_partitions_", getpid(), ".db");
  std::filesystem::remove(db);
  OpenCount counter;
  {
    // Every partition reads its first 4 items.
    ScriptedInput first(Parts(4, 4, counter));
    CountingSink<int64_t> sink;
    auto report = inlet::Run(first, sink, {.recovery_db = db});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->items, 16);
  }
  {
    // The partitions grew to 8 items; p00 stops at 6 and waits for a wake
    // that never comes, so with one open partition the others are never built
    // while epochs commit.
    std::map<std::string, PartitionScript> parts = Parts(4, 8, counter);
    parts["p00"].awake = [](int64_t next) {
      return next >= 6 ? std::optional<absl::Time>(absl::InfiniteFuture()) : std::nullopt;
    };
    parts["p00"].before_batch = [](int64_t next) {
      return next >= 6 ? absl::FailedPreconditionError("polled past 6") : absl::OkStatus();
    };
    ScriptedInput second(std::move(parts));
    CountingSink<int64_t> sink;
    std::stop_source stop;
    std::jthread stopper([&] {
      absl::SleepFor(absl::Milliseconds(300));
      stop.request_stop();
    });
    auto report = inlet::Run(second, sink,
                             {.epoch_interval = absl::Milliseconds(20),
                              .recovery_db = db,
                              .stop = stop.get_token(),
                              .max_open_partitions = 1});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->items, 2);
    EXPECT_GT(report->epochs, 2);
    EXPECT_EQ(report->snapshots, (std::map<std::string, nlohmann::json>{
                                     {"p00", 6}, {"p01", 4}, {"p02", 4}, {"p03", 4}}));
    EXPECT_THAT(second.methods("p01"), ElementsAre());
  }
  {
    ScriptedInput third(Parts(4, 8, counter));
    CountingSink<int64_t> sink;
    auto report = inlet::Run(third, sink, {.recovery_db = db, .max_open_partitions = 1});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->partition_items,
              (std::map<std::string, int64_t>{{"p00", 2}, {"p01", 4}, {"p02", 4}, {"p03", 4}}));
  }
  std::filesystem::remove(db);
}

TEST(OpenPartitionsTest, AFailingBuildOfAWaitingPartitionNamesItAndClosesTheOthers) {
  OpenCount counter;
  ScriptedInput input(Parts(3, 2, counter));
  input.before_build = [](std::string_view part) {
    return part == "p02" ? absl::NotFoundError("no such shard") : absl::OkStatus();
  };
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.max_open_partitions = 1});
  EXPECT_EQ(report.status(),
            absl::NotFoundError("step \"input\" partition \"p02\": BuildPart: no such shard"));
  EXPECT_EQ(input.count("p00", "Close"), 1);
  EXPECT_EQ(input.count("p01", "Close"), 1);
}

TEST(OpenPartitionsTest, NegativeBoundIsRejected) {
  OpenCount counter;
  ScriptedInput input(Parts(1, 1, counter));
  CountingSink<int64_t> sink;
  EXPECT_EQ(inlet::Run(input, sink, {.max_open_partitions = -1}).status(),
            absl::InvalidArgumentError("RunOptions.max_open_partitions must not be negative, "
                                       "got -1"));
}

TEST(OpenPartitionLimitTest, DefaultIsHalfTheDescriptorsLeftAfterTheReserveSharedByWorkers) {
  using internal::DefaultOpenPartitions;
  EXPECT_EQ(DefaultOpenPartitions(1024, 1), 480);
  EXPECT_EQ(DefaultOpenPartitions(1024, 2), 240);
  EXPECT_EQ(DefaultOpenPartitions(20000, 2), 4984);
  EXPECT_EQ(DefaultOpenPartitions(64, 2), 1) << "at least one";
  EXPECT_EQ(DefaultOpenPartitions(10, 4), 1);
  EXPECT_EQ(DefaultOpenPartitions(-1, 2), std::numeric_limits<int>::max()) << "unlimited";
  EXPECT_EQ(internal::OpenPartitionsPerWorker(7, 2), 7);
}

}  // namespace
}  // namespace inlet
