#include "kafka_test_support.h"

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace inlet_kafka::testing {
namespace {

constexpr int kTimeoutMs = 30000;

using Handle = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;

absl::StatusOr<Handle> NewHandle(const std::string& brokers, rd_kafka_type_t type,
                                 const std::map<std::string, std::string>& extra = {}) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::map<std::string, std::string> settings = extra;
  settings["bootstrap.servers"] = brokers;
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat(name, "=", value, ": ", error));
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(error);
  }
  return Handle(rk, &rd_kafka_destroy);
}

// Runs one admin request and returns the error of its only result.
template <class Request, class Call, class Results>
absl::Status RunAdmin(const std::string& brokers, Request* request, Call call,
                      rd_kafka_event_type_t type, Results results, const std::string& what) {
  absl::StatusOr<Handle> rk = NewHandle(brokers, RD_KAFKA_PRODUCER);
  if (!rk.ok()) return rk.status();
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk->get());
  call(rk->get(), request, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kTimeoutMs);
  absl::Status status;
  if (event == nullptr) {
    status = absl::DeadlineExceededError(absl::StrCat(what, ": no answer from ", brokers));
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::InternalError(absl::StrCat(what, ": ", rd_kafka_event_error_string(event)));
  } else if (rd_kafka_event_type(event) == type) {
    size_t count = 0;
    const rd_kafka_topic_result_t** topics = results(event, &count);
    for (size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t error = rd_kafka_topic_result_error(topics[i]);
      if (error == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = absl::AlreadyExistsError(what);
      } else if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = absl::InternalError(
            absl::StrCat(what, ": ", rd_kafka_topic_result_error_string(topics[i])));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  return status;
}

absl::StatusOr<int> PartitionCount(const std::string& brokers, const std::string& topic) {
  absl::StatusOr<Handle> rk = NewHandle(brokers, RD_KAFKA_PRODUCER);
  if (!rk.ok()) return rk.status();
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk->get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t error = rd_kafka_metadata(rk->get(), 0, handle, &metadata, kTimeoutMs);
  int count = 0;
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    error = metadata->topics[0].err;
    count = metadata->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(metadata);
  }
  rd_kafka_topic_destroy(handle);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(absl::StrCat("metadata of ", topic, ": ", rd_kafka_err2str(error)));
  }
  return count;
}

}  // namespace

absl::StatusOr<std::string> TestBrokers() {
  if (const char* brokers = std::getenv("INLET_KAFKA_BROKERS"); brokers != nullptr && *brokers) {
    return std::string(brokers);
  }
  if (const char* file = std::getenv("INLET_KAFKA_BROKERS_FILE"); file != nullptr && *file) {
    std::ifstream in(file);
    std::string line;
    if (std::getline(in, line) && !line.empty()) return line;
    return absl::FailedPreconditionError(
        absl::StrCat("INLET_KAFKA_BROKERS_FILE names ", file, ", which holds no broker address"));
  }
  return absl::FailedPreconditionError(
      "no test broker: set INLET_KAFKA_BROKERS=host:port, or run the tests through ctest, whose "
      "kafka_broker_start fixture starts one");
}

absl::StatusOr<std::string> TestSaslBrokers() {
  const char* file = std::getenv("INLET_KAFKA_BROKERS_FILE");
  if (file == nullptr || *file == '\0') {
    return absl::NotFoundError("INLET_KAFKA_BROKERS_FILE is not set: no fixture broker");
  }
  const std::filesystem::path path = std::filesystem::path(file).parent_path() / "sasl-bootstrap";
  std::ifstream in(path);
  std::string line;
  if (std::getline(in, line) && !line.empty()) return line;
  return absl::NotFoundError(absl::StrCat(path.string(), " holds no address"));
}

absl::Status CreateTopic(const std::string& brokers, const std::string& topic, int partitions,
                         const std::map<std::string, std::string>& config) {
  char error[512];
  rd_kafka_NewTopic_t* request =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error, sizeof(error));
  if (request == nullptr) return absl::InvalidArgumentError(error);
  for (const auto& [name, value] : config) {
    if (rd_kafka_resp_err_t set =
            rd_kafka_NewTopic_set_config(request, name.c_str(), value.c_str());
        set != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_NewTopic_destroy(request);
      return absl::InvalidArgumentError(
          absl::StrCat("topic config ", name, "=", value, ": ", rd_kafka_err2str(set)));
    }
  }
  absl::Status status = RunAdmin(
      brokers, request,
      [](rd_kafka_t* rk, rd_kafka_NewTopic_t* topic_request, rd_kafka_queue_t* queue) {
        rd_kafka_CreateTopics(rk, &topic_request, 1, nullptr, queue);
      },
      RD_KAFKA_EVENT_CREATETOPICS_RESULT,
      [](rd_kafka_event_t* event, size_t* count) {
        return rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event),
                                                   count);
      },
      absl::StrCat("create topic ", topic));
  rd_kafka_NewTopic_destroy(request);
  if (absl::IsAlreadyExists(status)) {
    absl::StatusOr<int> count = PartitionCount(brokers, topic);
    if (!count.ok()) return count.status();
    if (*count != partitions) {
      return absl::AlreadyExistsError(
          absl::StrCat("topic ", topic, " exists with ", *count, " partitions, not ", partitions));
    }
    return absl::OkStatus();
  }
  if (!status.ok()) return status;
  // The broker answers before every partition has a leader; wait for them.
  for (int attempt = 0; attempt < 100; ++attempt) {
    for (int p = 0; p < partitions; ++p) {
      if (!EndOffset(brokers, topic, p).ok()) break;
      if (p == partitions - 1) return absl::OkStatus();
    }
  }
  return absl::DeadlineExceededError(absl::StrCat("topic ", topic, " has no leaders"));
}

absl::Status AddPartitions(const std::string& brokers, const std::string& topic, int total) {
  char error[512];
  rd_kafka_NewPartitions_t* request =
      rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), error, sizeof(error));
  if (request == nullptr) return absl::InvalidArgumentError(error);
  absl::Status status = RunAdmin(
      brokers, request,
      [](rd_kafka_t* rk, rd_kafka_NewPartitions_t* partitions_request, rd_kafka_queue_t* queue) {
        rd_kafka_CreatePartitions(rk, &partitions_request, 1, nullptr, queue);
      },
      RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT,
      [](rd_kafka_event_t* event, size_t* count) {
        return rd_kafka_CreatePartitions_result_topics(
            rd_kafka_event_CreatePartitions_result(event), count);
      },
      absl::StrCat("grow topic ", topic, " to ", total, " partitions"));
  rd_kafka_NewPartitions_destroy(request);
  return status;
}

absl::StatusOr<int64_t> EndOffset(const std::string& brokers, const std::string& topic,
                                  int partition) {
  absl::StatusOr<Handle> rk = NewHandle(brokers, RD_KAFKA_CONSUMER);
  if (!rk.ok()) return rk.status();
  int64_t low = 0;
  int64_t high = 0;
  const rd_kafka_resp_err_t error = rd_kafka_query_watermark_offsets(
      rk->get(), topic.c_str(), partition, &low, &high, kTimeoutMs);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("end offset of ", topic, "/", partition, ": ", rd_kafka_err2str(error)));
  }
  return high;
}

absl::StatusOr<std::map<int, int64_t>> CommittedOffsets(const std::string& brokers,
                                                        const std::string& group,
                                                        const std::string& topic, int partitions) {
  absl::StatusOr<Handle> rk = NewHandle(brokers, RD_KAFKA_CONSUMER, {{"group.id", group}});
  if (!rk.ok()) return rk.status();
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  const rd_kafka_resp_err_t error = rd_kafka_committed(rk->get(), list, kTimeoutMs);
  std::map<int, int64_t> offsets;
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].offset >= 0) offsets[list->elems[i].partition] = list->elems[i].offset;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("committed offsets of group ", group, ": ", rd_kafka_err2str(error)));
  }
  return offsets;
}

Producer::Producer(const std::string& brokers) : brokers_(brokers) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::map<std::string, std::string> settings = {{"bootstrap.servers", brokers},
                                                       {"enable.idempotence", "true"},
                                                       {"linger.ms", "0"},
                                                       {"batch.num.messages", "10000"},
                                                       {"queue.buffering.max.messages", "1000000"}};
  for (const auto& [name, value] : settings) {
    rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof(error));
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, &Producer::OnDelivery);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    failed_ = absl::InternalError(absl::StrCat("producer for ", brokers, ": ", error));
  }
}

Producer::~Producer() {
  if (rk_ == nullptr) return;
  rd_kafka_flush(rk_, kTimeoutMs);
  rd_kafka_destroy(rk_);
}

void Producer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* producer = static_cast<Producer*>(opaque);
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR && producer->failed_.ok()) {
    producer->failed_ = absl::InternalError(
        absl::StrCat("producing to ", rd_kafka_topic_name(message->rkt), "/", message->partition,
                     " on ", producer->brokers_, ": ", rd_kafka_err2str(message->err)));
  }
}

absl::Status Producer::Send(const std::string& topic, int partition,
                            std::optional<std::string_view> key,
                            std::optional<std::string_view> value, int64_t timestamp_ms) {
  if (!failed_.ok()) return failed_;
  while (true) {
    const rd_kafka_resp_err_t error = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key.has_value() ? key->data() : nullptr, key.has_value() ? key->size() : 0),
        RD_KAFKA_V_VALUE(value.has_value() ? const_cast<char*>(value->data()) : nullptr,
                         value.has_value() ? value->size() : 0),
        RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return absl::InternalError(
          absl::StrCat("producing to ", topic, "/", partition, ": ", rd_kafka_err2str(error)));
    }
    rd_kafka_poll(rk_, 10);
  }
  rd_kafka_poll(rk_, 0);
  return failed_;
}

absl::Status Producer::Flush() {
  if (!failed_.ok()) return failed_;
  const rd_kafka_resp_err_t error = rd_kafka_flush(rk_, kTimeoutMs);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::DeadlineExceededError(
        absl::StrCat("flushing the producer to ", brokers_, ": ", rd_kafka_err2str(error)));
  }
  return failed_;
}

}  // namespace inlet_kafka::testing
