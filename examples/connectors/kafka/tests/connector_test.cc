// What InletKafka does on a real broker beyond the conformance suite: several
// topics, the configured starts, the formats, errors that name the broker and
// the topic, partitions added to a topic, group offsets committed only once
// durable.

#include "inlet_kafka/connector.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/run.h"
#include "inlet/sink.h"
#include "kafka_test_support.h"
#include "nlohmann/json.hpp"

namespace {

namespace kt = inlet_kafka::testing;
using inlet_kafka::InletKafka;
using inlet_kafka::InletKafkaOptions;
using inlet_kafka::Record;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Collects items and stops the run once it holds `stop_after`.
class StopAfterSink final : public inlet::Sink<Record> {
 public:
  StopAfterSink(std::stop_source stop, size_t stop_after) : stop_(stop), stop_after_(stop_after) {}
  absl::Status Write(std::span<const Record> items) override {
    std::lock_guard<std::mutex> hold(mutex_);
    items_.insert(items_.end(), items.begin(), items.end());
    if (items_.size() >= stop_after_) stop_.request_stop();
    return absl::OkStatus();
  }
  std::vector<Record> items() const {
    std::lock_guard<std::mutex> hold(mutex_);
    return items_;
  }

 private:
  std::stop_source stop_;
  size_t stop_after_;
  mutable std::mutex mutex_;
  std::vector<Record> items_;
};

class KafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> brokers = kt::TestBrokers();
    ASSERT_TRUE(brokers.ok()) << brokers.status();
    brokers_ = *brokers;
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    topic_ = absl::StrCat("connector-", info->name(), "-", absl::ToUnixMicros(absl::Now()));
    std::string dir = ::testing::TempDir() + "inlet-kafka-XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Produces `count` records "<topic> <n>" round-robin over `partitions`.
  void Produce(const std::string& topic, int partitions, int first, int count,
               int64_t timestamp_ms = 0) {
    kt::Producer producer(brokers_);
    for (int n = first; n < first + count; ++n) {
      ASSERT_TRUE(producer
                      .Send(topic, n % partitions, absl::StrCat(n), absl::StrCat(topic, " ", n),
                            timestamp_ms)
                      .ok());
    }
    ASSERT_TRUE(producer.Flush().ok());
  }

  InletKafkaOptions Options(std::vector<std::string> topics) {
    return {.brokers = brokers_,
            .topics = std::move(topics),
            .stop_at_end = true,
            .format = inlet_kafka::ValueFormat::kText};
  }

  // Runs `input` to its end (or until `stop_after` items arrived).
  std::vector<Record> RunToEnd(InletKafka& input, inlet::RunOptions options = {},
                               size_t stop_after = SIZE_MAX) {
    std::stop_source stop;
    StopAfterSink sink(stop, stop_after);
    options.stop = stop.get_token();
    absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return sink.items();
  }

  static std::vector<std::string> Values(const std::vector<Record>& items) {
    std::vector<std::string> values;
    for (const Record& item : items) values.push_back(item.value.value());
    std::sort(values.begin(), values.end());
    return values;
  }

  std::string brokers_;
  std::string topic_;
  std::filesystem::path dir_;
};

TEST_F(KafkaTest, ListsEveryPartitionOfEveryTopicInOrder) {
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_ + "-a", 3).ok());
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_ + "-b", 1).ok());
  InletKafka input(Options({topic_ + "-b", topic_ + "-a"}));
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts,
              ElementsAre(topic_ + "-b/0", topic_ + "-a/0", topic_ + "-a/1", topic_ + "-a/2"));
}

TEST_F(KafkaTest, ReadsSeveralTopicsWithEveryField) {
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_ + "-a", 2).ok());
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_ + "-b", 1).ok());
  Produce(topic_ + "-a", 2, 0, 4, 1'700'000'000'123);
  Produce(topic_ + "-b", 1, 0, 2, 1'700'000'000'456);
  InletKafka input(Options({topic_ + "-a", topic_ + "-b"}));
  std::vector<Record> items = RunToEnd(input, {.workers = 2});
  ASSERT_EQ(items.size(), 6u);
  std::map<std::string, Record> by_value;
  for (const Record& item : items) by_value[item.value.value()] = item;
  EXPECT_EQ(by_value[topic_ + "-a 3"], (Record{.topic = topic_ + "-a",
                                               .partition = 1,
                                               .offset = 1,
                                               .timestamp = 1'700'000'000'123,
                                               .key = "3",
                                               .value = topic_ + "-a 3",
                                               .format = inlet_kafka::ValueFormat::kText}));
  EXPECT_EQ(by_value[topic_ + "-b 1"].offset, 1);
  EXPECT_EQ(by_value[topic_ + "-b 1"].timestamp, 1'700'000'000'456);
}

TEST_F(KafkaTest, BytesFormatHandsOutBinaryKeysAndValues) {
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_, 1).ok());
  {
    kt::Producer producer(brokers_);
    ASSERT_TRUE(producer.Send(topic_, 0, std::nullopt, std::string("\xff\x00\x01", 3)).ok());
    ASSERT_TRUE(producer.Flush().ok());
  }
  InletKafkaOptions options = Options({topic_});
  options.format = inlet_kafka::ValueFormat::kBytes;
  InletKafka input(options);
  std::vector<Record> items = RunToEnd(input);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_FALSE(items[0].key.has_value());
  EXPECT_EQ(items[0].value, std::string("\xff\x00\x01", 3));
  const nlohmann::json json = items[0];
  EXPECT_TRUE(json["key"].is_null());
  ASSERT_TRUE(json["value"].is_binary());
  const std::vector<uint8_t>& bytes = json["value"].get_binary();
  EXPECT_EQ(bytes, std::vector<uint8_t>({0xff, 0x00, 0x01}));
}

TEST_F(KafkaTest, JsonFormatChecksTheSchemaAndNamesTheRecord) {
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_, 1).ok());
  {
    kt::Producer producer(brokers_);
    ASSERT_TRUE(producer.Send(topic_, 0, "a", R"({"id": 1, "text": "one"})").ok());
    ASSERT_TRUE(producer.Send(topic_, 0, "b", R"({"id": 2})").ok());
    ASSERT_TRUE(producer.Send(topic_, 0, "c", R"({"id": "three"})").ok());
    ASSERT_TRUE(producer.Flush().ok());
  }
  InletKafkaOptions options = Options({topic_});
  options.format = inlet_kafka::ValueFormat::kJson;
  options.schema = {{.name = "id", .type = inlet::FieldType::kInt},
                    {.name = "text", .type = inlet::FieldType::kString, .default_value = "none"}};
  InletKafka input(options);
  StopAfterSink sink(std::stop_source(), SIZE_MAX);
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {});
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(),
              HasSubstr(absl::StrCat("partition ", topic_,
                                     "/0 offset 2: field \"id\": expected "
                                     "int, got string \"three\"")));
  std::vector<Record> items = sink.items();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].json_value, nlohmann::json({{"id", 2}, {"text", "none"}}));
}

TEST_F(KafkaTest, StartsAtLatestOrAtATimestamp) {
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_, 1).ok());
  Produce(topic_, 1, 0, 3, 1'000'000);
  Produce(topic_, 1, 3, 3, 2'000'000);
  InletKafkaOptions at_time = Options({topic_});
  at_time.start = {.kind = inlet_kafka::StartAt::Kind::kTimestamp,
                   .timestamp = absl::FromUnixMillis(1'500'000)};
  InletKafka from_time(at_time);
  EXPECT_THAT(Values(RunToEnd(from_time)),
              ElementsAre(topic_ + " 3", topic_ + " 4", topic_ + " 5"));

  InletKafkaOptions latest = Options({topic_});
  latest.start = {.kind = inlet_kafka::StartAt::Kind::kLatest};
  latest.stop_at_end = false;
  InletKafka from_latest(latest);
  std::atomic<bool> done = false;
  std::thread producer([&] {
    absl::SleepFor(absl::Seconds(1));
    Produce(topic_, 1, 6, 1);
    done = true;
  });
  std::vector<Record> items = RunToEnd(from_latest, {}, 1);
  producer.join();
  EXPECT_THAT(Values(items), ElementsAre(topic_ + " 6"));
}

TEST_F(KafkaTest, AnUnknownTopicIsAnErrorNamingItAndTheBroker) {
  InletKafkaOptions options = Options({topic_ + "-missing"});
  options.metadata_timeout = absl::Seconds(2);
  InletKafka input(options);
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_EQ(parts.status().code(), absl::StatusCode::kNotFound) << parts.status();
  EXPECT_THAT(parts.status().message(), HasSubstr(absl::StrCat("topic \"", topic_, "-missing\"")));
  EXPECT_THAT(parts.status().message(), HasSubstr(brokers_));
}

TEST_F(KafkaTest, AnUnreachableBrokerIsAnErrorNamingItAndTheTopic) {
  InletKafkaOptions options = Options({topic_});
  options.brokers = "127.0.0.1:1";
  options.metadata_timeout = absl::Seconds(2);
  InletKafka input(options);
  absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
  ASSERT_EQ(parts.status().code(), absl::StatusCode::kUnavailable) << parts.status();
  EXPECT_THAT(parts.status().message(), HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(parts.status().message(), HasSubstr(absl::StrCat("topic \"", topic_, "\"")));
}

TEST_F(KafkaTest, AnAuthenticationFailureIsAnErrorNamingItTheBrokerAndTheTopic) {
  absl::StatusOr<std::string> sasl = kt::TestSaslBrokers();
  if (!sasl.ok()) GTEST_SKIP() << sasl.status();
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_, 2).ok());
  InletKafkaOptions options = Options({topic_});
  options.brokers = *sasl;
  options.metadata_timeout = absl::Seconds(5);
  options.config = {{"security.protocol", "SASL_PLAINTEXT"},
                    {"sasl.mechanisms", "PLAIN"},
                    {"sasl.username", "inlet"},
                    {"sasl.password", "inlet-secret"}};
  InletKafka authenticated(options);
  absl::StatusOr<std::vector<std::string>> parts = authenticated.ListParts();
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(*parts, ElementsAre(topic_ + "/0", topic_ + "/1"));

  options.config["sasl.password"] = "wrong";
  InletKafka refused(options);
  parts = refused.ListParts();
  ASSERT_EQ(parts.status().code(), absl::StatusCode::kPermissionDenied) << parts.status();
  EXPECT_THAT(parts.status().message(), HasSubstr(absl::StrCat("topic \"", topic_, "\"")));
  EXPECT_THAT(parts.status().message(), HasSubstr(*sasl));
  EXPECT_THAT(parts.status().message(), HasSubstr("authentication or authorization failed"));
  EXPECT_THAT(parts.status().message(), HasSubstr("Invalid username or password"));
}

TEST_F(KafkaTest, BadOptionsAreErrorsNamingTheOption) {
  InletKafkaOptions options = Options({topic_});
  options.config = {{"no.such.property", "1"}};
  InletKafka input(options);
  EXPECT_THAT(input.ListParts().status().message(), HasSubstr("\"no.such.property\"=\"1\""));
  EXPECT_THAT(inlet_kafka::ParseStartAt("yesterday").status().message(),
              HasSubstr("start \"yesterday\": expected earliest, latest"));
  EXPECT_THAT(inlet_kafka::ParseValueFormat("avro").status().message(),
              HasSubstr("format \"avro\": expected bytes, text or json"));
}

TEST_F(KafkaTest, PartitionsAddedToATopicAreReadAfterARestart) {
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_, 2).ok());
  Produce(topic_, 2, 0, 10);
  const std::filesystem::path db = dir_ / "recovery.db";
  {
    InletKafka input(Options({topic_}));
    EXPECT_EQ(RunToEnd(input, {.workers = 2, .recovery_db = db}).size(), 10u);
  }
  ASSERT_TRUE(kt::AddPartitions(brokers_, topic_, 4).ok());
  Produce(topic_, 4, 10, 8);  // Two records into each of the four partitions.
  InletKafka input(Options({topic_}));
  std::vector<Record> items = RunToEnd(input, {.workers = 3, .recovery_db = db});
  std::vector<std::string> expected;
  for (int n = 10; n < 18; ++n) expected.push_back(absl::StrCat(topic_, " ", n));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Values(items), expected);
}

TEST_F(KafkaTest, GroupOffsetsAreCommittedOnceTheEpochIsDurable) {
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_, 3).ok());
  Produce(topic_, 3, 0, 30);
  InletKafkaOptions options = Options({topic_});
  options.group_id = topic_ + "-group";
  InletKafka input(options);
  ASSERT_EQ(RunToEnd(input, {.recovery_db = dir_ / "recovery.db"}).size(), 30u);
  // Commits are asynchronous; the broker has them shortly after the run.
  std::map<int, int64_t> committed;
  for (int attempt = 0; attempt < 50 && committed.size() < 3; ++attempt) {
    absl::StatusOr<std::map<int, int64_t>> offsets =
        kt::CommittedOffsets(brokers_, options.group_id, topic_, 3);
    ASSERT_TRUE(offsets.ok()) << offsets.status();
    committed = *offsets;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(committed, (std::map<int, int64_t>{{0, 10}, {1, 10}, {2, 10}}));
}

TEST_F(KafkaTest, AResumeOffsetTheBrokerDoesNotHoldIsAnError) {
  ASSERT_TRUE(kt::CreateTopic(brokers_, topic_, 1).ok());
  Produce(topic_, 1, 0, 2);
  InletKafka input(Options({topic_}));
  absl::StatusOr<std::unique_ptr<InletKafka::Source>> source =
      input.BuildPart("step", topic_ + "/0", 50);
  ASSERT_EQ(source.status().code(), absl::StatusCode::kOutOfRange) << source.status();
  EXPECT_THAT(source.status().message(),
              HasSubstr(absl::StrCat("partition ", topic_,
                                     "/0: the resume offset 50 is not "
                                     "between the broker's offsets 0 and 2")));
}

}  // namespace
