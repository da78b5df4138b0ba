// What PostgresCdc does with real files on the embedded runtime.
// The contract itself is checked by conformance_test.cc.

#include "inlet_postgres_cdc/connector.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/run.h"
#include "inlet/testing/testing.h"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Input = inlet::SubjectInput<std::string>;

std::unique_ptr<Input> MakeInput(std::vector<std::filesystem::path> paths) {
  return inlet_postgres_cdc::MakePostgresCdcInput(std::move(paths));
}

class PostgresCdcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }

  std::filesystem::path WriteFile(const std::string& name, const std::string& text) {
    std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(PostgresCdcTest, ReadsEveryLineOfEveryFileInOrder) {
  std::unique_ptr<Input> input =
      MakeInput({WriteFile("a.txt", "a1\na2\na3\n"), WriteFile("b.txt", "b1\nb2")});
  inlet::TestingSink<std::string> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(*input, sink, {.workers = 2});
  ASSERT_TRUE(report.ok()) << report.status();

  std::vector<std::string> a;
  std::vector<std::string> b;
  for (const std::string& line : sink.items()) (line[0] == 'a' ? a : b).push_back(line);
  EXPECT_THAT(a, ElementsAre("a1", "a2", "a3"));
  EXPECT_THAT(b, ElementsAre("b1", "b2"));  // The last line needs no "\n".
}

TEST_F(PostgresCdcTest, AnEmptyFileGivesNothingAndEnds) {
  std::unique_ptr<Input> input = MakeInput({WriteFile("empty.txt", "")});
  inlet::TestingSink<std::string> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(*input, sink);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(sink.items().empty());
}

TEST_F(PostgresCdcTest, AMissingFileFailsTheRunNamingIt) {
  std::unique_ptr<Input> input = MakeInput({dir_ / "missing.txt"});
  inlet::TestingSink<std::string> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(*input, sink);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("missing.txt"));
}

TEST_F(PostgresCdcTest, AStoppedRunResumesAtTheNextLine) {
  const std::filesystem::path path = WriteFile("a.txt", "a1\na2\na3\na4\n");
  const std::filesystem::path store = dir_ / "recovery.db";
  std::unique_ptr<Input> input = MakeInput({path});
  inlet::TestingSink<std::string> first;
  ASSERT_TRUE(inlet::Run(*input, first, {.recovery_db = store}).ok());
  ASSERT_EQ(first.items().size(), 4u);

  std::ofstream(path, std::ios::app) << "a5\n";
  input = MakeInput({path});
  inlet::TestingSink<std::string> second;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(*input, second, {.recovery_db = store});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(second.items(), ElementsAre("a5"));
}

}  // namespace
