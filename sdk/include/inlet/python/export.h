// Exports a connector to Python, where the `inlet` package runs it on
// Bytewax (`inlet.bytewax.PartitionedSource`, `inlet.bytewax.DynamicSource`).
// (A `ConnectorSubject` is exported with export_subject.h, for Pathway.)
// In the connector's nanobind module (built with `inlet_add_python_module`,
// see inletPython.cmake):
//
//   NB_MODULE(my_connector, m) {
//     inlet::python::ExportPartitionedInput<MyInput>(m, "MyInput")
//         .def(nanobind::init<std::string, int>(), "path"_a, "batch_size"_a = 1000);
//   }
//
// and in Python:
//
//   op.input("in", flow, inlet.bytewax.PartitionedSource(my_connector.MyInput("a.log")))
//
// Each function binds the input class itself (the author adds constructors
// to the returned `nanobind::class_`) and a class for its live partitions,
// named after it with "Partition" appended. The Python methods follow
// Bytewax's names and the C++ contract of the headers in `inlet/`:
//
//   input.list_parts() -> list[str]                       ListParts
//   input.build_part(step_id, for_part, resume_state)     BuildPart (partitioned)
//   input.build(step_id, worker_index, worker_count)      Build (dynamic)
//   partition.next_batch() -> list                        NextBatch
//   partition.next_awake() -> datetime | None             NextAwake
//   partition.snapshot() -> state                         Snapshot (partitioned)
//   partition.close()                                     Close
//
// - Items convert as conversions.h says; the resume state is the JSON of
//   `State` as a plain Python value, and `resume_state=None` means "start
//   from the beginning".
// - `next_batch` raises `StopIteration` once the source has returned `kEnd`
//   and its last items have been handed out.
// - A non-OK status or a C++ exception raises `inlet.ConnectorError` (a
//   RuntimeError) whose message reads `step "s" partition "p": NextBatch:
//   message` and whose attributes are `step`, `partition` ("worker-N" for a
//   dynamic input's source; None for `list_parts`), `method`, `message` and
//   `code` (the status code's name, e.g. "NOT_FOUND"; "UNKNOWN" for an
//   exception).
// - The GIL is released while C++ runs, so sources of different Bytewax
//   workers in one process run in parallel. `ListParts`, `BuildPart` and
//   `Build` of one input type are serialized, as the embedded runtime calls
//   them one at a time. A partition keeps its input object alive.
// - A partition that Python drops without `close()` (Bytewax does not close
//   partitions on an abort) calls `Close` when it is destroyed.
//
// The `inlet` Python package must be importable where the module runs.

#ifndef INLET_PYTHON_EXPORT_H_
#define INLET_PYTHON_EXPORT_H_

#include <nanobind/nanobind.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/dynamic_input.h"
#include "inlet/partitioned_input.h"
#include "inlet/python/conversions.h"
#include "inlet/python/internal/partition.h"
#include "inlet/python/internal/user_call.h"
#include "nlohmann/json.hpp"

namespace inlet::python {

namespace internal {

// The lock that serializes `ListParts`, `BuildPart` and `Build` of `Input`.
template <class Input>
std::mutex& BuildLock() {
  static std::mutex lock;
  return lock;
}

// Binds the class of `Input`'s partitions as "<name>Partition", then returns
// the class of `Input` itself, named `name`.
template <class Input>
nanobind::class_<Input> BindClasses(nanobind::handle scope, const char* name) {
  using P = Partition<Input, typename Input::Source>;
  const std::string partition_name = absl::StrCat(name, "Partition");
  nanobind::class_<P> partition(scope, partition_name.c_str());
  partition
      .def("next_batch", &P::NextBatch,
           "Returns the items ready now (maybe none); raises StopIteration when the partition "
           "has ended.")
      .def("next_awake", &P::NextAwake,
           "When next_batch wants to be called next: an aware UTC datetime, or None.")
      .def("close", &P::Close, "Releases the partition; later calls do nothing.");
  if constexpr (P::kStateful) {
    partition.def("snapshot", &P::Snapshot,
                  "The state that resumes this partition right after the last item returned.");
  }
  return nanobind::class_<Input>(scope, name);
}

// Converts a resume state from Python: to JSON, then to `State`.
template <class State>
absl::StatusOr<State> StateFromPython(nanobind::handle value) {
  nlohmann::json json;
  try {
    json = JsonFromPython(value);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("resume state does not convert: ", e.what()));
  }
  try {
    return json.get<State>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("resume state ", json.dump(), " does not convert: ", e.what()));
  }
}

// Calls `build` (the author's `BuildPart` or `Build`) under `Input`'s build
// lock without the GIL, and wraps the source it returns in a partition.
template <class Input, class F>
auto BuildPartition(Place place, const char* method, F&& build) {
  using Source = typename Input::Source;
  std::unique_ptr<Source> source = CallOrRaise(place, method, [&build] {
    std::lock_guard<std::mutex> hold(BuildLock<Input>());
    return build();
  });
  if (source == nullptr) {
    RaiseConnectorError(place, method, absl::InternalError("returned a null source"));
  }
  return std::make_unique<Partition<Input, Source>>(std::move(source), std::move(place));
}

}  // namespace internal

// Exports `Input`, a subclass of `inlet::PartitionedInput<T, State>`, as the
// Python class `name` in `scope`, with `list_parts` and `build_part`. Returns
// the class so the caller can add constructors and other methods.
// REQUIRES: called once per `Input` type, while the module is initialized.
template <class Input>
nanobind::class_<Input> ExportPartitionedInput(nanobind::handle scope, const char* name) {
  namespace nb = nanobind;
  using State = typename Input::StateType;
  using P = internal::Partition<Input, typename Input::Source>;
  nb::class_<Input> input = internal::BindClasses<Input>(scope, name);
  input.def(
      "list_parts",
      [](Input& self) {
        return internal::CallOrRaise(internal::Place{}, "ListParts", [&self] {
          std::lock_guard<std::mutex> hold(internal::BuildLock<Input>());
          return self.ListParts();
        });
      },
      "The names of the partitions this process can reach.");
  input.def(
      "build_part",
      [](Input& self, std::string step_id, std::string for_part,
         nb::handle resume_state) -> std::unique_ptr<P> {
        const internal::Place place = internal::Place::Partition(step_id, for_part);
        std::optional<State> resume;
        if (!resume_state.is_none()) {
          absl::StatusOr<State> converted = internal::StateFromPython<State>(resume_state);
          if (!converted.ok())
            internal::RaiseConnectorError(place, "BuildPart", converted.status());
          resume = *std::move(converted);
        }
        return internal::BuildPartition<Input>(place, "BuildPart", [&] {
          return self.BuildPart(step_id, for_part, std::move(resume));
        });
      },
      nb::arg("step_id"), nb::arg("for_part"), nb::arg("resume_state").none(),
      nb::keep_alive<0, 1>(),
      "Builds partition `for_part`, resumed from `resume_state` (None: from its beginning).");
  return input;
}

// Exports `Input`, a subclass of `inlet::DynamicInput<T>`, as the Python
// class `name` in `scope`, with `build`. Returns the class so the caller can
// add constructors and other methods.
// REQUIRES: called once per `Input` type, while the module is initialized.
template <class Input>
nanobind::class_<Input> ExportDynamicInput(nanobind::handle scope, const char* name) {
  namespace nb = nanobind;
  using P = internal::Partition<Input, typename Input::Source>;
  nb::class_<Input> input = internal::BindClasses<Input>(scope, name);
  input.def(
      "build",
      [](Input& self, std::string step_id, int worker_index,
         int worker_count) -> std::unique_ptr<P> {
        return internal::BuildPartition<Input>(
            internal::Place::Worker(step_id, worker_index), "Build",
            [&] { return self.Build(step_id, worker_index, worker_count); });
      },
      nb::arg("step_id"), nb::arg("worker_index"), nb::arg("worker_count"), nb::keep_alive<0, 1>(),
      "Builds the source of worker `worker_index` of `worker_count`.");
  return input;
}

}  // namespace inlet::python

#endif  // INLET_PYTHON_EXPORT_H_
