// InletKafka: reads Apache Kafka topics (README.md says how to run it).
//
// A partitioned input (Bytewax's FixedPartitionedSource): every partition of
// every configured topic, listed from the broker's metadata, is a partition
// of the input, named "<topic>/<partition>" (a topic name never holds a
// "/"). A partition's resume state is the offset of the next record to read,
// so a resumed run neither repeats nor skips a record.
//
// One librdkafka consumer handle per input object serves all its partitions
// (one connection per broker); each partition reads from a queue of its own,
// and librdkafka wakes the partition's worker when the queue gets records,
// so an idle partition costs nothing and a record is handed out as soon as
// it is fetched.
//
// Consumer-group offsets (with `group_id`) are committed to the broker only
// after the runtime says an epoch is durable (`Committed`), so lag tools show
// what the pipeline really has. They are never read back: the recovery
// store is where a run resumes from.
//
// Threading: `ListParts` and `BuildPart` are called from the thread that runs
// the input, one call at a time; each source is polled by one worker thread
// at a time. The shared handle is librdkafka's, which is thread-safe.

#ifndef INLET_KAFKA_CONNECTOR_H_
#define INLET_KAFKA_CONNECTOR_H_

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inlet/partitioned_input.h"
#include "inlet/schema.h"
#include "nlohmann/json.hpp"

namespace inlet_kafka {

// How a record's key and value are decoded.
enum class ValueFormat {
  kBytes,  // Key and value as JSON binaries (Python: bytes).
  kText,   // Key and value as strings; a record that is not UTF-8 is an error.
  kJson,   // The value parsed as JSON (checked against `schema` if one is
           // given); the key as a string. A record that does not parse is an
           // error naming its topic, partition and offset.
};

// Where a partition with no resume state starts.
struct StartAt {
  enum class Kind { kEarliest, kLatest, kTimestamp };
  Kind kind = Kind::kEarliest;
  // For kTimestamp: the first record whose timestamp is at or after this.
  absl::Time timestamp = absl::UnixEpoch();
};

// Parses "earliest", "latest" or a timestamp (RFC 3339, e.g.
// "2026-01-02T03:04:05Z", or milliseconds since the epoch).
absl::StatusOr<StartAt> ParseStartAt(std::string_view text);
// Parses "bytes", "text" or "json".
absl::StatusOr<ValueFormat> ParseValueFormat(std::string_view text);
// The name `ParseValueFormat` reads back: "bytes", "text" or "json".
const char* ValueFormatName(ValueFormat format);

struct InletKafkaOptions {
  // The brokers to bootstrap from, "host:port[,host:port...]" (librdkafka's
  // `bootstrap.servers`). Required.
  std::string brokers = {};
  // The topics to read; every partition of each is a partition of the input.
  // Required, at least one.
  std::vector<std::string> topics = {};
  // The consumer group whose offsets are committed after each durable epoch;
  // empty commits nothing. Default: empty.
  std::string group_id = {};
  // Where a partition without a resume state starts. Default: earliest.
  StartAt start = {};
  // Ends each partition (`kEnd`) once it has handed out every record that
  // was in it when it was built, instead of following it. Default: false.
  bool stop_at_end = false;
  // At most this many records are handed out per `NextBatch` call, so that a
  // worker gets back to its other partitions. Default: 10000.
  int batch_size = 10000;
  // How keys and values are decoded. Default: kBytes.
  ValueFormat format = ValueFormat::kBytes;
  // With kJson: the fields every value must have (an object; defaults filled
  // in, unknown fields kept). Empty checks nothing. Default: empty.
  std::vector<inlet::Field> schema = {};
  // More librdkafka configuration properties (e.g. "security.protocol",
  // "sasl.mechanisms"), set after inlet's own. Default: none.
  std::map<std::string, std::string> config = {};
  // How long `ListParts` and `BuildPart` wait for the broker's metadata and
  // offsets before reporting it unreachable. Default: 10 s.
  absl::Duration metadata_timeout = absl::Seconds(10);
};

// A record as an item: a plain value, cheap to make (with kBytes and kText
// nothing is allocated but the topic's name and a key or value longer than a
// short string's inline capacity). Its JSON form (`to_json`, what the
// program writes) is an object with "topic", "partition", "offset",
// "timestamp" (milliseconds since the epoch, or null), "key" (null when the
// record has none) and "value" (null for a tombstone): key and value as JSON
// binaries with kBytes, strings with kText, the parsed value with kJson.
struct Record {
  std::string topic = {};
  int32_t partition = 0;
  int64_t offset = 0;
  // Milliseconds since the epoch; none when the broker gave none.
  std::optional<int64_t> timestamp = std::nullopt;
  // The key's bytes: raw with kBytes, UTF-8 text otherwise. None when the
  // record has no key.
  std::optional<std::string> key = std::nullopt;
  // The value's bytes: raw with kBytes, UTF-8 text with kText. None for a
  // tombstone, and always none with kJson, where `json_value` holds it.
  std::optional<std::string> value = std::nullopt;
  // With kJson: the value parsed (and checked against the schema); null for
  // a tombstone. Null with the other formats.
  nlohmann::json json_value = nullptr;
  // How `key` and `value` were decoded.
  ValueFormat format = ValueFormat::kBytes;

  bool operator==(const Record&) const = default;
};

// The JSON form described above (tests/python/test_program.py pins it byte
// for byte for every format).
void to_json(nlohmann::json& json, const Record& record);
// The inverse of `to_json`. The format is read from the JSON: a binary key
// or value means kBytes; a value that is a string or null (with a key that
// is a string or null) means kText; any other value means kJson. Throws
// `nlohmann::json::exception` naming what is missing or mistyped.
void from_json(const nlohmann::json& json, Record& record);
// Writes the JSON form (for test failure messages and logs).
std::ostream& operator<<(std::ostream& out, const Record& record);

class InletKafka final : public inlet::PartitionedInput<Record, int64_t> {
 public:
  // Keeps `options`; nothing is checked or connected until `ListParts` or
  // `BuildPart`, whose errors name the bad field and its value.
  explicit InletKafka(InletKafkaOptions options);
  ~InletKafka() override;

  // Lists "<topic>/<partition>" for every partition of every topic, in topic
  // order then partition order, from the broker's metadata. An unreachable
  // broker or an unknown topic is an error naming the brokers and the topic.
  absl::StatusOr<std::vector<std::string>> ListParts() override;

  // Starts reading partition `for_part` at `resume` (the next offset to
  // read), or where `start` says when there is none. Asks the broker for
  // offsets (blocking up to `metadata_timeout`). An error names the
  // partition and the broker.
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                    std::string_view for_part,
                                                    std::optional<int64_t> resume) override;

  class Client;  // The shared librdkafka handle (connector.cc).

 private:
  // The handle, created (and the options checked) on first use.
  absl::StatusOr<std::shared_ptr<Client>> GetClient();

  InletKafkaOptions options_;
  std::shared_ptr<Client> client_;
};

}  // namespace inlet_kafka

#endif  // INLET_KAFKA_CONNECTOR_H_
