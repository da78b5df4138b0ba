// The figures of the Kafka connector (bench/kafka.sh runs it):
//
//   kafka-bench throughput BROKERS TOPIC WORKERS [RECOVERY_DB]
//       reads the topic to its end offsets into a counting sink; with
//       RECOVERY_DB, epochs of 1 s are committed to it. Prints
//       "records seconds".
//   kafka-bench latency BROKERS TOPIC PARTITIONS RATE SECONDS
//       creates TOPIC with broker-stamped (LogAppendTime) timestamps, follows
//       it with the default run options while it produces RATE records a
//       second for SECONDS seconds, each holding the time it was sent, and
//       stops 2 s after the last one; prints "received sent p50_ms p99_ms
//       append_p50_ms append_p99_ms": send-to-sink latency, then the part of
//       it after the broker appended the record (to the millisecond: the
//       broker's stamp is in whole milliseconds), which is the consumer's.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/counting_sink.h"
#include "inlet/run.h"
#include "inlet/sink.h"
#include "kafka_test_support.h"

#include "inlet_kafka/connector.h"

namespace {

using inlet_kafka::Record;

int Fail(const absl::Status& status) {
  std::cerr << "kafka-bench: " << status << "\n";
  return 1;
}

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// Records, for every record whose value is the time it was sent, the
// latency from the send and from the broker's append (its timestamp).
class LatencySink final : public inlet::Sink<Record> {
 public:
  LatencySink() = default;
  absl::Status Write(std::span<const Record> items) override {
    const int64_t now = NowMicros();
    std::lock_guard<std::mutex> hold(mutex_);
    for (const Record& item : items) {
      int64_t sent = 0;
      if (item.value.has_value() && absl::SimpleAtoi(*item.value, &sent)) {
        latencies_.push_back(now - sent);
        if (item.timestamp.has_value()) from_append_.push_back(now - *item.timestamp * 1000);
      }
    }
    return absl::OkStatus();
  }
  std::vector<int64_t> latencies() {
    std::lock_guard<std::mutex> hold(mutex_);
    return latencies_;
  }
  std::vector<int64_t> from_append() {
    std::lock_guard<std::mutex> hold(mutex_);
    return from_append_;
  }

 private:
  std::mutex mutex_;
  std::vector<int64_t> latencies_;
  std::vector<int64_t> from_append_;
};

// The `q` quantile of `micros`, in milliseconds.
double QuantileMs(std::vector<int64_t> micros, double q) {
  if (micros.empty()) return 0;
  std::sort(micros.begin(), micros.end());
  return static_cast<double>(
             micros[static_cast<size_t>(q * static_cast<double>(micros.size() - 1))]) /
         1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 4 && args[0] == "throughput") {
    int workers = 1;
    if (!absl::SimpleAtoi(args[3], &workers)) return 2;
    inlet_kafka::InletKafka input({.brokers = args[1], .topics = {args[2]}, .stop_at_end = true});
    inlet::CountingSink<Record> sink;
    inlet::RunOptions options{.workers = workers};
    if (args.size() == 5) {
      options.recovery_db = args[4];
      options.epoch_interval = absl::Seconds(1);
    }
    const absl::Time start = absl::Now();
    absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, options);
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    if (!report.ok()) return Fail(report.status());
    std::cout << sink.items() << " " << seconds << "\n";
    return 0;
  }
  if (args.size() == 6 && args[0] == "latency") {
    int partitions = 0;
    int rate = 0;
    int seconds = 0;
    if (!absl::SimpleAtoi(args[3], &partitions) || !absl::SimpleAtoi(args[4], &rate) ||
        !absl::SimpleAtoi(args[5], &seconds)) {
      return 2;
    }
    const int64_t total = static_cast<int64_t>(rate) * seconds;
    if (absl::Status created = inlet_kafka::testing::CreateTopic(
            args[1], args[2], partitions, {{"message.timestamp.type", "LogAppendTime"}});
        !created.ok()) {
      return Fail(created);
    }
    inlet_kafka::InletKafka input({.brokers = args[1],
                                   .topics = {args[2]},
                                   .start = {.kind = inlet_kafka::StartAt::Kind::kLatest},
                                   .format = inlet_kafka::ValueFormat::kText});
    std::stop_source stop;
    LatencySink sink;
    std::thread producer([&] {
      absl::SleepFor(absl::Seconds(5));  // Every partition is built and fetching.
      inlet_kafka::testing::Producer send(args[1]);
      const absl::Time start = absl::Now();
      for (int64_t n = 0; n < total; ++n) {
        absl::SleepFor(start + absl::Seconds(1) * n / rate - absl::Now());
        static_cast<void>(send.Send(args[2], static_cast<int>(n % partitions), std::nullopt,
                                    absl::StrCat(NowMicros())));
      }
      static_cast<void>(send.Flush());
      absl::SleepFor(absl::Seconds(2));  // What was sent has arrived by now.
      stop.request_stop();
    });
    absl::StatusOr<inlet::RunReport> report = inlet::Run(input, sink, {.stop = stop.get_token()});
    producer.join();
    if (!report.ok()) return Fail(report.status());
    const std::vector<int64_t> latencies = sink.latencies();
    if (latencies.empty()) return Fail(absl::InternalError("no record arrived"));
    const std::vector<int64_t> from_append = sink.from_append();
    std::cout << latencies.size() << " " << total << " " << QuantileMs(latencies, 0.5) << " "
              << QuantileMs(latencies, 0.99) << " " << QuantileMs(from_append, 0.5) << " "
              << QuantileMs(from_append, 0.99) << "\n";
    return 0;
  }
  std::cerr << "usage: kafka-bench throughput BROKERS TOPIC WORKERS [RECOVERY_DB] | latency "
               "BROKERS TOPIC PARTITIONS RATE SECONDS\n";
  return 2;
}
