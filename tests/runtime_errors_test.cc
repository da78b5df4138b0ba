// An error from any user method stops the run with a message naming the
// step, the partition and the method; every partition is closed.

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/counting_sink.h"
#include "inlet/dynamic_input.h"
#include "inlet/run.h"
#include "scripted_input.h"

namespace inlet {
namespace {

using ::inlet_test::PartitionScript;
using ::inlet_test::ScriptedInput;
using ::testing::HasSubstr;

enum class Failure { kStatus, kException };

struct ErrorCase {
  std::string method;
  Failure failure;
};

std::string CaseName(const ::testing::TestParamInfo<ErrorCase>& info) {
  return absl::StrCat(info.param.method,
                      info.param.failure == Failure::kStatus ? "Status" : "Exception");
}

class RuntimeErrorsTest : public ::testing::TestWithParam<ErrorCase> {};

// Three long partitions on two workers; "p1" fails in the method under test
// on its third batch (or at once for ListParts/BuildPart).
TEST_P(RuntimeErrorsTest, StopsTheRunNamingStepPartitionAndMethodAndClosesTheOthers) {
  const ErrorCase& param = GetParam();
  auto fail = [&]() -> absl::Status {
    if (param.failure == Failure::kException) throw std::runtime_error("boom");
    return absl::DataLossError("boom");
  };
  std::map<std::string, PartitionScript> scripts;
  for (const std::string name : {"p0", "p1", "p2"}) {
    scripts[name] = {.items = 1'000'000, .awake = [](int64_t) {
                       return std::optional<absl::Time>(absl::Now() + absl::Milliseconds(1));
                     }};
  }
  PartitionScript& p1 = scripts["p1"];
  if (param.method == "NextBatch") {
    p1.before_batch = [&](int64_t next) { return next == 2 ? fail() : absl::OkStatus(); };
  } else if (param.method == "NextAwake") {
    p1.awake = [&](int64_t next) -> std::optional<absl::Time> {
      if (next == 2) (void)fail();
      return absl::Now() + absl::Milliseconds(1);
    };
  } else if (param.method == "Snapshot") {
    p1.on_snapshot = [&] { (void)fail(); };
  } else if (param.method == "Close") {
    // Close runs when a partition ends: make p1 short.
    p1.items = 3;
    p1.on_close = [&] { (void)fail(); };
  }
  ScriptedInput input(scripts);
  if (param.method == "ListParts") {
    input.list_parts = [&]() -> absl::StatusOr<std::vector<std::string>> { return fail(); };
  } else if (param.method == "BuildPart") {
    input.before_build = [&](std::string_view part) {
      return part == "p1" ? fail() : absl::OkStatus();
    };
  }
  CountingSink<int64_t> sink;
  auto report = inlet::Run(
      input, sink, {.step_id = "orders", .workers = 2, .epoch_interval = absl::Milliseconds(5)});

  const std::string where =
      param.method == "ListParts" ? "step \"orders\"" : "step \"orders\" partition \"p1\"";
  const std::string what = param.failure == Failure::kException ? "exception: boom" : "boom";
  EXPECT_EQ(report.status().message(), absl::StrCat(where, ": ", param.method, ": ", what));
  EXPECT_EQ(report.status().code(), param.failure == Failure::kException
                                        ? absl::StatusCode::kUnknown
                                        : absl::StatusCode::kDataLoss);
  for (const std::string part : {"p0", "p2"}) {
    std::vector<std::string> methods = input.methods(part);
    if (methods.empty()) continue;  // Never built (the failure came first).
    EXPECT_EQ(input.count(part, "Close"), 1) << part;
    EXPECT_EQ(methods.back(), "Close") << part;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, RuntimeErrorsTest,
                         ::testing::Values(ErrorCase{"ListParts", Failure::kStatus},
                                           ErrorCase{"ListParts", Failure::kException},
                                           ErrorCase{"BuildPart", Failure::kStatus},
                                           ErrorCase{"BuildPart", Failure::kException},
                                           ErrorCase{"NextBatch", Failure::kStatus},
                                           ErrorCase{"NextBatch", Failure::kException},
                                           ErrorCase{"NextAwake", Failure::kException},
                                           ErrorCase{"Snapshot", Failure::kException},
                                           ErrorCase{"Close", Failure::kException}),
                         CaseName);

TEST(RuntimeErrorTest, AFailingSinkWriteNamesThePartition) {
  ScriptedInput input({{"p0", {.items = 5}}});
  CallbackSink<int64_t> sink(
      [](std::span<const int64_t>) { return absl::ResourceExhaustedError("disk full"); });
  auto report = inlet::Run(input, sink);
  EXPECT_EQ(report.status(),
            absl::ResourceExhaustedError("step \"input\" partition \"p0\": sink Write: disk full"));
  EXPECT_EQ(input.count("p0", "Close"), 1);
}

TEST(RuntimeErrorTest, PartitionsBuiltBeforeAFailingBuildPartAreClosed) {
  ScriptedInput input({{"a", {}}, {"b", {}}, {"c", {}}});
  input.before_build = [](std::string_view part) {
    return part == "c" ? absl::NotFoundError("no such shard") : absl::OkStatus();
  };
  CountingSink<int64_t> sink;
  auto report = inlet::Run(input, sink);
  EXPECT_EQ(report.status(),
            absl::NotFoundError("step \"input\" partition \"c\": BuildPart: no such shard"));
  EXPECT_THAT(input.methods("a"), ::testing::ElementsAre("BuildPart", "Close"));
  EXPECT_THAT(input.methods("b"), ::testing::ElementsAre("BuildPart", "Close"));
}

TEST(RuntimeErrorTest, ADynamicBuildErrorNamesTheWorker) {
  class FailingOnWorkerOne final : public DynamicInput<int> {
   public:
    absl::StatusOr<std::unique_ptr<StatelessSource<int>>> Build(std::string_view, int index,
                                                                int) override {
      if (index == 1) throw std::runtime_error("no credentials");
      class Empty final : public StatelessSource<int> {
        absl::StatusOr<Poll> NextBatch(std::vector<int>&) override { return Poll::kEnd; }
      };
      return std::make_unique<Empty>();
    }
  };
  FailingOnWorkerOne input;
  CountingSink<int> sink;
  auto report = inlet::Run(input, sink, {.step_id = "events", .workers = 2});
  EXPECT_EQ(report.status(),
            absl::UnknownError("step \"events\" worker 1: Build: exception: no credentials"));
}

TEST(RuntimeErrorTest, InvalidOptionsAreRejected) {
  ScriptedInput input({{"p", {}}});
  CountingSink<int64_t> sink;
  EXPECT_EQ(inlet::Run(input, sink, {.workers = 0}).status(),
            absl::InvalidArgumentError("RunOptions.workers must be at least 1, got 0"));
  EXPECT_EQ(inlet::Run(input, sink, {.epoch_interval = absl::ZeroDuration()}).status(),
            absl::InvalidArgumentError("RunOptions.epoch_interval must be positive, got 0"));
  EXPECT_EQ(inlet::Run(input, sink, {.workers = 100000}).status(),
            absl::InvalidArgumentError("RunOptions.workers must be at most 4096, got 100000"));
  EXPECT_EQ(
      inlet::Run(input, sink, {.slow_poll_threshold = absl::Milliseconds(-5)}).status(),
      absl::InvalidArgumentError("RunOptions.slow_poll_threshold must not be negative, got -5ms"));
  EXPECT_EQ(
      inlet::Run(input, sink, {.recovery_epochs_kept = 0}).status(),
      absl::InvalidArgumentError("RunOptions.recovery_epochs_kept must be at least 1, got 0"));
  EXPECT_EQ(inlet::Run(input, sink, {.step_id = ""}).status(),
            absl::InvalidArgumentError("RunOptions.step_id must not be empty"));
  EXPECT_EQ(inlet::Run(input, sink, {.progress_interval = absl::ZeroDuration()}).status(),
            absl::InvalidArgumentError("RunOptions.progress_interval must be positive, got 0"));
  EXPECT_TRUE(input.calls("p").empty()) << "nothing runs with invalid options";
  EXPECT_TRUE(RunOptions{.workers = RunOptions::kMaxWorkers}.Validate().ok());
}

TEST(RuntimeErrorTest, ASlowNextBatchIsReportedOnceNamingThePartition) {
  ScriptedInput input({{"fast", {.items = 5}}, {"sleepy", {.items = 3, .before_batch = [](int64_t) {
                                                             absl::SleepFor(absl::Milliseconds(60));
                                                             return absl::OkStatus();
                                                           }}}});
  CountingSink<int64_t> sink;
  std::vector<std::string> received;
  ::testing::internal::CaptureStderr();
  auto report =
      inlet::Run(input, sink,
                 {.slow_poll_threshold = absl::Milliseconds(30),
                  .on_warning = [&](std::string_view warning) { received.emplace_back(warning); }});
  const std::string stderr_text = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_THAT(report->warnings[0],
              ::testing::StartsWith("step \"input\" partition \"sleepy\": NextBatch took "));
  EXPECT_THAT(report->warnings[0], HasSubstr("(slow-poll threshold 30ms)"));
  EXPECT_EQ(received, report->warnings);
  EXPECT_EQ(stderr_text, "") << "the library never prints";
}

}  // namespace
}  // namespace inlet
