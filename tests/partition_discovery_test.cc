// Partitions found while running: `RunOptions::relist_interval` lists the
// partitions again, deals new ones to workers without moving running ones,
// builds them with their stored state, and warns once about vanished ones.

#include "partition_discovery.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "scripted_input.h"

namespace inlet {
namespace {

using ::inlet_test::PartitionScript;
using ::inlet_test::ScriptedInput;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Names = std::vector<std::string>;

TEST(PartitionDiscoveryTest, NewNamesGoToTheWorkerOwningFewestLowestIndexFirst) {
  internal::PartitionDiscovery discovery({{"a", "c"}, {"b"}, {}});
  internal::PartitionDiscovery::Found found = discovery.Update({"a", "b", "c", "e", "d", "f"});
  // Sorted: d to worker 2 (0 owned), e to worker 1 (1 owned, lower than 2),
  // f to worker 2.
  EXPECT_THAT(found.assigned, ElementsAre(IsEmpty(), ElementsAre("e"), ElementsAre("d", "f")));
  EXPECT_THAT(found.vanished, IsEmpty());
  EXPECT_EQ(discovery.known(), 6u);
}

TEST(PartitionDiscoveryTest, AKnownNameNeverMovesAndAVanishedOneIsReportedOnce) {
  internal::PartitionDiscovery discovery({{"a"}, {"b"}});
  internal::PartitionDiscovery::Found found = discovery.Update({"b", "c"});
  EXPECT_THAT(found.assigned, ElementsAre(ElementsAre("c"), IsEmpty()));
  EXPECT_THAT(found.vanished, ElementsAre("a"));
  found = discovery.Update({"b"});
  EXPECT_THAT(found.assigned, ElementsAre(IsEmpty(), IsEmpty()));
  EXPECT_THAT(found.vanished, ElementsAre("c")) << "a was reported already";
  found = discovery.Update({"a", "b", "c"});
  EXPECT_THAT(found.assigned, ElementsAre(IsEmpty(), IsEmpty())) << "back, but not new";
  EXPECT_THAT(found.vanished, IsEmpty());
}

// Lists what `listing` holds when called.
class Listing {
 public:
  explicit Listing(Names names) : names_(std::move(names)) {}
  void Set(Names names) {
    std::lock_guard<std::mutex> lock(mu_);
    names_ = std::move(names);
  }
  Names Get() {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    return names_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  Names names_;
  int calls_ = 0;
};

std::map<std::string, PartitionScript> Scripts(const Names& names, int64_t items) {
  std::map<std::string, PartitionScript> scripts;
  for (const std::string& name : names) scripts[name] = PartitionScript{.items = items};
  return scripts;
}

// Waits until `done()` or 10 s.
template <class Done>
void WaitFor(Done done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!done() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
}

TEST(RelistTest, NewPartitionsAreReadOnTheWorkerTheRuleGivesAndVanishedOnesWarnOnce) {
  ScriptedInput input(Scripts({"a", "b", "c", "d"}, 3));
  Listing listing({"a", "b"});
  input.list_parts = [&]() -> absl::StatusOr<Names> { return listing.Get(); };
  CountingSink<int64_t> sink;
  std::stop_source stop;
  std::jthread driver([&] {
    WaitFor([&] { return input.count("b", "Close") == 1; });
    listing.Set({"a", "b", "c"});
    WaitFor([&] { return input.count("c", "Close") == 1; });
    listing.Set({"b", "c", "d"});
    WaitFor([&] { return input.count("d", "Close") == 1; });
    const int calls = listing.calls();
    WaitFor([&] { return listing.calls() >= calls + 3; });
    stop.request_stop();
  });
  auto report = inlet::Run(input, sink,
                           {.workers = 2,
                            .epoch_interval = absl::Milliseconds(5),
                            .stop = stop.get_token(),
                            .relist_interval = absl::Milliseconds(5)});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped) << "with relisting, only a stop ends the run";
  EXPECT_EQ(report->partition_items,
            (std::map<std::string, int64_t>{{"a", 3}, {"b", 3}, {"c", 3}, {"d", 3}}));
  // a on worker 0 and b on worker 1 at the start; c then goes to worker 0
  // (a tie, lowest index) and d to worker 1.
  auto thread_of = [&](const std::string& part) { return input.calls(part).back().thread; };
  EXPECT_EQ(thread_of("c"), thread_of("a"));
  EXPECT_EQ(thread_of("d"), thread_of("b"));
  EXPECT_NE(thread_of("a"), thread_of("b"));
  int vanished = 0;
  for (const std::string& warning : report->warnings) {
    vanished += absl::StrContains(warning, "\"a\" is no longer returned by ListParts");
  }
  EXPECT_EQ(vanished, 1);
  EXPECT_EQ(input.count("a", "BuildPart"), 1);
}

TEST(RelistTest, ANewPartitionWithAStoredStateResumesFromIt) {
  const std::filesystem::path db =
      std::filesystem::path(::testing::TempDir()) / absl::StrCat("relist_", getpid(), ".db");
  std::filesystem::remove(db);
  {
    ScriptedInput first(Scripts({"a", "b"}, 4));
    CountingSink<int64_t> sink;
    ASSERT_TRUE(inlet::Run(first, sink, {.recovery_db = db}).ok());
  }
  // b has a stored state (4) but is not listed at first; once listed it
  // resumes from 4 and reads 4..9.
  ScriptedInput second(Scripts({"a", "b"}, 10));
  Listing listing({"a"});
  second.list_parts = [&]() -> absl::StatusOr<Names> { return listing.Get(); };
  CountingSink<int64_t> sink;
  std::stop_source stop;
  std::jthread driver([&] {
    WaitFor([&] { return second.count("a", "Close") == 1; });
    listing.Set({"a", "b"});
    WaitFor([&] { return second.count("b", "Close") == 1; });
    stop.request_stop();
  });
  auto report = inlet::Run(second, sink,
                           {.epoch_interval = absl::Milliseconds(5),
                            .recovery_db = db,
                            .stop = stop.get_token(),
                            .relist_interval = absl::Milliseconds(5)});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->partition_items, (std::map<std::string, int64_t>{{"a", 6}, {"b", 6}}));
  EXPECT_EQ(report->snapshots, (std::map<std::string, nlohmann::json>{{"a", 10}, {"b", 10}}));
  std::filesystem::remove(db);
}

TEST(RelistTest, AFailingRelistStopsTheRunNamingListParts) {
  ScriptedInput input(Scripts({"a"}, 3));
  std::atomic<int> calls{0};
  input.list_parts = [&]() -> absl::StatusOr<Names> {
    if (calls.fetch_add(1) == 0) return Names{"a"};
    return absl::UnavailableError("broker unreachable");
  };
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.relist_interval = absl::Milliseconds(5)});
  EXPECT_EQ(report.status(),
            absl::UnavailableError("step \"input\": ListParts: broker unreachable"));
  EXPECT_EQ(input.count("a", "Close"), 1);
}

TEST(RelistTest, WithoutRelistingListPartsIsCalledOnceAndTheRunEndsWithItsPartitions) {
  ScriptedInput input(Scripts({"a", "b"}, 3));
  Listing listing({"a", "b"});
  input.list_parts = [&]() -> absl::StatusOr<Names> { return listing.Get(); };
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.workers = 2});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->stopped);
  EXPECT_EQ(listing.calls(), 1);
}

}  // namespace
}  // namespace inlet
