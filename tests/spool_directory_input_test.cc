// SpoolDirectoryInput: files dropped into a directory are read once and
// removed only after their lines are durable.

#include "inlet/connectors/spool_directory_input.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/run.h"
#include "inlet/sink.h"
#include "test_support.h"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

// Collects lines; at each commit records which spool files still exist, so a
// test can check that no file left before its lines were committed. Can be
// told to fail its commits (a crash before anything is durable).
class SpoolCheckingSink final : public inlet::Sink<std::string> {
 public:
  SpoolCheckingSink(std::filesystem::path spool, bool fail_commits)
      : spool_(std::move(spool)), fail_commits_(fail_commits) {}

  absl::Status Write(std::span<const std::string> lines) override {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.insert(lines_.end(), lines.begin(), lines.end());
    uncommitted_.insert(uncommitted_.end(), lines.begin(), lines.end());
    return absl::OkStatus();
  }
  absl::StatusOr<nlohmann::json> Commit() override {
    std::lock_guard<std::mutex> lock(mutex_);
    // Every line received since the last commit comes from a file that must
    // still be in the spool: it is not durable before this commit returns.
    for (const std::string& line : uncommitted_) {
      const std::string file = line.substr(0, line.find(':'));
      if (!std::filesystem::exists(spool_ / file)) removed_too_early_.push_back(file);
    }
    if (fail_commits_) return absl::UnavailableError("disk gone");
    uncommitted_.clear();
    return nlohmann::json();
  }
  absl::Status Close() override { return absl::OkStatus(); }

  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }
  std::vector<std::string> removed_too_early() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return removed_too_early_;
  }

 private:
  const std::filesystem::path spool_;
  const bool fail_commits_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::vector<std::string> uncommitted_;
  std::vector<std::string> removed_too_early_;
};

class SpoolDirectoryInputTest : public inlet_test::TempDirTest {
 protected:
  // Drops `files` files of `lines` lines each ("<file>:<n>") into the spool.
  std::vector<std::string> Drop(int files, int lines) {
    std::vector<std::string> expected;
    for (int f = 0; f < files; ++f) {
      const std::string name = absl::StrCat("f", f, ".log");
      std::string contents;
      for (int n = 0; n < lines; ++n) {
        const std::string line = absl::StrCat(name, ":", n);
        contents += line + (n + 1 < lines || f % 2 == 0 ? "\n" : "");  // Some lack a last newline.
        expected.push_back(line);
      }
      Write("spool/" + name, contents);
    }
    return expected;
  }

  std::filesystem::path spool() const { return dir_ / "spool"; }
  std::filesystem::path done() const { return dir_ / "done"; }

  std::vector<std::string> Names(const std::filesystem::path& dir) const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
};

TEST_F(SpoolDirectoryInputTest, ReadsEveryLineOnceAndMovesFilesOnlyAfterTheirCommit) {
  const std::vector<std::string> expected = Drop(7, 50);
  std::filesystem::create_directories(done());
  inlet::SpoolDirectoryInput input(
      {.directory = spool(), .done_directory = done(), .batch_size = 16, .stop_when_empty = true});
  SpoolCheckingSink sink(spool(), /*fail_commits=*/false);
  auto report = inlet::Run(input, sink, {.workers = 3, .epoch_interval = absl::Milliseconds(5)});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(sink.lines(), UnorderedElementsAreArray(expected));
  EXPECT_THAT(sink.removed_too_early(), ElementsAre());
  EXPECT_THAT(Names(spool()), ElementsAre());
  EXPECT_EQ(Names(done()).size(), 7u);
}

TEST_F(SpoolDirectoryInputTest, WithoutDoneDirectoryDeliveredFilesAreDeleted) {
  const std::vector<std::string> expected = Drop(3, 5);
  inlet::SpoolDirectoryInput input({.directory = spool(), .stop_when_empty = true});
  SpoolCheckingSink sink(spool(), /*fail_commits=*/false);
  auto report = inlet::Run(input, sink);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(sink.lines(), UnorderedElementsAreArray(expected));
  EXPECT_THAT(Names(spool()), ElementsAre());
}

TEST_F(SpoolDirectoryInputTest, AFailedCommitRemovesNothingSoTheNextRunReadsEverythingAgain) {
  const std::vector<std::string> expected = Drop(4, 10);
  inlet::SpoolDirectoryInput input({.directory = spool(), .stop_when_empty = true});
  {
    SpoolCheckingSink failing(spool(), /*fail_commits=*/true);
    auto report = inlet::Run(input, failing, {.workers = 2});
    ASSERT_FALSE(report.ok());
    EXPECT_THAT(report.status().message(), HasSubstr("sink Commit: disk gone"));
  }
  EXPECT_EQ(Names(spool()).size(), 4u);
  SpoolCheckingSink sink(spool(), /*fail_commits=*/false);
  auto report = inlet::Run(input, sink, {.workers = 2});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(sink.lines(), UnorderedElementsAreArray(expected));
  EXPECT_THAT(Names(spool()), ElementsAre());
}

TEST_F(SpoolDirectoryInputTest, HiddenFilesAreLeftForTheProducerToRename) {
  Write("spool/.partial.log", "not yet\n");
  Write("spool/ready.log", "a\r\nb\n");
  inlet::SpoolDirectoryInput input({.directory = spool(), .stop_when_empty = true});
  SpoolCheckingSink sink(spool(), /*fail_commits=*/false);
  auto report = inlet::Run(input, sink);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(sink.lines(), ElementsAre("a", "b"));
  EXPECT_THAT(Names(spool()), ElementsAre(".partial.log"));
}

TEST_F(SpoolDirectoryInputTest, BadOptionsNameTheOptionAndThePath) {
  std::filesystem::create_directories(spool());
  EXPECT_THAT(inlet::SpoolDirectoryOptions{.directory = dir_ / "missing"}.Validate().message(),
              HasSubstr("SpoolDirectoryOptions.directory"));
  EXPECT_THAT(
      (inlet::SpoolDirectoryOptions{.directory = spool(), .done_directory = spool()}.Validate())
          .message(),
      HasSubstr("is the spool directory itself"));
  inlet::SpoolDirectoryInput input({.directory = dir_ / "missing"});
  SpoolCheckingSink sink(spool(), false);
  auto report = inlet::Run(input, sink);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr((dir_ / "missing").string()));
}

}  // namespace
