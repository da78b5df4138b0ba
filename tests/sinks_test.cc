// The built-in sinks: JSON lines, callback, counting.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/counting_sink.h"
#include "inlet/json_lines_sink.h"
#include "inlet/run.h"
#include "inlet/testing/testing.h"
#include "nlohmann/json.hpp"

namespace inlet {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(JsonLinesSinkTest, WritesOneJsonValuePerLine) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_test.jsonl";
  auto sink = JsonLinesSink<std::pair<std::string, int>>::Open(path);
  ASSERT_TRUE(sink.ok()) << sink.status();
  std::vector<std::pair<std::string, int>> items = {{"a", 1}, {"quote \"q\"", 2}};
  ASSERT_TRUE((*sink)->Write(items).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(ReadFile(path), "[\"a\",1]\n[\"quote \\\"q\\\"\",2]\n");
}

TEST(JsonLinesSinkTest, InvalidUtf8IsReplacedNotFatal) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_utf8.jsonl";
  auto sink = JsonLinesSink<std::string>::Open(path);
  ASSERT_TRUE(sink.ok());
  std::vector<std::string> items = {std::string("bad \xff byte")};
  ASSERT_TRUE((*sink)->Write(items).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(nlohmann::json::parse(ReadFile(path)).get<std::string>(), "bad \xEF\xBF\xBD byte");
}

TEST(JsonLinesSinkTest, MessagesAndJsonValuesAreWrittenAsNlohmannJsonDumpsThem) {
  // Written in place rather than converted and dumped: the text must not change.
  const nlohmann::json values = nlohmann::json::array({
      nlohmann::json::object(),
      nlohmann::json::array(),
      nullptr,
      true,
      false,
      0,
      std::numeric_limits<int64_t>::min(),
      std::numeric_limits<uint64_t>::max(),
      1.0,
      0.1,
      -0.0,
      1e300,
      3.14159,
      std::numeric_limits<double>::quiet_NaN(),
      "",
      "plain text ~ with DEL \x7f",
      "quote \" backslash \\ slash /",
      "controls \x01\t\n\r\x1f",
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
      "bad \xFF byte \xC3(",
      nlohmann::json::binary({1, 2, 255}),
      {{"table", "public.t"}, {"key", {{"id", 1}}}, {"caf\xC3\xA9", "x"}, {"q\"uote", {1, 2.5}}},
      {{"nested", {{"deeper", {{"deepest", nlohmann::json::array({nullptr, "a\\b"})}}}}}},
  });
  std::vector<Message> messages;
  std::string expected;
  for (const nlohmann::json& value : values) {
    messages.push_back(Message{.value = value});
    messages.push_back(Message{.key = "k\"\xC3\xA9", .value = value});
  }
  for (const Message& message : messages) {
    expected +=
        nlohmann::json(message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
        "\n";
  }
  const std::string path = ::testing::TempDir() + "/json_lines_sink_messages.jsonl";
  auto sink = JsonLinesSink<Message>::Open(path);
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_TRUE((*sink)->Write(messages).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(ReadFile(path), expected);

  std::string expected_values;
  for (const nlohmann::json& value : values) {
    expected_values += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  const std::string values_path = ::testing::TempDir() + "/json_lines_sink_values.jsonl";
  auto value_sink = JsonLinesSink<nlohmann::json>::Open(values_path);
  ASSERT_TRUE(value_sink.ok()) << value_sink.status();
  std::vector<nlohmann::json> items(values.begin(), values.end());
  ASSERT_TRUE((*value_sink)->Write(items).ok());
  ASSERT_TRUE((*value_sink)->Close().ok());
  EXPECT_EQ(ReadFile(values_path), expected_values);
}

TEST(JsonLinesSinkTest, AnUnwritablePathIsAnErrorNamingIt) {
  auto sink = JsonLinesSink<int>::Open("/nonexistent-dir/out.jsonl");
  EXPECT_EQ(sink.status(), absl::NotFoundError("/nonexistent-dir/out.jsonl: cannot open for "
                                               "writing: No such file or directory"));
}

TEST(JsonLinesSinkTest, ConcurrentBatchesNeverInterleaveWithinALine) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_threads.jsonl";
  auto sink = JsonLinesSink<std::string>::Open(path);
  ASSERT_TRUE(sink.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> batch(50, std::string(100, static_cast<char>('a' + t)));
      for (int i = 0; i < 20; ++i) ASSERT_TRUE((*sink)->Write(batch).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE((*sink)->Close().ok());
  std::istringstream lines(ReadFile(path));
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    std::string value = nlohmann::json::parse(line).get<std::string>();
    ASSERT_EQ(value.size(), 100u);
    EXPECT_EQ(value.find_first_not_of(value[0]), std::string::npos);
  }
  EXPECT_EQ(count, 4 * 20 * 50);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Opens `path`, restores `marker`, writes `items` and commits; returns the
// marker (or the first error).
absl::StatusOr<nlohmann::json> WriteEpoch(const std::string& path, const nlohmann::json& marker,
                                          std::vector<int> items) {
  auto sink = JsonLinesSink<int>::Open(path);
  if (!sink.ok()) return sink.status();
  if (absl::Status restored = (*sink)->Restore(marker); !restored.ok()) return restored;
  if (absl::Status written = (*sink)->Write(items); !written.ok()) return written;
  absl::StatusOr<nlohmann::json> flushed = (*sink)->Commit();
  if (absl::Status closed = (*sink)->Close(); !closed.ok()) return closed;
  return flushed;
}

TEST(JsonLinesSinkTest, TheMarkerNamesTheFileAndItsLength) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_marker.jsonl";
  std::filesystem::remove(path);
  absl::StatusOr<nlohmann::json> marker = WriteEpoch(path, nullptr, {1, 2, 3});
  ASSERT_TRUE(marker.ok()) << marker.status();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ((*marker)["file"], std::filesystem::absolute(path).lexically_normal().string());
  EXPECT_EQ((*marker)["length"], 6);
  EXPECT_EQ((*marker)["device"], static_cast<uint64_t>(st.st_dev));
  EXPECT_EQ((*marker)["inode"], static_cast<uint64_t>(st.st_ino));
  EXPECT_TRUE((*marker)["tail_hash"].is_number_unsigned());
}

TEST(JsonLinesSinkTest, RestoreTruncatesTheCommittedFileAndAppends) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_resume.jsonl";
  std::filesystem::remove(path);
  absl::StatusOr<nlohmann::json> marker = WriteEpoch(path, nullptr, {1, 2});
  ASSERT_TRUE(marker.ok()) << marker.status();
  {
    std::ofstream uncommitted(path, std::ios::app);
    uncommitted << "3\n";
  }
  ASSERT_TRUE(WriteEpoch(path, *marker, {3, 4}).ok());
  EXPECT_EQ(ReadFile(path), "1\n2\n3\n4\n");
}

TEST(JsonLinesSinkTest, RestoreRefusesAnotherFileAndLeavesItIntact) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_committed.jsonl";
  const std::string notes = ::testing::TempDir() + "/json_lines_sink_notes.txt";
  std::filesystem::remove(path);
  absl::StatusOr<nlohmann::json> marker = WriteEpoch(path, nullptr, {1, 2});
  ASSERT_TRUE(marker.ok()) << marker.status();
  WriteFile(notes, "notes that are not this sink's\n");
  absl::StatusOr<nlohmann::json> resumed = WriteEpoch(notes, *marker, {3});
  EXPECT_EQ(resumed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(resumed.status().message()),
              ::testing::AllOf(
                  ::testing::HasSubstr(notes),
                  ::testing::HasSubstr(std::filesystem::absolute(path).lexically_normal().string()),
                  ::testing::HasSubstr("start afresh")));
  EXPECT_EQ(ReadFile(notes), "notes that are not this sink's\n");
}

TEST(JsonLinesSinkTest, RestoreAcceptsACopyOfTheCommittedFile) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_original.jsonl";
  const std::string copy = ::testing::TempDir() + "/json_lines_sink_copy.jsonl";
  std::filesystem::remove(path);
  absl::StatusOr<nlohmann::json> marker = WriteEpoch(path, nullptr, {1, 2});
  ASSERT_TRUE(marker.ok()) << marker.status();
  WriteFile(copy, ReadFile(path) + "uncommitted\n");
  ASSERT_TRUE(WriteEpoch(copy, *marker, {3}).ok());
  EXPECT_EQ(ReadFile(copy), "1\n2\n3\n");
}

TEST(JsonLinesSinkTest, RestoreRefusesAFileChangedBeforeTheCommittedLength) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_changed.jsonl";
  std::filesystem::remove(path);
  absl::StatusOr<nlohmann::json> marker = WriteEpoch(path, nullptr, {1, 2});
  ASSERT_TRUE(marker.ok()) << marker.status();
  WriteFile(path, "7\n8\n");
  absl::StatusOr<nlohmann::json> resumed = WriteEpoch(path, *marker, {3});
  EXPECT_EQ(resumed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadFile(path), "7\n8\n");
}

TEST(JsonLinesSinkTest, AFileOpenCreatedIsRemovedWhenNothingWasWritten) {
  const std::string path = ::testing::TempDir() + "/json_lines_sink_unused.jsonl";
  std::filesystem::remove(path);
  {
    auto sink = JsonLinesSink<int>::Open(path);
    ASSERT_TRUE(sink.ok());
    EXPECT_TRUE(std::filesystem::exists(path));
    ASSERT_TRUE((*sink)->Close().ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  WriteFile(path, "kept\n");
  {
    auto sink = JsonLinesSink<int>::Open(path);
    ASSERT_TRUE(sink.ok());
  }
  EXPECT_EQ(ReadFile(path), "kept\n");
}

TEST(JsonLinesSinkTest, DevNullIsAStreamWithoutMarker) {
  absl::StatusOr<nlohmann::json> marker = WriteEpoch("/dev/null", nullptr, {1, 2});
  ASSERT_TRUE(marker.ok()) << marker.status();
  EXPECT_TRUE(marker->is_null());
}

TEST(JsonLinesSinkTest, ADirectoryIsAnErrorNamingIt) {
  auto sink = JsonLinesSink<int>::Open(::testing::TempDir());
  EXPECT_FALSE(sink.ok());
  EXPECT_THAT(std::string(sink.status().message()),
              ::testing::HasSubstr(std::string(::testing::TempDir())));
}

TEST(CallbackSinkTest, ReceivesEveryBatchSerialized) {
  auto input = TestingSource<int>::FromItems({1, 2, 3, 4, 5, 6, 7}, 3);
  std::vector<std::vector<int>> batches;
  CallbackSink<int> sink([&](std::span<const int> items) {
    batches.emplace_back(items.begin(), items.end());
    return absl::OkStatus();
  });
  ASSERT_TRUE(inlet::Run(input, sink).ok());
  EXPECT_EQ(batches, (std::vector<std::vector<int>>{{1, 2, 3}, {4, 5, 6}, {7}}));
}

TEST(CountingSinkTest, CountsItemsAndBatches) {
  auto input = TestingSource<int>::FromItems(std::vector<int>(100, 7), 8);
  CountingSink<int> sink;
  ASSERT_TRUE(inlet::Run(input, sink).ok());
  EXPECT_EQ(sink.items(), 100);
  EXPECT_EQ(sink.batches(), 13);
}

}  // namespace
}  // namespace inlet
