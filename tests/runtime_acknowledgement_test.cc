// Acknowledgement: a source learns what became durable after the epoch's
// commit, never before it, in order, and a partition that ends learns its
// final state before it is closed.

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/dynamic_input.h"
#include "inlet/run.h"
#include "inlet/sink.h"
#include "scripted_input.h"

namespace {

using inlet_test::PartitionScript;
using inlet_test::ScriptedInput;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Counts items; its commits return the count, or fail from `fail_at` on.
class CountingCommitSink final : public inlet::Sink<int64_t> {
 public:
  explicit CountingCommitSink(int fail_at = 0) : fail_at_(fail_at) {}
  absl::Status Write(std::span<const int64_t> items) override {
    written_ += static_cast<int64_t>(items.size());
    return absl::OkStatus();
  }
  absl::StatusOr<nlohmann::json> Commit() override {
    if (fail_at_ > 0 && static_cast<int>(committed_.size()) + 1 >= fail_at_) {
      return absl::DataLossError("commit refused");
    }
    committed_.push_back(written_.load());
    return nlohmann::json(written_.load());
  }
  absl::Status Close() override { return absl::OkStatus(); }

  // What each successful commit held.
  std::vector<int64_t> committed() const { return committed_; }
  int64_t durable() const { return committed_.empty() ? 0 : committed_.back(); }

 private:
  const int fail_at_;
  std::atomic<int64_t> written_{0};
  std::vector<int64_t> committed_;  // Coordinator thread only.
};

TEST(RuntimeAcknowledgementTest, CommittedStatesAreSnapshotsTheSinkHadCommittedInOrder) {
  CountingCommitSink* sink_ptr = nullptr;
  std::vector<int64_t> durable_at_ack;
  ScriptedInput input(
      {{"p",
        PartitionScript{
            .items = 60,
            .awake =
                [](int64_t) {
                  return std::optional<absl::Time>(absl::Now() + absl::Milliseconds(1));
                },
            .on_committed = [&](int64_t) { durable_at_ack.push_back(sink_ptr->durable()); }}}});
  CountingCommitSink sink;
  sink_ptr = &sink;
  auto report = inlet::Run(input, sink, {.epoch_interval = absl::Milliseconds(10)});
  ASSERT_TRUE(report.ok()) << report.status();
  const std::vector<int64_t> acked = input.committed("p");
  ASSERT_FALSE(acked.empty());
  // In order, each no further than what the sink had committed when told.
  for (size_t i = 0; i < acked.size(); ++i) {
    if (i > 0) {
      EXPECT_GE(acked[i], acked[i - 1]);
    }
    EXPECT_LE(acked[i], durable_at_ack[i]) << "acknowledged ahead of the sink";
  }
  // The final state, 60, is acknowledged, and before Close.
  EXPECT_EQ(acked.back(), 60);
  const std::vector<std::string> methods = input.methods("p");
  ASSERT_FALSE(methods.empty());
  EXPECT_EQ(methods.back(), "Close");
  EXPECT_EQ(report->snapshots.at("p"), 60);
}

TEST(RuntimeAcknowledgementTest, NothingIsAcknowledgedWhenTheCommitFails) {
  ScriptedInput input({{"p", PartitionScript{.items = 1'000'000, .awake = [](int64_t) {
                                               return std::optional<absl::Time>(
                                                   absl::Now() + absl::Milliseconds(1));
                                             }}}});
  CountingCommitSink sink(/*fail_at=*/3);
  auto report = inlet::Run(input, sink, {.epoch_interval = absl::Milliseconds(10)});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("commit refused"));
  // Two epochs committed, so two acknowledgements at most; none for the third.
  EXPECT_EQ(input.committed("p").size(), 2u);
  const std::vector<int64_t> acked = input.committed("p");
  const std::vector<int64_t> committed = sink.committed();
  ASSERT_EQ(committed.size(), 2u);
  EXPECT_LE(acked.back(), committed.back());
}

TEST(RuntimeAcknowledgementTest, WithARecoveryStoreTheAcknowledgedStateIsWhatAResumeStartsFrom) {
  const std::filesystem::path db = std::filesystem::path(::testing::TempDir()) /
                                   ("inlet-ack-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(db);
  ScriptedInput input({{"p", PartitionScript{.items = 1'000'000, .awake = [](int64_t) {
                                               return std::optional<absl::Time>(
                                                   absl::Now() + absl::Milliseconds(1));
                                             }}}});
  CountingCommitSink sink(/*fail_at=*/4);
  auto report =
      inlet::Run(input, sink, {.epoch_interval = absl::Milliseconds(10), .recovery_db = db});
  ASSERT_FALSE(report.ok());
  const std::vector<int64_t> acked = input.committed("p");
  ASSERT_FALSE(acked.empty());
  // A new run resumes exactly at the last acknowledged state.
  std::optional<int64_t> resumed_at;
  ScriptedInput again({{"p", PartitionScript{.items = 0}}});
  CountingCommitSink second;
  auto resumed = inlet::Run(again, second, {.recovery_db = db});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  resumed_at = resumed->snapshots.at("p").get<int64_t>();
  EXPECT_EQ(*resumed_at, acked.back());
  std::filesystem::remove(db);
}

// A dynamic source that remembers how many items it handed out at each
// `Committed`.
class TallyInput final : public inlet::DynamicInput<int64_t> {
 public:
  absl::StatusOr<std::unique_ptr<Source>> Build(std::string_view, int, int) override {
    return std::make_unique<Tally>(*this);
  }
  std::vector<int64_t> acknowledged() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_;
  }
  std::vector<std::string> order() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return order_;
  }

 private:
  class Tally final : public inlet::StatelessSource<int64_t> {
   public:
    explicit Tally(TallyInput& input) : input_(input) {}
    absl::StatusOr<inlet::Poll> NextBatch(std::vector<int64_t>& out) override {
      out.push_back(handed_out_++);
      return handed_out_ < 40 ? inlet::Poll::kMore : inlet::Poll::kEnd;
    }
    std::optional<absl::Time> NextAwake() override { return absl::Now() + absl::Milliseconds(1); }
    void Committed() override {
      std::lock_guard<std::mutex> lock(input_.mutex_);
      input_.acknowledged_.push_back(handed_out_);
      input_.order_.push_back("Committed");
    }
    void Close() override {
      std::lock_guard<std::mutex> lock(input_.mutex_);
      input_.order_.push_back("Close");
    }

   private:
    TallyInput& input_;
    int64_t handed_out_ = 0;
  };

  mutable std::mutex mutex_;
  std::vector<int64_t> acknowledged_;
  std::vector<std::string> order_;
};

TEST(RuntimeAcknowledgementTest, ADynamicSourceLearnsThatEverythingItHandedOutIsDurable) {
  TallyInput input;
  CountingCommitSink sink;
  auto report = inlet::Run(input, sink, {.epoch_interval = absl::Milliseconds(10)});
  ASSERT_TRUE(report.ok()) << report.status();
  const std::vector<int64_t> acknowledged = input.acknowledged();
  const std::vector<int64_t> committed = sink.committed();
  ASSERT_FALSE(acknowledged.empty());
  // With one worker, what the source had handed out at each acknowledgement
  // is exactly what the sink held at that commit.
  ASSERT_EQ(acknowledged.size(), committed.size());
  EXPECT_EQ(acknowledged, committed);
  EXPECT_EQ(acknowledged.back(), 40);
  const std::vector<std::string> order = input.order();
  EXPECT_EQ(order.back(), "Close");
  EXPECT_EQ(order[order.size() - 2], "Committed");
}

}  // namespace
