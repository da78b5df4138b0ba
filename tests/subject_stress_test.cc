// Producers, commits, autocommit, backpressure and stop requests racing over
// many seeded iterations; whatever the interleaving, no message may be lost,
// repeated or reordered. Run under ThreadSanitizer by the tsan preset.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "function_subject.h"
#include "gtest/gtest.h"
#include "inlet/callback_sink.h"
#include "inlet/run.h"
#include "inlet/subject_input.h"
#include "test_support.h"

namespace {

using ::inlet_test::FunctionSubject;

constexpr uint32_t kSeed = 20261123;

struct Race {
  size_t max_backlog = 1;
  absl::Duration autocommit = absl::ZeroDuration();
  int commit_every = 1;  // A producer commits after every n-th message; 0: never.
};

Race RandomRace(std::mt19937& random) {
  const absl::Duration autocommits[] = {absl::ZeroDuration(), absl::Microseconds(50),
                                        absl::Milliseconds(1), absl::InfiniteDuration()};
  return Race{.max_backlog = std::uniform_int_distribution<size_t>(1, 16)(random),
              .autocommit = autocommits[std::uniform_int_distribution<int>(0, 3)(random)],
              .commit_every = std::uniform_int_distribution<int>(0, 20)(random)};
}

// Each message is {producer, sequence number}; returns the sequence numbers
// each producer got through, checking they are 0, 1, 2, ... with no gap.
std::map<int, int> CheckPrefixes(const std::vector<nlohmann::json>& received, int iteration) {
  std::map<int, int> next;
  for (const nlohmann::json& message : received) {
    const int producer = message[0].get<int>();
    const int sequence = message[1].get<int>();
    EXPECT_EQ(sequence, next[producer]) << "iteration " << iteration << " producer " << producer;
    next[producer] = sequence + 1;
  }
  return next;
}

TEST(SubjectStressTest, ConcurrentProducersLoseAndRepeatNothing) {
  constexpr int kIterations = 40;
  constexpr int kProducers = 4;
  constexpr int kMessages = 250;
  std::mt19937 random(kSeed);
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    const Race race = RandomRace(random);
    // Every fourth iteration stops the run at a random moment.
    const bool stop_early = iteration % 4 == 3;
    const int stop_after_us = std::uniform_int_distribution<int>(0, 2000)(random);
    inlet::SubjectInput input(
        [&] {
          return std::make_unique<FunctionSubject>([&](FunctionSubject& subject) {
            std::vector<std::thread> producers;
            for (int p = 0; p < kProducers; ++p) {
              producers.emplace_back([&, p] {
                for (int i = 0; i < kMessages && !subject.stop_requested(); ++i) {
                  subject.NextJson({p, i});
                  if (race.commit_every > 0 && i % race.commit_every == 0) subject.Commit();
                }
              });
            }
            for (std::thread& producer : producers) producer.join();
          });
        },
        {.autocommit_duration = race.autocommit, .max_backlog = race.max_backlog});
    std::vector<nlohmann::json> received;
    inlet::CallbackSink<inlet::Message> sink([&](std::span<const inlet::Message> batch) {
      for (const inlet::Message& message : batch) received.push_back(message.value);
      return absl::OkStatus();
    });
    std::stop_source stop;
    std::thread stopper;
    if (stop_early) {
      stopper = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(stop_after_us));
        stop.request_stop();
      });
    }
    absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {.stop = stop.get_token()});
    if (stopper.joinable()) stopper.join();
    ASSERT_TRUE(report.ok()) << "iteration " << iteration << ": " << report.status();
    std::map<int, int> got = CheckPrefixes(received, iteration);
    if (!report->stopped) {
      for (int p = 0; p < kProducers; ++p) {
        EXPECT_EQ(got[p], kMessages) << "iteration " << iteration << " producer " << p;
      }
    }
  }
}

// A subject over [0, kMessages) that reports its offset after every message,
// commits at random points and seeks on resume, stopped at random moments
// and resumed through the recovery store until it has delivered everything.
// `T` is the item type: `Message` from JSON, or `std::string` from raw text.
template <class T>
class SubjectStopResumeStressTest : public inlet_test::TempDirTest {
 protected:
  static constexpr inlet::MessageFormat kFormat =
      std::is_same_v<T, std::string> ? inlet::MessageFormat::kRaw : inlet::MessageFormat::kJson;

  static int Number(const T& item) {
    if constexpr (std::is_same_v<T, std::string>) {
      return std::stoi(item);
    } else {
      return item.value.template get<int>();
    }
  }
};

using ItemTypes = ::testing::Types<inlet::Message, std::string>;
TYPED_TEST_SUITE(SubjectStopResumeStressTest, ItemTypes);

TYPED_TEST(SubjectStopResumeStressTest, StoppedAndResumedRunsDeliverEachMessageOnce) {
  using T = TypeParam;
  constexpr int kIterations = 15;
  constexpr int kMessages = 300;
  std::mt19937 random(kSeed + 1);
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    const Race race = RandomRace(random);
    const std::filesystem::path store = this->dir_ / ("store-" + std::to_string(iteration) + ".db");
    std::vector<int> received;
    int runs = 0;
    while (received.size() < kMessages) {
      ASSERT_LT(++runs, 200) << "iteration " << iteration << " makes no progress";
      // Later runs get longer, so every iteration ends.
      const int stop_after_us = std::uniform_int_distribution<int>(0, 2000 * runs)(random);
      const uint32_t subject_seed = static_cast<uint32_t>(random());
      // The resumed position comes from the store, through Seek.
      inlet::SubjectInput<T> input(
          [&] {
            auto position = std::make_shared<int>(0);
            return std::make_unique<FunctionSubject>(
                [&, position](FunctionSubject& subject) {
                  std::mt19937 commits(subject_seed);
                  subject.ReportOffset(*position);
                  for (int& i = *position; i < kMessages && !subject.stop_requested();) {
                    subject.NextStr(std::to_string(i));
                    ++i;
                    subject.ReportOffset(i);
                    if (race.commit_every > 0 && commits() % race.commit_every == 0) {
                      subject.Commit();
                    }
                  }
                },
                [position](const nlohmann::json& offset) { *position = offset.get<int>(); });
          },
          {.format = this->kFormat,
           .autocommit_duration = race.autocommit,
           .max_backlog = race.max_backlog});
      inlet::CallbackSink<T> sink([&](std::span<const T> batch) {
        for (const T& item : batch) received.push_back(this->Number(item));
        return absl::OkStatus();
      });
      std::stop_source stop;
      std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(stop_after_us));
        stop.request_stop();
      });
      absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink,
                                                           {.epoch_interval = absl::Milliseconds(2),
                                                            .recovery_db = store,
                                                            .stop = stop.get_token()});
      stopper.join();
      ASSERT_TRUE(report.ok()) << "iteration " << iteration << ": " << report.status();
    }
    std::vector<int> expected(kMessages);
    for (int i = 0; i < kMessages; ++i) expected[i] = i;
    ASSERT_EQ(received, expected) << "iteration " << iteration << " after " << runs << " runs";
  }
}

}  // namespace
