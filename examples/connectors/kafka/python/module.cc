// The compiled module of the Python package (python/inlet_kafka/):
// the connector exported with inlet's helpers, so `inlet.bytewax` runs it on
// Bytewax. Items arrive as dicts (key and value as bytes, str or decoded
// JSON, as `format` says).

#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/python/export.h"

#include "inlet_kafka/connector.h"

namespace {

namespace nb = nanobind;
namespace py = inlet::python;
using namespace nb::literals;

using Connector = inlet_kafka::InletKafka;

template <class T>
T ValueOrThrow(absl::StatusOr<T> value) {
  if (!value.ok()) throw std::invalid_argument(std::string(value.status().message()));
  return *std::move(value);
}

}  // namespace

NB_MODULE(_inlet_kafka, m) {
  m.doc() = "The connector, exported with inlet's Python helpers.";
  auto connector = py::ExportPartitionedInput<Connector>(m, "InletKafka");
  connector.def(
      "__init__",
      [](Connector* self, std::string brokers, std::vector<std::string> topics,
         std::string group_id, const std::string& start, bool stop_at_end, int batch_size,
         const std::string& format, std::map<std::string, std::string> config) {
        new (self) Connector({.brokers = std::move(brokers),
                              .topics = std::move(topics),
                              .group_id = std::move(group_id),
                              .start = ValueOrThrow(inlet_kafka::ParseStartAt(start)),
                              .stop_at_end = stop_at_end,
                              .batch_size = batch_size,
                              .format = ValueOrThrow(inlet_kafka::ParseValueFormat(format)),
                              .config = std::move(config)});
      },
      "brokers"_a, "topics"_a, "group_id"_a = "", "start"_a = "earliest", "stop_at_end"_a = false,
      "batch_size"_a = 10000, "format"_a = "bytes",
      "config"_a = std::map<std::string, std::string>{},
      "Reads every partition of `topics` from the Kafka `brokers` (host:port[,...]). "
      "`group_id`: the consumer group whose offsets are committed once an epoch is durable. "
      "`start`: earliest, latest, an RFC 3339 time or milliseconds since the epoch. "
      "`stop_at_end`: end each partition at its end offset instead of following it. "
      "`format`: bytes, text or json. `config`: more librdkafka properties.");
}
