// What the tests need from a real Kafka broker besides the connector: topics
// created and grown through librdkafka's admin API, records produced with
// chosen partitions and timestamps, and the consumer group's committed
// offsets as the broker reports them.

#ifndef INLET_KAFKA_TESTS_KAFKA_TEST_SUPPORT_H_
#define INLET_KAFKA_TESTS_KAFKA_TEST_SUPPORT_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace inlet_kafka::testing {

// The test broker's bootstrap address: $INLET_KAFKA_BROKERS, or the first
// line of the file $INLET_KAFKA_BROKERS_FILE names (the CTest fixture that
// starts the broker writes it). An error says which to set.
absl::StatusOr<std::string> TestBrokers();

// The address of the test broker's listener that needs SASL/PLAIN (user
// "inlet", password "inlet-secret"): the file "sasl-bootstrap" beside
// $INLET_KAFKA_BROKERS_FILE. NotFound when the broker is not the fixture's.
absl::StatusOr<std::string> TestSaslBrokers();

// Creates `topic` with `partitions` partitions and the topic configuration
// `config` (e.g. "message.timestamp.type"). A topic that exists with as many
// partitions is left as it is.
absl::Status CreateTopic(const std::string& brokers, const std::string& topic, int partitions,
                         const std::map<std::string, std::string>& config = {});

// Grows `topic` to `total` partitions.
absl::Status AddPartitions(const std::string& brokers, const std::string& topic, int total);

// The offset after the last record of a partition (its high watermark).
absl::StatusOr<int64_t> EndOffset(const std::string& brokers, const std::string& topic,
                                  int partition);

// The committed offsets of `group` for partitions 0..partitions-1 of
// `topic`; a partition without one is absent.
absl::StatusOr<std::map<int, int64_t>> CommittedOffsets(const std::string& brokers,
                                                        const std::string& group,
                                                        const std::string& topic, int partitions);

// An idempotent producer (acks=all, order kept within a partition).
class Producer {
 public:
  explicit Producer(const std::string& brokers);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues one record; a value of nullopt is a tombstone, `timestamp_ms` 0
  // lets the producer stamp it.
  absl::Status Send(const std::string& topic, int partition, std::optional<std::string_view> key,
                    std::optional<std::string_view> value, int64_t timestamp_ms = 0);
  // Waits until every queued record is acknowledged; an error names the
  // first record that failed.
  absl::Status Flush();

 private:
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);
  rd_kafka_t* rk_ = nullptr;
  std::string brokers_;
  absl::Status failed_;
};

}  // namespace inlet_kafka::testing

#endif  // INLET_KAFKA_TESTS_KAFKA_TEST_SUPPORT_H_
