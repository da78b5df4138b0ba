// Epochs: snapshots at every epoch close and at the end of a partition,
// never after Close; Close exactly once; orderly stop.

#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "inlet/testing/testing.h"
#include "scripted_input.h"

namespace inlet {
namespace {

using ::inlet_test::PartitionScript;
using ::inlet_test::ScriptedInput;
using ::testing::ElementsAre;

// Paced partitions: one item every 2 ms, so a 20 ms epoch closes many times.
PartitionScript Paced(int64_t items) {
  return {.items = items, .awake = [](int64_t) {
            return std::optional<absl::Time>(absl::Now() + absl::Milliseconds(2));
          }};
}

void ExpectCloseOnceAndNothingAfter(const ScriptedInput& input, const std::string& part) {
  std::vector<std::string> methods = input.methods(part);
  ASSERT_FALSE(methods.empty());
  EXPECT_EQ(input.count(part, "Close"), 1) << part;
  EXPECT_EQ(methods.back(), "Close") << part << ": a call came after Close";
}

TEST(RuntimeEpochsTest, SnapshotsAtEveryEpochCloseAndOnceAtTheEnd) {
  ScriptedInput input({{"a", Paced(60)}, {"b", Paced(30)}});
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.workers = 2, .epoch_interval = absl::Milliseconds(20)});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GE(report->epochs, 3);
  // "a" lives through every epoch close but the final one, then snapshots
  // once more when it ends.
  EXPECT_GE(input.count("a", "Snapshot"), report->epochs - 1);
  EXPECT_LE(input.count("a", "Snapshot"), report->epochs + 1);
  for (const std::string part : {"a", "b"}) ExpectCloseOnceAndNothingAfter(input, part);
  // The partition's end: its last batch, the final snapshot, then Close.
  std::vector<std::string> methods = input.methods("b");
  ASSERT_GE(methods.size(), 3u);
  EXPECT_THAT(std::vector<std::string>(methods.end() - 3, methods.end()),
              ElementsAre("NextBatch", "Snapshot", "Close"));
  EXPECT_EQ(report->snapshots, (std::map<std::string, nlohmann::json>{{"a", 60}, {"b", 30}}));
  EXPECT_EQ(report->partition_items, (std::map<std::string, int64_t>{{"a", 60}, {"b", 30}}));
  EXPECT_EQ(report->items, 90);
}

TEST(RuntimeEpochsTest, EachCommittedSnapshotMatchesWhatTheSinkHoldsAtThatFlush) {
  // One partition: at each epoch close the snapshot (items handed out) must
  // equal the number of items the sink had received when it was flushed.
  std::vector<int64_t> snapshot_values;
  std::vector<int64_t> flushed_totals;
  int64_t written = 0;
  class RecordingSink final : public Sink<int64_t> {
   public:
    RecordingSink(int64_t& written, std::vector<int64_t>& flushed)
        : written_(written), flushed_(flushed) {}
    absl::Status Write(std::span<const int64_t> items) override {
      written_ += static_cast<int64_t>(items.size());
      return absl::OkStatus();
    }
    absl::StatusOr<nlohmann::json> Commit() override {
      flushed_.push_back(written_);
      return nlohmann::json();
    }
    absl::Status Close() override { return absl::OkStatus(); }

   private:
    int64_t& written_;
    std::vector<int64_t>& flushed_;
  };
  RecordingSink sink(written, flushed_totals);
  ScriptedInput input({{"p", Paced(40)}});
  auto report = inlet::Run(input, sink, {.epoch_interval = absl::Milliseconds(15)});
  ASSERT_TRUE(report.ok()) << report.status();
  // Each NextBatch hands out one item, so a snapshot's value is the number
  // of NextBatch calls before it.
  int64_t handed_out = 0;
  for (const std::string& method : input.methods("p")) {
    if (method == "NextBatch") ++handed_out;
    if (method == "Snapshot") snapshot_values.push_back(handed_out);
  }
  ASSERT_EQ(flushed_totals.size(), static_cast<size_t>(report->epochs));
  // Every flush but the last follows one snapshot of the live partition; the
  // last follows the final snapshot taken when the partition ended.
  ASSERT_EQ(snapshot_values.size(), flushed_totals.size());
  EXPECT_EQ(snapshot_values, flushed_totals);
  EXPECT_EQ(flushed_totals.back(), 40);
}

TEST(RuntimeEpochsTest, AnInputWithNoPartitionsEndsWithOneEmptyEpoch) {
  ScriptedInput input({});
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.workers = 3});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->epochs, 1);
  EXPECT_EQ(report->items, 0);
}

TEST(RuntimeEpochsTest, MoreWorkersThanPartitionsFinish) {
  ScriptedInput input({{"only", {.items = 100, .batch = 7}}});
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink, {.workers = 4});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(sink.items(), 100);
  EXPECT_EQ(report->batches, 15);
}

TEST(RuntimeEpochsTest, OrderlyStopSnapshotsThenClosesEveryPartition) {
  std::map<std::string, PartitionScript> scripts;
  for (int i = 0; i < 5; ++i) scripts[absl::StrCat("p", i)] = Paced(1'000'000);
  ScriptedInput input(scripts);
  CountingSink<int64_t> sink;
  std::stop_source stop;
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(100));
    stop.request_stop();
  });
  auto report = inlet::Run(input, sink, {.workers = 2, .stop = stop.get_token()});
  stopper.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped);
  EXPECT_EQ(report->epochs, 1);
  for (const auto& [name, script] : scripts) {
    ExpectCloseOnceAndNothingAfter(input, name);
    std::vector<std::string> methods = input.methods(name);
    EXPECT_EQ(methods[methods.size() - 2], "Snapshot") << name;
    // The committed state is what the partition had handed out.
    EXPECT_EQ(report->snapshots.at(name).get<int64_t>(), report->partition_items.at(name));
  }
}

TEST(RuntimeEpochsTest, ABatchThatEndsThePartitionIsDelivered) {
  auto source = TestingSource<std::string>::FromItems({"a", "b", "c"}, 10);
  TestingSink<std::string> sink;
  auto report = inlet::Run(source, sink);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(sink.items(), ElementsAre("a", "b", "c"));
  EXPECT_EQ(report->batches, 1);
  EXPECT_EQ(report->snapshots.at("iterable"), 3);
}

TEST(RuntimeEpochsTest, ProgressIsReportedWhileRunning) {
  ScriptedInput input({{"p", Paced(50)}});
  CountingSink<int64_t> sink;
  std::vector<RunProgress> seen;
  auto report = inlet::Run(input, sink,
                           {.on_progress = [&](const RunProgress& p) { seen.push_back(p); },
                            .progress_interval = absl::Milliseconds(10)});
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front().live_partitions, 1);
  EXPECT_EQ(seen.back().items, 50);
  EXPECT_EQ(seen.back().live_partitions, 0);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].items, seen[i - 1].items);
}

}  // namespace
}  // namespace inlet
