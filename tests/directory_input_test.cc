#include "inlet/connectors/directory_input.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/connectors/file_input.h"
#include "inlet/run.h"
#include "inlet/testing/testing.h"
#include "test_support.h"

namespace inlet {
namespace {

using ::inlet_test::ReadToEnd;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Source = StatefulSource<std::string, int64_t>;

class DirectoryInputTest : public inlet_test::TempDirTest {
 protected:
  // The pattern `glob` inside the test's directory.
  std::string Pattern(const std::string& glob) const { return (dir_ / glob).string(); }
};

TEST_F(DirectoryInputTest, ListsMatchingRegularFilesSorted) {
  std::filesystem::path c = Write("c.txt", "c\n");
  std::filesystem::path a = Write("a.txt", "a\n");
  std::filesystem::path b = Write("b.txt", "b\n");
  Write("other.log", "not matched\n");
  Write(".hidden.txt", "a leading dot needs an explicit dot\n");
  std::filesystem::create_directory(dir_ / "dir.txt");  // Matches, but is not a file.

  DirectoryInput input(Pattern("*.txt"));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(a.string(), b.string(), c.string()));
}

TEST_F(DirectoryInputTest, SortsByByteValueNotByLocale) {
  std::filesystem::path lower = Write("a.txt", "");
  std::filesystem::path upper = Write("B.txt", "");
  std::filesystem::path underscore = Write("_.txt", "");
  DirectoryInput input(Pattern("*.txt"));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(upper.string(), underscore.string(), lower.string()));
}

TEST_F(DirectoryInputTest, MatchesAcrossDirectories) {
  std::filesystem::path x = Write("x/app.log", "");
  std::filesystem::path y = Write("y/app.log", "");
  Write("y/app.txt", "");
  DirectoryInput input(Pattern("*/app.log"));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(x.string(), y.string()));
}

TEST_F(DirectoryInputTest, EachListPartsCallSeesNewFiles) {
  std::filesystem::path first = Write("1.log", "one\n");
  DirectoryInput input(Pattern("*.log"));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(first.string()));

  std::filesystem::path second = Write("2.log", "two\n");
  parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(first.string(), second.string()));
}

TEST_F(DirectoryInputTest, NoMatchIsNotFoundNamingThePattern) {
  Write("a.log", "a\n");
  DirectoryInput input(Pattern("*.txt"));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(parts.status().message(), "no file matches \"" + Pattern("*.txt") + "\"");
}

TEST_F(DirectoryInputTest, MatchingOnlyDirectoriesIsNoMatch) {
  std::filesystem::create_directory(dir_ / "sub.txt");
  DirectoryInput input(Pattern("*.txt"));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(parts.status().message(), "no file matches \"" + Pattern("*.txt") + "\"");
}

TEST_F(DirectoryInputTest, MissingDirectoryIsNotFoundNamingTheDirectory) {
  DirectoryInput input(Pattern("missing/*.txt"));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(parts.status().message(), (dir_ / "missing").string() + ": No such file or directory");
}

TEST_F(DirectoryInputTest, UnreadableDirectoryIsPermissionDeniedNamingTheDirectory) {
  if (geteuid() == 0) {
    GTEST_SKIP() << "running as root, where a mode of 000 does not prevent reading";
  }
  Write("locked/a.txt", "a\n");
  ASSERT_EQ(chmod((dir_ / "locked").c_str(), 0), 0);
  DirectoryInput input(Pattern("locked/*.txt"));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(parts.status().message(), (dir_ / "locked").string() + ": Permission denied");
}

TEST_F(DirectoryInputTest, ReadsEachFileWithFileInputSemantics) {
  std::filesystem::path a = Write("a.txt", "a1\na2\n");
  std::filesystem::path b = Write("b.txt", "b1\nb2 without newline");
  DirectoryInput input(Pattern("*.txt"), {.batch_size = 1});
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_THAT(*parts, ElementsAre(a.string(), b.string()));

  absl::StatusOr<std::unique_ptr<Source>> source_a =
      input.BuildPart("step", a.string(), std::nullopt);
  ASSERT_TRUE(source_a.ok()) << source_a.status();
  EXPECT_THAT(ReadToEnd(**source_a), ElementsAre("a1", "a2"));
  (*source_a)->Close();

  absl::StatusOr<std::unique_ptr<Source>> source_b =
      input.BuildPart("step", b.string(), std::nullopt);
  ASSERT_TRUE(source_b.ok()) << source_b.status();
  std::vector<std::string> batch;
  ASSERT_TRUE((*source_b)->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre("b1"));
  const int64_t snapshot = (*source_b)->Snapshot();
  EXPECT_EQ(snapshot, 3);
  (*source_b)->Close();

  absl::StatusOr<std::unique_ptr<Source>> resumed = input.BuildPart("step", b.string(), snapshot);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_THAT(ReadToEnd(**resumed), ElementsAre("b2 without newline"));
  EXPECT_EQ((*resumed)->Snapshot(), 21);
}

TEST_F(DirectoryInputTest, FollowOptionHoldsAPartialLine) {
  std::filesystem::path path = Write("log.txt", "done\npart");
  DirectoryInput input(Pattern("*.txt"), {.follow = true});
  absl::StatusOr<std::unique_ptr<Source>> source =
      input.BuildPart("step", path.string(), std::nullopt);
  ASSERT_TRUE(source.ok()) << source.status();
  std::vector<std::string> batch;
  absl::StatusOr<Poll> poll = (*source)->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kMore);
  EXPECT_THAT(batch, ElementsAre("done"));
  batch.clear();
  poll = (*source)->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kMore);
  EXPECT_THAT(batch, IsEmpty());
  EXPECT_TRUE((*source)->NextAwake().has_value());
  EXPECT_EQ((*source)->Snapshot(), 5);
}

TEST_F(DirectoryInputTest, BuildPartRejectsANameOutsideThePattern) {
  std::filesystem::path other = Write("other.log", "x\n");
  DirectoryInput input(Pattern("*.txt"));
  absl::StatusOr<std::unique_ptr<Source>> source =
      input.BuildPart("step", other.string(), std::nullopt);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(source.status().message(),
            "\"" + other.string() + "\" does not match \"" + Pattern("*.txt") + "\"");
}

TEST_F(DirectoryInputTest, FileRemovedAfterListPartsFailsBuildPartNamingThePath) {
  std::filesystem::path path = Write("a.txt", "a\n");
  DirectoryInput input(Pattern("*.txt"));
  ASSERT_TRUE(input.ListParts().ok());
  std::filesystem::remove(path);
  absl::StatusOr<std::unique_ptr<Source>> source =
      input.BuildPart("step", path.string(), std::nullopt);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(source.status().message(), path.string() + ": No such file or directory");
}

TEST_F(DirectoryInputTest, ResumeBeyondEndOfFileNamesThePathAndBothNumbers) {
  std::filesystem::path path = Write("a.txt", "abc\n");
  DirectoryInput input(Pattern("*.txt"));
  absl::StatusOr<std::unique_ptr<Source>> source = input.BuildPart("step", path.string(), 40);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(source.status().message(),
            path.string() +
                ": resume offset 40 is beyond the end of the file (4 bytes); was it "
                "truncated since the snapshot?");
}

// End to end through the embedded runtime.

class DirectoryInputRunTest : public DirectoryInputTest,
                              public ::testing::WithParamInterface<int> {};

TEST_P(DirectoryInputRunTest, EveryLineOfEveryMatchingFileArrivesExactlyOnce) {
  std::map<std::string, int64_t> expected_counts;
  std::vector<std::string> expected;
  for (int file = 0; file < 4; ++file) {
    std::string contents;
    for (int line = 0; line < 50 * (file + 1); ++line) {
      expected.push_back(absl::StrCat("f", file, ":", line));
      absl::StrAppend(&contents, expected.back(), "\n");
    }
    expected_counts[Write(absl::StrCat("in-", file, ".log"), contents).string()] = 50 * (file + 1);
  }
  Write("ignored.txt", "not matched\n");

  DirectoryInput input(Pattern("*.log"), {.batch_size = 8});
  TestingSink<std::string> sink;
  absl::StatusOr<RunReport> report = inlet::Run(input, sink, {.workers = GetParam()});
  ASSERT_TRUE(report.ok()) << report.status();

  std::vector<std::string> received = sink.items();
  std::sort(received.begin(), received.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(received, expected);
  EXPECT_EQ(report->items, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(report->partition_items, expected_counts);
}

INSTANTIATE_TEST_SUITE_P(Workers, DirectoryInputRunTest, ::testing::Values(1, 3),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return absl::StrCat(param_info.param, "Workers");
                         });

TEST(DirectoryInputSampleTest, SampleDirectoryHasThreeOrderFiles) {
  DirectoryInput input(std::string(INLET_EXAMPLES_DIR) + "/sample/*.txt");
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->size(), 3u);
  TestingSink<std::string> sink;
  absl::StatusOr<RunReport> report = inlet::Run(input, sink, {.workers = 2});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->items, 9);
  EXPECT_EQ(sink.items().size(), 9u);
}

}  // namespace
}  // namespace inlet
