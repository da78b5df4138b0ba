// The compiled module of the Python package (python/inlet_postgres_cdc/):
// the connector exported with inlet's helpers, as a partitioned input that
// `inlet.bytewax` runs on Bytewax and as a subject that `inlet.pathway.read`
// reads into a Pathway table.

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "inlet/message.h"
#include "inlet/python/conversions.h"
#include "inlet/python/export.h"
#include "inlet/python/export_subject.h"
#include "inlet/subject_input.h"

#include "inlet_postgres_cdc/connector.h"

// A change reaches Python as its value, a dict (the message has no key).
namespace nanobind::detail {
template <>
struct type_caster<inlet::Message> {
  NB_TYPE_CASTER(inlet::Message, const_name("dict"))
  bool from_python(handle, uint8_t, cleanup_list*) noexcept { return false; }
  static handle from_cpp(const inlet::Message& message, rv_policy policy,
                         cleanup_list* cleanup) noexcept {
    return make_caster<nlohmann::json>::from_cpp(message.value, policy, cleanup);
  }
};
}  // namespace nanobind::detail

namespace {

namespace nb = nanobind;
namespace py = inlet::python;
using namespace nb::literals;

using Connector = inlet::SubjectInput<inlet::Message>;
using Subject = inlet_postgres_cdc::PostgresCdc;

inlet_postgres_cdc::PostgresCdcOptions Options(std::string conninfo, std::string publication,
                                               std::string slot, std::string end_lsn) {
  return {.conninfo = std::move(conninfo),
          .slot = std::move(slot),
          .publication = std::move(publication),
          .end_lsn = std::move(end_lsn)};
}

std::unique_ptr<Connector> MakeConnector(std::string conninfo, std::string publication,
                                         std::string slot, std::string end_lsn) {
  absl::StatusOr<std::unique_ptr<Connector>> input = inlet_postgres_cdc::MakePostgresCdcInput(
      Options(std::move(conninfo), std::move(publication), std::move(slot), std::move(end_lsn)));
  if (!input.ok()) throw std::invalid_argument(std::string(input.status().message()));
  return *std::move(input);
}

}  // namespace

NB_MODULE(_inlet_postgres_cdc, m) {
  m.doc() = "The connector, exported with inlet's Python helpers.";
  auto connector = py::ExportPartitionedInput<Connector>(m, "PostgresCdcInput");
  connector.def(nb::new_(&MakeConnector), "conninfo"_a, "publication"_a, "slot"_a = "inlet",
                "end_lsn"_a = "",
                "Streams the changes of `publication` through the logical replication slot "
                "`slot`, one partition named after the slot, until `end_lsn` if given.");

  py::ExportConnectorSubject<Subject>(m, "PostgresCdc",
                                      {.format = inlet::MessageFormat::kJson,
                                       .schema = inlet_postgres_cdc::ChangeSchema(),
                                       .name = "postgres-cdc"})
      .def(
          "__init__",
          [](py::ExportedSubject<Subject>* self, std::string conninfo, std::string publication,
             std::string slot, std::string end_lsn) {
            new (self) py::ExportedSubject<Subject>(std::make_unique<Subject>(Options(
                std::move(conninfo), std::move(publication), std::move(slot), std::move(end_lsn))));
          },
          "conninfo"_a, "publication"_a, "slot"_a = "inlet", "end_lsn"_a = "",
          "The same changes as a subject, for `inlet.pathway.read` (no resume under Pathway).");
}
