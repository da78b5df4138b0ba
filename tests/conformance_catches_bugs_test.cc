// The conformance kit catches bugs: each deliberately broken connector in
// tests/conformance/broken_connectors.cc fails the case named for its bug,
// with a message that says what went wrong, and the same connector without
// the bug passes every case.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test_support.h"

namespace {

using ::testing::HasSubstr;

constexpr int kCases = 14;

struct CaseResult {
  bool failed = false;
  bool skipped = false;
  std::string failures = {};
};

class ConformanceCatchesBugsTest : public inlet_test::TempDirTest {
 protected:
  // Runs every case of the kit on `connector` and returns the results by
  // case name.
  std::map<std::string, CaseResult> RunKitOn(const std::string& connector) {
    const std::filesystem::path report = dir_ / "report.json";
    const std::filesystem::path log = dir_ / "log.txt";
    const std::string command =
        absl::StrCat("'", INLET_BROKEN_CONNECTORS_BIN, "' '--gtest_filter=", connector,
                     "/*' '--gtest_output=json:", report.string(), "' >'", log.string(), "' 2>&1");
    // The exit status is not the verdict (cases are meant to fail); the
    // report is.
    (void)std::system(command.c_str());
    std::ifstream file(report);
    EXPECT_TRUE(file.good()) << "no report from `" << command << "`; its output:\n"
                             << std::string(
                                    std::istreambuf_iterator<char>(std::ifstream(log).rdbuf()), {});
    std::map<std::string, CaseResult> results;
    if (!file.good()) return results;
    const nlohmann::json json = nlohmann::json::parse(file);
    for (const nlohmann::json& suite : json.at("testsuites")) {
      for (const nlohmann::json& test : suite.at("testsuite")) {
        CaseResult& result = results[test.at("name").get<std::string>()];
        result.skipped = test.value("result", "") == "SKIPPED";
        for (const nlohmann::json& failure : test.value("failures", nlohmann::json::array())) {
          result.failed = true;
          result.failures += failure.value("failure", "") + "\n";
        }
      }
    }
    return results;
  }

  // `connector` fails case `name` with a message containing `because`.
  void ExpectCaught(const std::string& connector, const std::string& name,
                    const std::string& because) {
    std::map<std::string, CaseResult> results = RunKitOn(connector);
    EXPECT_EQ(results.size(), kCases);
    auto found = results.find(name);
    ASSERT_NE(found, results.end()) << "the kit has no case " << name;
    EXPECT_TRUE(found->second.failed) << connector << " passed " << name;
    EXPECT_THAT(found->second.failures, HasSubstr(because));
  }

  // `connector` passes every case; none is skipped but the wake case, which
  // needs data arriving on another thread (Capabilities::wakes).
  void ExpectPassesEveryCase(const std::string& connector) {
    std::map<std::string, CaseResult> results = RunKitOn(connector);
    EXPECT_EQ(results.size(), kCases);
    for (const auto& [name, result] : results) {
      EXPECT_FALSE(result.failed) << name << ":\n" << result.failures;
      if (name != "AWakeReachesTheSinkPromptly") {
        EXPECT_FALSE(result.skipped) << name;
      }
    }
  }
};

TEST_F(ConformanceCatchesBugsTest, CorrectConnectorPassesEveryCase) {
  ExpectPassesEveryCase("Correct");
}

TEST_F(ConformanceCatchesBugsTest, RepeatsPassEveryCaseWhenTheConnectorIsAtLeastOnce) {
  ExpectPassesEveryCase("AtLeastOnce");
}

TEST_F(ConformanceCatchesBugsTest, OffByOneSnapshotFailsSnapshotThenRebuild) {
  ExpectCaught("OffByOneSnapshot", "SnapshotThenRebuildContinuesWithoutGapOrDuplicate",
               "arrived twice");
}

TEST_F(ConformanceCatchesBugsTest, BlockingNextBatchFailsTheSlowPollBudget) {
  ExpectCaught("BlockingNextBatch", "NextBatchWithNoDataReturnsWithinTheSlowPollBudget",
               "NextBatch on a partition with no data took");
}

TEST_F(ConformanceCatchesBugsTest, UnstableListPartsFailsListPartsStability) {
  ExpectCaught("UnstableListParts", "ListPartsIsStableAcrossCallsAndInstances",
               "another input over the same data set named other partitions");
}

TEST_F(ConformanceCatchesBugsTest, SnapshotAfterCloseFailsCloseOnceAndSnapshotNeverAfter) {
  ExpectCaught("SnapshotAfterClose", "CloseIsCalledOnceAndSnapshotNeverAfterIt",
               "the snapshot taken before Close must be the partition's final state");
}

TEST_F(ConformanceCatchesBugsTest, DroppedLastItemFailsOnePartitionInExactOrder) {
  ExpectCaught("DropsLastItem", "OnePartitionInExactOrder",
               "24 of 25 written items arrived; the first missing is item 24");
}

TEST_F(ConformanceCatchesBugsTest, AcksOnSnapshotFailsAcknowledgementsNeverRunAhead) {
  ExpectCaught("AcksOnSnapshot", "AcknowledgementsNeverRunAheadOfTheStore",
               "was acknowledged before the run was killed, but the recovery store had committed "
               "only");
}

}  // namespace
