// The compiled module of the Python package (python/inlet_postgres_cdc/):
// the connector exported with inlet's helpers, so `inlet.bytewax` runs it on
// Bytewax. Constructors added here become the Python class's constructors.

#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inlet/python/export.h"
#include "inlet/subject_input.h"

#include "inlet_postgres_cdc/connector.h"

namespace {

namespace nb = nanobind;
namespace py = inlet::python;
using namespace nb::literals;

using Connector = inlet::SubjectInput<std::string>;

std::unique_ptr<Connector> MakeConnector(std::vector<std::filesystem::path> paths) {
  return inlet_postgres_cdc::MakePostgresCdcInput(std::move(paths));
}

}  // namespace

NB_MODULE(_inlet_postgres_cdc, m) {
  m.doc() = "The connector, exported with inlet's Python helpers.";
  auto connector = py::ExportPartitionedInput<Connector>(m, "PostgresCdcInput");
  connector.def(nb::new_(&MakeConnector), "paths"_a,
                "Reads `paths`, one subject per file, each line a message.");
}
