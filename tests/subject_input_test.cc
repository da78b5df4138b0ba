#include "inlet/subject_input.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "function_subject.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "inlet/testing/testing.h"
#include "test_support.h"

namespace {

using ::inlet_test::FunctionSubject;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

inlet::SubjectInput<>::Factory Make(FunctionSubject::Body body) {
  return [body] { return std::make_unique<FunctionSubject>(body); };
}

std::vector<nlohmann::json> Values(const std::vector<inlet::Message>& messages) {
  std::vector<nlohmann::json> values;
  for (const inlet::Message& message : messages) values.push_back(message.value);
  return values;
}

TEST(SubjectInputTest, DeliversCommittedMessagesInOrderAndEndsWhenRunReturns) {
  inlet::SubjectInput input(Make([](FunctionSubject& subject) {
    for (int i = 0; i < 5; ++i) subject.NextJson({{"n", i}});
    subject.Commit();
    subject.Next({{"n", 5}});  // Returning from Run commits this one too.
  }));
  inlet::TestingSink<inlet::Message> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
  ASSERT_TRUE(report.ok()) << report.status();
  std::vector<nlohmann::json> expected;
  for (int i = 0; i < 6; ++i) expected.push_back({{"n", i}});
  EXPECT_EQ(Values(sink.items()), expected);
  EXPECT_EQ(report->partition_items.at("subject"), 6);
}

TEST(SubjectInputTest, EveryProducerCallDecodesWithTheFormat) {
  inlet::SubjectInput input(Make([](FunctionSubject& subject) {
                              subject.NextStr("text");
                              subject.NextBytes("bytes");
                              subject.NextJson({1, 2});
                              subject.Close();
                            }),
                            {.format = inlet::MessageFormat::kRaw});
  inlet::TestingSink<inlet::Message> sink;
  ASSERT_TRUE(inlet::Run(input, sink).ok());
  EXPECT_THAT(Values(sink.items()), ElementsAre("text", "bytes", "[1,2]"));
}

TEST(SubjectInputTest, StringItemsCarryTheTextOrBytesAlone) {
  std::vector<inlet::MessageError> errors;
  inlet::SubjectInput<std::string> text(
      Make([](FunctionSubject& subject) {
        subject.NextStr("caf\xC3\xA9");
        subject.NextStr("bad \xC3(");
        subject.NextJson({{"a", 1}});
      }),
      {.format = inlet::MessageFormat::kRaw,
       .on_error = [&](const inlet::MessageError& error) { errors.push_back(error); }});
  inlet::TestingSink<std::string> sink;
  ASSERT_TRUE(inlet::Run(text, sink).ok());
  EXPECT_THAT(sink.items(), ElementsAre("caf\xC3\xA9", R"({"a":1})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message_number, 2);

  inlet::SubjectInput<std::string> bytes(
      Make([](FunctionSubject& subject) { subject.NextBytes(std::string_view("\xFF\0", 2)); }),
      {.format = inlet::MessageFormat::kBytes});
  inlet::TestingSink<std::string> byte_sink;
  ASSERT_TRUE(inlet::Run(bytes, byte_sink).ok());
  EXPECT_THAT(byte_sink.items(), ElementsAre(std::string("\xFF\0", 2)));

  inlet::SubjectInput<std::string> json(Make([](FunctionSubject&) {}), {.name = "lines"});
  EXPECT_THAT(json.ListParts().status().message(),
              HasSubstr(R"(subject "lines": std::string items need the raw or bytes format)"));
}

TEST(SubjectInputTest, MessagesOfOneCommitArriveInOneBatch) {
  const std::vector<int> groups = {3, 1, 7, 2, 5};
  inlet::SubjectInput input(Make([&](FunctionSubject& subject) {
                              int n = 0;
                              for (int size : groups) {
                                for (int i = 0; i < size; ++i) subject.NextJson(n++);
                                subject.Commit();
                                std::this_thread::sleep_for(std::chrono::milliseconds(3));
                              }
                            }),
                            {.autocommit_duration = absl::InfiniteDuration()});
  std::vector<std::vector<int>> batches;
  inlet::CallbackSink<inlet::Message> sink([&](std::span<const inlet::Message> batch) {
    std::vector<int> values;
    for (const inlet::Message& message : batch) values.push_back(message.value.get<int>());
    batches.push_back(values);
    return absl::OkStatus();
  });
  ASSERT_TRUE(inlet::Run(input, sink).ok());
  // A batch may hold several commits, but a commit is never split.
  int n = 0;
  size_t group = 0;
  for (const std::vector<int>& batch : batches) {
    size_t in_batch = 0;
    while (in_batch < batch.size()) {
      ASSERT_LT(group, groups.size());
      for (int i = 0; i < groups[group]; ++i, ++in_batch) {
        ASSERT_LT(in_batch, batch.size()) << "commit " << group << " was split";
        EXPECT_EQ(batch[in_batch], n++);
      }
      ++group;
    }
  }
  EXPECT_EQ(group, groups.size());
}

TEST(SubjectInputTest, AutocommitMakesUncommittedMessagesVisible) {
  std::atomic<bool> seen{false};
  inlet::SubjectInput input(Make([&](FunctionSubject& subject) {
                              subject.NextJson("early");
                              // No Commit: only autocommit can make it visible.
                              while (!seen.load()) {
                                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                              }
                            }),
                            {.autocommit_duration = absl::Milliseconds(20)});
  inlet::CallbackSink<inlet::Message> sink([&](std::span<const inlet::Message> batch) {
    if (!batch.empty()) seen = true;
    return absl::OkStatus();
  });
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->items, 1);
}

TEST(SubjectInputTest, FullBacklogBlocksTheProducer) {
  constexpr size_t kBacklog = 4;
  std::atomic<int64_t> pushed{0};
  int64_t written = 0;
  int64_t most_ahead = 0;
  inlet::SubjectInput input(Make([&](FunctionSubject& subject) {
                              for (int i = 0; i < 300; ++i) {
                                subject.NextJson(i);
                                pushed.fetch_add(1);
                              }
                            }),
                            {.autocommit_duration = absl::ZeroDuration(), .max_backlog = kBacklog});
  inlet::CallbackSink<inlet::Message> sink([&](std::span<const inlet::Message> batch) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // A slow consumer.
    most_ahead = std::max(most_ahead, pushed.load() - written);
    written += static_cast<int64_t>(batch.size());
    return absl::OkStatus();
  });
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->items, 300);
  // At most a backlog in the channel and a backlog in the batch being written.
  EXPECT_LE(most_ahead, static_cast<int64_t>(2 * kBacklog));
}

TEST(SubjectInputTest, ABatchSaysWhetherItEndsACommitOrABacklogCutIt) {
  // Commits of 10 and 3 messages through a backlog of 4: the first is cut.
  inlet::SubjectInput input(Make([](FunctionSubject& subject) {
                              for (int i = 0; i < 10; ++i) subject.NextJson(i);
                              subject.Commit();
                              for (int i = 10; i < 13; ++i) subject.NextJson(i);
                              subject.Commit();
                            }),
                            {.autocommit_duration = absl::InfiniteDuration(), .max_backlog = 4});
  absl::StatusOr<std::unique_ptr<inlet::SubjectInput<>::Source>> built =
      input.BuildPart("s", "subject", std::nullopt);
  ASSERT_TRUE(built.ok()) << built.status();
  auto* source = dynamic_cast<inlet::SubjectSource<inlet::Message>*>(built->get());
  ASSERT_NE(source, nullptr);
  std::vector<int> commit;
  std::vector<std::vector<int>> commits;
  int cut_batches = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    std::vector<inlet::Message> batch;
    absl::StatusOr<inlet::Poll> poll = source->NextBatch(batch);
    ASSERT_TRUE(poll.ok()) << poll.status();
    for (const inlet::Message& message : batch) commit.push_back(message.value.get<int>());
    if (!batch.empty() && !source->batch_ends_commit()) ++cut_batches;
    if (!batch.empty() && source->batch_ends_commit()) commits.push_back(std::exchange(commit, {}));
    if (*poll == inlet::Poll::kEnd) break;
    if (batch.empty()) {
      EXPECT_TRUE(source->batch_ends_commit());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  source->Close();
  EXPECT_GE(cut_batches, 2);
  EXPECT_THAT(commits, ElementsAre(std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
                                   std::vector<int>{10, 11, 12}));
}

TEST(SubjectInputTest, AFullBacklogNeverCommitsMessagesNoOffsetCovers) {
  // Offsets count the messages before them. Two are covered; then more than
  // a backlog of 4 comes with no offset: the backlog can neither commit them
  // (a resume from offset 2 would repeat them) nor wait for an offset that
  // only comes after them, so the run fails, naming the remedy.
  inlet::SubjectInput input(
      Make([](FunctionSubject& subject) {
        subject.ReportOffset(0);
        for (int i = 0; i < 2; ++i) subject.NextJson(i);
        subject.ReportOffset(2);
        for (int i = 2; i < 12; ++i) subject.NextJson(i);
        subject.ReportOffset(12);
        subject.Commit();
      }),
      {.autocommit_duration = absl::InfiniteDuration(), .max_backlog = 4, .name = "changes"});
  absl::StatusOr<std::unique_ptr<inlet::SubjectInput<>::Source>> built =
      input.BuildPart("s", "changes", std::nullopt);
  ASSERT_TRUE(built.ok()) << built.status();
  std::vector<inlet::Message> taken;
  absl::StatusOr<inlet::Poll> poll = inlet::Poll::kMore;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (poll.ok() && *poll == inlet::Poll::kMore && absl::Now() < deadline) {
    poll = (*built)->NextBatch(taken);
    const nlohmann::json offset = (*built)->Snapshot();
    const int covered = offset.is_number_integer() ? offset.get<int>() : 0;
    ASSERT_LE(taken.size(), static_cast<size_t>(covered))
        << "messages were handed out that the snapshot " << offset.dump() << " does not cover";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  (*built)->Close();
  ASSERT_FALSE(poll.ok()) << "the run went on";
  EXPECT_EQ(poll.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(poll.status().message(),
              HasSubstr(R"(subject "changes": 4 messages (max_backlog) were pushed after the last )"
                        "ReportOffset"));
  EXPECT_THAT(Values(taken), ElementsAre(0, 1));
}

TEST(SubjectInputTest, StopWakesAProducerBlockedOnAFullBacklog) {
  std::stop_source stop;
  std::atomic<bool> returned{false};
  inlet::SubjectInput input(Make([&](FunctionSubject& subject) {
                              while (!subject.stop_requested()) subject.NextJson("x");
                              returned = true;
                            }),
                            {.max_backlog = 2});
  inlet::CallbackSink<inlet::Message> sink([&](std::span<const inlet::Message>) {
    stop.request_stop();
    return absl::OkStatus();
  });
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {.stop = stop.get_token()});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->stopped);
  EXPECT_TRUE(returned.load());
}

TEST(SubjectInputTest, StopCallbackWakesABlockingRead) {
  // A subject blocked in a "read" that only a stop callback interrupts.
  std::stop_source stop;
  inlet::SubjectInput input(Make([&](FunctionSubject& subject) {
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::stop_callback on_stop(subject.stop_token(), [&] {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      wake.notify_all();
    });
    subject.NextJson("ready");
    subject.Commit();
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait(lock, [&] { return stopping; });
  }));
  inlet::CallbackSink<inlet::Message> sink([&](std::span<const inlet::Message>) {
    stop.request_stop();
    return absl::OkStatus();
  });
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {.stop = stop.get_token()});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->items, 1);
}

TEST(SubjectInputTest, ExceptionFromRunNamesTheSubjectAfterDeliveringCommittedMessages) {
  std::atomic<bool> stopped{false};
  inlet::SubjectInput input(
      [&] {
        return std::make_unique<FunctionSubject>(
            [](FunctionSubject& subject) {
              subject.NextJson(1);
              subject.NextJson(2);
              subject.Commit();
              subject.NextJson(3);  // Never committed.
              throw std::runtime_error("connection reset by peer");
            },
            nullptr, [&] { stopped = true; });
      },
      {.autocommit_duration = absl::InfiniteDuration(), .name = "feed"});
  inlet::TestingSink<inlet::Message> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {.step_id = "in"});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(
      report.status().message(),
      R"(step "in" partition "feed": NextBatch: subject "feed": Run: connection reset by peer)");
  EXPECT_THAT(Values(sink.items()), ElementsAre(1, 2));
  EXPECT_TRUE(stopped.load()) << "OnStop runs after Run throws";
}

TEST(SubjectInputTest, ExceptionFromSeekOrOnStopFailsTheRun) {
  inlet::SubjectInput seeking([] {
    return std::make_unique<FunctionSubject>(
        [](FunctionSubject&) {},
        [](const nlohmann::json&) { throw std::runtime_error("no such offset"); });
  });
  auto source = seeking.BuildPart("s", "subject", nlohmann::json(5));
  ASSERT_TRUE(source.ok());
  std::vector<inlet::Message> out;
  absl::StatusOr<inlet::Poll> poll;
  do {
    poll = (*source)->NextBatch(out);
  } while (poll.ok() && *poll == inlet::Poll::kMore);
  ASSERT_FALSE(poll.ok());
  EXPECT_EQ(poll.status().message(), R"(subject "subject": Seek: no such offset)");
  (*source)->Close();

  inlet::TestingSink<inlet::Message> sink;
  inlet::SubjectInput stopping([] {
    return std::make_unique<FunctionSubject>([](FunctionSubject&) {}, nullptr,
                                             [] { throw std::runtime_error("cannot disconnect"); });
  });
  absl::StatusOr<inlet::RunReport> report = inlet::Run(stopping, sink);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(),
              HasSubstr(R"(subject "subject": OnStop: cannot disconnect)"));
}

TEST(SubjectInputTest, BadMessageStopsTheRunWithItsNumberAfterTheGoodOnes) {
  inlet::SubjectInput input(
      Make([](FunctionSubject& subject) {
        subject.NextStr(R"({"id": 1})");
        subject.NextStr(R"({"id": 2})");
        subject.NextStr(R"({"id": "three"})");
        subject.NextStr(R"({"id": 4})");  // Dropped: the run is stopping.
      }),
      {.schema = {{.name = "id", .type = inlet::FieldType::kInt}}, .name = "orders"});
  inlet::TestingSink<inlet::Message> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(
      report.status().message(),
      HasSubstr(R"(subject "orders": message 3: field "id": expected int, got string "three")"));
  EXPECT_EQ(sink.items().size(), 2u);
}

TEST(SubjectInputTest, BadMessagesGoToTheErrorOutputWhenOneIsSet) {
  std::vector<inlet::MessageError> errors;
  inlet::SubjectInput input(
      Make([](FunctionSubject& subject) {
        subject.NextStr("ok");
        subject.NextStr("bad \xFF");
        subject.NextStr("fine");
      }),
      {.format = inlet::MessageFormat::kRaw,
       .on_error = [&](const inlet::MessageError& error) { errors.push_back(error); }});
  inlet::TestingSink<inlet::Message> sink;
  ASSERT_TRUE(inlet::Run(input, sink).ok());
  EXPECT_THAT(Values(sink.items()), ElementsAre("ok", "fine"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(),
            R"(subject "subject": message 2: expected valid UTF-8, got byte 0xFF at offset 4)");
}

TEST(SubjectInputTest, PushingAfterCloseOrOutsideRunIsAnError) {
  inlet::SubjectInput input(Make([](FunctionSubject& subject) {
    subject.Close();
    subject.NextJson(1);
  }));
  inlet::TestingSink<inlet::Message> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("a message was pushed after Close"));

  FunctionSubject unattached([](FunctionSubject&) {});
  EXPECT_THROW(unattached.NextJson(1), std::logic_error);
}

TEST(SubjectInputTest, InvalidOptionsFailListParts) {
  inlet::SubjectInput input(
      Make([](FunctionSubject&) {}),
      {.format = inlet::MessageFormat::kBytes, .schema = {{.name = "a"}}, .name = "blobs"});
  EXPECT_THAT(input.ListParts().status().message(),
              HasSubstr(R"(subject "blobs": a schema applies only to the JSON format)"));
  inlet::SubjectInput no_room(Make([](FunctionSubject&) {}), {.max_backlog = 0});
  EXPECT_THAT(no_room.ListParts().status().message(), HasSubstr("max_backlog must be at least 1"));
}

TEST(SubjectInputTest, OptionsValidateNamesTheSubjectTheFieldAndTheValue) {
  EXPECT_TRUE(inlet::SubjectOptions{}.Validate().ok());
  const inlet::SubjectOptions no_room{.max_backlog = 0, .name = "orders"};
  EXPECT_EQ(no_room.Validate(), absl::InvalidArgumentError(
                                    R"(subject "orders": max_backlog must be at least 1, got 0)"));
  const inlet::SubjectOptions backwards{.autocommit_duration = absl::Seconds(-1), .name = "orders"};
  EXPECT_EQ(backwards.Validate(),
            absl::InvalidArgumentError(
                R"(subject "orders": autocommit_duration must not be negative, got -1s)"));
  const inlet::SubjectOptions nameless{.name = ""};
  EXPECT_EQ(nameless.Validate(),
            absl::InvalidArgumentError("SubjectOptions.name must not be empty"));
  const inlet::SubjectOptions raw_with_schema{
      .format = inlet::MessageFormat::kRaw, .schema = {{.name = "a"}}, .name = "lines"};
  EXPECT_EQ(raw_with_schema.Validate(),
            absl::InvalidArgumentError(
                R"(subject "lines": a schema applies only to the JSON format; the raw and bytes )"
                "formats have no fields"));
  // The run refuses them before building anything.
  bool built = false;
  inlet::SubjectInput input(
      [&] {
        built = true;
        return std::make_unique<FunctionSubject>([](FunctionSubject&) {});
      },
      {.max_backlog = 0});
  inlet::CountingSink<inlet::Message> sink;
  EXPECT_EQ(
      inlet::Run(input, sink).status(),
      absl::InvalidArgumentError(
          R"(step "input": ListParts: subject "subject": max_backlog must be at least 1, got 0)"));
  EXPECT_FALSE(built);
}

TEST(SubjectInputTest, PartitionedSubjectsKeepOrderWithinEachPartition) {
  inlet::SubjectInput input({"a", "b", "c"},
                            [](std::string_view partition) {
                              return std::make_unique<FunctionSubject>(
                                  [name = std::string(partition)](FunctionSubject& s) {
                                    for (int i = 0; i < 100; ++i) {
                                      s.NextJson({name, i});
                                      if (i % 10 == 0) s.Commit();
                                    }
                                  });
                            },
                            {.name = "streams"});
  inlet::TestingSink<inlet::Message> sink;
  absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {.workers = 2});
  ASSERT_TRUE(report.ok()) << report.status();
  std::map<std::string, int> next;
  for (const inlet::Message& message : sink.items()) {
    const std::string name = message.value[0].get<std::string>();
    EXPECT_EQ(message.value[1].get<int>(), next[name]++) << name;
  }
  EXPECT_EQ(next, (std::map<std::string, int>{{"a", 100}, {"b", 100}, {"c", 100}}));
}

// Reads `data` from a position it can seek to, reporting the position after
// every message, and stops by itself after `limit` messages of one run.
class SeekableSubject final : public inlet::ConnectorSubject {
 public:
  SeekableSubject(const std::vector<int>& data, int limit) : data_(data), limit_(limit) {}
  void Seek(const nlohmann::json& offset) override { position_ = offset.get<size_t>(); }
  void Run() override {
    ReportOffset(position_);
    for (int sent = 0; position_ < data_.size() && sent < limit_ && !stop_requested(); ++sent) {
      NextJson(data_[position_++]);
      ReportOffset(position_);
      if (position_ % 3 == 0) Commit();
    }
    if (position_ < data_.size()) {
      while (!stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  const std::vector<int>& data_;
  int limit_;
  size_t position_ = 0;
};

TEST(SubjectInputTest, SnapshotBeforeTheFirstCommitKeepsTheResumeOffset) {
  std::atomic<bool> release{false};
  inlet::SubjectInput input(Make([&](FunctionSubject& subject) {
    while (!release.load() && !subject.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    subject.NextJson("next");
    subject.ReportOffset(8);
    subject.Commit();
  }));
  auto source = input.BuildPart("s", "subject", nlohmann::json(7));
  ASSERT_TRUE(source.ok()) << source.status();
  std::vector<inlet::Message> out;
  ASSERT_TRUE((*source)->NextBatch(out).ok());
  EXPECT_TRUE(out.empty());
  // An epoch closing now must store where the partition resumed, not null.
  EXPECT_EQ((*source)->Snapshot(), nlohmann::json(7));
  release = true;
  absl::StatusOr<inlet::Poll> poll = inlet::Poll::kMore;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (poll.ok() && *poll == inlet::Poll::kMore && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // Polled as the runtime would.
    poll = (*source)->NextBatch(out);
  }
  ASSERT_TRUE(poll.ok()) << poll.status();
  EXPECT_THAT(Values(out), ElementsAre("next"));
  EXPECT_EQ((*source)->Snapshot(), nlohmann::json(8));
  (*source)->Close();
}

class ResumableSubjectTest : public inlet_test::TempDirTest {};

TEST_F(ResumableSubjectTest, ResumesFromTheReportedOffsetWithoutLossOrDuplication) {
  std::vector<int> data(50);
  for (int i = 0; i < 50; ++i) data[i] = i * 7;
  std::vector<int> received;
  for (int run = 0; run < 10 && received.size() < data.size(); ++run) {
    inlet::SubjectInput input([&] { return std::make_unique<SeekableSubject>(data, 7); },
                              {.autocommit_duration = absl::Milliseconds(1)});
    std::stop_source stop;
    size_t received_in_run = 0;
    inlet::CallbackSink<inlet::Message> sink([&](std::span<const inlet::Message> batch) {
      for (const inlet::Message& message : batch) received.push_back(message.value.get<int>());
      // The subject sends 7 messages a run, then waits for the stop.
      received_in_run += batch.size();
      if (received_in_run >= 5) stop.request_stop();
      return absl::OkStatus();
    });
    absl::StatusOr<inlet::RunReport> report =
        inlet::Run(input, sink, {.recovery_db = dir_ / "store.db", .stop = stop.get_token()});
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->snapshots.at("subject"), nlohmann::json(received.size()));
  }
  EXPECT_EQ(received, data);
}

}  // namespace
