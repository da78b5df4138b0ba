#include "inlet_kafka/connector.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/source.h"
#include "inlet/waker.h"

namespace inlet_kafka {
namespace {

bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    int extra = 0;
    uint32_t code = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    } else if ((byte & 0xE0) == 0xC0) {
      extra = 1;
      code = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      extra = 2;
      code = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      extra = 3;
      code = byte & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

// The part of a partition's name before "/" and the number after it.
std::optional<std::pair<std::string, int32_t>> SplitPartName(std::string_view name) {
  const size_t slash = name.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  std::string_view number = name.substr(slash + 1);
  int32_t partition = -1;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), partition);
  if (error != std::errc() || end != number.data() + number.size() || partition < 0) {
    return std::nullopt;
  }
  return std::make_pair(std::string(name.substr(0, slash)), partition);
}

const char* FieldTypeOk(inlet::FieldType type, const nlohmann::json& value) {
  switch (type) {
    case inlet::FieldType::kBool:
      return value.is_boolean() ? nullptr : "bool";
    case inlet::FieldType::kInt:
      return value.is_number_integer() ? nullptr : "int";
    case inlet::FieldType::kFloat:
      return value.is_number() ? nullptr : "float";
    case inlet::FieldType::kString:
      return value.is_string() ? nullptr : "string";
    case inlet::FieldType::kBytes:
      return value.is_string() || value.is_binary() ? nullptr : "bytes";
    case inlet::FieldType::kJson:
      return nullptr;
  }
  return nullptr;
}

// Checks `value` against `schema` and fills in defaults; the error says
// which field and why.
absl::Status ApplySchema(const std::vector<inlet::Field>& schema, nlohmann::json& value) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a JSON object, got ", value.type_name()));
  }
  for (const inlet::Field& field : schema) {
    auto found = value.find(field.name);
    if (found == value.end() || (found->is_null() && field.type != inlet::FieldType::kJson)) {
      if (field.default_value.has_value()) {
        value[field.name] = *field.default_value;
        continue;
      }
      if (found == value.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("field \"", field.name, "\": missing, and it has no default"));
      }
    }
    if (const char* expected = FieldTypeOk(field.type, *found)) {
      return absl::InvalidArgumentError(absl::StrCat("field \"", field.name, "\": expected ",
                                                     expected, ", got ", found->type_name(), " ",
                                                     found->dump()));
    }
    if (field.type == inlet::FieldType::kFloat) *found = found->get<double>();
    if (field.type == inlet::FieldType::kBytes && found->is_string()) {
      const std::string& text = found->get_ref<const std::string&>();
      *found = nlohmann::json::binary(std::vector<uint8_t>(text.begin(), text.end()));
    }
  }
  return absl::OkStatus();
}

// Wakes the partition's worker from librdkafka's threads. The waker is bound
// after the queue's callback may already fire, hence the lock. An engine
// that cannot be woken (Bytewax) never binds one.
class WakeBox {
 public:
  void Bind(inlet::Waker waker) {
    std::lock_guard<std::mutex> hold(mutex_);
    waker_ = std::move(waker);
    bound_ = true;
  }
  void Wake() {
    std::lock_guard<std::mutex> hold(mutex_);
    waker_.Wake();
  }
  bool bound() {
    std::lock_guard<std::mutex> hold(mutex_);
    return bound_;
  }

 private:
  std::mutex mutex_;
  inlet::Waker waker_;
  bool bound_ = false;
};

// Called by librdkafka (on one of its threads) when the queue goes from
// empty to not empty.
void OnQueueHasRecords(rd_kafka_t*, void* box) { static_cast<WakeBox*>(box)->Wake(); }

}  // namespace

class InletKafka::Client {
 public:
  static absl::StatusOr<std::shared_ptr<Client>> Create(const InletKafkaOptions& options) {
    auto client = std::shared_ptr<Client>(new Client(options.brokers));
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const std::string& name, const std::string& value) -> absl::Status {
      // Topic-level properties go to the default topic configuration.
      if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof(error)) ==
          RD_KAFKA_CONF_OK) {
        return absl::OkStatus();
      }
      return absl::InvalidArgumentError(
          absl::StrCat("librdkafka property \"", name, "\"=\"", value, "\": ", error));
    };
    std::vector<std::pair<std::string, std::string>> settings = {
        {"bootstrap.servers", options.brokers},
        {"client.id", "inlet-kafka"},
        // Offsets are stored and committed only by `Committed`.
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        // `BuildPart` checks that the broker holds the offset it starts at.
        // A fetch the broker answers "out of range" later (seen right after
        // a topic is created) restarts from the earliest offset it holds,
        // and `Take` drops what was handed out already: never a repeat.
        {"auto.offset.reset", "earliest"},
        {"enable.partition.eof", options.stop_at_end ? "true" : "false"},
    };
    if (!options.group_id.empty()) settings.emplace_back("group.id", options.group_id);
    for (const auto& [name, value] : options.config) settings.emplace_back(name, value);
    for (const auto& [name, value] : settings) {
      if (absl::Status status = set(name, value); !status.ok()) {
        rd_kafka_conf_destroy(conf);
        return status;
      }
    }
    rd_kafka_conf_set_opaque(conf, client.get());
    rd_kafka_conf_set_error_cb(conf, &Client::OnError);
    client->rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
    if (client->rk_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(
          absl::StrCat("cannot create a Kafka consumer for ", options.brokers, ": ", error));
    }
    return client;
  }

  ~Client() {
    for (auto& [name, topic] : topics_) rd_kafka_topic_destroy(topic);
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  rd_kafka_t* rk() const { return rk_; }
  const std::string& brokers() const { return brokers_; }

  // The topic's handle, created once and kept until the client goes.
  rd_kafka_topic_t* Topic(const std::string& name) {
    std::lock_guard<std::mutex> hold(mutex_);
    rd_kafka_topic_t*& topic = topics_[name];
    if (topic == nullptr) topic = rd_kafka_topic_new(rk_, name.c_str(), nullptr);
    return topic;
  }

  // Serves librdkafka's callbacks (errors, commit results) and returns the
  // error that stops every partition, if one came.
  absl::Status Poll() {
    rd_kafka_poll(rk_, 0);
    std::lock_guard<std::mutex> hold(mutex_);
    return fatal_;
  }

 private:
  explicit Client(std::string brokers) : brokers_(std::move(brokers)) {}

  // Transient errors (a broker down, a connection refused) are retried by
  // librdkafka and ridden out; authentication failures and fatal errors
  // stop the run.
  static void OnError(rd_kafka_t* rk, int error, const char* reason, void* opaque) {
    auto* client = static_cast<Client*>(opaque);
    const auto code = static_cast<rd_kafka_resp_err_t>(error);
    std::string what;
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      char fatal[512];
      rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
      what = absl::StrCat("fatal error: ", fatal);
    } else if (code == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
               code == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED ||
               code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
               code == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
      what = absl::StrCat("authentication or authorization failed: ", reason);
    } else {
      return;
    }
    std::lock_guard<std::mutex> hold(client->mutex_);
    if (client->fatal_.ok()) {
      client->fatal_ = absl::PermissionDeniedError(
          absl::StrCat("Kafka broker(s) ", client->brokers_, ": ", what));
    }
  }

  std::string brokers_;
  rd_kafka_t* rk_ = nullptr;
  std::mutex mutex_;
  std::map<std::string, rd_kafka_topic_t*> topics_;
  absl::Status fatal_;
};

namespace {

struct PartitionPlace {
  std::string topic;
  int32_t partition = 0;
  std::string name;  // "<topic>/<partition>"
};

// One live partition: its own queue of fetched records and the offset of
// the next record to hand out.
class PartitionSource final : public inlet::StatefulSource<Record, int64_t> {
 public:
  PartitionSource(std::shared_ptr<InletKafka::Client> client, rd_kafka_topic_t* topic,
                  rd_kafka_queue_t* queue, PartitionPlace place, int64_t next,
                  std::optional<int64_t> end, const InletKafkaOptions& options)
      : client_(std::move(client)),
        topic_(topic),
        queue_(queue),
        place_(std::move(place)),
        next_(next),
        end_(end),
        format_(options.format),
        schema_(options.schema),
        commit_(!options.group_id.empty()),
        box_(std::make_unique<WakeBox>()),
        fetched_(static_cast<size_t>(options.batch_size)) {
    rd_kafka_queue_cb_event_enable(queue_, &OnQueueHasRecords, box_.get());
  }

  ~PartitionSource() override { Stop(); }

  void BindWaker(inlet::Waker waker) override {
    box_->Bind(waker);
    StatefulSource::BindWaker(std::move(waker));
  }

  // Hands out up to `batch_size` records librdkafka has already fetched;
  // never waits for the broker.
  absl::StatusOr<inlet::Poll> NextBatch(std::vector<Record>& out) override {
    if (absl::Status status = client_->Poll(); !status.ok()) return status;
    if (!pending_error_.ok()) return pending_error_;
    if (Ended()) return inlet::Poll::kEnd;
    const ssize_t count = rd_kafka_consume_batch_queue(queue_, 0, fetched_.data(), fetched_.size());
    if (count < 0) {
      return absl::InternalError(
          absl::StrCat("partition ", place_.name, ": ", rd_kafka_err2str(rd_kafka_last_error())));
    }
    absl::Status status;
    for (ssize_t i = 0; i < count; ++i) {
      rd_kafka_message_t* message = fetched_[static_cast<size_t>(i)];
      if (status.ok()) status = Take(*message, out);
      rd_kafka_message_destroy(message);
    }
    if (!status.ok()) {
      if (out.empty()) return status;
      // The records before the bad one are handed out first.
      pending_error_ = status;
    }
    return Ended() ? inlet::Poll::kEnd : inlet::Poll::kMore;
  }

  // Now while fetched records wait; otherwise when librdkafka wakes the
  // partition, and at least every second so that errors librdkafka reports
  // on its own (an authentication failure) stop an idle partition too.
  // Without a waker (an engine that cannot be woken, like Bytewax) the
  // engine's own short retry after an empty batch, never a second's sleep
  // that would hold back records fetched meanwhile.
  std::optional<absl::Time> NextAwake() override {
    if (Ended() || !pending_error_.ok() || rd_kafka_queue_length(queue_) > 0) {
      return absl::InfinitePast();
    }
    if (!box_->bound()) return std::nullopt;
    return absl::Now() + absl::Seconds(1);
  }

  int64_t Snapshot() override { return next_; }

  // Commits the group's offset for this partition: the state is the next
  // offset to read, which is what Kafka's committed offset means.
  void Committed(const int64_t& state) override {
    if (!commit_ || state == committed_) return;
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offsets, place_.topic.c_str(), place_.partition)->offset =
        state;
    // Asynchronous: the result comes back through the main queue, served by
    // `Client::Poll`; a failed commit is retried with the next epoch's.
    if (rd_kafka_commit(client_->rk(), offsets, 1) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      committed_ = state;
    }
    rd_kafka_topic_partition_list_destroy(offsets);
    static_cast<void>(client_->Poll());
  }

  void Close() override { Stop(); }

 private:
  bool Ended() const { return end_.has_value() && next_ >= *end_; }

  absl::Status Take(const rd_kafka_message_t& message, std::vector<Record>& out) {
    if (message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Everything before `offset` was fetched: transaction markers and
      // compacted-away records have no record to hand out.
      next_ = std::max(next_, message.offset);
      return absl::OkStatus();
    }
    if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string detail = rd_kafka_message_errstr(&message);
      if (message.err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
          message.err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
        detail += absl::StrCat(" (reading from offset ", next_,
                               ": the broker no longer holds it or never did)");
      }
      return absl::UnavailableError(absl::StrCat("partition ", place_.name, " on Kafka broker(s) ",
                                                 client_->brokers(), ": ", detail));
    }
    if (message.offset < next_) return absl::OkStatus();  // Fetched twice; handed out once.
    Record& record = out.emplace_back();
    record.topic = place_.topic;
    record.partition = place_.partition;
    record.offset = message.offset;
    rd_kafka_timestamp_type_t type;
    const int64_t timestamp = rd_kafka_message_timestamp(&message, &type);
    if (timestamp >= 0) record.timestamp = timestamp;
    record.format = format_;
    absl::Status decoded = DecodeKey(message, record);
    if (decoded.ok()) decoded = DecodeValue(message, record);
    if (!decoded.ok()) {
      out.pop_back();
      return absl::InvalidArgumentError(absl::StrCat("partition ", place_.name, " offset ",
                                                     message.offset, ": ", decoded.message()));
    }
    next_ = message.offset + 1;
    return absl::OkStatus();
  }

  absl::Status DecodeKey(const rd_kafka_message_t& message, Record& record) const {
    if (message.key == nullptr) return absl::OkStatus();
    const std::string_view key(static_cast<const char*>(message.key), message.key_len);
    if (format_ != ValueFormat::kBytes && !IsUtf8(key)) {
      return absl::InvalidArgumentError("the key is not UTF-8");
    }
    record.key.emplace(key);
    return absl::OkStatus();
  }

  absl::Status DecodeValue(const rd_kafka_message_t& message, Record& record) const {
    if (message.payload == nullptr) return absl::OkStatus();
    const std::string_view value(static_cast<const char*>(message.payload), message.len);
    if (format_ == ValueFormat::kJson) {
      record.json_value = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
      if (record.json_value.is_discarded()) {
        return absl::InvalidArgumentError("the value is not valid JSON");
      }
      if (schema_.empty()) return absl::OkStatus();
      return ApplySchema(schema_, record.json_value);
    }
    if (format_ == ValueFormat::kText && !IsUtf8(value)) {
      return absl::InvalidArgumentError("the value is not UTF-8");
    }
    record.value.emplace(value);
    return absl::OkStatus();
  }

  void Stop() {
    if (queue_ == nullptr) return;
    rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr);
    rd_kafka_consume_stop(topic_, place_.partition);
    rd_kafka_queue_destroy(queue_);
    queue_ = nullptr;
  }

  std::shared_ptr<InletKafka::Client> client_;
  rd_kafka_topic_t* topic_;
  rd_kafka_queue_t* queue_;
  PartitionPlace place_;
  int64_t next_;
  std::optional<int64_t> end_;
  ValueFormat format_;
  std::vector<inlet::Field> schema_;
  bool commit_;
  std::optional<int64_t> committed_;
  std::unique_ptr<WakeBox> box_;
  std::vector<rd_kafka_message_t*> fetched_;
  absl::Status pending_error_;
};

}  // namespace

absl::StatusOr<StartAt> ParseStartAt(std::string_view text) {
  if (text == "earliest") return StartAt{.kind = StartAt::Kind::kEarliest};
  if (text == "latest") return StartAt{.kind = StartAt::Kind::kLatest};
  int64_t millis = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), millis);
  if (!text.empty() && error == std::errc() && end == text.data() + text.size() && millis >= 0) {
    return StartAt{.kind = StartAt::Kind::kTimestamp, .timestamp = absl::FromUnixMillis(millis)};
  }
  absl::Time time;
  std::string parse_error;
  if (absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &parse_error)) {
    return StartAt{.kind = StartAt::Kind::kTimestamp, .timestamp = time};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("start \"", std::string(text),
                   "\": expected earliest, latest, an RFC 3339 time (2026-01-02T03:04:05Z) or "
                   "milliseconds since the epoch"));
}

absl::StatusOr<ValueFormat> ParseValueFormat(std::string_view text) {
  if (text == "bytes") return ValueFormat::kBytes;
  if (text == "text") return ValueFormat::kText;
  if (text == "json") return ValueFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("format \"", std::string(text), "\": expected bytes, text or json"));
}

const char* ValueFormatName(ValueFormat format) {
  switch (format) {
    case ValueFormat::kBytes:
      return "bytes";
    case ValueFormat::kText:
      return "text";
    case ValueFormat::kJson:
      return "json";
  }
  return "bytes";
}

namespace {

nlohmann::json DataToJson(const std::optional<std::string>& data, ValueFormat format) {
  if (!data.has_value()) return nullptr;
  if (format == ValueFormat::kBytes) {
    return nlohmann::json::binary(std::vector<uint8_t>(data->begin(), data->end()));
  }
  return *data;
}

std::optional<std::string> DataFromJson(const nlohmann::json& json, const char* what) {
  if (json.is_null()) return std::nullopt;
  if (json.is_binary()) return std::string(json.get_binary().begin(), json.get_binary().end());
  if (json.is_string()) return json.get<std::string>();
  throw nlohmann::json::type_error::create(
      302,
      absl::StrCat("a record's ", what, " is null, a string or a binary, not ", json.type_name()),
      &json);
}

}  // namespace

void to_json(nlohmann::json& json, const Record& record) {
  json = nlohmann::json(nlohmann::json::value_t::object);
  auto& fields = json.get_ref<nlohmann::json::object_t&>();
  fields.emplace("topic", record.topic);
  fields.emplace("partition", record.partition);
  fields.emplace("offset", record.offset);
  fields.emplace("timestamp", record.timestamp.has_value() ? nlohmann::json(*record.timestamp)
                                                           : nlohmann::json());
  fields.emplace("key", DataToJson(record.key, record.format));
  fields.emplace("value", record.format == ValueFormat::kJson
                              ? record.json_value
                              : DataToJson(record.value, record.format));
}

void from_json(const nlohmann::json& json, Record& record) {
  const nlohmann::json& key = json.at("key");
  const nlohmann::json& value = json.at("value");
  Record read{.topic = json.at("topic").get<std::string>(),
              .partition = json.at("partition").get<int32_t>(),
              .offset = json.at("offset").get<int64_t>()};
  if (const nlohmann::json& timestamp = json.at("timestamp"); !timestamp.is_null()) {
    read.timestamp = timestamp.get<int64_t>();
  }
  if (value.is_binary() || key.is_binary()) {
    read.format = ValueFormat::kBytes;
  } else if ((value.is_null() || value.is_string()) && (key.is_null() || key.is_string())) {
    read.format = ValueFormat::kText;
  } else {
    read.format = ValueFormat::kJson;
  }
  read.key = DataFromJson(key, "key");
  if (read.format == ValueFormat::kJson) {
    read.json_value = value;
  } else {
    read.value = DataFromJson(value, "value");
  }
  record = std::move(read);
}

std::ostream& operator<<(std::ostream& out, const Record& record) {
  return out << nlohmann::json(record).dump(-1, ' ', false,
                                            nlohmann::json::error_handler_t::replace);
}

InletKafka::InletKafka(InletKafkaOptions options) : options_(std::move(options)) {}

InletKafka::~InletKafka() = default;

absl::StatusOr<std::shared_ptr<InletKafka::Client>> InletKafka::GetClient() {
  if (client_ != nullptr) return client_;
  if (options_.brokers.empty()) {
    return absl::InvalidArgumentError(
        "brokers is empty: give the brokers to bootstrap from, host:port[,host:port...]");
  }
  if (options_.topics.empty()) return absl::InvalidArgumentError("no topic given: topics is empty");
  for (const std::string& topic : options_.topics) {
    if (topic.empty() || topic.find('/') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("topic \"", topic, "\": a Kafka topic name is not empty and has no \"/\""));
    }
  }
  if (options_.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_size ", options_.batch_size, ": must be at least 1"));
  }
  if (!options_.schema.empty() && options_.format != ValueFormat::kJson) {
    return absl::InvalidArgumentError("a schema needs the json format");
  }
  absl::StatusOr<std::shared_ptr<Client>> client = Client::Create(options_);
  if (!client.ok()) return client.status();
  client_ = *std::move(client);
  return client_;
}

absl::StatusOr<std::vector<std::string>> InletKafka::ListParts() {
  absl::StatusOr<std::shared_ptr<Client>> client = GetClient();
  if (!client.ok()) return client.status();
  // One request for every topic's metadata: asking for one unknown topic
  // makes librdkafka wait out the timeout instead of saying it is unknown.
  std::map<std::string, std::vector<int32_t>> found;
  std::map<std::string, rd_kafka_resp_err_t> errors;
  const absl::Time deadline = absl::Now() + options_.metadata_timeout;
  while (true) {
    found.clear();
    errors.clear();
    const rd_kafka_metadata_t* metadata = nullptr;
    const int timeout_ms =
        static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now())));
    const rd_kafka_resp_err_t error =
        rd_kafka_metadata((*client)->rk(), 1, nullptr, &metadata, timeout_ms);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // An authentication failure reaches the error callback, not the
      // metadata request, which only times out.
      if (absl::Status failed = (*client)->Poll(); !failed.ok()) {
        return absl::Status(failed.code(),
                            absl::StrCat("cannot read the metadata of topic \"",
                                         options_.topics.front(), "\": ", failed.message()));
      }
      return absl::UnavailableError(absl::StrCat(
          "cannot reach the Kafka broker(s) ", options_.brokers, " for the metadata of topic \"",
          options_.topics.front(), "\" within ", absl::FormatDuration(options_.metadata_timeout),
          ": ", rd_kafka_err2str(error)));
    }
    for (int t = 0; t < metadata->topic_cnt; ++t) {
      const rd_kafka_metadata_topic_t& topic = metadata->topics[t];
      if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        errors[topic.topic] = topic.err;
        continue;
      }
      std::vector<int32_t>& partitions = found[topic.topic];
      for (int i = 0; i < topic.partition_cnt; ++i) {
        if (topic.partitions[i].err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
          errors[topic.topic] = topic.partitions[i].err;
        }
        partitions.push_back(topic.partitions[i].id);
      }
    }
    rd_kafka_metadata_destroy(metadata);
    bool settled = true;
    for (const std::string& topic : options_.topics) {
      // A topic just created may have no leader yet.
      if (errors.contains(topic)) settled = false;
    }
    if (settled || absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::vector<std::string> names;
  for (const std::string& topic : options_.topics) {
    auto partitions = found.find(topic);
    if (partitions == found.end() || partitions->second.empty()) {
      if (auto error = errors.find(topic); error != errors.end()) {
        return absl::UnavailableError(absl::StrCat("topic \"", topic, "\" on the Kafka broker(s) ",
                                                   options_.brokers, ": ",
                                                   rd_kafka_err2str(error->second)));
      }
      return absl::NotFoundError(absl::StrCat(
          "topic \"", topic, "\" does not exist on the Kafka broker(s) ", options_.brokers));
    }
    std::sort(partitions->second.begin(), partitions->second.end());
    for (int32_t partition : partitions->second) {
      names.push_back(absl::StrCat(topic, "/", partition));
    }
  }
  return names;
}

auto InletKafka::BuildPart(std::string_view, std::string_view for_part,
                           std::optional<int64_t> resume)
    -> absl::StatusOr<std::unique_ptr<Source>> {
  absl::StatusOr<std::shared_ptr<Client>> client = GetClient();
  if (!client.ok()) return client.status();
  std::optional<std::pair<std::string, int32_t>> split = SplitPartName(for_part);
  if (!split.has_value() || std::find(options_.topics.begin(), options_.topics.end(),
                                      split->first) == options_.topics.end()) {
    return absl::NotFoundError(absl::StrCat("partition \"", std::string(for_part),
                                            "\" is not <topic>/<number> of a configured topic"));
  }
  PartitionPlace place{
      .topic = split->first, .partition = split->second, .name = std::string(for_part)};
  rd_kafka_t* rk = (*client)->rk();
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.metadata_timeout));
  auto unreachable = [&](rd_kafka_resp_err_t error, const char* what) {
    return absl::UnavailableError(absl::StrCat("partition ", place.name, ": cannot get ", what,
                                               " from the Kafka broker(s) ", options_.brokers, ": ",
                                               rd_kafka_err2str(error)));
  };
  int64_t low = 0;
  int64_t high = 0;
  if (rd_kafka_resp_err_t error = rd_kafka_query_watermark_offsets(
          rk, place.topic.c_str(), place.partition, &low, &high, timeout_ms);
      error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return unreachable(error, "the partition's offsets");
  }
  int64_t next = low;
  if (resume.has_value()) {
    // Records before `low` were deleted (retention) and offsets past `high`
    // never existed (the topic was recreated): either way, resuming would
    // skip or invent records.
    if (*resume < low || *resume > high) {
      return absl::OutOfRangeError(absl::StrCat(
          "partition ", place.name, ": the resume offset ", *resume,
          " is not between the broker's offsets ", low, " and ", high, " (Kafka broker(s) ",
          options_.brokers, "); the records were deleted or the topic was recreated"));
    }
    next = *resume;
  } else if (options_.start.kind == StartAt::Kind::kLatest) {
    next = high;
  } else if (options_.start.kind == StartAt::Kind::kTimestamp) {
    rd_kafka_topic_partition_list_t* query = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(query, place.topic.c_str(), place.partition)->offset =
        absl::ToUnixMillis(options_.start.timestamp);
    rd_kafka_resp_err_t error = rd_kafka_offsets_for_times(rk, query, timeout_ms);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) error = query->elems[0].err;
    const int64_t found = query->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(query);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR)
      return unreachable(error, "the offset for the start time");
    next = found >= 0 ? found : high;  // No record at or after it yet: from the end.
  }
  std::optional<int64_t> end;
  if (options_.stop_at_end) end = high;
  rd_kafka_topic_t* topic = (*client)->Topic(place.topic);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  if (rd_kafka_consume_start_queue(topic, place.partition, next, queue) != 0) {
    const rd_kafka_resp_err_t error = rd_kafka_last_error();
    rd_kafka_queue_destroy(queue);
    return absl::FailedPreconditionError(absl::StrCat("partition ", place.name,
                                                      ": cannot start reading at offset ", next,
                                                      ": ", rd_kafka_err2str(error)));
  }
  return std::make_unique<PartitionSource>(*client, topic, queue, std::move(place), next, end,
                                           options_);
}

}  // namespace inlet_kafka
