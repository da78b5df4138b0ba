// The compiled module of the Python package (python/inlet_kafka/):
// the connector exported with inlet's helpers, so `inlet.bytewax` runs it on
// Bytewax. Items arrive as `inlet_kafka.Record` objects: the C++ record
// moved into a Python object as it is, its fields converted when read
// (`key` and `value` as bytes, str or decoded JSON, as `format` says).

#include <nanobind/nanobind.h>
#include <nanobind/operators.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/python/conversions.h"
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

using inlet_kafka::Record;
using inlet_kafka::ValueFormat;

nb::object Checked(PyObject* built) {
  if (built == nullptr) throw nb::python_error();
  return nb::steal(built);
}

// A key or value: None, bytes (kBytes) or str.
nb::object DataToPython(const std::optional<std::string>& data, ValueFormat format) {
  if (!data.has_value()) return nb::none();
  const auto size = static_cast<Py_ssize_t>(data->size());
  if (format == ValueFormat::kBytes) return Checked(PyBytes_FromStringAndSize(data->data(), size));
  return Checked(PyUnicode_FromStringAndSize(data->data(), size));
}

nb::object ValueToPython(const Record& record) {
  if (record.format == ValueFormat::kJson) return py::JsonToPython(record.json_value);
  return DataToPython(record.value, record.format);
}

std::optional<std::string> DataFromPython(nb::handle data, const char* what) {
  if (data.is_none()) return std::nullopt;
  if (nb::isinstance<nb::bytes>(data)) {
    return std::string(PyBytes_AS_STRING(data.ptr()),
                       static_cast<size_t>(PyBytes_GET_SIZE(data.ptr())));
  }
  if (nb::isinstance<nb::str>(data)) return nb::cast<std::string>(data);
  throw nb::type_error((std::string("a Record's ") + what + " is None, bytes or str").c_str());
}

// (topic, partition, offset, timestamp, key, value, format): what pickling
// keeps, so Bytewax can send records between processes and store them.
nb::tuple RecordState(const Record& record) {
  return nb::make_tuple(record.topic, record.partition, record.offset, record.timestamp,
                        DataToPython(record.key, record.format), ValueToPython(record),
                        inlet_kafka::ValueFormatName(record.format));
}

void RecordFromState(Record* self, const nb::tuple& state) {
  if (state.size() != 7) throw nb::type_error("a Record's state is a tuple of 7 fields");
  Record record{
      .topic = nb::cast<std::string>(state[0]),
      .partition = nb::cast<int32_t>(state[1]),
      .offset = nb::cast<int64_t>(state[2]),
      .timestamp = nb::cast<std::optional<int64_t>>(state[3]),
      .format = ValueOrThrow(inlet_kafka::ParseValueFormat(nb::cast<std::string>(state[6])))};
  record.key = DataFromPython(state[4], "key");
  if (record.format == ValueFormat::kJson) {
    record.json_value = py::JsonFromPython(state[5]);
  } else {
    record.value = DataFromPython(state[5], "value");
  }
  new (self) Record(std::move(record));
}

nb::str RecordRepr(const Record& record) {
  nb::object timestamp = nb::cast(record.timestamp);
  return nb::str(
             "Record(topic={!r}, partition={}, offset={}, timestamp={!r}, key={!r}, "
             "value={!r})")
      .format(record.topic, record.partition, record.offset, timestamp,
              DataToPython(record.key, record.format), ValueToPython(record));
}

nb::dict RecordDict(const Record& record) {
  nb::dict dict;
  dict["topic"] = record.topic;
  dict["partition"] = record.partition;
  dict["offset"] = record.offset;
  dict["timestamp"] = record.timestamp;
  dict["key"] = DataToPython(record.key, record.format);
  dict["value"] = ValueToPython(record);
  return dict;
}

}  // namespace

NB_MODULE(_inlet_kafka, m) {
  m.doc() = "The connector, exported with inlet's Python helpers.";
  nb::class_<Record>(m, "Record",
                     "A Kafka record, as the connector hands it out. Read-only: `topic` (str), "
                     "`partition`, `offset` (int), `timestamp` (int milliseconds since the "
                     "epoch, or None), `key` and `value` (None when absent; bytes, str or the "
                     "decoded JSON value, as the connector's `format` says). Equal records "
                     "compare equal; records pickle.")
      .def_prop_ro("topic", [](const Record& r) { return r.topic; })
      .def_ro("partition", &Record::partition)
      .def_ro("offset", &Record::offset)
      .def_ro("timestamp", &Record::timestamp)
      .def_prop_ro("key", [](const Record& r) { return DataToPython(r.key, r.format); })
      .def_prop_ro("value", &ValueToPython,
                   "The value; with format json it is decoded anew on every read.")
      .def("to_dict", &RecordDict,
           "The record as a dict of the six fields (a new dict on every call).")
      .def(nb::self == nb::self)
      .def("__repr__", &RecordRepr)
      .def("__getstate__", &RecordState)
      .def("__setstate__", &RecordFromState);
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
