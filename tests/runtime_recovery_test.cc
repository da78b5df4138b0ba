// Recovery through the store: resume from the latest complete epoch,
// rescale, partitions no longer listed, orderly stop, exactly-once file
// output, and bad recovery files.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/counting_sink.h"
#include "inlet/json_lines_sink.h"
#include "inlet/run.h"
#include "nlohmann/json.hpp"
#include "scripted_input.h"

namespace inlet {
namespace {

using ::inlet_test::PartitionScript;
using ::inlet_test::ScriptedInput;
using ::testing::HasSubstr;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class RuntimeRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("runtime_recovery_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `input` into the JSON-lines file `output` with the store `db`.
  absl::StatusOr<RunReport> RunInto(ScriptedInput& input, RunOptions options) {
    auto sink = JsonLinesSink<int64_t>::Open(output());
    if (!sink.ok()) return sink.status();
    options.recovery_db = db();
    return inlet::Run(input, **sink, options);
  }

  // The numbers in the output file, in file order.
  std::vector<int64_t> Output() const {
    std::vector<int64_t> numbers;
    for (absl::string_view line : absl::StrSplit(ReadFile(output()), '\n', absl::SkipEmpty())) {
      numbers.push_back(nlohmann::json::parse(line).get<int64_t>());
    }
    return numbers;
  }

  std::filesystem::path db() const { return dir_ / "recovery.db"; }
  std::filesystem::path output() const { return dir_ / "out.jsonl"; }

  std::filesystem::path dir_;
};

// `partitions` partitions that each hand out 0..items-1, paced so that
// epochs close while they run.
std::map<std::string, PartitionScript> Paced(int partitions, int64_t items,
                                             std::function<absl::Status(int64_t)> hook = nullptr) {
  std::map<std::string, PartitionScript> scripts;
  for (int k = 0; k < partitions; ++k) {
    scripts[absl::StrCat("p", k)] = {
        .items = items, .before_batch = hook, .awake = [](int64_t) {
          return std::optional<absl::Time>(absl::Now() + absl::Microseconds(300));
        }};
  }
  return scripts;
}

// Every partition hands out the same numbers, so exactly-once output holds
// each number exactly once per partition.
void ExpectEachNumberExactly(const std::vector<int64_t>& numbers, int64_t items, int times) {
  std::map<int64_t, int> seen;
  for (int64_t n : numbers) ++seen[n];
  ASSERT_EQ(seen.size(), static_cast<size_t>(items));
  for (const auto& [n, count] : seen) EXPECT_EQ(count, times) << "item " << n;
}

TEST_F(RuntimeRecoveryTest, AFailedRunResumesFromTheLastEpochAndTheFileGetsEveryItemOnce) {
  std::atomic<bool> fail_once{true};
  ScriptedInput first(Paced(3, 200, [&](int64_t next) {
    return next == 150 && fail_once.exchange(false) ? absl::UnavailableError("connection reset")
                                                    : absl::OkStatus();
  }));
  auto failed = RunInto(first, {.workers = 2, .epoch_interval = absl::Milliseconds(10)});
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("NextBatch: connection reset"));

  ScriptedInput second(Paced(3, 200));
  auto resumed = RunInto(second, {.workers = 2, .epoch_interval = absl::Milliseconds(10)});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_GT(resumed->resumed_epoch, 0);
  // Every partition was rebuilt from a stored state, not from the start.
  for (const std::string part : {"p0", "p1", "p2"}) {
    EXPECT_LT(resumed->partition_items.at(part), 200) << part;
  }
  ExpectEachNumberExactly(Output(), 200, 3);
}

TEST_F(RuntimeRecoveryTest, RescalingUpAndDownLosesAndRepeatsNothing) {
  const std::vector<int> workers = {2, 3, 1};
  for (size_t run = 0; run < workers.size(); ++run) {
    ScriptedInput input(Paced(6, 300));
    std::stop_source stop;
    std::thread stopper;
    if (run + 1 < workers.size()) {
      stopper = std::thread([&] {
        absl::SleepFor(absl::Milliseconds(40));
        stop.request_stop();
      });
    }
    auto report = RunInto(input, {.workers = workers[run],
                                  .epoch_interval = absl::Milliseconds(10),
                                  .stop = stop.get_token()});
    if (stopper.joinable()) stopper.join();
    ASSERT_TRUE(report.ok()) << "run " << run << ": " << report.status();
  }
  ExpectEachNumberExactly(Output(), 300, 6);
}

TEST_F(RuntimeRecoveryTest, AnOrderlyStopCommitsSoTheNextRunReReadsNothing) {
  {
    ScriptedInput input(Paced(2, 100));
    auto report = RunInto(input, {.epoch_interval = absl::Seconds(60)});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->epochs, 1);
  }
  ScriptedInput again(Paced(2, 100));
  auto report = RunInto(again, {.epoch_interval = absl::Seconds(60)});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->items, 0);
  EXPECT_EQ(report->resumed_epoch, 1);
  ExpectEachNumberExactly(Output(), 100, 2);
}

TEST_F(RuntimeRecoveryTest, APartitionNoLongerListedKeepsItsStateWithOneWarning) {
  ScriptedInput both({{"a", {.items = 5}}, {"b", {.items = 7}}});
  ASSERT_TRUE(RunInto(both, {}).ok());

  ScriptedInput only_a({{"a", {.items = 5}}});
  auto report = RunInto(only_a, {});
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_EQ(report->warnings[0],
            "step \"input\": partition \"b\" has a stored state but ListParts no longer returns "
            "it; its state is kept for a later run");
  EXPECT_EQ(report->snapshots.at("b"), 7);

  ScriptedInput both_again({{"a", {.items = 5}}, {"b", {.items = 7}}});
  auto last = RunInto(both_again, {});
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->items, 0);
  EXPECT_TRUE(last->warnings.empty());
}

TEST_F(RuntimeRecoveryTest, ANonTransactionalSinkRepeatsOnlyWhatFollowedTheLastEpoch) {
  std::atomic<bool> fail_once{true};
  ScriptedInput first(Paced(1, 400, [&](int64_t next) {
    return next == 300 && fail_once.exchange(false) ? absl::UnavailableError("boom")
                                                    : absl::OkStatus();
  }));
  CountingSink<int64_t> first_sink;
  RunOptions options{.epoch_interval = absl::Milliseconds(10), .recovery_db = db()};
  ASSERT_FALSE(inlet::Run(first, first_sink, options).ok());
  EXPECT_EQ(first_sink.items(), 300);

  ScriptedInput second(Paced(1, 400));
  CountingSink<int64_t> second_sink;
  auto report = inlet::Run(second, second_sink, options);
  ASSERT_TRUE(report.ok()) << report.status();
  // The second run starts at the committed position: it repeats the items
  // after it (at-least-once) and nothing before it.
  const int64_t committed = 400 - second_sink.items();
  EXPECT_GT(committed, 0);
  EXPECT_LE(committed, 300);
  EXPECT_EQ(first_sink.items() + second_sink.items() - 400, 300 - committed);
}

TEST_F(RuntimeRecoveryTest, ABadRecoveryFileStopsTheRunAndTouchesNothing) {
  {
    std::ofstream(db()) << "these are not the bytes of a database\n";
    std::ofstream(output()) << "1\n2\n";
  }
  const std::string db_before = ReadFile(db());
  ScriptedInput input({{"a", {.items = 5}}});
  auto report = RunInto(input, {});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr(absl::StrCat("recovery file ", db().string())));
  EXPECT_EQ(ReadFile(db()), db_before);
  EXPECT_EQ(ReadFile(output()), "1\n2\n");
  EXPECT_TRUE(input.methods("a").empty()) << "a partition was built despite the bad file";
}

TEST_F(RuntimeRecoveryTest, AnOutputShorterThanItsCommittedLengthIsAnError) {
  ScriptedInput input({{"a", {.items = 5}}});
  ASSERT_TRUE(RunInto(input, {}).ok());
  std::filesystem::resize_file(output(), 2);
  ScriptedInput again({{"a", {.items = 5}}});
  auto report = RunInto(again, {});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(),
              HasSubstr("shorter than the 10 bytes committed to the recovery store"));
}

}  // namespace
}  // namespace inlet
