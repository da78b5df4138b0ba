// InletKafka against inlet's conformance suite on a real broker: order within
// a partition, resume without gap or duplicate, rescaling, never blocking, the
// order of calls, stable partition names, a real SIGKILL mid-stream, group
// offsets never committed ahead of the recovery store, and wakes. Twice: with
// partitions that end at their end offset (bounded) and with partitions that
// follow the topic (following).

#include "inlet/testing/conformance.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "kafka_test_support.h"

#include "inlet_kafka/connector.h"

namespace {

namespace kt = inlet_kafka::testing;

// A data set is a topic named after the kit's directory (so the crash case's
// child, which replays the same calls in another process, finds the same
// topic), one partition per kit partition. Items are the records exactly as
// the connector hands them out: offset i of partition p is item i of p.
template <bool kBounded>
class KafkaHarness {
 public:
  using Input = inlet_kafka::InletKafka;
  static constexpr inlet::conformance::Capabilities kCapabilities = {.bounded = kBounded,
                                                                     .wakes = !kBounded};

  absl::Status CreateDataSet(const std::filesystem::path& dir, int partitions) {
    absl::StatusOr<std::string> brokers = kt::TestBrokers();
    if (!brokers.ok()) return brokers.status();
    brokers_ = *brokers;
    topic_ = absl::StrFormat("conformance-%s-%016x", kBounded ? "bounded" : "following",
                             std::hash<std::string>{}(dir.string()));
    partitions_ = partitions;
    written_.assign(static_cast<size_t>(partitions), 0);
    producer_ = std::make_unique<kt::Producer>(brokers_);
    return kt::CreateTopic(brokers_, topic_, partitions);
  }

  inlet_kafka::Record MakeItem(int partition, int64_t index) {
    return {.topic = topic_,
            .partition = partition,
            .offset = index,
            .timestamp = kEpochMs + index,
            .key = absl::StrCat("key-", index),
            .value = absl::StrCat("partition ", partition, " record ", index),
            .format = inlet_kafka::ValueFormat::kText};
  }

  // Idempotent: records the partition already holds (written by the crash
  // case's parent) are not produced again.
  absl::Status Write(int partition, const std::vector<inlet_kafka::Record>& items) {
    int64_t& written = written_.at(static_cast<size_t>(partition));
    absl::StatusOr<int64_t> end = kt::EndOffset(brokers_, topic_, partition);
    if (!end.ok()) return end.status();
    const int64_t count = static_cast<int64_t>(items.size());
    if (*end < written + count) {
      if (*end != written) {
        return absl::FailedPreconditionError(
            absl::StrCat(topic_, "/", partition, " holds ", *end, " records; expected ", written));
      }
      for (const inlet_kafka::Record& item : items) {
        if (absl::Status status =
                producer_->Send(topic_, partition, item.key, item.value, item.timestamp.value());
            !status.ok()) {
          return status;
        }
      }
      if (absl::Status status = producer_->Flush(); !status.ok()) return status;
    }
    written += count;
    return absl::OkStatus();
  }

  std::unique_ptr<Input> NewInput() { return NewInputWith(kBounded); }
  std::unique_ptr<Input> NewLiveInput() { return NewInputWith(false); }

  // What the broker holds as the group's committed offsets, as items.
  std::vector<inlet_kafka::Record> Acknowledged() {
    std::vector<inlet_kafka::Record> items;
    absl::StatusOr<std::map<int, int64_t>> offsets =
        kt::CommittedOffsets(brokers_, Group(), topic_, partitions_);
    if (!offsets.ok()) return items;
    for (const auto& [partition, offset] : *offsets) {
      for (int64_t i = 0; i < offset; ++i) items.push_back(MakeItem(partition, i));
    }
    return items;
  }

 private:
  static constexpr int64_t kEpochMs = 1'700'000'000'000;

  std::string Group() const { return topic_ + "-group"; }

  std::unique_ptr<Input> NewInputWith(bool stop_at_end) {
    // Small batches, so the suite can act between them.
    return std::make_unique<Input>(inlet_kafka::InletKafkaOptions{
        .brokers = brokers_,
        .topics = {topic_},
        .group_id = Group(),
        .stop_at_end = stop_at_end,
        .batch_size = 3,
        .format = inlet_kafka::ValueFormat::kText,
    });
  }

  std::string brokers_;
  std::string topic_;
  int partitions_ = 0;
  std::vector<int64_t> written_;
  std::unique_ptr<kt::Producer> producer_;
};

using BoundedKafkaHarness = KafkaHarness<true>;
using FollowingKafkaHarness = KafkaHarness<false>;

}  // namespace

INLET_CONFORMANCE_TEST(KafkaBounded, BoundedKafkaHarness);
INLET_CONFORMANCE_TEST(KafkaFollowing, FollowingKafkaHarness);
