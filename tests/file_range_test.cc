// One big file read as byte ranges (`FileInputOptions::split_bytes`): every
// line exactly once whatever the range size, lines longer than a range and
// range boundaries on a newline included; ranges resume from any snapshot
// and rescale through the recovery store.

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/connectors/directory_input.h"
#include "inlet/connectors/file_input.h"
#include "inlet/json_lines_sink.h"
#include "inlet/run.h"
#include "nlohmann/json.hpp"

namespace inlet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FileRangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("file_range_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path Write(const std::string& name, const std::string& text) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Reads every partition of `input` to its end, in listing order, in
  // batches of `options.batch_size`; when `cut_every` > 0, every
  // `cut_every`-th batch the source is snapshotted, closed and rebuilt from
  // the snapshot.
  static std::vector<std::string> ReadAll(FileInput& input, int cut_every = 0) {
    std::vector<std::string> lines;
    absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
    EXPECT_TRUE(parts.ok()) << parts.status();
    if (!parts.ok()) return lines;
    for (const std::string& part : *parts) {
      auto source = input.BuildPart("s", part, std::nullopt);
      EXPECT_TRUE(source.ok()) << part << ": " << source.status();
      if (!source.ok()) return lines;
      for (int batch = 1;; ++batch) {
        absl::StatusOr<Poll> poll = (*source)->NextBatch(lines);
        EXPECT_TRUE(poll.ok()) << part << ": " << poll.status();
        if (!poll.ok() || *poll == Poll::kEnd) break;
        if (cut_every > 0 && batch % cut_every == 0) {
          const int64_t state = (*source)->Snapshot();
          (*source)->Close();
          source = input.BuildPart("s", part, state);
          EXPECT_TRUE(source.ok()) << part << " from " << state << ": " << source.status();
          if (!source.ok()) return lines;
        }
      }
      (*source)->Close();
    }
    return lines;
  }

  std::filesystem::path dir_;
};

TEST_F(FileRangeTest, EveryLineOnceInFileOrderOverRandomFilesAndRangeSizes) {
  std::mt19937 random(20261202);
  for (int file = 0; file < 30; ++file) {
    // Lines of 0 to 40 bytes, a few far longer than any range, and a final
    // line with or without its newline.
    std::vector<std::string> lines(std::uniform_int_distribution<int>(1, 40)(random));
    std::string text;
    for (size_t i = 0; i < lines.size(); ++i) {
      int length = std::uniform_int_distribution<int>(0, 40)(random);
      if (std::uniform_int_distribution<int>(0, 15)(random) == 0) length = 300;
      for (int c = 0; c < length; ++c) {
        lines[i] += static_cast<char>('a' + std::uniform_int_distribution<int>(0, 25)(random));
      }
      lines[i] += absl::StrCat("#", i);  // Distinct, never empty.
      text += lines[i];
      if (i + 1 < lines.size() || random() % 2 == 0) text += '\n';
    }
    const std::filesystem::path path = Write(absl::StrCat("f", file, ".txt"), text);
    for (int64_t split : {1, 2, 3, 5, 8, 13, 64, 257}) {
      for (size_t batch : {1, 1024}) {
        FileInput input({path}, {.batch_size = batch, .split_bytes = split});
        EXPECT_EQ(ReadAll(input), lines)
            << "file " << file << " (" << text.size() << " bytes), ranges of " << split
            << ", batches of " << batch;
        EXPECT_EQ(ReadAll(input, /*cut_every=*/1), lines)
            << "file " << file << " resumed after every batch, ranges of " << split;
      }
    }
  }
}

TEST_F(FileRangeTest, BoundariesOnANewlineAndInsideALineGiveTheLineToOneRange) {
  // Ranges of 4: [0,4) holds "abc\n" whole, so [4,8) starts right after a
  // newline and owns "defgh\n" (which runs past 8); [8,12) starts inside it
  // and owns "ij\n"; [12,14) starts on the newline before "k", which ends
  // the range before's last line.
  const std::filesystem::path path = Write("a.txt", "abc\ndefgh\nij\nk");
  FileInput input({path}, {.split_bytes = 4});
  EXPECT_THAT(*input.ListParts(), ElementsAre(path.string() + "@0-4", path.string() + "@4-8",
                                              path.string() + "@8-12", path.string() + "@12-14"));
  auto read = [&](const std::string& part) {
    std::vector<std::string> lines;
    auto source = input.BuildPart("s", path.string() + part, std::nullopt);
    EXPECT_TRUE(source.ok()) << source.status();
    while (*(*source)->NextBatch(lines) == Poll::kMore) {
    }
    return lines;
  };
  EXPECT_THAT(read("@0-4"), ElementsAre("abc"));
  EXPECT_THAT(read("@4-8"), ElementsAre("defgh"));
  EXPECT_THAT(read("@8-12"), ElementsAre("ij"));
  EXPECT_THAT(read("@12-14"), ElementsAre("k"));
}

TEST_F(FileRangeTest, ARangeInsideOneLongLineReadsNothingAndSnapshotsItsStartUntilItEnds) {
  const std::filesystem::path path = Write("a.txt", std::string(50, 'x') + "\nend\n");
  FileInput input({path}, {.split_bytes = 10});
  auto source = input.BuildPart("s", path.string() + "@20-30", std::nullopt);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Snapshot(), 20) << "not started: the range's start";
  std::vector<std::string> lines;
  EXPECT_EQ(*(*source)->NextBatch(lines), Poll::kEnd);
  EXPECT_THAT(lines, ElementsAre());
  // Its final state resumes to nothing.
  auto again = input.BuildPart("s", path.string() + "@20-30", (*source)->Snapshot());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*(*again)->NextBatch(lines), Poll::kEnd);
  EXPECT_THAT(lines, ElementsAre());
}

TEST_F(FileRangeTest, ASmallFileKeepsItsPathAsItsOnlyPartition) {
  const std::filesystem::path path = Write("a.txt", "one\ntwo\n");
  FileInput input({path}, {.split_bytes = 8});
  EXPECT_THAT(*input.ListParts(), ElementsAre(path.string()));
}

TEST_F(FileRangeTest, DirectoryInputSplitsItsFilesToo) {
  Write("a.txt", "1\n2\n3\n4\n5\n");
  Write("b.txt", "6\n");
  DirectoryInput input((dir_ / "*.txt").string(), {.split_bytes = 4});
  const std::string a = (dir_ / "a.txt").string();
  EXPECT_THAT(*input.ListParts(),
              ElementsAre(a + "@0-4", a + "@4-8", a + "@8-10", (dir_ / "b.txt").string()));
  std::vector<std::string> lines;
  auto source = input.BuildPart("s", a + "@4-8", std::nullopt);
  ASSERT_TRUE(source.ok()) << source.status();
  while (*(*source)->NextBatch(lines) == Poll::kMore) {
  }
  EXPECT_THAT(lines, ElementsAre("3", "4"));
  EXPECT_THAT(input.BuildPart("s", "/elsewhere/a.txt@0-4", std::nullopt).status().message(),
              HasSubstr("does not match"));
}

TEST_F(FileRangeTest, SplitWithFollowOrUniversalEndingsOrANegativeSizeIsRejected) {
  const std::filesystem::path path = Write("a.txt", "x\n");
  EXPECT_EQ(FileInput({path}, {.follow = true, .split_bytes = 4}).ListParts().status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(FileInput({path}, {.line_ending = LineEnding::kUniversal, .split_bytes = 4})
                      .ListParts()
                      .status()
                      .message()),
      HasSubstr("split_bytes needs LineEnding::kNewline"));
  EXPECT_EQ(
      FileInput({path}, {.split_bytes = -1}).ListParts().status(),
      absl::InvalidArgumentError("FileInputOptions.split_bytes must not be negative, got -1"));
}

std::vector<std::string> JsonStrings(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> values;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n', absl::SkipEmpty())) {
    values.push_back(nlohmann::json::parse(line).get<std::string>());
  }
  return values;
}

TEST_F(FileRangeTest, RangesResumeAndRescaleThroughTheRecoveryStore) {
  std::vector<std::string> expected;
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    expected.push_back(absl::StrCat("line-", i, std::string(i % 37, '.')));
    text += expected.back() + "\n";
  }
  const std::filesystem::path path = Write("big.txt", text);
  const std::filesystem::path out = dir_ / "out.jsonl";
  const std::filesystem::path db = dir_ / "state.db";
  const FileInputOptions options{.batch_size = 16, .split_bytes = 40000};
  // Stopped after its first items on 1 worker, then 3, then 2 to the end.
  for (int workers : {1, 3}) {
    FileInput input({path}, options);
    auto sink = JsonLinesSink<std::string>::Open(out);
    ASSERT_TRUE(sink.ok()) << sink.status();
    std::stop_source stop;
    auto report = inlet::Run(input, **sink,
                             {.workers = workers,
                              .epoch_interval = absl::Milliseconds(1),
                              .recovery_db = db,
                              .stop = stop.get_token(),
                              .on_progress =
                                  [&](const RunProgress& progress) {
                                    if (progress.items > 0) stop.request_stop();
                                  },
                              .progress_interval = absl::Milliseconds(1)});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_LT(report->items, static_cast<int64_t>(expected.size())) << workers << " workers";
  }
  FileInput input({path}, options);
  auto sink = JsonLinesSink<std::string>::Open(out);
  ASSERT_TRUE(sink.ok()) << sink.status();
  auto report = inlet::Run(input, **sink, {.workers = 2, .recovery_db = db});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->resumed_epoch, 0);
  EXPECT_EQ(report->partition_items.size(), (text.size() + 39999) / 40000);
  std::vector<std::string> lines = JsonStrings(out);
  std::sort(lines.begin(), lines.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(lines, expected) << "every line once";
}

}  // namespace
}  // namespace inlet
