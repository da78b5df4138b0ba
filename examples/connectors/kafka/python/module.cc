// The compiled module of the Python package (python/inlet_kafka/):
// the connector exported with inlet's helpers, so `inlet.bytewax` runs it on
// Bytewax. Constructors added here become the Python class's constructors.

#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/vector.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "inlet/python/export.h"

#include "inlet_kafka/connector.h"

namespace {

namespace nb = nanobind;
namespace py = inlet::python;
using namespace nb::literals;

using Connector = inlet_kafka::InletKafka;

}  // namespace

NB_MODULE(_inlet_kafka, m) {
  m.doc() = "The connector, exported with inlet's Python helpers.";
  auto connector = py::ExportPartitionedInput<Connector>(m, "InletKafka");
  connector.def(nb::init<std::vector<std::filesystem::path>>(), "paths"_a,
                "Reads `paths`, one partition per file, each line an item.");
}
