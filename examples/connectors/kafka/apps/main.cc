// The connector on inlet's standard command line: reads the topics given as
// arguments on the embedded runtime and writes every record as a JSON object
// to stdout (or --output), with live progress on a terminal.
//
//   inlet-kafka --brokers=localhost:9092 orders payments
//   inlet-kafka --brokers=localhost:9092 --group-id=etl --recovery-db=state.db
//       --output=out.jsonl --format=json orders
//
// --help lists the flags (workers, epoch interval, recovery file, output, and
// the Kafka ones below).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/run_main.h"

#include "inlet_kafka/connector.h"

ABSL_FLAG(std::string, brokers, "", "the Kafka brokers to bootstrap from, host:port[,host:port]");
ABSL_FLAG(std::string, group_id, "",
          "the consumer group whose offsets are committed after each durable epoch (none if "
          "empty)");
ABSL_FLAG(std::string, start, "earliest",
          "where a partition without a resume state starts: earliest, latest, an RFC 3339 time "
          "or milliseconds since the epoch");
ABSL_FLAG(bool, stop_at_end, false,
          "end each partition at the offset it had when it was built instead of following it");
ABSL_FLAG(std::string, format, "bytes", "how keys and values are decoded: bytes, text or json");
ABSL_FLAG(int, batch_size, 10000, "records handed out per poll of a partition, at least 1");

namespace {

using Input = inlet_kafka::InletKafka;

constexpr char kProgram[] = "inlet-kafka";

absl::StatusOr<std::unique_ptr<Input>> MakeInput(const std::vector<std::string>& args) {
  if (args.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no topic given; usage: ", kProgram, " --brokers=HOST:PORT [flags] TOPIC..."));
  }
  inlet_kafka::InletKafkaOptions options{.brokers = absl::GetFlag(FLAGS_brokers),
                                         .topics = args,
                                         .group_id = absl::GetFlag(FLAGS_group_id),
                                         .stop_at_end = absl::GetFlag(FLAGS_stop_at_end),
                                         .batch_size = absl::GetFlag(FLAGS_batch_size)};
  if (options.brokers.empty()) {
    return absl::InvalidArgumentError("--brokers is missing: give host:port[,host:port]");
  }
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch-size=", options.batch_size, ": must be at least 1"));
  }
  absl::StatusOr<inlet_kafka::StartAt> start =
      inlet_kafka::ParseStartAt(absl::GetFlag(FLAGS_start));
  if (!start.ok()) return absl::InvalidArgumentError(absl::StrCat("--", start.status().message()));
  options.start = *start;
  absl::StatusOr<inlet_kafka::ValueFormat> format =
      inlet_kafka::ParseValueFormat(absl::GetFlag(FLAGS_format));
  if (!format.ok())
    return absl::InvalidArgumentError(absl::StrCat("--", format.status().message()));
  options.format = *format;
  return std::make_unique<Input>(std::move(options));
}

}  // namespace

int main(int argc, char** argv) { return inlet::RunMain(argc, argv, MakeInput); }
