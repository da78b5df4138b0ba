// The tests' command-line access to the broker (used by tests/python):
//
//   kafka-test-tool create-topic BROKERS TOPIC PARTITIONS
//   kafka-test-tool add-partitions BROKERS TOPIC TOTAL
//   kafka-test-tool produce BROKERS TOPIC PARTITIONS FIRST COUNT
//       records FIRST..FIRST+COUNT-1; record n goes to partition n % PARTITIONS
//       with key "n" and value {"n":n}
//   kafka-test-tool produce-samples BROKERS TOPIC
//       into partition 0, records of every shape an item takes: with and
//       without a key, a tombstone, non-ASCII text, JSON objects, arrays,
//       strings and numbers as values; record i is stamped T + i, where T
//       is the current time in whole seconds (ms), which it prints (a fixed
//       time long past would be deleted by the broker's retention)
//   kafka-test-tool committed BROKERS GROUP TOPIC PARTITIONS
//       one line "partition offset" per partition the group has committed
//
// Exit status 0 on success, 1 with a message on stderr otherwise, 2 for a
// bad command line.

#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "kafka_test_support.h"

namespace {

namespace kt = inlet_kafka::testing;

int Fail(const absl::Status& status) {
  std::cerr << "kafka-test-tool: " << status << "\n";
  return 1;
}

int Usage() {
  std::cerr << "usage: kafka-test-tool create-topic|add-partitions|produce|committed ...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 3) return Usage();
  const std::string& command = args[0];
  const std::string& brokers = args[1];
  std::vector<int64_t> numbers;
  for (size_t i = command == "committed" ? args.size() : 3; i < args.size(); ++i) {
    int64_t number = 0;
    if (!absl::SimpleAtoi(args[i], &number)) return Usage();
    numbers.push_back(number);
  }
  if (command == "create-topic" && numbers.size() == 1) {
    absl::Status status = kt::CreateTopic(brokers, args[2], static_cast<int>(numbers[0]));
    return status.ok() ? 0 : Fail(status);
  }
  if (command == "add-partitions" && numbers.size() == 1) {
    absl::Status status = kt::AddPartitions(brokers, args[2], static_cast<int>(numbers[0]));
    return status.ok() ? 0 : Fail(status);
  }
  if (command == "produce" && numbers.size() == 3) {
    kt::Producer producer(brokers);
    const auto partitions = numbers[0];
    for (int64_t n = numbers[1]; n < numbers[1] + numbers[2]; ++n) {
      const std::string key = absl::StrCat(n);
      const std::string value = absl::StrCat("{\"n\":", n, "}");
      if (absl::Status status =
              producer.Send(args[2], static_cast<int>(n % partitions), key, value);
          !status.ok()) {
        return Fail(status);
      }
    }
    absl::Status status = producer.Flush();
    return status.ok() ? 0 : Fail(status);
  }
  if (command == "produce-samples" && args.size() == 3) {
    struct Sample {
      std::optional<std::string_view> key;
      std::optional<std::string_view> value;
    };
    // Every value is UTF-8 and JSON, so each format reads every record.
    const Sample samples[] = {
        {"k0", R"({"id":1,"price":2.5,"tags":["a","b"],"nested":{"x":null}})"},
        {std::nullopt, R"("a JSON string with \"quotes\", a tab\t and \u00e9")"},
        {"k2", std::nullopt},
        {"cl\xc3\xa9", "[1, -2, 3.25e10, true, false, null]"},
        {"", "12345678901234567890"},
        {"k5", "  {\"b\": 2, \"a\": 1}  "},
    };
    kt::Producer producer(brokers);
    const int64_t first = absl::ToUnixSeconds(absl::Now()) * 1000;
    int64_t timestamp = first;
    for (const Sample& sample : samples) {
      if (absl::Status status = producer.Send(args[2], 0, sample.key, sample.value, timestamp++);
          !status.ok()) {
        return Fail(status);
      }
    }
    absl::Status status = producer.Flush();
    if (!status.ok()) return Fail(status);
    std::cout << first << "\n";
    return 0;
  }
  if (command == "committed" && args.size() == 5) {
    int64_t partitions = 0;
    if (!absl::SimpleAtoi(args[4], &partitions)) return Usage();
    absl::StatusOr<std::map<int, int64_t>> offsets =
        kt::CommittedOffsets(brokers, args[2], args[3], static_cast<int>(partitions));
    if (!offsets.ok()) return Fail(offsets.status());
    for (const auto& [partition, offset] : *offsets)
      std::cout << partition << " " << offset << "\n";
    return 0;
  }
  return Usage();
}
