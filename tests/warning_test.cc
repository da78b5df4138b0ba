// `inlet::Warn` and `RunOptions::on_warning`: a connector's own warnings,
// from a source on a worker thread, from an input on the coordinating
// thread and from a subject's thread, reach the run's report and callback
// named after their place, and nothing is printed.

#include "inlet/warning.h"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "function_subject.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/counting_sink.h"
#include "inlet/dynamic_input.h"
#include "inlet/run.h"
#include "inlet/subject_input.h"
#include "scripted_input.h"

namespace inlet {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

// Collects what `on_warning` receives, from whichever thread.
class WarningLog {
 public:
  RunOptions Options(RunOptions options = {}) {
    options.on_warning = [this](std::string_view warning) {
      std::lock_guard<std::mutex> lock(mutex_);
      received_.emplace_back(warning);
    };
    return options;
  }
  std::vector<std::string> received() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> received_;
};

TEST(WarnTest, ASourceWarningInNextBatchNamesStepPartitionAndMethod) {
  inlet_test::ScriptedInput input({{"part-3",
                                    {.items = 3,
                                     .before_batch =
                                         [](int64_t next) {
                                           if (next == 1) Warn("connection reset, retrying in 1s");
                                           return absl::OkStatus();
                                         }}},
                                   {"quiet", {.items = 2}}});
  CountingSink<int64_t> sink;
  WarningLog log;
  ::testing::internal::CaptureStderr();
  auto report = inlet::Run(input, sink, log.Options({.step_id = "orders", .workers = 2}));
  const std::string printed = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string expected =
      "step \"orders\" partition \"part-3\": NextBatch: connection reset, retrying in 1s";
  EXPECT_THAT(report->warnings, ElementsAre(expected));
  EXPECT_THAT(log.received(), ElementsAre(expected));
  EXPECT_EQ(report->items, 5);
  EXPECT_EQ(printed, "") << "the library never prints";
}

// A dynamic input warns from `Build` (the coordinating thread) and from its
// sources' `NextBatch` and `Close` (worker threads).
class WarningDynamicInput final : public DynamicInput<int> {
 public:
  absl::StatusOr<std::unique_ptr<StatelessSource<int>>> Build(std::string_view, int worker_index,
                                                              int) override {
    Warn(absl::StrCat("building for worker ", worker_index));
    class OneItem final : public StatelessSource<int> {
     public:
      absl::StatusOr<Poll> NextBatch(std::vector<int>& out) override {
        out.push_back(1);
        Warn("one item");
        return Poll::kEnd;
      }
      void Close() override { Warn("closed"); }
    };
    return std::make_unique<OneItem>();
  }
};

TEST(WarnTest, DynamicInputWarningsNameTheWorkerOnEveryThread) {
  WarningDynamicInput input;
  CountingSink<int> sink;
  WarningLog log;
  auto report = inlet::Run(input, sink, log.Options({.step_id = "events", .workers = 2}));
  ASSERT_TRUE(report.ok()) << report.status();
  std::vector<std::string> expected;
  for (int w = 0; w < 2; ++w) {
    const std::string place = absl::StrCat("step \"events\" worker ", w, ": ");
    expected.push_back(absl::StrCat(place, "Build: building for worker ", w));
    expected.push_back(absl::StrCat(place, "NextBatch: one item"));
    expected.push_back(absl::StrCat(place, "Close: closed"));
  }
  EXPECT_THAT(report->warnings, UnorderedElementsAreArray(expected));
  EXPECT_EQ(log.received(), report->warnings) << "the callback saw them in the same order";
  EXPECT_THAT(report->partition_items,
              UnorderedElementsAre(::testing::Pair("worker-0", 1), ::testing::Pair("worker-1", 1)));
}

TEST(WarnTest, ASubjectWarningInRunNamesTheSubject) {
  SubjectInput<std::string> input(
      [] {
        return std::make_unique<inlet_test::FunctionSubject>([](inlet_test::FunctionSubject& self) {
          Warn("broker unreachable, retrying");
          self.NextStr("hello");
        });
      },
      {.format = MessageFormat::kRaw, .name = "orders"});
  CountingSink<std::string> sink;
  WarningLog log;
  auto report = inlet::Run(input, sink, log.Options());
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string expected = "subject \"orders\": Run: broker unreachable, retrying";
  EXPECT_THAT(report->warnings, ElementsAre(expected));
  EXPECT_THAT(log.received(), ElementsAre(expected));
  EXPECT_EQ(report->items, 1);
}

TEST(WarnTest, OutsideARunAWarningIsDiscarded) {
  ::testing::internal::CaptureStderr();
  Warn("nobody listens");
  std::thread([] { Warn("nor here"); }).join();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(WarnTest, AThreadTheConnectorStartsItselfIsOutsideTheRun) {
  inlet_test::ScriptedInput input({{"p", {.items = 1, .before_batch = [](int64_t) {
                                            std::thread([] { Warn("from my own thread"); }).join();
                                            return absl::OkStatus();
                                          }}}});
  CountingSink<int64_t> sink;
  WarningLog log;
  auto report = inlet::Run(input, sink, log.Options());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->warnings, IsEmpty());
  EXPECT_THAT(log.received(), IsEmpty());
}

}  // namespace
}  // namespace inlet
