#include "inlet/connectors/file_input.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/run.h"
#include "inlet/testing/testing.h"
#include "inlet/waker.h"
#include "test_support.h"

namespace inlet {
namespace {

using ::inlet_test::ReadToEnd;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using Source = StatefulSource<std::string, int64_t>;

class FileInputTest : public inlet_test::TempDirTest {};

std::unique_ptr<Source> Open(const std::filesystem::path& path,
                             std::optional<int64_t> resume = std::nullopt,
                             const FileInputOptions& options = {}) {
  absl::StatusOr<std::unique_ptr<Source>> source = OpenFileSource(path, resume, options);
  EXPECT_TRUE(source.ok()) << source.status();
  return source.ok() ? *std::move(source) : nullptr;
}

// Polls a following `source` until a call returns no line.
std::vector<std::string> ReadAvailable(Source& source) {
  std::vector<std::string> lines;
  for (int call = 0; call < 10000; ++call) {
    std::vector<std::string> batch;
    absl::StatusOr<Poll> poll = source.NextBatch(batch);
    EXPECT_TRUE(poll.ok()) << poll.status();
    EXPECT_EQ(poll.value_or(Poll::kEnd), Poll::kMore) << "a followed file never ends";
    if (!poll.ok() || batch.empty()) return lines;
    lines.insert(lines.end(), batch.begin(), batch.end());
  }
  ADD_FAILURE() << "the source kept producing lines";
  return lines;
}

// /dev/fd lists the process's open descriptors on Linux (a link to
// /proc/self/fd) and on macOS.
int CountOpenDescriptors() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/dev/fd")) {
    ++count;
  }
  return count;
}

TEST_F(FileInputTest, ReadsEveryLineInOrderWithoutNewlines) {
  std::filesystem::path path = Write("a.txt", "alpha\nbeta\n\ngamma delta\n");
  std::unique_ptr<Source> source = Open(path);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadToEnd(*source), ElementsAre("alpha", "beta", "", "gamma delta"));
  EXPECT_EQ(source->Snapshot(), 24);
  source->Close();
}

TEST_F(FileInputTest, KeepsCarriageReturns) {
  std::filesystem::path path = Write("crlf.txt", "one\r\ntwo\r\n");
  std::unique_ptr<Source> source = Open(path);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadToEnd(*source), ElementsAre("one\r", "two\r"));
}

constexpr FileInputOptions kUniversal{.line_ending = LineEnding::kUniversal};

// Every line and every snapshot of `path` read with `options`: (snapshot,
// number of lines handed out before it), from the start to the end.
std::pair<std::vector<std::string>, std::vector<std::pair<int64_t, size_t>>> ReadWithSnapshots(
    const std::filesystem::path& path, const FileInputOptions& options) {
  std::unique_ptr<Source> source = Open(path, std::nullopt, options);
  std::vector<std::string> lines;
  std::vector<std::pair<int64_t, size_t>> snapshots;
  if (source == nullptr) return {lines, snapshots};
  snapshots.emplace_back(source->Snapshot(), 0);
  for (int call = 0; call < 100000; ++call) {
    std::vector<std::string> batch;
    absl::StatusOr<Poll> poll = source->NextBatch(batch);
    EXPECT_TRUE(poll.ok()) << poll.status();
    if (!poll.ok()) break;
    lines.insert(lines.end(), batch.begin(), batch.end());
    snapshots.emplace_back(source->Snapshot(), lines.size());
    if (*poll == Poll::kEnd) break;
  }
  return {lines, snapshots};
}

TEST_F(FileInputTest, UniversalLineEndingsSplitAsPythonTextModeDoes) {
  // What `open(path).readline()` with rstrip("\n") gives (Bytewax's FileSource).
  std::filesystem::path path = Write("mixed.txt", "a\r\nb\rc\n\n\nd\r\r\ne\n\r\rf");
  std::unique_ptr<Source> source = Open(path, std::nullopt, kUniversal);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadToEnd(*source), ElementsAre("a", "b", "c", "", "", "d", "", "e", "", "", "f"));
  EXPECT_EQ(source->Snapshot(), 18);
}

TEST_F(FileInputTest, UniversalLineEndingsKeepOtherWhitespace) {
  std::filesystem::path path = Write("spaces.txt", "  x \t\r\n\ty\r \rlast without ending ");
  std::unique_ptr<Source> source = Open(path, std::nullopt, kUniversal);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadToEnd(*source), ElementsAre("  x \t", "\ty", " ", "last without ending "));
}

TEST_F(FileInputTest, UniversalEverySnapshotResumesWithoutGapOrDuplicate) {
  // A "\r\n" split by the 64 KiB read boundary, lone '\r's, blank lines and
  // a '\r' as the very last byte.
  std::string contents = std::string((size_t{64} << 10) - 1, 'x') + "\r\n";
  std::vector<std::string> expected = {std::string((size_t{64} << 10) - 1, 'x')};
  for (int i = 0; i < 60; ++i) {
    const std::string line = absl::StrCat("line ", i);
    const char* endings[] = {"\r\n", "\r", "\n", "\r\r\n"};
    absl::StrAppend(&contents, line, endings[i % 4]);
    expected.push_back(line);
    if (i % 4 == 3) expected.emplace_back();
  }
  contents += "end\r";
  expected.emplace_back("end");
  std::filesystem::path path = Write("crlf.txt", contents);

  for (size_t batch_size : {size_t{1}, size_t{3}, size_t{1000}}) {
    SCOPED_TRACE(absl::StrCat("batch_size ", batch_size));
    FileInputOptions options = kUniversal;
    options.batch_size = batch_size;
    auto [lines, snapshots] = ReadWithSnapshots(path, options);
    ASSERT_EQ(lines, expected);
    for (const auto& [offset, handed_out] : snapshots) {
      SCOPED_TRACE(absl::StrCat("resume at ", offset, " after ", handed_out, " lines"));
      std::unique_ptr<Source> resumed = Open(path, offset, options);
      ASSERT_NE(resumed, nullptr);
      EXPECT_THAT(
          ReadToEnd(*resumed),
          ElementsAreArray(expected.begin() + static_cast<ptrdiff_t>(handed_out), expected.end()));
    }
  }
}

TEST_F(FileInputTest, UniversalResumeBetweenCrAndLfYieldsNoEmptyLine) {
  // The file ended with '\r' when it was read, so the snapshot is between
  // the '\r' and the '\n' appended since.
  std::filesystem::path path = Write("growing.txt", "a\r");
  std::unique_ptr<Source> source = Open(path, std::nullopt, kUniversal);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadToEnd(*source), ElementsAre("a"));
  EXPECT_EQ(source->Snapshot(), 2);

  Append(path, "\nb\r\n");
  std::unique_ptr<Source> resumed = Open(path, 2, kUniversal);
  ASSERT_NE(resumed, nullptr);
  EXPECT_THAT(ReadToEnd(*resumed), ElementsAre("b"));
  EXPECT_EQ(resumed->Snapshot(), 6);

  // The same offset with "\n" endings is inside the line "a\r".
  absl::StatusOr<std::unique_ptr<Source>> newline_mode = OpenFileSource(path, 2);
  ASSERT_FALSE(newline_mode.ok());
  EXPECT_EQ(newline_mode.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(FileInputTest, UniversalFollowHandsOutACrLineAtOnceAndSkipsItsLf) {
  std::filesystem::path path = Write("log.txt", "a\r");
  FileInputOptions options = kUniversal;
  options.follow = true;
  std::unique_ptr<Source> source = Open(path, std::nullopt, options);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("a"));
  const int64_t between = source->Snapshot();
  EXPECT_EQ(between, 2);
  std::unique_ptr<Source> resumed = Open(path, between, options);
  ASSERT_NE(resumed, nullptr);

  Append(path, "\nb\r");
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("b"));
  Append(path, "\nc\n");
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("c"));
  EXPECT_THAT(ReadAvailable(*resumed), ElementsAre("b", "c"));
  EXPECT_EQ(source->Snapshot(), 8);
  EXPECT_EQ(resumed->Snapshot(), 8);
}

TEST_F(FileInputTest, UniversalResumeInsideALineIsStillFailedPrecondition) {
  std::filesystem::path path = Write("lines.txt", "abc\r\ndef\rghi\n");
  absl::StatusOr<std::unique_ptr<Source>> inside = OpenFileSource(path, 2, kUniversal);
  ASSERT_FALSE(inside.ok());
  EXPECT_EQ(inside.status().code(), absl::StatusCode::kFailedPrecondition);
  std::unique_ptr<Source> after_lone_cr = Open(path, 9, kUniversal);
  ASSERT_NE(after_lone_cr, nullptr);
  EXPECT_THAT(ReadToEnd(*after_lone_cr), ElementsAre("ghi"));
}

TEST_F(FileInputTest, RequireUtf8HandsOutTheLinesBeforeAnInvalidOneThenFailsNamingTheByte) {
  std::filesystem::path path = Write("bad.txt", "caf\xc3\xa9\nok\nab\xff\xfe\nnever\n");
  const FileInputOptions options{.require_utf8 = true};
  std::unique_ptr<Source> source = Open(path, std::nullopt, options);
  ASSERT_NE(source, nullptr);
  std::vector<std::string> batch;
  absl::StatusOr<Poll> poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kMore);
  EXPECT_THAT(batch, ElementsAre("caf\xc3\xa9", "ok"));
  EXPECT_EQ(source->Snapshot(), 9);

  for (int call = 0; call < 2; ++call) {  // It stays failed.
    batch.clear();
    poll = source->NextBatch(batch);
    ASSERT_FALSE(poll.ok());
    EXPECT_EQ(poll.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(poll.status().message(), path.string() + ": invalid UTF-8 at byte 11 (0xff)");
    EXPECT_THAT(batch, IsEmpty());
    EXPECT_EQ(source->Snapshot(), 9);
  }
}

TEST_F(FileInputTest, RequireUtf8ChecksTheLastLineWithoutEnding) {
  std::filesystem::path path = Write("tail.txt", "good\n\xe2\x82");
  const FileInputOptions options{.batch_size = 1, .require_utf8 = true};
  std::unique_ptr<Source> source = Open(path, std::nullopt, options);
  ASSERT_NE(source, nullptr);
  std::vector<std::string> batch;
  ASSERT_TRUE(source->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre("good"));
  absl::StatusOr<Poll> poll = source->NextBatch(batch);
  ASSERT_FALSE(poll.ok());
  EXPECT_EQ(poll.status().message(), path.string() + ": invalid UTF-8 at byte 5 (0xe2)");
}

TEST_F(FileInputTest, WithoutRequireUtf8LinesAreBytes) {
  std::filesystem::path path = Write("bytes.txt", "\xff\xfe\n");
  std::unique_ptr<Source> source = Open(path);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadToEnd(*source), ElementsAre("\xff\xfe"));
}

TEST_F(FileInputTest, EmitsFinalLineWithoutNewlineAtEndOfFile) {
  std::filesystem::path path = Write("partial.txt", "first\nlast");
  std::unique_ptr<Source> source = Open(path);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadToEnd(*source), ElementsAre("first", "last"));
  EXPECT_EQ(source->Snapshot(), 10);

  std::unique_ptr<Source> resumed = Open(path, 10);
  ASSERT_NE(resumed, nullptr);
  EXPECT_THAT(ReadToEnd(*resumed), IsEmpty());
}

TEST_F(FileInputTest, EmptyFileEndsAtOnce) {
  std::filesystem::path path = Write("empty.txt", "");
  std::unique_ptr<Source> source = Open(path);
  ASSERT_NE(source, nullptr);
  std::vector<std::string> batch;
  absl::StatusOr<Poll> poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kEnd);
  EXPECT_THAT(batch, IsEmpty());
  EXPECT_EQ(source->Snapshot(), 0);
}

TEST_F(FileInputTest, BatchHoldsAtMostBatchSizeLines) {
  std::string contents;
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    expected.push_back(absl::StrCat("line ", i));
    absl::StrAppend(&contents, expected.back(), "\n");
  }
  std::filesystem::path path = Write("ten.txt", contents);
  std::unique_ptr<Source> source = Open(path, std::nullopt, {.batch_size = 3});
  ASSERT_NE(source, nullptr);

  std::vector<size_t> sizes;
  std::vector<std::string> lines;
  for (int call = 0; call < 10; ++call) {
    std::vector<std::string> batch;
    absl::StatusOr<Poll> poll = source->NextBatch(batch);
    ASSERT_TRUE(poll.ok()) << poll.status();
    sizes.push_back(batch.size());
    lines.insert(lines.end(), batch.begin(), batch.end());
    if (*poll == Poll::kEnd) break;
  }
  EXPECT_EQ(lines, expected);
  ASSERT_GE(sizes.size(), 4u);
  EXPECT_THAT(std::vector<size_t>(sizes.begin(), sizes.begin() + 4), ElementsAre(3, 3, 3, 1));
}

TEST_F(FileInputTest, BatchSizeZeroMeansOneLinePerBatch) {
  std::filesystem::path path = Write("two.txt", "a\nb\n");
  std::unique_ptr<Source> source = Open(path, std::nullopt, {.batch_size = 0});
  ASSERT_NE(source, nullptr);
  std::vector<std::string> batch;
  ASSERT_TRUE(source->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre("a"));
}

TEST_F(FileInputTest, LongLineIsReadOverSeveralBoundedCalls) {
  const std::string long_line(3 << 20, 'x');  // Longer than one call reads.
  std::filesystem::path path = Write("long.txt", "short\n" + long_line + "\nend\n");
  std::unique_ptr<Source> source = Open(path);
  ASSERT_NE(source, nullptr);

  std::vector<std::string> lines;
  int empty_batches = 0;
  for (int call = 0; call < 100; ++call) {
    std::vector<std::string> batch;
    absl::StatusOr<Poll> poll = source->NextBatch(batch);
    ASSERT_TRUE(poll.ok()) << poll.status();
    if (batch.empty() && *poll == Poll::kMore) {
      ++empty_batches;
      EXPECT_EQ(source->NextAwake(), std::nullopt) << "a partial read must be resumed at once";
    }
    lines.insert(lines.end(), batch.begin(), batch.end());
    if (*poll == Poll::kEnd) break;
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "short");
  EXPECT_EQ(lines[1], long_line);
  EXPECT_EQ(lines[2], "end");
  EXPECT_GE(empty_batches, 1);
}

TEST_F(FileInputTest, EverySnapshotResumesWithoutGapOrDuplicate) {
  std::string contents;
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) {
    expected.push_back(std::string(static_cast<size_t>(i % 13), 'a' + static_cast<char>(i % 26)) +
                       absl::StrCat(i));
    absl::StrAppend(&contents, expected.back(), "\n");
  }
  std::filesystem::path path = Write("lines.txt", contents);

  for (size_t batch_size : {size_t{1}, size_t{7}, size_t{64}}) {
    SCOPED_TRACE(absl::StrCat("batch_size ", batch_size));
    const FileInputOptions options{.batch_size = batch_size};
    std::unique_ptr<Source> source = Open(path, std::nullopt, options);
    ASSERT_NE(source, nullptr);
    // (snapshot, number of lines handed out before it), starting at the start.
    std::vector<std::pair<int64_t, size_t>> snapshots = {{source->Snapshot(), 0}};
    std::vector<std::string> lines;
    for (int call = 0; call < 1000; ++call) {
      std::vector<std::string> batch;
      absl::StatusOr<Poll> poll = source->NextBatch(batch);
      ASSERT_TRUE(poll.ok()) << poll.status();
      lines.insert(lines.end(), batch.begin(), batch.end());
      snapshots.emplace_back(source->Snapshot(), lines.size());
      if (*poll == Poll::kEnd) break;
    }
    source->Close();
    ASSERT_EQ(lines, expected);
    EXPECT_GE(snapshots.size(), 100 / batch_size + 1);

    for (const auto& [offset, handed_out] : snapshots) {
      SCOPED_TRACE(absl::StrCat("resume at ", offset, " after ", handed_out, " lines"));
      std::unique_ptr<Source> resumed = Open(path, offset, options);
      ASSERT_NE(resumed, nullptr);
      std::vector<std::string> rest = ReadToEnd(*resumed);
      EXPECT_THAT(rest, ElementsAreArray(expected.begin() + static_cast<ptrdiff_t>(handed_out),
                                         expected.end()));
      resumed->Close();
    }
  }
}

TEST_F(FileInputTest, ResumeBeyondEndOfFileIsOutOfRange) {
  std::filesystem::path path = Write("short.txt", "0123456789");
  absl::StatusOr<std::unique_ptr<Source>> source = OpenFileSource(path, 25);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(source.status().message(),
            path.string() +
                ": resume offset 25 is beyond the end of the file (10 bytes); was it "
                "truncated since the snapshot?");
}

TEST_F(FileInputTest, ResumeInsideALineIsFailedPrecondition) {
  std::filesystem::path path = Write("lines.txt", "abc\ndef\n");
  absl::StatusOr<std::unique_ptr<Source>> source = OpenFileSource(path, 2);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(source.status().message(),
            path.string() +
                ": resume offset 2 is not at the start of a line; was the file "
                "rewritten since the snapshot?");
}

TEST_F(FileInputTest, NegativeResumeIsInvalidArgument) {
  std::filesystem::path path = Write("lines.txt", "abc\n");
  absl::StatusOr<std::unique_ptr<Source>> source = OpenFileSource(path, -1);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(source.status().message(), path.string() + ": resume offset -1 is negative");
}

TEST_F(FileInputTest, MissingPathIsNotFoundNamingThePath) {
  const std::filesystem::path missing = dir_ / "missing.txt";
  FileInput input({missing});
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(parts.status().message(), missing.string() + ": No such file or directory");

  absl::StatusOr<std::unique_ptr<Source>> source =
      input.BuildPart("step", missing.string(), std::nullopt);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(source.status().message(), missing.string() + ": No such file or directory");
}

TEST_F(FileInputTest, FileRemovedAfterListPartsFailsBuildPartNamingThePath) {
  std::filesystem::path path = Write("gone.txt", "a\n");
  FileInput input({path});
  ASSERT_TRUE(input.ListParts().ok());
  std::filesystem::remove(path);
  absl::StatusOr<std::unique_ptr<Source>> source =
      input.BuildPart("step", path.string(), std::nullopt);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(source.status().message(), path.string() + ": No such file or directory");
}

TEST_F(FileInputTest, UnreadableFileIsPermissionDeniedNamingThePath) {
  if (geteuid() == 0) {
    GTEST_SKIP() << "running as root, where a mode of 000 does not prevent reading";
  }
  std::filesystem::path path = Write("secret.txt", "a\n");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  FileInput input({path});
  absl::StatusOr<std::unique_ptr<Source>> source =
      input.BuildPart("step", path.string(), std::nullopt);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(source.status().message(), path.string() + ": Permission denied");
}

TEST_F(FileInputTest, DirectoryIsRejectedNamingThePath) {
  const std::filesystem::path sub = dir_ / "sub";
  std::filesystem::create_directory(sub);
  FileInput input({sub});
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(parts.status().message(), sub.string() + ": Is a directory");

  absl::StatusOr<std::unique_ptr<Source>> source = OpenFileSource(sub, std::nullopt);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().message(), sub.string() + ": Is a directory");
}

TEST_F(FileInputTest, FifoIsRejectedWithoutWaitingForAWriter) {
  const std::filesystem::path fifo = dir_ / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  absl::StatusOr<std::unique_ptr<Source>> source = OpenFileSource(fifo, std::nullopt);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(source.status().message(), fifo.string() + ": not a regular file");
}

TEST_F(FileInputTest, ListPartsReturnsThePathsAsGivenInOrder) {
  std::filesystem::path b = Write("b.txt", "b\n");
  std::filesystem::path a = Write("a.txt", "a\n");
  FileInput input({b, a});
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(b.string(), a.string()));
}

TEST_F(FileInputTest, DuplicatePathIsRejected) {
  std::filesystem::path a = Write("a.txt", "a\n");
  std::filesystem::path b = Write("b.txt", "b\n");
  FileInput input({a, b, a});
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parts.status().message(), "\"" + a.string() + "\" is listed twice");
}

TEST_F(FileInputTest, SameFileUnderTwoNamesIsRejected) {
  std::filesystem::path a = Write("a.txt", "a\n");
  const std::filesystem::path dotted = dir_ / "." / "a.txt";
  FileInput input({a, dotted});
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parts.status().message(),
            "\"" + a.string() + "\" and \"" + dotted.string() + "\" are the same file");

  const std::filesystem::path link = dir_ / "link.txt";
  std::filesystem::create_symlink(a, link);
  FileInput linked({link, a});
  parts = linked.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().message(),
            "\"" + link.string() + "\" and \"" + a.string() + "\" are the same file");
}

TEST_F(FileInputTest, EmptyPathListIsRejected) {
  FileInput input({});
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parts.status().message(), "FileInput needs at least one path");
}

TEST_F(FileInputTest, BuildPartRejectsANameThatIsNotAPath) {
  std::filesystem::path a = Write("a.txt", "a\n");
  FileInput input({a});
  absl::StatusOr<std::unique_ptr<Source>> source = input.BuildPart("step", "other", std::nullopt);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(source.status().message(), "\"other\" is not one of the paths FileInput was given");
}

TEST_F(FileInputTest, BuildPartReadsThePartitionFromTheResumeOffset) {
  std::filesystem::path a = Write("a.txt", "one\ntwo\nthree\n");
  FileInput input({a}, {.batch_size = 1});
  absl::StatusOr<std::unique_ptr<Source>> source = input.BuildPart("step", a.string(), 4);
  ASSERT_TRUE(source.ok()) << source.status();
  std::vector<std::string> batch;
  ASSERT_TRUE((*source)->NextBatch(batch).ok());
  EXPECT_THAT(batch, ElementsAre("two"));
  EXPECT_EQ((*source)->Snapshot(), 8);
}

TEST_F(FileInputTest, CloseReleasesTheDescriptor) {
  std::filesystem::path path = Write("a.txt", "a\n");
  const int before = CountOpenDescriptors();
  std::unique_ptr<Source> source = Open(path);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(CountOpenDescriptors(), before + 1);
  source->Close();
  EXPECT_EQ(CountOpenDescriptors(), before);
  source.reset();
  EXPECT_EQ(CountOpenDescriptors(), before);
}

TEST_F(FileInputTest, DestroyingAnUnclosedSourceReleasesTheDescriptor) {
  std::filesystem::path path = Write("a.txt", "a\n");
  const int before = CountOpenDescriptors();
  std::unique_ptr<Source> source = Open(path);
  ASSERT_NE(source, nullptr);
  source.reset();
  EXPECT_EQ(CountOpenDescriptors(), before);
}

TEST_F(FileInputTest, FollowHoldsAPartialLineUntilItsNewlineArrives) {
  std::filesystem::path path = Write("log.txt", "first\nsec");
  const FileInputOptions options{.follow = true};
  std::unique_ptr<Source> source = Open(path, std::nullopt, options);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("first"));
  EXPECT_EQ(source->Snapshot(), 6);

  // A snapshot taken now resumes before the partial line.
  std::unique_ptr<Source> resumed = Open(path, source->Snapshot(), options);
  ASSERT_NE(resumed, nullptr);

  Append(path, "ond\nthi");
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("second"));
  EXPECT_EQ(source->Snapshot(), 13);
  Append(path, "rd\n");
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("third"));
  EXPECT_EQ(source->Snapshot(), 19);

  EXPECT_THAT(ReadAvailable(*resumed), ElementsAre("second", "third"));
  EXPECT_EQ(resumed->Snapshot(), 19);
}

TEST_F(FileInputTest, FollowPicksUpAppendedLinesAndWaitsPollIntervalWhenIdle) {
  std::filesystem::path path = Write("log.txt", "a\n");
  const absl::Duration poll_interval = absl::Milliseconds(250);
  std::unique_ptr<Source> source =
      Open(path, std::nullopt, {.follow = true, .poll_interval = poll_interval});
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->NextAwake(), std::nullopt) << "a new source is due at once";

  std::vector<std::string> batch;
  absl::StatusOr<Poll> poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kMore);
  EXPECT_THAT(batch, ElementsAre("a"));
  EXPECT_EQ(source->NextAwake(), std::nullopt) << "after data, poll again at once";

  batch.clear();
  const absl::Time before = absl::Now();
  poll = source->NextBatch(batch);
  const absl::Time after = absl::Now();
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kMore);
  EXPECT_THAT(batch, IsEmpty());
  std::optional<absl::Time> awake = source->NextAwake();
  ASSERT_TRUE(awake.has_value());
  EXPECT_GE(*awake, before + poll_interval);
  EXPECT_LE(*awake, after + poll_interval);

  Append(path, "b\nc\n");
  batch.clear();
  poll = source->NextBatch(batch);
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_EQ(*poll, Poll::kMore);
  EXPECT_THAT(batch, ElementsAre("b", "c"));
  EXPECT_EQ(source->NextAwake(), std::nullopt);
  EXPECT_EQ(source->Snapshot(), 6);
}

TEST_F(FileInputTest, FollowOnAnEmptyFileNeverEnds) {
  std::filesystem::path path = Write("empty.txt", "");
  std::unique_ptr<Source> source = Open(path, std::nullopt, {.follow = true});
  ASSERT_NE(source, nullptr);
  for (int call = 0; call < 3; ++call) {
    std::vector<std::string> batch;
    absl::StatusOr<Poll> poll = source->NextBatch(batch);
    ASSERT_TRUE(poll.ok()) << poll.status();
    EXPECT_EQ(*poll, Poll::kMore);
    EXPECT_THAT(batch, IsEmpty());
    EXPECT_TRUE(source->NextAwake().has_value());
  }
  EXPECT_EQ(source->Snapshot(), 0);
}

TEST_F(FileInputTest, FollowPollIntervalIsAtLeastOneMillisecond) {
  std::filesystem::path path = Write("empty.txt", "");
  std::unique_ptr<Source> source =
      Open(path, std::nullopt, {.follow = true, .poll_interval = absl::ZeroDuration()});
  ASSERT_NE(source, nullptr);
  std::vector<std::string> batch;
  const absl::Time before = absl::Now();
  ASSERT_TRUE(source->NextBatch(batch).ok());
  std::optional<absl::Time> awake = source->NextAwake();
  ASSERT_TRUE(awake.has_value());
  EXPECT_GE(*awake, before + absl::Milliseconds(1));
}

TEST_F(FileInputTest, FollowedFileThatShrinksIsAnError) {
  std::filesystem::path path = Write("log.txt", "abc\ndef\n");
  std::unique_ptr<Source> source = Open(path, std::nullopt, {.follow = true});
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("abc", "def"));
  std::filesystem::resize_file(path, 3);
  std::vector<std::string> batch;
  absl::StatusOr<Poll> poll = source->NextBatch(batch);
  ASSERT_FALSE(poll.ok());
  EXPECT_EQ(poll.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(poll.status().message(),
            path.string() + ": file shrank to 3 bytes while being followed at offset 8");
}

// End to end through the embedded runtime.

class FileInputRunTest : public FileInputTest, public ::testing::WithParamInterface<int> {};

TEST_P(FileInputRunTest, EveryLineArrivesExactlyOnceInFileOrder) {
  const int workers = GetParam();
  std::vector<std::filesystem::path> paths;
  std::map<std::string, std::vector<std::string>> expected;  // By partition.
  std::map<std::string, int64_t> sizes;
  for (int file = 0; file < 5; ++file) {
    std::string contents;
    const std::string name = absl::StrCat("part-", file, ".txt");
    for (int line = 0; line < 200 + 37 * file; ++line) {
      expected[(dir_ / name).string()].push_back(absl::StrCat("file ", file, " line ", line));
      absl::StrAppend(&contents, expected[(dir_ / name).string()].back(), "\n");
    }
    paths.push_back(Write(name, contents));
    sizes[paths.back().string()] = static_cast<int64_t>(contents.size());
  }

  FileInput input(paths, {.batch_size = 16});
  TestingSink<std::string> sink;
  absl::StatusOr<RunReport> report = inlet::Run(input, sink, {.workers = workers});
  ASSERT_TRUE(report.ok()) << report.status();

  // Lines carry their file's name, so each file's lines can be picked out of
  // the interleaved output; within a file the order must be kept.
  std::map<std::string, std::vector<std::string>> received;
  int64_t total = 0;
  for (const std::string& line : sink.items()) {
    const std::string file = line.substr(0, line.find(" line "));
    const std::string path = (dir_ / absl::StrCat("part-", file.substr(5), ".txt")).string();
    received[path].push_back(line);
    ++total;
  }
  EXPECT_EQ(received, expected);
  EXPECT_EQ(report->items, total);

  std::map<std::string, int64_t> expected_counts;
  for (const auto& [path, lines] : expected) {
    expected_counts[path] = static_cast<int64_t>(lines.size());
  }
  EXPECT_EQ(report->partition_items, expected_counts);
  for (const auto& [path, size] : sizes) {
    ASSERT_TRUE(report->snapshots.contains(path)) << path;
    EXPECT_EQ(report->snapshots.at(path), size) << path;
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, FileInputRunTest, ::testing::Values(1, 3),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return absl::StrCat(param_info.param, "Workers");
                         });

TEST_F(FileInputTest, RunInFollowModeDeliversAppendedLinesUntilStopped) {
  std::filesystem::path a = Write("a.log", "a0\n");
  std::filesystem::path b = Write("b.log", "");
  FileInput input({a, b}, {.follow = true, .poll_interval = absl::Milliseconds(5)});
  TestingSink<std::string> sink;
  std::stop_source stop;
  absl::StatusOr<RunReport> report;
  std::thread run([&] {
    report = inlet::Run(
        input, sink,
        {.workers = 2, .epoch_interval = absl::Milliseconds(20), .stop = stop.get_token()});
  });

  // Waits until the sink holds `count` lines or 10 s have passed.
  auto wait_for = [&sink](size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (sink.items().size() < count && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    return sink.items().size();
  };
  EXPECT_EQ(wait_for(1), 1u);
  Append(a, "a1\na2");
  Append(b, "b0\n");
  EXPECT_EQ(wait_for(3), 3u);
  Append(a, "\n");
  EXPECT_EQ(wait_for(4), 4u);
  stop.request_stop();
  run.join();

  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped);
  std::vector<std::string> items = sink.items();
  std::sort(items.begin(), items.end());
  EXPECT_THAT(items, ElementsAre("a0", "a1", "a2", "b0"));
  EXPECT_EQ(report->partition_items,
            (std::map<std::string, int64_t>{{a.string(), 3}, {b.string(), 1}}));
  ASSERT_TRUE(report->snapshots.contains(a.string()));
  ASSERT_TRUE(report->snapshots.contains(b.string()));
  EXPECT_EQ(report->snapshots.at(a.string()), 9);
  EXPECT_EQ(report->snapshots.at(b.string()), 3);
}

// Where the OS reports file changes (inotify, kqueue), a followed partition
// bound to a waker is woken by a change instead of polled.
#if defined(__linux__) || defined(__APPLE__) || defined(__FreeBSD__)

// Counts the wakes of one partition.
class CountingWake final : public internal::WakeTarget {
 public:
  void Wake() override { wakes_.fetch_add(1); }
  int wakes() const { return wakes_.load(); }

  // Waits up to 10 s for more than `seen` wakes; returns the count.
  int WaitForMoreThan(int seen) const {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (wakes() <= seen && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    return wakes();
  }

 private:
  std::atomic<int> wakes_{0};
};

constexpr absl::Duration kNeverPolled = absl::Hours(1);

TEST_F(FileInputTest, FollowBoundToAWakerIsWokenByAppendsAndPollsOnlyForSafety) {
  std::filesystem::path path = Write("log.txt", "a\n");
  std::unique_ptr<Source> source =
      Open(path, std::nullopt, {.follow = true, .poll_interval = absl::Milliseconds(10)});
  ASSERT_NE(source, nullptr);
  auto wake = std::make_shared<CountingWake>();
  source->BindWaker(Waker(wake));
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("a"));
  const absl::Time after_read = absl::Now();
  std::optional<absl::Time> awake = source->NextAwake();
  ASSERT_TRUE(awake.has_value());
  // The safety poll: 50 poll intervals, for changes no notification reports.
  EXPECT_GE(*awake, after_read + absl::Milliseconds(400));
  EXPECT_LE(*awake, after_read + absl::Milliseconds(500));

  const int before = wake->wakes();
  Append(path, "b\n");
  EXPECT_GT(wake->WaitForMoreThan(before), before) << "an append did not wake the partition";
  EXPECT_THAT(ReadAvailable(*source), ElementsAre("b"));

  // After Close, a change wakes nothing.
  source->Close();
  absl::SleepFor(absl::Milliseconds(50));
  const int closed = wake->wakes();
  Append(path, "c\n");
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(wake->wakes(), closed);
}

TEST_F(FileInputTest, TwoFollowersOfOneFileAreBothWokenAndOneCanLeave) {
  std::filesystem::path path = Write("log.txt", "");
  std::unique_ptr<Source> first = Open(path, std::nullopt, {.follow = true});
  std::unique_ptr<Source> second = Open(path, std::nullopt, {.follow = true});
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto first_wake = std::make_shared<CountingWake>();
  auto second_wake = std::make_shared<CountingWake>();
  first->BindWaker(Waker(first_wake));
  second->BindWaker(Waker(second_wake));

  Append(path, "a\n");
  EXPECT_GT(first_wake->WaitForMoreThan(0), 0);
  EXPECT_GT(second_wake->WaitForMoreThan(0), 0);

  // The file's watch stays for the follower that remains.
  first.reset();
  const int before = second_wake->wakes();
  Append(path, "b\n");
  EXPECT_GT(second_wake->WaitForMoreThan(before), before);
  EXPECT_THAT(ReadAvailable(*second), ElementsAre("a", "b"));
}

// Runs `input` on one worker in a thread until `Stop`.
class BackgroundRun {
 public:
  explicit BackgroundRun(FileInput& input)
      : thread_([this, &input] {
          report_ = inlet::Run(input, sink_,
                               {.epoch_interval = absl::Seconds(30), .stop = stop_.get_token()});
        }) {}
  ~BackgroundRun() { Stop(); }

  // How long until the sink holds `count` items; InfiniteDuration after 10 s.
  absl::Duration WaitFor(size_t count) {
    const absl::Time start = absl::Now();
    while (sink_.items().size() < count) {
      if (absl::Now() - start > absl::Seconds(10)) return absl::InfiniteDuration();
      absl::SleepFor(absl::Microseconds(200));
    }
    return absl::Now() - start;
  }

  const absl::StatusOr<RunReport>& Stop() {
    stop_.request_stop();
    if (thread_.joinable()) thread_.join();
    return report_;
  }

  std::vector<std::string> items() const { return sink_.items(); }

 private:
  TestingSink<std::string> sink_;
  std::stop_source stop_;
  absl::StatusOr<RunReport> report_;
  std::jthread thread_;  // Last: it starts once the members it uses exist.
};

TEST_F(FileInputTest, RunWakesOnAnAppendWithoutPolling) {
  std::filesystem::path path = Write("log.txt", "a\n");
  FileInput input({path}, {.follow = true, .poll_interval = kNeverPolled});
  BackgroundRun run(input);
  ASSERT_LT(run.WaitFor(1), absl::Seconds(10));
  Append(path, "b\n");
  EXPECT_LT(run.WaitFor(2), absl::Seconds(2)) << "an append reached the sink only by polling";

  // A rotation renames the file; the partition keeps following the file it
  // opened, as it did when polling.
  std::filesystem::path rotated = dir_ / "log.txt.1";
  std::filesystem::rename(path, rotated);
  Append(rotated, "c\n");
  EXPECT_LT(run.WaitFor(3), absl::Seconds(2));

  const absl::StatusOr<RunReport>& report = run.Stop();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(run.items(), ElementsAre("a", "b", "c"));
}

TEST_F(FileInputTest, RunFailsAtOnceWhenAWatchedFileShrinks) {
  std::filesystem::path path = Write("log.txt", "abc\ndef\n");
  FileInput input({path}, {.follow = true, .poll_interval = kNeverPolled});
  std::stop_source stop;
  TestingSink<std::string> sink;
  absl::StatusOr<RunReport> report;
  std::atomic<bool> ended{false};
  std::jthread thread([&] {
    report = inlet::Run(input, sink, {.stop = stop.get_token()});
    ended.store(true);
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (sink.items().size() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(sink.items().size(), 2u);
  std::filesystem::resize_file(path, 3);
  const absl::Time shrunk = absl::Now();
  while (!ended.load() && absl::Now() < shrunk + absl::Seconds(5)) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_TRUE(ended.load()) << "the truncation was not noticed without polling";
  stop.request_stop();
  thread.join();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(report.status().message()),
              ::testing::HasSubstr(path.string() +
                                   ": file shrank to 3 bytes while being followed at offset 8"));
}

#endif  // File change notification.

TEST_F(FileInputTest, RunFailsNamingTheMissingPath) {
  std::filesystem::path a = Write("a.txt", "a\n");
  const std::filesystem::path missing = dir_ / "missing.txt";
  FileInput input({a, missing});
  TestingSink<std::string> sink;
  absl::StatusOr<RunReport> report = inlet::Run(input, sink);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(report.status().message()),
              ::testing::HasSubstr(missing.string() + ": No such file or directory"));
}

}  // namespace
}  // namespace inlet
