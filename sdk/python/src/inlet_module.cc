// `inlet._inlet`: the SDK's built-in connectors, exported to Python through
// the same helpers connector authors use (inlet/python/export.h). The
// `inlet.bytewax` module wraps them as Bytewax sources.

#include <nanobind/nanobind.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "inlet/connectors/file_input.h"
#include "inlet/python/export.h"
#include "json_document_caster.h"
#include "json_lines_input.h"

namespace {

namespace nb = nanobind;

inlet::FileInputOptions MakeOptions(bool follow, double poll_interval_seconds, size_t batch_size,
                                    bool universal_newlines, bool require_utf8,
                                    int64_t split_bytes) {
  return {.follow = follow,
          .poll_interval = absl::Seconds(poll_interval_seconds),
          .batch_size = batch_size,
          .line_ending =
              universal_newlines ? inlet::LineEnding::kUniversal : inlet::LineEnding::kNewline,
          .require_utf8 = require_utf8,
          .split_bytes = split_bytes};
}

std::vector<std::filesystem::path> MakePaths(const std::vector<std::string>& paths) {
  return {paths.begin(), paths.end()};
}

// The keyword arguments shared by the file inputs' constructors.
auto FileOptionArgs() {
  return std::make_tuple(nb::kw_only(), nb::arg("follow") = false,
                         nb::arg("poll_interval_seconds") = 0.1, nb::arg("batch_size") = 1000,
                         nb::arg("universal_newlines") = false, nb::arg("require_utf8") = false,
                         nb::arg("split_bytes") = 0);
}

}  // namespace

NB_MODULE(_inlet, m) {
  m.doc() = "inlet's built-in connectors; use them through inlet.bytewax.";
  auto [kw_only, follow, poll_interval, batch_size, universal_newlines, require_utf8, split_bytes] =
      FileOptionArgs();

  inlet::python::ExportPartitionedInput<inlet::FileInput>(m, "FileInput")
      .def(
          "__init__",
          [](inlet::FileInput* self, const std::vector<std::string>& paths, bool follow_files,
             double poll_seconds, size_t batch, bool universal, bool utf8, int64_t split) {
            new (self) inlet::FileInput(
                MakePaths(paths),
                MakeOptions(follow_files, poll_seconds, batch, universal, utf8, split));
          },
          nb::arg("paths"), kw_only, follow, poll_interval, batch_size, universal_newlines,
          require_utf8, split_bytes,
          "Lines of text files as str, one partition per path (inlet/connectors/file_input.h); "
          "universal_newlines: LineEnding::kUniversal.");

  inlet::python::ExportPartitionedInput<inlet::python::JsonLinesInput>(m, "JsonLinesInput")
      .def(
          "__init__",
          [](inlet::python::JsonLinesInput* self, const std::vector<std::string>& paths,
             bool follow_files, double poll_seconds, size_t batch, bool universal, bool utf8,
             int64_t split) {
            new (self) inlet::python::JsonLinesInput(
                MakePaths(paths),
                MakeOptions(follow_files, poll_seconds, batch, universal, utf8, split));
          },
          nb::arg("paths"), kw_only, follow, poll_interval, batch_size, universal_newlines,
          require_utf8, split_bytes,
          "JSON lines of text files, parsed in C++, one partition per path.");
}
