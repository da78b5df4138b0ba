#include "inlet/metrics.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "function_subject.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/connectors/file_input.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "inlet/subject_input.h"
#include "inlet/testing/testing.h"
#include "scripted_input.h"
#include "test_support.h"

namespace {

using ::inlet_test::FunctionSubject;
using ::inlet_test::PartitionScript;
using ::inlet_test::ScriptedInput;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(DurationHistogramTest, ABoundBelongsToItsBucketAndLongerOnesToTheLast) {
  inlet::DurationHistogram histogram;
  histogram.Record(absl::Nanoseconds(500));
  histogram.Record(absl::Microseconds(1));    // Equal to the first bound.
  histogram.Record(absl::Nanoseconds(1001));  // Just above it.
  histogram.Record(absl::Milliseconds(50));   // (10 ms, 100 ms].
  histogram.Record(absl::Seconds(10));        // The last bound.
  histogram.Record(absl::Seconds(11));        // Above every bound.
  EXPECT_THAT(histogram.buckets, ElementsAre(2, 1, 0, 0, 0, 1, 0, 1, 1));
  EXPECT_EQ(histogram.count(), 6);
  EXPECT_EQ(histogram.sum_nanos, 500 + 1000 + 1001 + 50'000'000 + 21'000'000'000);
}

inlet::RunMetrics TwoPartitions() {
  inlet::RunMetrics metrics{.step = "orders"};
  inlet::PartitionMetrics a{.partition = "a.log", .worker = 0, .items = 12, .batches = 3};
  a.next_batch_duration.Record(absl::Microseconds(3));
  a.next_batch_duration.Record(absl::Microseconds(250));
  a.last_item = absl::FromUnixSeconds(1000);
  a.backlog = inlet::Backlog{.amount = 4096, .unit = inlet::Backlog::Unit::kBytes};
  inlet::PartitionMetrics b{
      .partition = "we\"ird\\name\nx", .worker = 1, .items = 0, .batches = 0, .ended = true};
  b.backlog = inlet::Backlog{.amount = 7, .unit = inlet::Backlog::Unit::kItems};
  metrics.partitions = {a, b};
  metrics.epoch_commit_duration.Record(absl::Milliseconds(2));
  return metrics;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(PrometheusTextTest, CountersGaugesAndHistogramsCarryTheirLabels) {
  const std::vector<std::string> lines =
      Lines(inlet::PrometheusText(TwoPartitions(), absl::FromUnixSeconds(1002)));
  const std::string a = R"(step="orders",partition="a.log",worker="0")";
  const std::string b = R"(step="orders",partition="we\"ird\\name\nx",worker="1")";
  EXPECT_THAT(lines, Contains("# TYPE inlet_items_total counter"));
  EXPECT_THAT(lines, Contains("inlet_items_total{" + a + "} 12"));
  EXPECT_THAT(lines, Contains("inlet_items_total{" + b + "} 0"));
  EXPECT_THAT(lines, Contains("inlet_batches_total{" + a + "} 3"));
  EXPECT_THAT(lines, Contains("# TYPE inlet_next_batch_duration_seconds histogram"));
  // Buckets are cumulative and end with +Inf; the sum is exact.
  EXPECT_THAT(lines,
              Contains("inlet_next_batch_duration_seconds_bucket{" + a + ",le=\"0.000001\"} 0"));
  EXPECT_THAT(lines,
              Contains("inlet_next_batch_duration_seconds_bucket{" + a + ",le=\"0.00001\"} 1"));
  EXPECT_THAT(lines,
              Contains("inlet_next_batch_duration_seconds_bucket{" + a + ",le=\"0.001\"} 2"));
  EXPECT_THAT(lines, Contains("inlet_next_batch_duration_seconds_bucket{" + a + ",le=\"10\"} 2"));
  EXPECT_THAT(lines, Contains("inlet_next_batch_duration_seconds_bucket{" + a + ",le=\"+Inf\"} 2"));
  EXPECT_THAT(lines, Contains("inlet_next_batch_duration_seconds_sum{" + a + "} 0.000253"));
  EXPECT_THAT(lines, Contains("inlet_next_batch_duration_seconds_count{" + a + "} 2"));
  // Age at the time given; none for a partition that never read an item.
  EXPECT_THAT(lines, Contains("inlet_last_item_age_seconds{" + a + "} 2"));
  for (const std::string& line : lines) {
    EXPECT_FALSE(line.starts_with("inlet_last_item_age_seconds{" + b)) << line;
  }
  // Each backlog under the name of its unit.
  EXPECT_THAT(lines, Contains("inlet_backlog_bytes{" + a + "} 4096"));
  EXPECT_THAT(lines, Contains("inlet_backlog_items{" + b + "} 7"));
  EXPECT_THAT(lines, Not(Contains("inlet_backlog_items{" + a + "} 4096")));
  EXPECT_THAT(lines, Contains("inlet_partition_ended{" + b + "} 1"));
  EXPECT_THAT(lines, Contains("inlet_partition_ended{" + a + "} 0"));
  EXPECT_THAT(lines,
              Contains(R"(inlet_epoch_commit_duration_seconds_bucket{step="orders",le="0.01"} 1)"));
  EXPECT_THAT(lines, Contains(R"(inlet_epoch_commit_duration_seconds_sum{step="orders"} 0.002)"));
  // No store, no size.
  for (const std::string& line : lines) EXPECT_THAT(line, Not(HasSubstr("recovery_store")));
}

TEST(PrometheusTextTest, EveryFamilyHasHelpAndTypeOnce) {
  inlet::RunMetrics metrics = TwoPartitions();
  metrics.recovery_store_bytes = 8192;
  const std::vector<std::string> lines = Lines(inlet::PrometheusText(metrics, absl::Now()));
  EXPECT_THAT(lines, Contains(R"(inlet_recovery_store_size_bytes{step="orders"} 8192)"));
  std::map<std::string, int> types;
  for (const std::string& line : lines) {
    if (line.starts_with("# TYPE "))
      ++types[std::vector<std::string>(absl::StrSplit(line, ' '))[2]];
  }
  EXPECT_EQ(types.size(), 9u);
  for (const auto& [name, count] : types) EXPECT_EQ(count, 1) << name;
}

TEST(RunMetricsTest, ReportHoldsEveryPartitionsCountsAndOnlyWhenCollected) {
  ScriptedInput input{{"a", PartitionScript{.items = 30, .batch = 4}},
                      {"b", PartitionScript{.items = 5, .batch = 1}}};
  inlet::CountingSink<int64_t> sink;
  absl::StatusOr<inlet::RunReport> off = inlet::Run(input, sink, {.workers = 2});
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_TRUE(off->metrics.partitions.empty());

  const absl::Time before = absl::Now();
  absl::StatusOr<inlet::RunReport> report =
      inlet::Run(input, sink, {.workers = 2, .collect_metrics = true});
  ASSERT_TRUE(report.ok()) << report.status();
  const inlet::RunMetrics& metrics = report->metrics;
  EXPECT_EQ(metrics.step, "input");
  ASSERT_EQ(metrics.partitions.size(), 2u);
  std::map<std::string, inlet::PartitionMetrics> by_name;
  for (const inlet::PartitionMetrics& part : metrics.partitions) by_name[part.partition] = part;
  EXPECT_EQ(by_name.at("a").items, 30);
  EXPECT_EQ(by_name.at("a").batches, 8);  // 7 batches of 4, then 2.
  EXPECT_EQ(by_name.at("b").items, 5);
  EXPECT_EQ(by_name.at("b").batches, 5);
  EXPECT_NE(by_name.at("a").worker, by_name.at("b").worker);
  for (const auto& [name, part] : by_name) {
    EXPECT_TRUE(part.ended) << name;
    EXPECT_EQ(part.items, report->partition_items.at(name));
    // Every call is timed, including the one that ended the partition.
    EXPECT_GE(part.next_batch_duration.count(), part.batches) << name;
    EXPECT_GE(part.last_item, before) << name;
    EXPECT_FALSE(part.backlog.has_value()) << name;  // The default: unknown.
  }
  EXPECT_EQ(metrics.epoch_commit_duration.count(), report->epochs);
  EXPECT_FALSE(metrics.recovery_store_bytes.has_value());
}

// A partition that knows how much it has left: `left` items, `batch` a time.
class Countdown final : public inlet::StatefulSource<int64_t, int64_t> {
 public:
  explicit Countdown(int64_t left) : left_(left) {}
  absl::StatusOr<inlet::Poll> NextBatch(std::vector<int64_t>& out) override {
    if (left_ > 0) out.push_back(left_--);
    return left_ == 0 ? inlet::Poll::kEnd : inlet::Poll::kMore;
  }
  std::optional<absl::Time> NextAwake() override { return absl::Now() + absl::Milliseconds(2); }
  int64_t Snapshot() override { return left_; }
  std::optional<inlet::Backlog> EstimateBacklog() override {
    estimate_thread = std::this_thread::get_id();
    return inlet::Backlog{.amount = left_, .unit = inlet::Backlog::Unit::kItems};
  }
  std::optional<std::thread::id> estimate_thread;

 private:
  int64_t left_;
};

class Countdowns final : public inlet::PartitionedInput<int64_t, int64_t> {
 public:
  absl::StatusOr<std::vector<std::string>> ListParts() override { return {{"c"}}; }
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view, std::string_view,
                                                    std::optional<int64_t> resume) override {
    return std::make_unique<Countdown>(resume.value_or(200));
  }
};

class MetricsRunTest : public inlet_test::TempDirTest {};

TEST_F(MetricsRunTest, OnMetricsSeesBacklogShrinkAndTheStoreGrow) {
  Countdowns input;
  inlet::CountingSink<int64_t> sink;
  std::mutex mu;
  std::vector<inlet::RunMetrics> seen;
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> on_caller_thread{true};
  absl::StatusOr<inlet::RunReport> report =
      inlet::Run(input, sink,
                 {.epoch_interval = absl::Milliseconds(50),
                  .recovery_db = dir_ / "state.db",
                  .collect_metrics = true,
                  .metrics_interval = absl::Milliseconds(20),
                  .on_metrics = [&](const inlet::RunMetrics& metrics) {
                    if (std::this_thread::get_id() != caller) on_caller_thread = false;
                    std::lock_guard<std::mutex> lock(mu);
                    seen.push_back(metrics);
                  }});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(on_caller_thread);
  // 200 items 2 ms apart: about 0.4 s, so a dozen calls and the final one.
  ASSERT_GE(seen.size(), 5u);
  std::vector<int64_t> backlogs;
  for (const inlet::RunMetrics& metrics : seen) {
    ASSERT_EQ(metrics.partitions.size(), 1u);
    const std::optional<inlet::Backlog>& backlog = metrics.partitions[0].backlog;
    // Unknown only until the worker first hands its metrics over.
    if (!backlog.has_value()) {
      EXPECT_TRUE(backlogs.empty());
      continue;
    }
    EXPECT_EQ(backlog->unit, inlet::Backlog::Unit::kItems);
    // What is left plus what was read is always the whole partition.
    EXPECT_LE(backlog->amount + metrics.partitions[0].items, 200);
    backlogs.push_back(backlog->amount);
  }
  ASSERT_GE(backlogs.size(), 3u);
  EXPECT_TRUE(std::is_sorted(backlogs.rbegin(), backlogs.rend()));
  EXPECT_GT(backlogs.front(), backlogs.back());
  EXPECT_EQ(backlogs.back(), 0);  // Ended: nothing left.
  // The final call carries the report's values.
  EXPECT_EQ(seen.back().partitions[0].items, 200);
  EXPECT_EQ(report->metrics.partitions[0].items, 200);
  ASSERT_TRUE(report->metrics.recovery_store_bytes.has_value());
  EXPECT_GT(*report->metrics.recovery_store_bytes, 0);
  EXPECT_EQ(report->metrics.epoch_commit_duration.count(), report->epochs);
  EXPECT_GE(report->epochs, 3);
}

TEST(RunMetricsTest, OptionsAreValidated) {
  ScriptedInput input{{"a", PartitionScript{}}};
  inlet::CountingSink<int64_t> sink;
  absl::StatusOr<inlet::RunReport> report =
      inlet::Run(input, sink, {.on_metrics = [](const inlet::RunMetrics&) {}});
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(report.status().message(), HasSubstr("RunOptions.on_metrics"));
  report =
      inlet::Run(input, sink, {.collect_metrics = true, .metrics_interval = absl::ZeroDuration()});
  EXPECT_THAT(report.status().message(), HasSubstr("RunOptions.metrics_interval must be positive"));
}

TEST_F(MetricsRunTest, FileInputBacklogIsTheBytesLeftAndSeesAppends) {
  const std::filesystem::path path = Write("a.log", "one\ntwo\nthree\n");
  inlet::FileInput input({path.string()}, {.batch_size = 1});
  absl::StatusOr<std::unique_ptr<inlet::StatefulSource<std::string, int64_t>>> source =
      input.BuildPart("s", path.string(), std::nullopt);
  ASSERT_TRUE(source.ok()) << source.status();
  auto bytes_left = [&] {
    std::optional<inlet::Backlog> backlog = (*source)->EstimateBacklog();
    EXPECT_TRUE(backlog.has_value());
    EXPECT_EQ(backlog->unit, inlet::Backlog::Unit::kBytes);
    return backlog->amount;
  };
  EXPECT_EQ(bytes_left(), 14);
  std::vector<std::string> batch;
  ASSERT_TRUE((*source)->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre("one"));
  EXPECT_EQ(bytes_left(), 10);
  Append(path, "four\n");
  EXPECT_EQ(bytes_left(), 15);
  (*source)->Close();
}

TEST(SubjectBacklogTest, IsTheMessagesPushedAndNotYetTaken) {
  std::atomic<bool> pushed{false};
  inlet::SubjectInput<inlet::Message> input(
      [&] {
        return std::make_unique<FunctionSubject>([&](FunctionSubject& subject) {
          for (int i = 0; i < 3; ++i) subject.NextJson({{"n", i}});
          subject.Commit();
          subject.NextJson({{"n", 3}});  // Pending, not committed: still queued.
          pushed = true;
          while (!subject.stop_requested())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        });
      },
      {.name = "feed"});
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  auto source = input.BuildPart("s", parts->front(), std::nullopt);
  ASSERT_TRUE(source.ok()) << source.status();
  while (!pushed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::optional<inlet::Backlog> backlog = (*source)->EstimateBacklog();
  ASSERT_TRUE(backlog.has_value());
  EXPECT_EQ(backlog->unit, inlet::Backlog::Unit::kItems);
  EXPECT_EQ(backlog->amount, 4);
  std::vector<inlet::Message> batch;
  ASSERT_TRUE((*source)->NextBatch(batch).ok());
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ((*source)->EstimateBacklog()->amount, 1);
  (*source)->Close();
}

}  // namespace
