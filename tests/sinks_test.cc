// The built-in sinks: JSON lines, callback, counting.

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

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
