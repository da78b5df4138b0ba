#include "inlet/connectors/stdin_subject.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "connectors/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/run.h"
#include "inlet/subject_input.h"
#include "inlet/testing/testing.h"

namespace {

using ::inlet::internal::UniqueFd;
using ::testing::ElementsAre;

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe MakePipe() {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  for (const int fd : fds) EXPECT_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    ASSERT_GT(written, 0) << "write to fd " << fd;
    data.remove_prefix(static_cast<size_t>(written));
  }
}

inlet::SubjectInput<std::string> StdinInput(int fd) {
  return inlet::SubjectInput<std::string>(
      [fd] { return std::make_unique<inlet::StdinSubject>(fd); },
      {.format = inlet::MessageFormat::kRaw, .name = "stdin"});
}

// Writes `data` into a pipe, closes it and reads it to the end.
std::vector<std::string> ReadThroughPipe(const std::string& data) {
  Pipe pipe = MakePipe();
  std::thread writer([&] {
    WriteAll(pipe.write_end.get(), data);
    pipe.write_end.Reset();
  });
  inlet::SubjectInput<std::string> input = StdinInput(pipe.read_end.get());
  inlet::TestingSink<std::string> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
  writer.join();
  EXPECT_TRUE(report.ok()) << report.status();
  return sink.items();
}

TEST(StdinSubjectTest, PushesLinesInOrderAndTheUnterminatedLastOneAtEof) {
  EXPECT_THAT(ReadThroughPipe("first\nsecond\n\nlast"), ElementsAre("first", "second", "", "last"));
  EXPECT_THAT(ReadThroughPipe("only\n"), ElementsAre("only"));
  EXPECT_THAT(ReadThroughPipe(""), ElementsAre());
}

TEST(StdinSubjectTest, CrLfEndingsAreRemovedAndOtherCarriageReturnsKept) {
  EXPECT_THAT(ReadThroughPipe("one\r\ntwo\r\nin\rside\n\r\nend\r"),
              ElementsAre("one", "two", "in\rside", "", "end\r"));
}

TEST(StdinSubjectTest, ManyLinesAcrossChunkBoundariesArriveWhole) {
  std::vector<std::string> expected;
  std::string data;
  for (int i = 0; i < 50000; ++i) {
    expected.push_back(absl::StrCat("line-", i, std::string(static_cast<size_t>(i % 97), 'x')));
    absl::StrAppend(&data, expected.back(), i % 3 == 0 ? "\r\n" : "\n");
  }
  expected.push_back(std::string(200000, 'y'));  // Longer than several reads.
  absl::StrAppend(&data, expected.back(), "\n");
  EXPECT_EQ(ReadThroughPipe(data), expected);
}

TEST(StdinSubjectTest, StopWhileBlockedInAReadReturnsPromptly) {
  Pipe pipe = MakePipe();
  WriteAll(pipe.write_end.get(), "ready\n");  // The write end stays open: the next read blocks.
  inlet::SubjectInput<std::string> input = StdinInput(pipe.read_end.get());
  std::stop_source stop;
  std::vector<std::string> lines;
  inlet::CallbackSink<std::string> sink([&](std::span<const std::string> batch) {
    for (const std::string& message : batch) lines.push_back(message);
    if (!lines.empty()) stop.request_stop();
    return absl::OkStatus();
  });
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {.stop = stop.get_token()});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped);
  EXPECT_THAT(lines, ElementsAre("ready"));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(StdinSubjectTest, InvalidUtf8IsReportedWithTheMessageNumber) {
  Pipe pipe = MakePipe();
  WriteAll(pipe.write_end.get(), "good\nbad \xFF\nnever\n");
  pipe.write_end.Reset();
  inlet::SubjectInput<std::string> input = StdinInput(pipe.read_end.get());
  inlet::TestingSink<std::string> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(
      std::string(report.status().message()),
      ::testing::HasSubstr(
          R"(subject "stdin": message 2: expected valid UTF-8, got byte 0xFF at offset 4)"));
  EXPECT_THAT(sink.items(), ElementsAre("good"));
}

TEST(StdinSubjectTest, ReadErrorNamesTheDescriptorAndTheError) {
  UniqueFd directory(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(directory.valid());
  inlet::SubjectInput<std::string> input = StdinInput(directory.get());
  inlet::TestingSink<std::string> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(std::string(report.status().message()),
              ::testing::HasSubstr(absl::StrCat(R"(subject "stdin": Run: fd )", directory.get(),
                                                ": read: Is a directory")));
}

}  // namespace
